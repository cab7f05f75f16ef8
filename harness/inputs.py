"""The correctness inputs every (variant, route) is checked on, small and telling first."""
from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from targets.fresh import INT32_MAX, INT32_MIN, SEED
RANDOM_ARRAYS = 200
RANDOM_MAX_N = 1000
LARGE_N = 1_000_000


@dataclass(frozen=True)
class Case:
    name: str
    values: tuple[int, ...]

    def describe(self) -> str:
        shown = list(self.values[:12])
        tail = f", ... ({len(self.values)} values)" if len(self.values) > 12 else ""
        return f"{self.name} {str(shown)[:-1]}{tail}]"


def edge_cases() -> list[Case]:
    return [
        Case("empty", ()),
        Case("one", (7,)),
        Case("two ascending", (1, 2)),
        Case("two descending", (2, 1)),
        Case("sorted", tuple(range(-5, 11))),
        Case("reversed", tuple(range(10, -6, -1))),
        Case("all equal", (4,) * 9),
        Case("duplicates", (3, 1, 3, 2, 1, 3, 2, 2, 1)),
        Case("negatives", (-1, -7, 0, -3, 5, -2147483647, 2)),
        Case("int32 extremes", (INT32_MAX, INT32_MIN, 0, INT32_MAX, -1, INT32_MIN, 1)),
    ]


def weak_orderings(n: int) -> Iterator[tuple[int, ...]]:
    """Every permutation of every pattern of ties of length n (the ordered Bell numbers: 1, 3, 13, 75, 541)."""
    for values in itertools.product(range(n), repeat=n):
        used = set(values)
        if used == set(range(len(used))):
            yield values


def exhaustive_cases(max_n: int = 5) -> list[Case]:
    return [Case(f"ties n={n} #{i}", v) for n in range(1, max_n + 1) for i, v in enumerate(weak_orderings(n))]


def random_cases(count: int = RANDOM_ARRAYS, max_n: int = RANDOM_MAX_N, seed: int = SEED) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        n = rng.randint(0, max_n)
        # Alternate full-range values with narrow ranges, so some arrays are full of ties.
        low, high = (INT32_MIN, INT32_MAX) if i % 2 == 0 else (-rng.randint(1, 50), rng.randint(1, 50))
        cases.append(Case(f"random #{i} n={n}", tuple(rng.randint(low, high) for _ in range(n))))
    return cases


def nearly_sorted(n: int, seed: int = SEED) -> tuple[int, ...]:
    """Sorted with a few neighbours swapped: large n stays cheap for an O(n^2) sort."""
    rng = random.Random(seed)
    values = list(range(-(n // 2), n - n // 2))
    for _ in range(max(1, n // 1000)):
        i = rng.randrange(max(1, n - 1))
        values[i], values[i + 1] = values[i + 1], values[i]
    return tuple(values)


def large_cases() -> list[Case]:
    return [Case(f"nearly sorted n={LARGE_N}", nearly_sorted(LARGE_N))]


@cache
def correctness_cases() -> tuple[Case, ...]:
    return tuple(edge_cases() + exhaustive_cases() + random_cases() + large_cases())

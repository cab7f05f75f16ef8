"""A kernel's correctness inputs as data: edge cases, every weak ordering of small arrays instantiated with chosen
value sets, seeded random arrays, nearly sorted large ones (kernels.interface.Interface holds them as `cases`)."""
from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class Case:
    """One correctness input: the array for a kernel of one array argument, else a tuple of arrays (Interface)."""

    name: str
    values: tuple[Any, ...]


def weak_orderings(n: int) -> Iterator[tuple[int, ...]]:
    """Every weak ordering of n items as ranks 0..k-1 (the ordered Bell numbers: 1, 3, 13, 75, 541 for n=1..5).

    Each is one pattern of ties in one order; instantiating its ranks with
    chosen values gives inputs that exercise every outcome of every comparison.
    """
    for values in itertools.product(range(n), repeat=n):
        used = set(values)
        if used == set(range(len(used))):
            yield values


@dataclass(frozen=True)
class ValueSet:
    """Strictly increasing values a weak ordering's ranks are mapped to.

    A weak ordering with k distinct ranks uses k of the values: the lowest k
    ("bottom"), or the highest k ("top"), as `alignments` asks, so that with k < len(values) both ends of the
    set still occur.
    """

    name: str
    values: tuple[int, ...]
    alignments: tuple[str, ...] = ("bottom",)

    def instantiate(self, ranks: Sequence[int]) -> list[tuple[str, tuple[int, ...]]]:
        k = max(ranks) + 1 if ranks else 0
        if k > len(self.values):
            raise ValueError(f"value set {self.name!r} has {len(self.values)} values; a weak ordering needs {k}")
        out = []
        for alignment in self.alignments:
            chosen = self.values[:k] if alignment == "bottom" else self.values[len(self.values) - k:]
            out.append((alignment, tuple(chosen[r] for r in ranks)))
        return out


@dataclass(frozen=True)
class RandomCases:
    """`count` seeded random arrays of length in [min_length, max_length]; even-numbered ones take values
    from the whole int32 range, odd-numbered ones from a narrow range around zero, so they hold ties."""

    count: int
    min_length: int
    max_length: int
    seed: int
    narrow: int = 50


@dataclass(frozen=True)
class Cases:
    """The correctness inputs, checked in this order: small and telling first."""

    edge: tuple[Case, ...] = ()
    # Lengths whose every weak ordering is checked, with each value set.
    weak_ordering_lengths: tuple[int, ...] = ()
    value_sets: tuple[ValueSet, ...] = ()
    random: RandomCases | None = None
    # Lengths of one large, nearly sorted array each (cheap for an O(n^2) kernel).
    nearly_sorted: tuple[int, ...] = ()

    def generate(self) -> tuple[Case, ...]:
        cases = list(self.edge)
        for n in self.weak_ordering_lengths:
            for i, ranks in enumerate(weak_orderings(n)):
                for value_set in self.value_sets:
                    for alignment, values in value_set.instantiate(ranks):
                        # The plain rank instantiation keeps the short name older saved runs used.
                        label = "" if (value_set.name, alignment) == ("ranks", "bottom") else \
                            f" {value_set.name}/{alignment}"
                        cases.append(Case(f"ties n={n} #{i}{label}", values))
        if self.random is not None:
            cases += random_cases(self.random)
        cases += [Case(f"nearly sorted n={n}", nearly_sorted(n, self.random.seed if self.random else 0))
                  for n in self.nearly_sorted]
        return tuple(cases)

    def count(self) -> int:
        return len(self.generate())


def random_cases(spec: RandomCases) -> list[Case]:
    rng = random.Random(spec.seed)
    cases = []
    for i in range(spec.count):
        n = rng.randint(spec.min_length, spec.max_length)
        low, high = (INT32_MIN, INT32_MAX) if i % 2 == 0 else (-rng.randint(1, spec.narrow), rng.randint(1, spec.narrow))
        cases.append(Case(f"random #{i} n={n}", tuple(rng.randint(low, high) for _ in range(n))))
    return cases


def nearly_sorted(n: int, seed: int) -> tuple[int, ...]:
    """Sorted with a few neighbours swapped."""
    rng = random.Random(seed)
    values = list(range(-(n // 2), n - n // 2))
    for _ in range(max(1, n // 1000)):
        i = rng.randrange(max(1, n - 1))
        values[i], values[i + 1] = values[i + 1], values[i]
    return tuple(values)


def fixed_size_value_sets(n: int) -> tuple[ValueSet, ...]:
    """Value sets for a kernel on exactly n elements: AlphaDev's ranks, and sets that tell signed from
    unsigned comparison (mixed signs) and catch overflowing compare-by-subtraction (INT32_MIN with INT32_MAX)."""
    mixed = tuple(range(-(n // 2), n - n // 2))  # -1 0 1 for n=3: negatives sort below zero only if signed
    extremes = (INT32_MIN, *range(-(n // 2) + 1, n - n // 2 - 1), INT32_MAX) if n > 2 else (INT32_MIN, INT32_MAX)
    return (
        ValueSet("alphadev", tuple(range(1, n + 1))),
        ValueSet("mixed-sign", mixed, ("bottom", "top")),
        ValueSet("int32-extremes", extremes, ("bottom", "top")),
    )


# Inputs every kernel over an array of any length is checked on first: small, and each telling.
ARRAY_EDGE_CASES = (
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
)

"""Shrink a failing input to a smallest one that still fails: fewer elements first, then smaller values.

Deterministic (no randomness), so the same bug gives the same counterexample on every run. Every candidate
lies in the kernel's input domain: the negation of INT32_MIN, say, is no input a route can even hold.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Predicate = Callable[[Sequence[int]], bool]


class _Budgeted:
    """`fails`, answering False once it has been asked `budget` times, so that every shrink ends."""

    def __init__(self, fails: Callable[[Any], bool], budget: int) -> None:
        self.fails, self.left = fails, budget

    @property
    def spent(self) -> bool:
        return self.left <= 0

    def __call__(self, candidate: Any) -> bool:
        if self.spent:
            return False
        self.left -= 1
        return self.fails(candidate)


def shrink(values: Sequence[int], fails: Predicate, budget: int = 3000, keep_length: bool = False,
           domain: tuple[int, int] | None = None) -> list[int]:
    """With `keep_length` (a kernel on exactly N elements) no element is removed; only values shrink. With
    `domain` (low, high), no candidate holds a value outside it."""
    current = list(values)
    still_fails = _Budgeted(fails, budget)

    changed = True
    while changed and not still_fails.spent:
        changed = False
        # Remove chunks, halving the chunk size: ddmin without the complement step.
        chunk = 0 if keep_length else max(1, len(current) // 2)
        while chunk >= 1 and not still_fails.spent:
            start = 0
            while start < len(current):
                candidate = current[:start] + current[start + chunk :]
                if still_fails(candidate):
                    current, changed = candidate, True
                else:
                    start += chunk
            chunk //= 2
        # Dense ranks keep the order (which is all a sort looks at) with the smallest magnitudes.
        ranked = _dense_ranks(current)
        inside = domain is None or all(domain[0] <= v <= domain[1] for v in ranked)
        if ranked != current and inside and still_fails(ranked):
            current, changed = ranked, True
        for i in range(len(current)):
            for smaller in _smaller_values(current[i], domain):
                candidate = current[:i] + [smaller] + current[i + 1 :]
                if still_fails(candidate):
                    current[i], changed = smaller, True
                    break
    return current


def _dense_ranks(values: list[int]) -> list[int]:
    order = {v: r for r, v in enumerate(sorted(set(values)))}
    return [order[v] for v in values]


def _smaller_values(value: int, domain: tuple[int, int] | None = None) -> list[int]:
    """Candidates closer to zero, simplest first, within `domain` when given."""
    if value == 0:
        return []
    out = [0]
    if value < 0:
        out.append(-value)
    step = abs(value) // 2
    while step:
        out.append(value - step if value > 0 else value + step)
        step //= 2
    closer = [v for v in dict.fromkeys(out) if abs(v) < abs(value) or (v > 0 > value)]
    return [v for v in closer if domain is None or domain[0] <= v <= domain[1]]


def shrink_together(arrays: Sequence[Sequence[int]], fails: Callable[[list[list[int]]], bool], budget: int = 3000,
                    keep_length: bool = False, domains: Sequence[tuple[int, int]] | None = None) -> list[list[int]]:
    """Shrink the arrays of a kernel of several arrays at once: a chunk of elements goes from every array alike
    (their lengths are tied), then each element moves towards zero, within its array's `domains` entry."""
    current = [list(a) for a in arrays]
    still_fails = _Budgeted(fails, budget)

    changed = True
    while changed and not still_fails.spent:
        changed = False
        longest = max((len(a) for a in current), default=0)
        chunk = 0 if keep_length else max(1, longest // 2)
        while chunk >= 1 and not still_fails.spent:
            start = 0
            while start < max((len(a) for a in current), default=0):
                candidate = [a[:start] + a[start + chunk:] for a in current]
                if still_fails(candidate):
                    current, changed = candidate, True
                else:
                    start += chunk
            chunk //= 2
        for k, values in enumerate(current):
            for i in range(len(values)):
                for smaller in _smaller_values(values[i], domains[k] if domains else None):
                    candidate = [list(a) for a in current]
                    candidate[k][i] = smaller
                    if still_fails(candidate):
                        current, changed = candidate, True
                        break
    return current

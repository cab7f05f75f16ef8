"""The correctness inputs a (variant, route) is checked on, small and telling first: its kernel's interface
declares them (kernels.interface.Cases)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from kernels.interface import Interface, array_and_length

# A kernel over an array and its length, when no kernel is named: the cases every such kernel is checked on.
ARRAY_AND_LENGTH = array_and_length("kernel", sorted)


@dataclass(frozen=True)
class Case:
    """One input: the array for a kernel of one array argument, else a tuple of arrays (kernels.interface)."""

    name: str
    values: tuple[Any, ...]

    def describe(self) -> str:
        if self.values and isinstance(self.values[0], (tuple, list)):
            return f"{self.name} ({', '.join(_brief(a) for a in self.values)})"
        return f"{self.name} {_brief(self.values)}"


def _brief(values: Sequence[int]) -> str:
    shown = list(values[:12])
    tail = f", ... ({len(values)} values)" if len(values) > 12 else ""
    return f"{str(shown)[:-1]}{tail}]"


@cache
def correctness_cases(interface: Interface = ARRAY_AND_LENGTH) -> tuple[Case, ...]:
    """The kernel's own correctness inputs (its interface's cases), in the order they are checked."""
    return tuple(Case(case.name, case.values) for case in interface.cases.generate())

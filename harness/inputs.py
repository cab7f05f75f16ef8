"""The correctness inputs a (variant, route) is checked on, small and telling first: its kernel's interface
declares them (kernels.interface.Cases)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from kernels.interface import Interface, array_and_length

# A kernel over an array and its length, when no kernel is named: the cases every such kernel is checked on.
ARRAY_AND_LENGTH = array_and_length("kernel", sorted)


@dataclass(frozen=True)
class Case:
    name: str
    values: tuple[int, ...]

    def describe(self) -> str:
        shown = list(self.values[:12])
        tail = f", ... ({len(self.values)} values)" if len(self.values) > 12 else ""
        return f"{self.name} {str(shown)[:-1]}{tail}]"


@cache
def correctness_cases(interface: Interface = ARRAY_AND_LENGTH) -> tuple[Case, ...]:
    """The kernel's own correctness inputs (its interface's cases), in the order they are checked."""
    return tuple(Case(case.name, case.values) for case in interface.cases.generate())

"""The no-op kernel: returns at once. Timed on every route, it measures what is left in the timed window
besides a kernel's own work there (the loop over the pool of inputs and the call), so that overhead is a number,
not a guess."""
from collections.abc import Sequence
from pathlib import Path

from kernels.insertion_sort import INTERFACE as INSERTION_SORT
from kernels.interface import Cost, Interface, Poly, Workload
from kernels.kernel import Kernel


def reference(values: Sequence[int]) -> list[int]:
    return list(values)


# Checked on the same inputs as insertion sort and timed at the same lengths, so its rows are that kernel's
# harness overhead; its cost depends on n only, so one shape is enough.
INTERFACE = Interface(
    name="noop",
    arguments=INSERTION_SORT.arguments,
    reference=reference,
    cases=INSERTION_SORT.cases,
    workload=Workload(
        quick_lengths=INSERTION_SORT.workload.quick_lengths,
        full_lengths=INSERTION_SORT.workload.full_lengths,
        shapes=("random",),
        expect="same",
    ),
    cost=Cost(default=Poly(1, 1)),
    limits=INSERTION_SORT.limits,
)

KERNEL = Kernel(name="noop", directory=Path(__file__).parent, reference=reference, interface=INTERFACE)

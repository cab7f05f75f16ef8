from collections.abc import Sequence
from pathlib import Path

from kernels.interface import Cost, Poly, array_and_length
from kernels.kernel import Kernel


def reference(values: Sequence[int]) -> list[int]:
    return sorted(values)


ENTRY_NAMES = ("insert_sort", "insertion", "sort")

INTERFACE = array_and_length(
    "insertion_sort", reference, ENTRY_NAMES,
    # Insertion sort's inner-loop steps: n for the fill, plus the shifts each shape causes.
    cost=Cost(
        per_shape=(
            ("sorted", Poly(1, 1)),
            ("random", Poly(1, 1, 0.25)),
            ("reversed", Poly(1, 1, 0.5)),
            ("few-unique", Poly(1, 1, 0.19)),
        ),
    ),
)

KERNEL = Kernel(
    name="insertion_sort",
    directory=Path(__file__).parent,
    reference=reference,
    entry_names=ENTRY_NAMES,
    # Linear: scan down from the key, shifting as it goes. Binary: search the sorted prefix for the
    # insertion point (upper bound, so equal keys keep their order), then shift. Both move the same elements.
    algorithm="linear insertion",
    algorithms={"linear insertion": "insertion_sort", "binary insertion": "binary_insertion_sort"},
    interface=INTERFACE,
)

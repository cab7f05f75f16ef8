from collections.abc import Sequence
from pathlib import Path

from harness.kernel import Kernel
from kernels.interface import (
    INT32_MAX,
    INT32_MIN,
    Case,
    Cases,
    Cost,
    Int32Array,
    Interface,
    Length,
    Limits,
    Poly,
    RandomCases,
    ValueSet,
    Workload,
)


def reference(values: Sequence[int]) -> list[int]:
    return sorted(values)


KERNEL = Kernel(
    name="insertion_sort",
    directory=Path(__file__).parent,
    reference=reference,
    entry_names=("insert_sort", "insertion", "sort"),
    # Linear: scan down from the key, shifting as it goes. Binary: search the sorted prefix for the
    # insertion point (upper bound, so equal keys keep their order), then shift. Both move the same elements.
    algorithm="linear insertion",
    algorithms={"linear insertion": "insertion_sort", "binary insertion": "binary_insertion_sort"},
)

EDGE_CASES = (
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

INTERFACE = Interface(
    name="insertion_sort",
    arguments=(Int32Array("a"), Length("n", of="a")),
    reference=reference,
    cases=Cases(
        edge=EDGE_CASES,
        weak_ordering_lengths=(1, 2, 3, 4, 5),
        value_sets=(ValueSet("ranks", (0, 1, 2, 3, 4)),),
        random=RandomCases(count=200, min_length=0, max_length=1000, seed=20261122),
        nearly_sorted=(1_000_000,),
    ),
    workload=Workload(
        quick_lengths=(16, 128, 1024),
        full_lengths=tuple(2**k for k in range(3, 14)),
        shapes=("random", "sorted", "reversed", "few-unique"),
    ),
    # Insertion sort's inner-loop steps: n for the fill, plus the shifts each shape causes.
    cost=Cost(
        per_shape=(
            ("sorted", Poly(1, 1)),
            ("random", Poly(1, 1, 0.25)),
            ("reversed", Poly(1, 1, 0.5)),
            ("few-unique", Poly(1, 1, 0.19)),
        ),
    ),
    limits=Limits(instructions=Poly(100_000, 0, 50), fuel=Poly(1_000_000, 0, 200)),
    entry_names=("insert_sort", "insertion", "sort"),
)

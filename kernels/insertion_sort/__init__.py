from collections.abc import Sequence
from pathlib import Path

from harness.kernel import Kernel


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

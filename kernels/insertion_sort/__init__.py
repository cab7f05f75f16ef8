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
)

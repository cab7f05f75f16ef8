"""The no-op kernel: returns at once. Timed on every route, it measures what the harness itself costs there
(the copy of the input and the call), so that overhead is a number, not a guess."""
from collections.abc import Sequence
from pathlib import Path

from harness.kernel import Kernel


def reference(values: Sequence[int]) -> list[int]:
    return list(values)


KERNEL = Kernel(name="noop", directory=Path(__file__).parent, reference=reference)

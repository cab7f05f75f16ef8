"""The fidelity partner: a standalone program whose timed loop holds only the kernel's calls, each on a fresh
input made before it, every output checked after it."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.measure.fidelity import Standalone, main_c
from harness.inputs import ARRAY_AND_LENGTH
from kernels.insertion_sort import KERNEL

SORT = KERNEL.directory / "insertion_sort.c"


def test_the_program_times_a_correct_kernel_per_call() -> None:
    program = Standalone(SORT, 16, 100, seed=1)
    program.round()
    program.round()
    assert len(program.per_sort_seconds) == 2 and all(s > 0 for s in program.per_sort_seconds)


@pytest.mark.parametrize("spoil", ["a[0] = a[n - 1];", "if (n > 1) { int32_t t = a[0]; a[0] = a[1]; a[1] = t; }"],
                         ids=["a value changed", "out of order"])
def test_the_program_fails_when_any_call_leaves_a_wrong_output(spoil: str, tmp_path: Path) -> None:
    # Wrong on one call in every 37: only a check of every output, after the timed loop, sees it.
    source = tmp_path / "insertion_sort.c"
    source.write_text(SORT.read_text().replace("void insertion_sort(int32_t *a, size_t n)\n{", (
        "void insertion_sort_ok(int32_t *a, size_t n);\n"
        "void insertion_sort(int32_t *a, size_t n)\n{\n"
        "    static unsigned calls;\n"
        f"    insertion_sort_ok(a, n);\n    if (++calls % 37 == 0) {{ {spoil} }}\n}}\n"
        "void insertion_sort_ok(int32_t *a, size_t n)\n{"), 1))
    assert "insertion_sort_ok" in source.read_text(), "the kernel's definition was not found to wrap"
    program = Standalone(source, 16, 100, seed=1)
    with pytest.raises(RuntimeError, match="status 1"):
        program.round()


def test_the_timed_loop_holds_only_the_calls() -> None:
    # Structure of the program's text: in the loop between the two clock readings, the kernel's call and nothing
    # else; the inputs are made before the first reading and checked after the second.
    text = main_c("insertion_sort", ARRAY_AND_LENGTH)
    start = text.index("clock_gettime(CLOCK_MONOTONIC, &t0);")
    end = text.index("clock_gettime(CLOCK_MONOTONIC, &t1);")
    window = [line.strip() for line in text[start:end].splitlines()[1:]]
    assert [line for line in window if line] == ["for (size_t k = 0; k < count; k++) insertion_sort(pool + k * n, n);"]
    assert text.index("prints[k] = arena_fill(") < start and text.index("mix_sum(out, n)") > end

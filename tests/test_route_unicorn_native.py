"""Compiler-built x86-64 in Unicorn: the native routes' own machine code, counted exactly."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
import unicorn

from harness.check import check
from harness.inputs import Case
from harness.source import load_source
from kernels.insertion_sort import KERNEL
from targets import get_route
from targets.elf import symbol_size
from targets.unicorn_native import NativeUnicornBuilt

from .conftest import BAD_INPUTS

C_SOURCE = load_source(KERNEL.directory / "insertion_sort.c", KERNEL)
LL_SOURCE = load_source(KERNEL.directory / "insertion_sort.ll", KERNEL)
_RNG = random.Random(128)
RANDOM_128 = [_RNG.randint(-(2**31), 2**31 - 1) for _ in range(128)]


def counted(route: str, source_kind: str) -> tuple[int, int, NativeUnicornBuilt]:
    source = C_SOURCE if source_kind == "c" else LL_SOURCE
    built = get_route(route).build(source, KERNEL)
    assert isinstance(built, NativeUnicornBuilt)
    first = built.executed(RANDOM_128)["instructions"]
    second = built.executed(RANDOM_128)["instructions"]
    assert built.run(RANDOM_128) == sorted(RANDOM_128)
    return first, second, built


def counted_one_by_one(built: NativeUnicornBuilt, values: list[int]) -> int:
    """Instructions executed by one run, counted by a hook on every instruction (UC_HOOK_CODE): independent
    of the route's own count, which sums the instructions of each executed block."""
    uc = built._uc
    assert uc is not None
    entry = built.image.base + built.image.entry
    count = [0]

    def on_instruction(_uc: unicorn.Uc, address: int, _size: int, _data: object) -> None:
        if address == entry:  # a run starts here; a sort never jumps back to its own entry
            count[0] = 0
        count[0] += 1

    hook = uc.hook_add(unicorn.UC_HOOK_CODE, on_instruction)
    uc.ctl_flush_tb()  # hooks are compiled into translated blocks: none may be cached without this one
    try:
        assert built.run(values) == sorted(values)
    finally:
        uc.hook_del(hook)
        uc.ctl_flush_tb()
    return count[0]


def test_instruction_counts_are_deterministic_and_o3_beats_o0() -> None:
    o0, o0_again, _ = counted("llvm-O0-unicorn", "ll")
    llvm_o3, llvm_o3_again, _ = counted("llvm-O3-unicorn", "ll")
    gcc_o3, gcc_o3_again, _ = counted("c-gcc-O3-unicorn", "c")
    assert (o0, llvm_o3, gcc_o3) == (o0_again, llvm_o3_again, gcc_o3_again)
    assert llvm_o3 < o0 and gcc_o3 < o0


@pytest.mark.parametrize("route, source_kind", [("llvm-O3-unicorn", "ll"), ("c-gcc-O3-unicorn", "c")])
def test_instruction_count_matches_a_count_of_every_instruction(route: str, source_kind: str) -> None:
    count, _, built = counted(route, source_kind)
    try:
        assert count == counted_one_by_one(built, RANDOM_128)
    finally:
        built.close()


# A correct sort that does extra work only on its first call: state kept in .bss between calls.
FIRST_CALL_SLOWER = """/* origin: human; a test fixture: sorts correctly, and walks the array once more on its
   first call only, remembering in a static variable that it did. */
#include <stddef.h>
#include <stdint.h>

static volatile int32_t sink;
static int called;

void insertion_sort(int32_t *a, size_t n)
{
    if (!called) {
        called = 1;
        for (size_t i = 0; i < n; i++)
            sink += a[i];
    }
    for (size_t i = 1; i < n; i++) {
        int32_t key = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > key; j--)
            a[j] = a[j - 1];
        a[j] = key;
    }
}
"""


@pytest.mark.parametrize("route", ["c-gcc-O3-unicorn", "c-clang-O0-unicorn"])
def test_every_run_starts_from_the_library_as_loaded(route: str, tmp_path: Path) -> None:
    path = tmp_path / "first_call_slower.c"
    path.write_text(FIRST_CALL_SLOWER)
    built = get_route(route).build(load_source(path, KERNEL), KERNEL)
    try:
        counts = [built.executed(RANDOM_128)["instructions"] for _ in range(3)]
        assert built.run(RANDOM_128) == sorted(RANDOM_128)
    finally:
        built.close()
    # Without the reset, the first call's extra walk (about 128 loads and adds) shows in the first count only.
    assert counts[0] == counts[1] == counts[2], counts


def test_code_is_the_native_routes_library() -> None:
    native = get_route("c-gcc-O3").build(C_SOURCE, KERNEL)
    emulated = get_route("c-gcc-O3-unicorn").build(C_SOURCE, KERNEL)
    try:
        assert emulated.library == native.library  # type: ignore[attr-defined]
        assert emulated.code_bytes == symbol_size(native.library.read_bytes(), "insertion_sort")
        assert emulated.code_bytes and emulated.code_bytes > 0
        assert "ret" in emulated.listing()
    finally:
        native.close()
        emulated.close()


@pytest.mark.parametrize("route", ["c-gcc-O0-unicorn", "c-clang-O3-unicorn"])
def test_null_write_is_reported_with_its_cause(route: str) -> None:
    source = load_source(BAD_INPUTS / "c_null_write.c", KERNEL)
    report = check(source, get_route(route), KERNEL, cases=[Case("two", (2, 1))])
    assert report.verdict == "fail"
    assert "write to unmapped memory at 0x0" in report.message and "the null page" in report.message
    assert "insertion_sort+0x" in report.message and "SIGSEGV" in report.message

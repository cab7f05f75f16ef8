"""Compiler-built x86-64 in Unicorn: the native routes' own machine code, counted exactly."""
from __future__ import annotations

import random

import pytest

from harness.check import check
from harness.inputs import Case
from harness.source import load_source
from kernels.insertion_sort import KERNEL
from targets import get_route
from targets.native import symbol_size
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


def test_instruction_counts_are_deterministic_and_o3_beats_o0() -> None:
    o0, o0_again, _ = counted("llvm-O0-unicorn", "ll")
    llvm_o3, llvm_o3_again, _ = counted("llvm-O3-unicorn", "ll")
    gcc_o3, gcc_o3_again, _ = counted("c-gcc-O3-unicorn", "c")
    assert (o0, llvm_o3, gcc_o3) == (o0_again, llvm_o3_again, gcc_o3_again)
    assert llvm_o3 < o0 and gcc_o3 < o0
    # Sanity: an n=128 insertion sort does about n^2/4 = 4,096 shifts, a few instructions each.
    assert 4_096 < llvm_o3 < 200_000


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

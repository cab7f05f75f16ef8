"""Compiler-built wasm (clang, llvmlite + wasm-ld) in the wasmtime the AI-written WAT runs in."""
from __future__ import annotations

import pytest

from harness.check import check
from harness.inputs import Case
from harness.variants import load_source
from kernels.insertion_sort import KERNEL
from targets import get_route
from targets.base import BuildError
from targets.wasm.compiled import CompiledWasmBuilt

from .conftest import BAD_INPUTS

VALUES = [3, -7, 2**31 - 1, 0, -(2**31), 3, 12]


@pytest.mark.parametrize(
    "route, filename", [("wasm-clang-O0", "insertion_sort.c"), ("wasm-clang-O3", "insertion_sort.c"),
                        ("wasm-llvm-O3", "insertion_sort.ll")]
)
def test_builds_a_module_that_sorts(route: str, filename: str) -> None:
    built = get_route(route).build(load_source(KERNEL.directory / filename, KERNEL), KERNEL)
    try:
        assert isinstance(built, CompiledWasmBuilt)
        assert built.binary[:4] == b"\0asm"
        assert built.code_bytes and built.code_bytes < len(built.binary)
        assert built.run(VALUES) == sorted(VALUES)
        assert built.fuel_used and built.fuel_used > 0
    finally:
        built.close()


def test_llvm_module_is_optimized_with_a_32_bit_n() -> None:
    built = get_route("wasm-llvm-O3").build(load_source(KERNEL.directory / "insertion_sort.ll", KERNEL), KERNEL)
    assert "wasm32-unknown-unknown" in built.ir_opt  # type: ignore[attr-defined]
    assert "define void @insertion_sort(ptr" in built.ir_opt and "i32 %n" in built.ir_opt  # type: ignore[attr-defined]


@pytest.mark.parametrize("route", ["wasm-clang-O0", "wasm-clang-O3"])
def test_null_write_is_caught_in_wasm(route: str) -> None:
    source = load_source(BAD_INPUTS / "c_null_write.c", KERNEL)
    report = check(source, get_route(route), KERNEL, cases=[Case("two zeros", (0, 0))])
    assert report.verdict == "fail"
    assert report.message.startswith("write through a null pointer: wasm memory at 0x0 changed")


def test_compile_error_names_file_and_line() -> None:
    source = load_source(BAD_INPUTS / "c_compile_error.c", KERNEL)
    with pytest.raises(BuildError, match=r"c_compile_error\.c:8:\d+: error"):
        get_route("wasm-clang-O3").build(source, KERNEL)

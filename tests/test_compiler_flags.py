"""Every compiler route runs what its name says, and a C variant that a route cannot host is skipped, never failed.

The optimization level and frame-pointer setting are read from what the compiler proper received (clang's -cc1
line from `-###`, gcc's cc1 line from `-v`), or, for llvmlite, from the calls the route makes into LLVM: a
toolchain upgrade that changes them fails here.
"""
from __future__ import annotations

import random
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import llvmlite.binding as llvm
import pytest
from capstone import CS_ARCH_X86, CS_MODE_64, Cs

from harness.check import check
from harness.inputs import Case
from harness.variants import load_source
from kernels.insertion_sort import KERNEL
from targets import get_route, routes_for
from targets.native.image import load_image

FIXTURES = Path(__file__).resolve().parent / "fixtures"
C_SOURCE = load_source(KERNEL.directory / "insertion_sort.c", KERNEL)
LL_SOURCE = load_source(KERNEL.directory / "insertion_sort.ll", KERNEL)


def optimization_level(flags: Sequence[str]) -> str:
    """The level the compiler proper goes by: its last -O."""
    levels = [flag[2:] for flag in flags if flag.startswith("-O")]
    assert levels, f"no -O among {flags}"
    return levels[-1]


def frame_pointer(route: str, flags: Sequence[str]) -> str:
    """`all` when every function keeps a frame pointer, `none` when none needs to."""
    if "clang" in route:
        # clang's driver always states it to -cc1; the last one counts.
        return [flag.split("=", 1)[1] for flag in flags if flag.startswith("-mframe-pointer=")][-1]
    # gcc's cc1 derives it from the level: ask it, given the flags that reached it.
    options = [flag for flag in flags if flag.startswith(("-O", "-f", "-m"))]
    shown = subprocess.run(["gcc", *options, "-Q", "--help=optimizers"], capture_output=True, text=True, check=True)
    line = next(line for line in shown.stdout.splitlines() if line.split()[:1] == ["-fomit-frame-pointer"])
    return "none" if "[enabled]" in line else "all"


# Stock clang on x86-64 Linux keeps frame pointers at -O0 only; on wasm32 there is none to keep. gcc alike.
EXPECTED = {
    "c-gcc-O0": ("0", "all"),
    "c-gcc-O3": ("3", "none"),
    "c-clang-O0": ("0", "all"),
    "c-clang-O3": ("3", "none"),
    "wasm-clang-O0": ("0", "none"),
    "wasm-clang-O3": ("3", "none"),
    "c-gcc-O3-native": ("3", "none"),
    "c-clang-O3-native": ("3", "none"),
    "wasm-clang-O3-simd": ("3", "none"),
}


@pytest.mark.parametrize("route", sorted(EXPECTED))
def test_compiler_proper_gets_the_routes_level_and_frame_pointer(route: str) -> None:
    flags = get_route(route).received_flags()
    assert (optimization_level(flags), frame_pointer(route, flags)) == EXPECTED[route], flags
    assert not any(flag.startswith("-fsanitize") for flag in flags), "stock clang and gcc add no sanitizer"


def test_clang_routes_are_stock_clang_not_zig_cc() -> None:
    # zig cc adds these; the plain driver does not.
    for route in ("c-clang-O3", "wasm-clang-O3"):
        flags = get_route(route).received_flags()
        assert "-nostdsysteminc" not in flags and "-nobuiltininc" not in flags
        assert flags[flags.index("-triple") + 1] in ("x86_64-unknown-linux-gnu", "wasm32-unknown-wasip1")


def test_cffi_builds_report_what_pythons_cflags_add() -> None:
    flags = get_route("c-gcc-O3").received_flags()
    # setuptools puts Python's CFLAGS (-fwrapv, -g) and CCSHARED (-fPIC) first; the route's -fno-wrapv comes later.
    assert "-fPIC" in flags and "-g" in flags
    assert "-fno-wrapv" in flags and "-fwrapv" not in flags  # gcc's driver keeps only the last of the two


@pytest.mark.parametrize("route", ["c-clang-O0-unicorn", "c-clang-O3-unicorn", "c-gcc-O3-unicorn"])
def test_unicorn_twins_run_their_native_routes_flags(route: str) -> None:
    assert get_route(route).received_flags() == get_route(route.removesuffix("-unicorn")).received_flags()


@pytest.mark.parametrize(("route", "pushes_rbp"), [("c-clang-O0", True), ("c-clang-O3", False)])
def test_the_built_library_has_the_frame_pointer_the_flags_say(route: str, pushes_rbp: bool) -> None:
    built = get_route(route).build(C_SOURCE, KERNEL)
    try:
        image = load_image(built.library, built.entry)  # type: ignore[attr-defined]
    finally:
        built.close()
    first = next(Cs(CS_ARCH_X86, CS_MODE_64).disasm(image.code[image.entry : image.entry + 16], 0, 1))
    assert ((first.mnemonic, first.op_str) == ("push", "rbp")) == pushes_rbp


@pytest.mark.parametrize(("route", "level"), [("llvm-O0", 0), ("llvm-O3", 3), ("wasm-llvm-O3", 3)])
def test_llvm_routes_run_pipeline_and_codegen_at_their_level(route: str, level: int, monkeypatch: Any) -> None:
    speed_levels: list[int] = []
    codegen_levels: list[int] = []
    tunings: list[Any] = []
    make_tuning = llvm.create_pipeline_tuning_options
    make_machine = llvm.Target.create_target_machine

    def tuning(*args: Any, **kwargs: Any) -> Any:
        made = make_tuning(*args, **kwargs)
        speed_levels.append(made.speed_level)
        tunings.append(made)
        return made

    def machine(self: Any, *args: Any, **kwargs: Any) -> Any:
        codegen_levels.append(kwargs.get("opt", 2))  # llvmlite's own default when opt is not given
        return make_machine(self, *args, **kwargs)

    monkeypatch.setattr(llvm, "create_pipeline_tuning_options", tuning)
    monkeypatch.setattr(llvm.Target, "create_target_machine", machine)
    built = get_route(route).build(LL_SOURCE, KERNEL)
    try:
        assert speed_levels and set(speed_levels) == {level}
        assert codegen_levels and set(codegen_levels) == {level}
        # As clang sets them at this level: both vectorizers on from -O2, off below.
        assert {(t.loop_vectorization, t.slp_vectorization) for t in tunings} == {(level >= 2, level >= 2)}
        # No frame-pointer attribute reaches code generation, so LLVM keeps none (its default).
        assert '"frame-pointer"' not in built.ir_opt  # type: ignore[attr-defined]
    finally:
        built.close()


# --- a correct C variant that a route cannot host is skipped, never failed -------------------------------------

_RNG = random.Random(7)
CASES = [Case("empty", ()), Case("two", (2, 1)), Case("dups", (3, -1, 3, 0, -1)),
         Case("random 100", tuple(_RNG.randint(-(2**31), 2**31 - 1) for _ in range(100)))]


def _verdicts(fixture: str) -> dict[str, Any]:
    source = load_source(FIXTURES / fixture, KERNEL)
    return {route.name: check(source, route, KERNEL, cases=CASES) for route in routes_for("c")}


def test_memcpy_variant_passes_wherever_it_can_run_and_is_skipped_elsewhere() -> None:
    reports = _verdicts("c_memcpy.c")
    for name, report in reports.items():
        if name.endswith("-unicorn"):
            # The library calls memmove/memcpy/memset through its PLT: the emulator has no C library to run.
            assert report.verdict == "skip" and "from outside the library" in report.message, (name, report.message)
            assert "memmove" in report.message or "memcpy" in report.message
        elif name.endswith("-v8"):
            assert report.verdict in ("pass", "skip"), (name, report.message)  # skipped where node is missing
        else:
            assert report.verdict == "pass", (name, report.message)
    assert {"c-gcc-O0", "c-clang-O3", "wasm-clang-O0", "wasm-clang-O3"} <= set(reports)


def test_a_call_into_the_c_library_is_refused_natively_and_skipped_where_it_cannot_link() -> None:
    reports = _verdicts("c_qsort.c")
    # A kernel may call only memcpy, memmove and memset: anything else of libc is refused before it runs.
    for name in ("c-gcc-O3", "c-clang-O3", "c-clang-O3-unicorn"):
        assert reports[name].verdict == "error" and "qsort" in reports[name].message, (name, reports[name].message)
    for name in ("wasm-clang-O0", "wasm-clang-O3"):
        assert reports[name].verdict == "skip" and "qsort" in reports[name].message, (name, reports[name].message)


@pytest.mark.parametrize("route", ["c-gcc-O0-unicorn", "c-gcc-O3-unicorn"])
def test_a_call_through_the_plt_to_the_librarys_own_function_runs(route: str) -> None:
    source = load_source(FIXTURES / "c_global_helper.c", KERNEL)
    report = check(source, get_route(route), KERNEL, cases=CASES)
    assert report.verdict == "pass", report.message

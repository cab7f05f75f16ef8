"""A fixed-length kernel (`void sort3(int32_t *a)`) on the routes: calls derived from its interface, the checker's
verdicts on AlphaDev's blind spots (unsigned comparison, a write past a[2]), and program length as a metric."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from harness.check import check
from harness.inputs import correctness_cases
from harness.variants import load_source
from kernels.kernel import Kernel
from targets import get_route

from .conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "alphadev"
SORT3 = importlib.import_module("kernels.sort3")
# Built here from the folder's interface, so these tests hold whether or not the folder declares its KERNEL.
KERNEL = Kernel(name="sort3", directory=SORT3.DIRECTORY, reference=SORT3.INTERFACE.reference,
                entry_names=SORT3.INTERFACE.entry_names, interface=SORT3.INTERFACE)


def _check(path: Path, route: str):  # type: ignore[no-untyped-def]
    return check(load_source(path, KERNEL), get_route(route), KERNEL)


@pytest.mark.parametrize("fixture, route", [
    ("sort3_unsigned_cmov.s", "x86-unicorn"),
    ("sort3_unsigned.wat", "wasmtime"),
])
def test_an_unsigned_sort3_is_rejected_with_a_negative_counterexample(fixture: str, route: str) -> None:
    report = _check(FIXTURES / fixture, route)
    assert report.verdict == "fail", report.message
    assert report.counterexample is not None
    # The length stays the kernel's; the values shrink only as far as still shows the signed/unsigned bug.
    assert len(report.counterexample.input) == 3
    assert any(v < 0 for v in report.counterexample.input), report.counterexample


@pytest.mark.parametrize("fixture, route", [
    ("sort3_writes_a3.s", "x86-unicorn"),
    ("sort3_writes_a3.wat", "wasmtime"),
])
def test_a_sort3_that_writes_a3_is_caught(fixture: str, route: str) -> None:
    report = _check(FIXTURES / fixture, route)
    assert report.verdict == "fail"
    assert "out-of-bounds write above the array" in report.message, report.message


def test_the_checker_uses_the_kernels_own_cases() -> None:
    cases = correctness_cases(SORT3.INTERFACE)
    assert {len(c.values) for c in cases} == {3}
    assert any(min(c.values) == -(2**31) for c in cases) and any(max(c.values) == 2**31 - 1 for c in cases)


@pytest.mark.parametrize("route", ["c-gcc-O3", "llvm-O3", "wasmtime", "x86-native"])
def test_the_timing_loop_calls_a_fixed_kernel_through_its_own_type(route: str) -> None:
    path = {"c-gcc-O3": SORT3.DIRECTORY / "sort3.c", "llvm-O3": SORT3.DIRECTORY / "sort3.ll",
            "wasmtime": SORT3.DIRECTORY / "variants" / "ai-wat-select.wat",
            "x86-native": SORT3.DIRECTORY / "variants" / "ai-x86-cmov-regs.s"}[route]
    built = get_route(route).build(load_source(path, KERNEL), KERNEL)
    try:
        built.loop(3, "random", SORT3.INTERFACE.workload.min_calls, seed=7)()
        outcome = built.loop_outcome()
        assert (outcome.calls, outcome.bad) == (SORT3.INTERFACE.workload.min_calls, 0)
        assert outcome.last_output == sorted(outcome.last_input)
    finally:
        built.close()


@pytest.mark.parametrize("route, path", [
    ("x86-unicorn", "variants/ai-x86-cmov-regs.s"),
    ("x86-native", "variants/ai-x86-cmov-regs.s"),
    ("c-gcc-O3", "sort3_branchless.c"),
    ("llvm-O3", "sort3.ll"),
    ("c-gcc-O3-unicorn", "sort3_branchless.c"),
])
def test_program_length_is_reported_and_the_same_on_every_build(route: str, path: str) -> None:
    source = load_source(SORT3.DIRECTORY / path, KERNEL)
    lengths = []
    for _ in range(2):
        built = get_route(route).build(source, KERNEL)
        try:
            lengths.append(built.program_length)
        finally:
            built.close()
    assert lengths[0] is not None and 5 < lengths[0] < 60
    assert lengths[0] == lengths[1]


def test_check_reports_the_program_length_of_a_hand_counted_variant() -> None:
    # ai-x86-cmov-regs.s, counted by hand: 3 loads, 2 x (mov, cmp, cmovg, cmovg), cmp, cmovl, cmovge, 3 stores
    # = 17 without the ret (AlphaDev's published length, as its header says).
    report = _check(SORT3.DIRECTORY / "variants" / "ai-x86-cmov-regs.s", "x86-unicorn")
    assert report.verdict == "pass"
    assert report.as_json()["program_length"] == 17
    assert _check(SORT3.DIRECTORY / "variants" / "ai-wat-select.wat", "wasmtime").program_length is None


def _row(variant: str, route: str, median: float, origin: str = "ai", compiler: bool = False,
         length: int | None = None, executed: int | None = None):  # type: ignore[no-untyped-def]
    from harness.report.analysis import Row

    emulated = "unicorn" in route
    return Row(kernel="sort3", variant=variant, route=route, origin=origin, timing="emulated" if emulated else "native",
               n=3, shape="random", repeat=1, median=median, iqr=0.0, rounds=1, compiler_source=compiler,
               substrate="x86-64 in Unicorn" if emulated else "native x86-64", program_length=length,
               executed={"instructions": executed} if executed else {})


def test_the_report_sets_our_best_beside_alphadevs_published_lengths() -> None:
    from harness.report import alphadev

    rows = [
        _row("ai-x86-cmov-regs", "x86-native", 2.0e-9, length=17),
        _row("ai-x86-branches", "x86-native", 3.0e-9, length=20),  # slower: not the best
        _row("ai-x86-cmov-regs", "x86-unicorn", 1e-5, executed=18),
        _row("sort3_branchless", "c-gcc-O3", 2.5e-9, origin="human", compiler=True, length=19),
        _row("sort3_branchless", "c-gcc-O3-unicorn", 1e-5, origin="human", compiler=True, executed=20),
    ]
    (entry,) = alphadev.comparison(rows)
    assert entry["best_ai"]["label"] == "ai-x86-cmov-regs@x86-native"
    assert (entry["best_ai"]["program_length"], entry["best_ai"]["executed_instructions"]) == (17, 18)
    assert (entry["best_compiler"]["program_length"], entry["best_compiler"]["executed_instructions"]) == (19, 20)
    assert entry["published"]["alphadev"] == 17 and entry["published"]["human_benchmark"] == 18
    table = "\n".join(alphadev.markdown([entry]))
    assert "published figures, not ours" in table and "| sort3 | ai-x86-cmov-regs@x86-native | 17 | 18 |" in table

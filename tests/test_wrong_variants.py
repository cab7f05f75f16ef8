"""A wrong variant gets `fail` with a smallest counterexample on every route, never an internal error, whatever its
outputs do: overflowing arithmetic, the upper half of a 64-bit register stored over the next element, 64-bit
values written into int32 slots.

The fixtures in tests/wrong_variants/<kernel>/ are written by hand to be wrong in those ways, one per language
and kind, so together they reach every route.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from harness.check import Checker
from kernels.kernel import Kernel, get_kernel
from harness.shrink import shrink
from targets.source import Source
from harness.source import load_source, variant_files
from targets import get_route, routes_for, sandbox
from kernels.cases import INT32_MAX, INT32_MIN
from targets.base import ArenaError

from .conftest import REPO, arena

WRONG = REPO / "tests" / "wrong_variants"
KERNELS = sorted(p.name for p in WRONG.iterdir() if p.is_dir())
FIXTURES = [(name, path) for name in KERNELS for path in variant_files(WRONG / name)]


def _source(kernel: str, path: Path) -> Source:
    return load_source(path, get_kernel(kernel))


def test_every_fixture_says_it_is_a_wrong_test_fixture() -> None:
    languages = {_source(kernel, path).language for kernel, path in FIXTURES}
    assert languages == {"c", "llvm", "wat", "x86"}, "every language, so every route, has a wrong variant"
    for kernel, path in FIXTURES:
        header = _source(kernel, path).header
        assert header.get("origin") == "human", path
        assert "test fixture" in header.get("prompt", "") and "wrong on purpose" in header["prompt"], path


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, Any]]]:
    """`arena check --json` on each kernel's folder of wrong variants, checked afresh (a stored verdict from an
    earlier run would not show what this checker does): the records by file name."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for kernel in KERNELS:
        result = arena("check", str(WRONG / kernel), "--kernel", kernel, "--json", "--recheck")
        assert "Traceback" not in result.stderr + result.stdout, result.stderr
        assert result.returncode == 1, result.stderr
        for line in result.stdout.splitlines():
            record = json.loads(line)
            by_name.setdefault(Path(record["path"]).name, []).append(record)
    return by_name


@pytest.mark.xdist_group("wrong variants, checked together")  # one worker, so the fixture's two runs serve all
@pytest.mark.parametrize(("kernel", "path"), FIXTURES, ids=[p.name for _, p in FIXTURES])
def test_wrong_variant_fails_with_a_counterexample_on_every_route(
        kernel: str, path: Path, records: dict[str, list[dict[str, Any]]]) -> None:
    source = _source(kernel, path)
    reports = records.get(path.name, [])
    assert sorted(r["route"] for r in reports) == sorted(r.name for r in routes_for(source.language))
    low, high = get_kernel(kernel).interface.domain
    for report in reports:
        assert report["verdict"] in {"fail", "skip"}, report["message"]
        assert report["message"], report
        if report["verdict"] == "skip":  # a route that cannot run here says why
            continue
        example = report["counterexample"]
        assert all(low <= v <= high for v in example["input"]), example
        assert example["expected"] == sorted(example["input"]), example
        if example["got"] is None:  # no array to show: the code wrote outside it, and the message says where
            assert "out-of-bounds write" in report["message"], report["message"]
        else:
            assert example["got"] != example["expected"]
            assert all(INT32_MIN <= v <= INT32_MAX for v in example["got"]), example


def _wrong_when_subtraction_overflows(values: Sequence[int]) -> bool:
    """An insertion sort comparing by the sign of a wrapping 32-bit difference is wrong on these values."""
    def positive_difference(x: int, y: int) -> bool:
        d = (x - y) & 0xFFFFFFFF
        return 0 < d < 2**31

    out = list(values)
    for i in range(1, len(out)):
        key, j = out[i], i
        while j > 0 and positive_difference(out[j - 1], key):
            out[j] = out[j - 1]
            j -= 1
        out[j] = key
    return out != sorted(values)


int32 = st.integers(INT32_MIN, INT32_MAX) | st.sampled_from([INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX])


@settings(max_examples=200, deadline=None)
@given(values=st.lists(int32, min_size=2, max_size=8), keep_length=st.booleans())
def test_shrinking_stays_in_the_domain(values: list[int], keep_length: bool) -> None:
    """Every candidate the shrinker tries is an input a route can hold; the result still fails."""
    domain = (INT32_MIN, INT32_MAX)
    tried: list[list[int]] = []

    def fails(candidate: Sequence[int]) -> bool:
        tried.append(list(candidate))
        return _wrong_when_subtraction_overflows(candidate)

    assume(_wrong_when_subtraction_overflows(values))
    smallest = shrink(values, fails, keep_length=keep_length, domain=domain)
    assert all(INT32_MIN <= v <= INT32_MAX for candidate in tried for v in candidate)
    assert _wrong_when_subtraction_overflows(smallest)
    assert len(smallest) == len(values) or not keep_length


# One route per kind of code that runs a wrong variant, x86-native included: `arena check` runs it only after
# x86-unicorn passed it, so the fixtures never reach its read-back there.
FUZZED = ["x86-unicorn", "x86-native", "wasmtime", "wasm-v8", "llvm-O3", "c-gcc-O3", "wasm-clang-O3"]
SORT4 = [path for kernel, path in FIXTURES if kernel == "sort4"]


@pytest.fixture(scope="module", params=[(route, path) for route in FUZZED for path in SORT4
                                        if get_route(route).language == _source("sort4", path).language],
                ids=lambda p: f"{p[0]}-{p[1].stem}")
def built(request: pytest.FixtureRequest) -> Iterator[tuple[Checker, Kernel]]:
    name, path = request.param
    kernel, route = get_kernel("sort4"), get_route(name)
    if route.native and sandbox.unavailable() is not None:
        pytest.skip(f"{name}: native variant code runs only under the system-call filter: {sandbox.unavailable()}")
    try:
        artifact = route.build(_source("sort4", path), kernel)
    except ArenaError as exc:
        if exc.verdict == "skip":
            pytest.skip(str(exc))
        raise
    checker = Checker(artifact, kernel, route.native)
    yield checker, kernel
    artifact.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(int32, min_size=4, max_size=4))
def test_wrong_outputs_are_read_back_as_a_failure(built: tuple[Checker, Kernel], values: list[int]) -> None:
    """Whatever a wrong variant leaves in memory reads back as int32 values: a wrong answer or a right one,
    never an exception of the checker's own."""
    checker, kernel = built
    failure = checker.attempt(values)
    if failure is not None:
        assert failure.kind in {"wrong answer"} or failure.kind.startswith("OutOfBounds"), failure
        assert failure.got is None or all(INT32_MIN <= v <= INT32_MAX for v in failure.got)

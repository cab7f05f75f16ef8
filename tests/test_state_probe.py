"""The state probe (harness.measure.state_probe) on builds that keep no state and on builds that replay answers.

The line the report draws (KEEPS_STATE_BELOW) lies far from both: an honest sort runs one repeated input at
nearly its speed on fresh ones, a replaying one at a small fraction of it, so the readings are not timing claims.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.measure.bench import expectation, repeat_for
from harness.measure.state_probe import (
    STATE_PROBE_N, STATE_PROBE_SHAPE, RepeatedInput, fresh_median_per_round, probes_state, repeated_input_probe,
)
from harness.report.analysis import KEEPS_STATE_BELOW, rows_from_run
from harness.variants import load_source
from kernels.insertion_sort import KERNEL
from targets import get_route

TIMED_CALLS = Path(__file__).resolve().parent / "timed_calls"
HONEST = [pytest.param("c-gcc-O3", KERNEL.directory / "insertion_sort.c", id="c-gcc-O3"),
          pytest.param("wasmtime", KERNEL.variants_dir / "ai-wat-index-loop.wat", id="wasmtime")]
# Correct sorts that remember their last answers and replay one when its input comes again.
KEEPS_STATE = [pytest.param("c-gcc-O3", TIMED_CALLS / "replays-last-answers.c", id="c-gcc-O3"),
               pytest.param("wasmtime", TIMED_CALLS / "replays-last-answer.wat", id="wasmtime")]


def probe(route: str, path: Path) -> RepeatedInput:
    built = get_route(route).build(load_source(path, KERNEL), KERNEL)
    try:
        n, shape, expect = STATE_PROBE_N, STATE_PROBE_SHAPE, expectation(KERNEL)
        repeat = repeat_for(KERNEL, n, shape, built.timing)
        fresh = fresh_median_per_round(built, n, shape, repeat, expect)
        return repeated_input_probe(built, n, shape, repeat, expect, fresh)
    finally:
        built.close()


@pytest.mark.parametrize("route, path", HONEST)
def test_an_honest_sort_reads_as_keeping_no_state(route: str, path: Path) -> None:
    reading = probe(route, path)
    assert reading.calls > 0 and reading.bad == 0
    assert reading.ratio >= KEEPS_STATE_BELOW, reading


@pytest.mark.parametrize("route, path", KEEPS_STATE)
def test_a_sort_that_replays_its_answers_reads_as_keeping_state(route: str, path: Path) -> None:
    reading = probe(route, path)
    assert reading.calls > 0 and reading.bad == 0, "replayed answers are correct ones"
    assert reading.ratio < KEEPS_STATE_BELOW, reading


def test_the_report_reads_the_probe_as_a_benchmark_saves_it() -> None:
    reading = RepeatedInput(median_per_round=1e-5, fresh_median_per_round=1e-3, calls=20, bad=0)
    info = {"kernel": "insertion_sort", "variant": "replays", "route": "wasmtime", "n": STATE_PROBE_N,
            "shape": STATE_PROBE_SHAPE, "repeat": 4, "repeated_input": reading.extra_info()}
    [row] = rows_from_run({"benchmarks": [{"extra_info": info, "stats": {
        "median": 2e-3, "iqr": 1e-4, "rounds": 3, "data": [1.9e-3, 2e-3, 2.1e-3]}}]})
    # The ratio the probe took against its own fresh side, not the benchmark's median.
    assert row.repeated_ratio == pytest.approx(0.01) and row.keeps_state


def test_one_size_and_shape_carry_the_probe_and_never_on_the_emulator() -> None:
    assert probes_state("native", STATE_PROBE_N, STATE_PROBE_SHAPE)
    assert not probes_state("emulated", STATE_PROBE_N, STATE_PROBE_SHAPE)
    assert not probes_state("native", STATE_PROBE_N // 2, STATE_PROBE_SHAPE)
    assert not probes_state("native", STATE_PROBE_N, "sorted")

"""The benchmarks: every correct variant on every route, per n and input shape, timed inside the target.

`nox -s bench` runs these timed and saves the run; `nox -s tests` runs each once, untimed
(`--benchmark-disable`), so they cannot rot. Correctness is asserted after every timed run.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.measure.bench import (
    EMULATED_MAX_N, EMULATED_ROUNDS, WARMUP_ROUNDS, BenchCase, Workbench, expectation, repeat_for,
)
from harness.measure.blocks import timed_block
from harness.measure.interleave import code_identity
from harness.measure.key_ratios import KEY_RATIOS, measure_key_ratio
from harness.measure.state_probe import probes_state, repeated_input_probe
from harness.report.analysis import goal_of, key_ratio, missed_goal
from targets.fresh import SEED
from targets.native import sandbox


def test_kernel(bench_case: BenchCase, workbench: Workbench, benchmark: pytest.FixtureRequest, listings_dir: Path,
                rounds: int) -> None:
    case = bench_case
    report = workbench.checked(*case.pair)
    if not report.passed:
        pytest.skip(f"not timed: {report.verdict} on the correctness check: {report.message.splitlines()[0]}")
    built = workbench.built(*case.pair)
    if built.timing == "emulated" and case.n > EMULATED_MAX_N:
        pytest.skip(f"emulated routes stop at n = {EMULATED_MAX_N}: the emulator would take minutes")
    repeat = repeat_for(case.kernel.name, case.n, case.shape, built.timing)
    executed = workbench.executed(case)
    expect = expectation(case.kernel.name)
    benchmark.group = case.group
    benchmark.extra_info.update(
        kernel=case.kernel.name,
        variant=case.source.name,
        route=case.route.name,
        origin=case.source.origin,
        language=case.source.language,
        path=str(case.source.path),
        n=case.n,
        shape=case.shape,
        repeat=repeat,
        timing=built.timing,
        substrate=built.substrate,
        code_bytes=built.code_bytes,
        program_length=built.program_length,
        vector_width=workbench.vector_width(*case.pair),
        lines=case.source.lines.as_dict(),
        phases={k: round(v, 6) for k, v in built.phases.items()},
        executed=executed,
        inputs="fresh",
    )
    if case.route.native and sandbox.unavailable() is not None:  # only with --unsafe-native: every row says so
        benchmark.extra_info["unsafe_native"] = sandbox.unavailable()
    if not benchmark.disabled:  # a timed run keeps the code it timed, so the report can show it
        benchmark.extra_info["listing"] = workbench.listing(*case.pair, listings_dir)
    if benchmark.disabled or built.timing == "emulated":
        # Untimed, the loop runs once so it cannot rot; on the emulator one round shows the emulator's speed.
        # Every call gets an input made inside the target that no call saw before, and its output checked there.
        run = built.loop(case.n, case.shape, repeat, seed=SEED, fresh=True, expect=expect)
        benchmark.pedantic(run, rounds=EMULATED_ROUNDS, warmup_rounds=0, iterations=1)
        outcome = built.loop_outcome()
        if not benchmark.disabled:  # the same bytes as another row's: `identical code`, by their counts too
            benchmark.extra_info["code_identity"] = code_identity(built)
    else:
        # The rows compared with each other were timed together, round by round, when the first of them ran
        # (harness.measure.blocks.timed_block); this benchmark records this row's own rounds, and where each ran.
        block = timed_block(workbench, case, rounds)
        assert block.error is None, f"the timing of {block.id} failed: {block.error}"
        mine = block.rounds[case.id]
        replay = Replay([mine[k] for k in sorted(mine)])
        benchmark._timer = replay.clock  # type: ignore[attr-defined]
        benchmark.pedantic(replay.round, rounds=len(mine), warmup_rounds=0, iterations=1)
        benchmark.extra_info.update(block=block.id, round_ids=sorted(mine), block_base=block.base,
                                    code_identity=block.code[case.id])
        if case.id in block.placement:
            benchmark.extra_info["placement"] = block.placement[case.id]
        outcome = block.outcomes[case.id]
    assert outcome.bad == 0, f"{outcome.bad} of {outcome.calls} timed calls left a wrong output"
    expected = case.kernel.interface.expected(outcome.last_input)  # type: ignore[union-attr]
    assert outcome.last_output == (list(expected.arrays[0]) if case.kernel.interface.is_sort_shaped else expected)  # type: ignore[union-attr]
    if probes_state(built.timing, case.n, case.shape) and not benchmark.disabled:
        probe = repeated_input_probe(built, case.n, case.shape, repeat, expect, benchmark.stats.stats.median)
        assert probe.bad == 0, f"{probe.bad} of {probe.calls} calls on a repeated input left a wrong output"
        benchmark.extra_info["repeated_input"] = probe.extra_info()
    workbench.record(case, benchmark)


class Replay:
    """Rounds already timed, handed to pytest-benchmark one per round: its clock advances by each in turn, so it
    saves and compares them as it would rounds it timed itself."""

    def __init__(self, seconds: list[float]) -> None:
        self._left = list(seconds)
        self._elapsed = 0.0

    def round(self) -> None:
        self._elapsed += self._left.pop(0)

    def clock(self) -> float:
        return self._elapsed


def test_every_key_ratio_has_a_goal() -> None:
    assert all(goal_of(name) is not None for name in KEY_RATIOS)


@pytest.mark.xdist_group("one core, pinned")  # under pytest-xdist, never two of these at once
@pytest.mark.parametrize("name", list(KEY_RATIOS))
def test_key_ratio(
    name: str, workbench: Workbench, benchmark: pytest.FixtureRequest, request: pytest.FixtureRequest, rounds: int
) -> None:
    """Records one ratio measured with both sides' rounds interleaved (harness.measure.key_ratios) and checks both
    sides' outputs; the partner's time per call is recorded for the report. Its goal (harness.report.analysis.GOALS)
    is checked only in a timed run given `--arena-goals`, which fails when the ratio's whole 99% interval lies
    outside the goal."""
    timed = not benchmark.disabled
    # Untimed, one round a side, so the measurement cannot rot.
    measured = measure_key_ratio(name, workbench, rounds if timed else 1, WARMUP_ROUNDS if timed else 0)
    replay = Replay(measured.rounds)
    benchmark._timer = replay.clock  # type: ignore[attr-defined]
    benchmark.group = "key ratios"
    benchmark.pedantic(replay.round, rounds=len(measured.rounds), warmup_rounds=0, iterations=1)
    benchmark.extra_info.update(measured.extra_info())
    outcome = measured.outcome
    assert outcome.bad == 0 and outcome.last_output == sorted(outcome.last_input)
    assert len(measured.partner_per_sort) == len(measured.rounds) > 0
    if request.config.getoption("--arena-goals") and timed:
        ratio = key_ratio(name, benchmark.stats.stats.data, measured.repeat, measured.partner_per_sort)
        missed = missed_goal(ratio)
        assert missed is None, missed


def test_the_quick_profile_times_random_input_at_each_size_and_every_shape_at_one() -> None:
    from harness.measure.bench import FULL_ROUNDS, QUICK_EVERY_SHAPE_AT, QUICK_ROUNDS, QUICK_SIZES, bench_cases
    from targets.fresh import SHAPES
    from targets.native.runner import PLACEMENT_OFFSETS

    quick = bench_cases([], QUICK_SIZES, every_shape_at=QUICK_EVERY_SHAPE_AT)
    every = bench_cases([], QUICK_SIZES)
    timed = {(c.n, c.shape) for c in quick if c.kernel.name == "insertion_sort"}
    assert timed == {(n, "random") for n in QUICK_SIZES} | {(n, s) for n in QUICK_EVERY_SHAPE_AT for s in SHAPES}
    assert {(c.n, c.shape) for c in every if c.kernel.name == "insertion_sort"} == {
        (n, s) for n in QUICK_SIZES for s in SHAPES}
    assert {c.id.rsplit("/", 2)[0] for c in quick} == {c.id.rsplit("/", 2)[0] for c in every}  # every pair still timed
    # Native code takes the placements in turn, one per round: each weighs the same in a row's median.
    from harness.score import TIMING_ROUNDS

    assert all(rounds % len(PLACEMENT_OFFSETS) == 0 for rounds in (QUICK_ROUNDS, FULL_ROUNDS, TIMING_ROUNDS))

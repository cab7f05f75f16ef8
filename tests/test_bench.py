"""The benchmarks: every correct variant on every route, per n and input shape, timed inside the target.

`nox -s bench` runs these timed and saves the run; `nox -s tests` runs each once, untimed
(`--benchmark-disable`), so they cannot rot. Correctness is asserted after every timed run.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.bench import (
    EMULATED_MAX_N, EMULATED_ROUNDS, SEED, WARMUP_ROUNDS, BenchCase, Workbench, expectation, one_core,
    repeat_for,
)
from harness.fidelity import Partner, Standalone
from harness.headline import (
    ALGORITHM_FREE, SAME_ALGORITHM, TIMED_SUBSTRATES, Candidate, choose_pairs, headline_lengths,
)
from harness.kernel import all_kernels, get_kernel
from harness.report import goal_of, key_ratio, missed_goal
from harness.source import discover
from targets import get_route, sandbox
from targets.vector_width import built_vector_width


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
    # Every call gets an input made inside the target that no call saw before, and its output checked there.
    run = built.loop(case.n, case.shape, repeat, seed=SEED, fresh=True, expect=expect)
    clock = built.loop_clock()
    if clock is not None and hasattr(benchmark, "_timer"):
        # The child that runs native code times each round itself: the pipe to it is not the kernel's time.
        benchmark._timer = clock
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
        vector_width=built_vector_width(built),
        lines=case.source.lines.as_dict(),
        phases={k: round(v, 6) for k, v in built.phases.items()},
        executed=executed,
        inputs="fresh",
    )
    if case.route.native and sandbox.unavailable() is not None:  # only with --unsafe-native: every row says so
        benchmark.extra_info["unsafe_native"] = sandbox.unavailable()
    if not benchmark.disabled:  # a timed run keeps the code it timed, so the report can show it
        benchmark.extra_info["listing"] = workbench.listing(*case.pair, listings_dir)
    if built.timing == "emulated":
        rounds = EMULATED_ROUNDS
    benchmark.pedantic(run, rounds=rounds, warmup_rounds=0 if built.timing == "emulated" else WARMUP_ROUNDS, iterations=1)
    outcome = built.loop_outcome()
    assert outcome.bad == 0, f"{outcome.bad} of {outcome.calls} timed calls left a wrong output"
    assert outcome.last_output == case.kernel.reference(outcome.last_input)
    placement = getattr(built, "placement", None)
    if placement is not None and not benchmark.disabled:
        runner = built._runner  # type: ignore[attr-defined]
        benchmark.extra_info["placement"] = {**placement, "per_offset_median": runner.per_offset_median(rounds)}
    if built.timing != "emulated" and case.n == STATE_PROBE_N and case.shape == "random" and not benchmark.disabled:
        benchmark.extra_info["repeated_input"] = repeated_input_probe(built, case, repeat, expect,
                                                                      benchmark.stats.stats.median)
    workbench.record(case, benchmark)


# State between calls shows as a repeated input running far faster than fresh ones; one size and shape is enough.
STATE_PROBE_N = 1024  # too many branches for a predictor to learn one input: honest sorts stay near 1
STATE_PROBE_ROUNDS = 5


def repeated_input_probe(built: object, case: BenchCase, repeat: int, expect: int, fresh_round: float) -> dict[str, float]:
    """Median seconds per round on one input repeated in every call, against `fresh_round`: the benchmark's own
    median round on fresh inputs, just measured on the same build. A state-keeping variant is many times faster
    on a repeated input; an honest one near 1, so the two need not be interleaved to tell them apart."""
    run = built.loop(case.n, case.shape, repeat, seed=SEED + 1, fresh=False, expect=expect)  # type: ignore[attr-defined]
    run()  # the first call sees the input for the first time: a state-keeping variant learns it
    repeated_times = [built.round_seconds(run) for _ in range(STATE_PROBE_ROUNDS)]  # type: ignore[attr-defined]
    assert built.loop_outcome().bad == 0  # type: ignore[attr-defined]
    repeated_median = sorted(repeated_times)[len(repeated_times) // 2]
    return {"median_per_round": repeated_median, "fresh_median_per_round": fresh_round,
            "ratio": repeated_median / fresh_round}


# The ratios the report leads with, each measured with its two sides' rounds interleaved (A, B, A, B, ...): on a shared
# machine, drift between two separate benchmarks can exceed the difference being measured.
KEY_RATIOS = {
    "harness fidelity: suite c-gcc-O3 / standalone C program, n=128 random": ("c-gcc-O3", "standalone", 128),
    "llvm-O3 / clang -O3 (c-clang-O3), n=1024 random": ("llvm-O3", "c-clang-O3", 1024),
    "llvm-O0 / llvm-O3, n=1024 random": ("llvm-O0", "llvm-O3", 1024),
}
KEY_RATIO_REPEAT_FACTOR = 32  # rounds of ~20 ms: this machine switches between a fast and a slow state every few ms


def _reference_case(route_name: str, n: int) -> BenchCase:
    kernel = get_kernel("insertion_sort")
    route = get_route(route_name)
    # The baseline algorithm's compiler source: the key ratios compare routes, never algorithms.
    stem = kernel.algorithms[kernel.algorithm]
    source = next(s for s in discover(kernel) if s.name == stem and s.language == route.language)
    return BenchCase(kernel, source, route, n, "random")



def test_every_key_ratio_has_a_goal() -> None:
    assert all(goal_of(name) is not None for name in KEY_RATIOS)


@pytest.mark.xdist_group("one core, pinned")  # under pytest-xdist, never two of these at once
@pytest.mark.parametrize("name", list(KEY_RATIOS))
def test_key_ratio(
    name: str, workbench: Workbench, benchmark: pytest.FixtureRequest, request: pytest.FixtureRequest, rounds: int
) -> None:
    """Measures one ratio with both sides' rounds interleaved and checks both sides' outputs; the partner's
    time per sort is recorded for the report. Its goal (harness.report.GOALS) is checked only in a timed run
    given `--arena-goals`, which fails when the ratio's whole 95% interval lies outside the goal."""
    route_a, route_b, n = KEY_RATIOS[name]
    case = _reference_case(route_a, n)
    built = workbench.built(*case.pair)
    repeat = repeat_for(case.kernel.name, n, "random", built.timing) * KEY_RATIO_REPEAT_FACTOR
    # Both sides on one core (the runners' children and the standalone program inherit it).
    with one_core():
        if route_b == "standalone":
            # Same bytes, same placement (the program aligns its kernel to 64 bytes: offset 0), same driver.
            partner: Standalone | Partner = Standalone(Path(case.source.path), n, repeat, seed=SEED)
            run = built.loop(n, "random", repeat, seed=SEED, offsets=(0,))
        else:
            other = workbench.built(*_reference_case(route_b, n).pair)
            partner = Partner(route_b, other.loop(n, "random", repeat, seed=SEED), repeat, other.loop_clock())
            run = built.loop(n, "random", repeat, seed=SEED)
        clock = built.loop_clock()
        if clock is not None and hasattr(benchmark, "_timer"):
            benchmark._timer = clock
        benchmark.group = "key ratios"
        try:
            benchmark.pedantic(run, setup=partner.round, rounds=rounds, warmup_rounds=WARMUP_ROUNDS,
                               iterations=1)
        finally:
            partner.close()
    benchmark.extra_info.update(
        ratio_name=name, kernel=case.kernel.name, variant=case.source.name, route=route_a, n=n, shape="random",
        repeat=repeat, timing=built.timing, partner=partner.label, partner_per_sort=partner.per_sort_seconds,
        inputs="fresh",
    )
    outcome = built.loop_outcome()
    assert partner.per_sort_seconds and outcome.bad == 0 and outcome.last_output == sorted(outcome.last_input)
    if request.config.getoption("--arena-goals") and not benchmark.disabled:
        measured = key_ratio(name, benchmark.stats.stats.data, repeat, partner.per_sort_seconds)
        missed = missed_goal(measured)
        assert missed is None, missed


# The headline's pairs, re-measured after the benchmarks above chose them (from the medians they measured, as the
# report will), with the two sides' rounds interleaved as the key ratios' are: the report judges each headline pair
# on this measurement, whose interval holds on a machine that drifts between two separate benchmarks. Last in the
# file, so every benchmark of the session has run before.
HEADLINE_PAIRS = [
    (kernel.name, substrate, n, comparison)
    for kernel in all_kernels().values() if kernel.name != "noop"
    for substrate in TIMED_SUBSTRATES
    for n in headline_lengths(kernel.name)
    for comparison in [*kernel.algorithms, ALGORITHM_FREE]
]


@pytest.mark.xdist_group("one core, pinned")
@pytest.mark.parametrize("kernel_name, substrate, n, comparison", HEADLINE_PAIRS,
                         ids=[re.sub(r"[^\w.=/-]+", "-", f"{k}/{s}/n={n}/{c}") for k, s, n, c in HEADLINE_PAIRS])
def test_headline_pair(kernel_name: str, substrate: str, n: int, comparison: str, workbench: Workbench,
                       benchmark: pytest.FixtureRequest, request: pytest.FixtureRequest, rounds: int) -> None:
    timed = {f"{case.source.name}@{case.route.name}": (case, median) for case, where, median in workbench.timed.values()
             if (case.kernel.name, where, case.n, case.shape) == (kernel_name, substrate, n, "random")}
    if not timed and hasattr(request.config, "workerinput"):
        pytest.skip("under pytest-xdist the benchmarks it pairs ran in other workers: run with -n 0 "
                    "(tests/test_headline.py runs a few that way)")
    if not timed:
        pytest.skip(f"no benchmark of {kernel_name} on {substrate} at n={n} ran in this session")
    candidates = [Candidate(label, case.source.origin, case.source.algorithm, case.kernel.is_compiler_source(case.source),
                            median) for label, (case, median) in timed.items()]
    wanted = [p for p in choose_pairs(candidates)
              if (p.algorithm if p.comparison == SAME_ALGORITHM else ALGORITHM_FREE) == comparison]
    if not wanted:
        pytest.skip(f"no AI-written variant and compiler build to pair ({comparison}) on {substrate} at n={n}")
    [pair] = wanted
    key = (kernel_name, substrate, str(n), pair.ai.label, pair.compiler.label)
    if key in workbench.interleaved:
        pytest.skip(f"{pair.ai.label} against {pair.compiler.label}: already measured interleaved for another comparison")
    workbench.interleaved.add(key)
    ai_case, compiler_case = timed[pair.ai.label][0], timed[pair.compiler.label][0]
    ai, compiler = workbench.built(*ai_case.pair), workbench.built(*compiler_case.pair)
    repeat = repeat_for(kernel_name, n, "random", ai.timing)
    benchmark.group = "headline pairs"
    with one_core():  # before the loops start: native runners' children inherit the core
        run = ai.loop(n, "random", repeat, seed=SEED)
        partner = Partner(pair.compiler.label, compiler.loop(n, "random", repeat, seed=SEED), repeat,
                          compiler.loop_clock())
        clock = ai.loop_clock()
        if clock is not None and hasattr(benchmark, "_timer"):
            benchmark._timer = clock
        benchmark.pedantic(run, setup=partner.round, rounds=rounds, warmup_rounds=WARMUP_ROUNDS, iterations=1)
    benchmark.extra_info.update(
        kernel=kernel_name, n=n, shape="random", substrate=substrate, repeat=repeat, timing=ai.timing,
        partner=pair.compiler.label, partner_per_sort=partner.per_sort_seconds,
        headline_pair={"kernel": kernel_name, "substrate": substrate, "n": n, "comparison": pair.name,
                       "ai": pair.ai.label, "compiler": pair.compiler.label},
    )
    for built in (ai, compiler):
        outcome = built.loop_outcome()
        assert outcome.calls > 0 and outcome.bad == 0, f"{built.route}: {outcome}"


# The user's own files, ranked: each pair on one route, n and shape timed with its rounds interleaved (A B A B ...),
# so the ranking's steps in the report (harness.supplied) rest on like-for-like rounds, not on drift between runs.
@pytest.mark.xdist_group("one core, pinned")
def test_supplied_pair(supplied_pair: tuple[BenchCase, BenchCase], workbench: Workbench,
                       benchmark: pytest.FixtureRequest, rounds: int) -> None:
    ours, theirs = supplied_pair
    for case in supplied_pair:
        report = workbench.checked(*case.pair)
        if not report.passed:
            pytest.skip(f"not timed: {case.source.name} {report.verdict} on the correctness check")
    built, other = workbench.built(*ours.pair), workbench.built(*theirs.pair)
    repeat = repeat_for(ours.kernel.name, ours.n, ours.shape, built.timing)
    expect = expectation(ours.kernel.name)
    benchmark.group = "supplied pairs"
    with one_core():
        partner = Partner(theirs.source.name, other.loop(ours.n, ours.shape, repeat, seed=SEED, expect=expect),
                          repeat, other.loop_clock())
        run = built.loop(ours.n, ours.shape, repeat, seed=SEED, expect=expect)
        clock = built.loop_clock()
        if clock is not None and hasattr(benchmark, "_timer"):
            benchmark._timer = clock
        benchmark.pedantic(run, setup=partner.round, rounds=rounds, warmup_rounds=WARMUP_ROUNDS, iterations=1)
    benchmark.extra_info.update(
        ratio_name=f"{ours.source.name} / {theirs.source.name} on {ours.route.name}, n={ours.n} {ours.shape}",
        supplied_pair=[ours.source.name, theirs.source.name], kernel=ours.kernel.name, variant=ours.source.name,
        route=ours.route.name, n=ours.n, shape=ours.shape, repeat=repeat, timing=built.timing,
        partner=partner.label, partner_per_sort=partner.per_sort_seconds, inputs="fresh",
    )
    for side in (built, other):
        outcome = side.loop_outcome()
        assert partner.per_sort_seconds and outcome.bad == 0, f"{side.route}: {outcome}"


def test_the_quick_profile_times_random_input_at_each_size_and_every_shape_at_one() -> None:
    from harness.bench import FULL_ROUNDS, QUICK_EVERY_SHAPE_AT, QUICK_ROUNDS, QUICK_SIZES, bench_cases
    from targets.fresh import SHAPES
    from targets.native import PLACEMENT_OFFSETS

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

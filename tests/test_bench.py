"""The benchmarks: every correct variant on every route, per n and input shape, timed inside the target.

`nox -s bench` runs these timed and saves the run; `nox -s tests` runs each once, untimed
(`--benchmark-disable`), so they cannot rot. Correctness is asserted after every timed run.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.bench import EMULATED_MAX_N, EMULATED_ROUNDS, ROUNDS, WARMUP_ROUNDS, BenchCase, Workbench, repeat_for, workload
from harness.fidelity import Partner, Standalone
from harness.kernel import get_kernel
from harness.source import discover
from targets import get_route


def test_kernel(bench_case: BenchCase, workbench: Workbench, benchmark: pytest.FixtureRequest, listings_dir: Path) -> None:
    case = bench_case
    report = workbench.checked(*case.pair)
    if not report.passed:
        pytest.skip(f"not timed: {report.verdict} on the correctness check: {report.message.splitlines()[0]}")
    built = workbench.built(*case.pair)
    if built.timing == "emulated" and case.n > EMULATED_MAX_N:
        pytest.skip(f"emulated routes stop at n = {EMULATED_MAX_N}: the emulator would take minutes")
    values = workload(case.n, case.shape)
    repeat = repeat_for(case.kernel.name, case.n, case.shape, built.timing)
    executed = workbench.executed(case)
    run = built.loop(values, repeat)
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
        lines=case.source.lines.as_dict(),
        phases={k: round(v, 6) for k, v in built.phases.items()},
        executed=executed,
    )
    if not benchmark.disabled:  # a timed run keeps the code it timed, so the report can show it
        benchmark.extra_info["listing"] = workbench.listing(*case.pair, listings_dir)
    rounds = EMULATED_ROUNDS if built.timing == "emulated" else ROUNDS
    benchmark.pedantic(run, rounds=rounds, warmup_rounds=0 if built.timing == "emulated" else WARMUP_ROUNDS, iterations=1)
    assert built.loop_result() == case.kernel.reference(values)


# Ratios the issue tracks, each measured with its two sides' rounds interleaved (A, B, A, B, ...): on a shared
# machine, drift between two separate benchmarks can exceed the difference being measured.
KEY_RATIOS = {
    "harness fidelity: suite c-gcc-O3 / standalone C program, n=128 random": ("c-gcc-O3", "standalone", 128),
    "llvm-O3 / clang -O3 (c-clang-O3), n=1024 random": ("llvm-O3", "c-clang-O3", 1024),
    "llvm-O0 / llvm-O3, n=1024 random": ("llvm-O0", "llvm-O3", 1024),
}
KEY_RATIO_REPEAT_FACTOR = 64  # rounds of ~40 ms: this machine switches between a fast and a slow state every few ms
KEY_RATIO_ROUNDS = 30


def _reference_case(route_name: str, n: int) -> BenchCase:
    kernel = get_kernel("insertion_sort")
    route = get_route(route_name)
    source = next(s for s in discover(kernel) if s.name == kernel.name and s.language == route.language)
    return BenchCase(kernel, source, route, n, "random")


@pytest.mark.parametrize("name", list(KEY_RATIOS))
def test_key_ratio(name: str, workbench: Workbench, benchmark: pytest.FixtureRequest) -> None:
    route_a, route_b, n = KEY_RATIOS[name]
    case = _reference_case(route_a, n)
    built = workbench.built(*case.pair)
    values = workload(n, "random")
    repeat = repeat_for(case.kernel.name, n, "random", built.timing) * KEY_RATIO_REPEAT_FACTOR
    if route_b == "standalone":
        partner: Standalone | Partner = Standalone(Path(case.source.path), values, repeat)
    else:
        other = workbench.built(*_reference_case(route_b, n).pair)
        partner = Partner(route_b, other.loop(values, repeat), repeat)
    run = built.loop(values, repeat)
    benchmark.group = "key ratios"
    # Both sides on one core (the standalone program inherits it): the cores of a shared machine differ.
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        benchmark.pedantic(run, setup=partner.round, rounds=KEY_RATIO_ROUNDS, warmup_rounds=WARMUP_ROUNDS, iterations=1)
    finally:
        os.sched_setaffinity(0, cpus)
        partner.close()
    benchmark.extra_info.update(
        ratio_name=name, kernel=case.kernel.name, variant=case.source.name, route=route_a, n=n, shape="random",
        repeat=repeat, timing=built.timing, partner=partner.label, partner_per_sort=partner.per_sort_seconds,
    )
    if isinstance(partner, Standalone):  # same bytes, same placement: what differs is the harness alone
        benchmark.extra_info.update(entry_offset_mod_64=getattr(built, "address", 0) % 64,
                                    partner_entry_offset_mod_64=partner.entry_offset())
    assert partner.per_sort_seconds and built.loop_result() == sorted(values)


# The user's own files, ranked: each pair on one route, n and shape timed with its rounds interleaved (A B A B ...),
# so the ranking's steps in the report (harness.supplied) rest on like-for-like rounds, not on drift between runs.
def test_supplied_pair(supplied_pair: tuple[BenchCase, BenchCase], workbench: Workbench,
                       benchmark: pytest.FixtureRequest) -> None:
    ours, theirs = supplied_pair
    for case in supplied_pair:
        report = workbench.checked(*case.pair)
        if not report.passed:
            pytest.skip(f"not timed: {case.source.name} {report.verdict} on the correctness check")
    built, other = workbench.built(*ours.pair), workbench.built(*theirs.pair)
    values = workload(ours.n, ours.shape)
    repeat = repeat_for(ours.kernel.name, ours.n, ours.shape, built.timing)
    partner = Partner(theirs.source.name, other.loop(values, repeat), repeat)
    run = built.loop(values, repeat)
    benchmark.group = "supplied pairs"
    benchmark.pedantic(run, setup=partner.round, rounds=ROUNDS, warmup_rounds=WARMUP_ROUNDS, iterations=1)
    benchmark.extra_info.update(
        ratio_name=f"{ours.source.name} / {theirs.source.name} on {ours.route.name}, n={ours.n} {ours.shape}",
        supplied_pair=[ours.source.name, theirs.source.name], kernel=ours.kernel.name, variant=ours.source.name,
        route=ours.route.name, n=ours.n, shape=ours.shape, repeat=repeat, timing=built.timing,
        partner=partner.label, partner_per_sort=partner.per_sort_seconds,
    )
    assert partner.per_sort_seconds and built.loop_result() == other.loop_result() == sorted(values)

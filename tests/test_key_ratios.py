"""The key ratios' measurement (harness.measure.key_ratios), on its cheapest ratio, and the report reading it back."""
from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from harness.measure.bench import Workbench
from harness.measure.key_ratios import KEY_RATIOS, measure_key_ratio, reference_case
from harness.report.analysis import interleaved_ratios, rows_from_run

FIDELITY = next(name for name, (_, partner, _) in KEY_RATIOS.items() if partner == "standalone")


@pytest.fixture(scope="module")
def bench() -> Iterator[Workbench]:
    workbench = Workbench(jobs=1)
    yield workbench
    workbench.close()


def test_each_side_takes_one_round_per_timed_round_after_the_warm_up(bench: Workbench) -> None:
    measured = measure_key_ratio(FIDELITY, bench, rounds=3, warmup_rounds=1, repeat_factor=1)
    assert len(measured.rounds) == len(measured.partner_per_sort) == 3
    assert all(t > 0 for t in measured.rounds + measured.partner_per_sort)
    # The benchmarked side's calls: the warm-up round's and the timed rounds', every output checked.
    outcome = measured.outcome
    assert outcome.calls == 4 * measured.repeat and outcome.bad == 0
    assert outcome.last_output == sorted(outcome.last_input)


def test_the_report_reads_a_measured_ratio_as_a_benchmark_saves_it(bench: Workbench) -> None:
    measured = measure_key_ratio(FIDELITY, bench, rounds=3, warmup_rounds=0, repeat_factor=1)
    info = measured.extra_info()
    saved = {"benchmarks": [{"extra_info": info, "stats": {"median": sorted(measured.rounds)[1],
                                                           "data": measured.rounds}}]}
    [ratio] = interleaved_ratios(saved)
    per_call = [t / measured.repeat for t in measured.rounds]
    assert ratio.name == FIDELITY and math.isfinite(ratio.ratio)
    assert min(per_call) / max(measured.partner_per_sort) <= ratio.ratio <= max(per_call) / min(measured.partner_per_sort)
    assert rows_from_run(saved) == []  # a key ratio is no row of the tables


@pytest.mark.parametrize("name", list(KEY_RATIOS))
def test_both_sides_of_a_key_ratio_build_the_baseline_algorithm(name: str) -> None:
    route, partner, n = KEY_RATIOS[name]
    case = reference_case(route, n)
    assert (case.route.name, case.n, case.shape) == (route, n, "random")
    assert case.kernel.is_compiler_source(case.source) and case.source.algorithm == case.kernel.algorithm
    if partner != "standalone":
        other = reference_case(partner, n)
        assert other.source.algorithm == case.source.algorithm and other.route.name == partner

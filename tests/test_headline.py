"""Same-algorithm and algorithm-free comparisons, interleaved headline pairs, placement spread and state kept
between calls, on synthetic saved runs whose answers are known."""
from __future__ import annotations

import json
import math
import random
import zlib
from pathlib import Path
from typing import Any

import pytest

from harness.report import writer as report
from harness.report.headline import ALGORITHM_FREE, APART, SAME_ALGORITHM, TIE_MARGIN, Candidate, choose_pairs
from harness.report.analysis import analyse, analysis_json
from harness.measure.interleave import BETWEEN_BUILDS, SAME_MARGIN
from harness.report.writer import write_report

LINEAR, BINARY = "linear insertion", "binary insertion"


def samples(center: float, spread: float, seed: str, count: int = 20) -> list[float]:
    rng = random.Random(zlib.crc32(seed.encode()))  # fixed per name: hash() changes between processes
    return [center * (1 + rng.uniform(-spread, spread)) for _ in range(count)]


def bench(variant: str, route: str, origin: str, algorithm: str, median: float, n: int = 16, timing: str = "native",
          substrate: str = "native x86-64", spread: float = 0.02, repeat: int = 4, **extra: Any) -> dict[str, Any]:
    data = [t * repeat for t in samples(median, spread, f"{variant}@{route}/{n}")]
    if timing != "emulated":  # the rows of one substrate and n were timed as one block, round by round
        extra = {"block": f"insertion_sort/{substrate}/n={n}/random", "round_ids": list(range(len(data))),
                 "block_base": len(data), **extra}
    return {
        "name": f"test_kernel[{variant}/{route}/n={n}]",
        "stats": {"median": sorted(data)[len(data) // 2], "iqr": 0.0, "rounds": len(data), "data": data},
        "extra_info": {"kernel": "insertion_sort", "variant": variant, "route": route, "origin": origin, "n": n,
                       "shape": "random", "repeat": repeat, "timing": timing, "substrate": substrate,
                       "algorithm": algorithm, "compiler_source": origin == "human", "executed": {},
                       "code_bytes": 100, "lines": {"total": 20, "effective": 15}, **extra},
    }


def run(*benchmarks: dict[str, Any]) -> dict[str, Any]:
    return {"datetime": "2026-11-22T00:00:00", "machine_info": {}, "benchmarks": list(benchmarks),
            "arena": {"profile": "quick", "versions": {}, "failures": []}}


# At n = 16 the compiler's linear sort is its fastest build; the AI's binary sort beats the compiler's binary
# sort (better code) but not the compiler's linear sort (a slower algorithm at this size).
ALGORITHMS_APART = (
    bench("insertion_sort", "c-gcc-O3", "human", LINEAR, 1.0e-6),
    bench("binary_insertion_sort", "c-gcc-O3", "human", BINARY, 1.5e-6),
    bench("ai-binary", "llvm-O3", "ai", BINARY, 1.2e-6),
    bench("ai-linear", "x86-native", "ai", LINEAR, 1.3e-6),
)


def test_same_algorithm_and_algorithm_free_are_separate_comparisons() -> None:
    analysis = analyse(run(*ALGORITHMS_APART), "apart")
    rows = {r.label: r for r in analysis.rows}
    ai = rows["ai-binary@llvm-O3"]
    assert ai.compared_with == "binary_insertion_sort@c-gcc-O3" and ai.ratio == pytest.approx(0.8, rel=0.05)
    assert ai.verdict == "faster"
    assert ai.free_compared_with == "insertion_sort@c-gcc-O3" and ai.free_ratio == pytest.approx(1.2, rel=0.05)
    assert ai.free_verdict == "slower"
    assert rows["insertion_sort@c-gcc-O3"].verdict == ""  # compiler builds are the yardstick, not judged

    pairs = {(h.comparison, h.algorithm): h for h in analysis.headline}
    assert set(pairs) == {(SAME_ALGORITHM, BINARY), (SAME_ALGORITHM, LINEAR), (ALGORITHM_FREE, "")}
    same = pairs[(SAME_ALGORITHM, BINARY)]
    assert (same.ai, same.compiler, same.verdict) == ("ai-binary@llvm-O3", "binary_insertion_sort@c-gcc-O3", "AI faster")
    free = pairs[(ALGORITHM_FREE, "")]
    assert (free.ai, free.compiler, free.verdict) == ("ai-binary@llvm-O3", "insertion_sort@c-gcc-O3", "compiler faster")
    assert free.interleaved and free.time_ratio == pytest.approx(1.2, rel=0.05)

    # Labelled so no reader can mix them up: each in its own table, under its own name, in both outputs.
    text = report.markdown(analysis)
    same_at, free_at = text.index("### Code generation: same algorithm"), text.index("### Algorithm free")
    assert "AI: binary insertion; compiler: linear insertion" in text[free_at:]
    assert "ai-binary@llvm-O3 | binary_insertion_sort@c-gcc-O3" in text[same_at:free_at]
    saved = analysis_json(analysis)
    row = next(r for r in saved["rows"] if r["variant"] == "ai-binary")
    assert (row["verdict"], row["free_verdict"]) == ("faster", "slower") and len(row["ratio_ci"]) == len(row["free_ci"]) == 2


def test_a_verdict_needs_the_whole_interval_beyond_one() -> None:
    noisy = run(bench("insertion_sort", "c-gcc-O3", "human", LINEAR, 1.0e-6, spread=0.3),
                bench("ai-linear", "x86-native", "ai", LINEAR, 0.95e-6, spread=0.3))
    row = next(r for r in analyse(noisy, "noisy").rows if r.variant == "ai-linear")
    assert row.ratio < 1 and row.ratio_ci is not None and row.ratio_ci[0] < 1 < row.ratio_ci[1]
    assert row.verdict == "unsure" and row.free_verdict == "unsure"


def drifting(variant: str, route: str, origin: str, factor: float, block: str = "insertion_sort/native/n=16",
             identity: str | None = None) -> dict[str, Any]:
    """A row whose every round carries the machine's drift of that round (0.7x-1.4x), times `factor`."""
    drift = [1.0 + 0.4 * math.sin(k) for k in range(24)]
    row = bench(variant, route, origin, LINEAR, 1.0e-6, spread=0.0, code_identity=identity, block=block)
    row["stats"]["data"] = [1.0e-6 * 4 * factor * d * (1 + 0.003 * ((k * 7 + len(variant)) % 5 - 2))
                            for k, d in enumerate(drift)]
    row["stats"]["median"] = sorted(row["stats"]["data"])[12]
    row["extra_info"].update(round_ids=list(range(24)), block_base=24)
    return row


def test_a_verdict_rests_on_the_rounds_both_sides_shared() -> None:
    """Drift common to a round cancels in its ratio: 3% apart decides within one block, and decides nothing across
    blocks; the same speed is `same`, identical code `identical code` whatever the rounds say."""
    analysis = analyse(run(drifting("insertion_sort", "c-gcc-O3", "human", 1.0),
                           drifting("ai-slower", "x86-native", "ai", 1.03),
                           drifting("ai-same", "llvm-O3", "ai", 1.0),
                           drifting("ai-twin", "c-clang-O3", "ai", 0.9, identity="abc"),
                           drifting("ai-apart", "x86-native", "ai", 1.3, block="elsewhere")), "drift")
    rows = {r.variant: r for r in analysis.rows}
    assert rows["ai-slower"].verdict == "slower" and rows["ai-same"].verdict == "same"
    assert rows["ai-apart"].verdict == APART and rows["ai-apart"].ratio_ci is None
    assert rows["ai-twin"].verdict == "faster"  # a different digest than the compiler build's: timed
    twin = run(drifting("insertion_sort", "c-gcc-O3", "human", 1.0, identity="abc"),
               drifting("ai-twin", "c-clang-O3", "ai", 0.9, identity="abc"))
    analysis = analyse(twin, "twin")
    assert {r.variant: r.verdict for r in analysis.rows}["ai-twin"] == "identical code"
    assert {h.verdict for h in analysis.headline} == {"identical code"}
    text = report.markdown(analysis)
    rules = text.split("\n\n")[1]  # the header states the margin and the allowance as they are
    assert "`identical code`" in rules and f"±{SAME_MARGIN * 100:g}% of 1" in rules
    assert f"never narrower than ±{BETWEEN_BUILDS * 100:g}%" in rules
    # The same code as a compiler build that is not the fastest: who generated better code needs no timing;
    # which program to use still does.
    twin = run(drifting("insertion_sort", "c-gcc-O3", "human", 1.0, identity="gcc"),
               drifting("insertion_sort", "c-clang-O3", "human", 1.05, identity="clang"),
               drifting("ai-twin", "llvm-O3", "ai", 1.04, identity="clang"))
    row = next(r for r in analyse(twin, "twin").rows if r.variant == "ai-twin")
    assert (row.compared_with, row.verdict) == ("insertion_sort@c-clang-O3", "identical code")
    assert (row.free_compared_with, row.free_verdict) == ("insertion_sort@c-gcc-O3", "slower")


@pytest.mark.parametrize("apart, warned", [(1.004, False), (1.03, True)])
def test_the_report_says_how_far_apart_separate_builds_of_identical_code_read(apart: float, warned: bool) -> None:
    analysis = analyse(run(drifting("insertion_sort", "c-gcc-O3", "human", 1.0, identity="same"),
                           drifting("ai-twin", "llvm-O3", "ai", apart, identity="same"),
                           drifting("ai-other", "x86-native", "ai", 1.5, identity="other")), "twins")
    spread = analysis.identical_code_spread
    assert spread["pairs"] == 1  # the pair of identical code, and no pair with the other code
    assert spread["median"] == pytest.approx(apart - 1, abs=0.005)  # each row has its own jitter of ±0.6%
    note = next(n for n in analysis.machine_notes if n.startswith("Separate builds of identical machine code"))
    assert ("too narrow" in note) == warned
    assert f"every interval allows ±{BETWEEN_BUILDS * 100:g}% for this" in note  # 1.5% is not rounded to 2%
    assert analysis_json(analysis)["identical_code_spread"] == spread
    assert analyse(run(*ALGORITHMS_APART), "no twins").identical_code_spread == {}


def test_pairs_are_chosen_by_median_and_the_same_without_any() -> None:
    candidates = [
        Candidate("b@x", "ai", BINARY, False, 2.0), Candidate("a@x", "ai", BINARY, False, 1.0),
        Candidate("c@x", "ai", LINEAR, False, 3.0), Candidate("lin@x", "human", LINEAR, True, 2.5),
        Candidate("supplied@x", "unknown", BINARY, False, 0.1),  # not AI-written: never in the headline
    ]
    pairs = choose_pairs(candidates)
    assert [(p.comparison, p.algorithm, p.ai.label, p.compiler.label) for p in pairs] == [
        (SAME_ALGORITHM, LINEAR, "c@x", "lin@x"), (ALGORITHM_FREE, "", "a@x", "lin@x")]
    # An untimed session has no medians: the choice is still made, the same every time.
    untimed = [Candidate(c.label, c.origin, c.algorithm, c.compiler, None) for c in candidates]
    assert [p.ai.label for p in choose_pairs(untimed)] == ["c@x", "a@x"] == [p.ai.label for p in choose_pairs(untimed[::-1])]


def test_builds_within_the_tie_margin_of_the_fastest_are_tied_and_the_first_by_name_is_chosen() -> None:
    """Two compiler builds within the noise of each other must not take turns being the partner from run to run."""
    assert 0.01 < TIE_MARGIN < 0.05
    def compiler_chosen(*costs: tuple[str, float], exact: bool = False) -> str:
        rows = [Candidate("ai@x", "ai", LINEAR, False, 3.0, exact=exact)]
        rows += [Candidate(label, "human", LINEAR, True, cost, exact=exact) for label, cost in costs]
        [same, _] = choose_pairs(rows)
        return same.compiler.label

    for order in (1, -1):  # the order the rows come in does not matter
        assert compiler_chosen(*[("b@y", 1.0), ("a@y", 1.01)][::order]) == "a@y"  # 1% apart: tied
        assert compiler_chosen(*[("b@y", 1.0), ("a@y", 1.05)][::order]) == "b@y"  # 5% apart: the faster
        # An exact count (the emulator's) has no noise: the lower count is the lower count.
        assert compiler_chosen(*[("b@y", 1000.0), ("a@y", 1001.0)][::order], exact=True) == "b@y"


PLACEMENT = {"policy": "swept", "reason": "no relocations", "offsets": [0, 16, 32, 48],
             "per_offset_median": {"0": 6.8e-6, "16": 8.6e-6, "32": 6.84e-6, "48": 9.2e-6}}


def test_placement_spread_and_state_kept_between_calls_are_shown(tmp_path: Path) -> None:
    saved = run(
        bench("insertion_sort", "c-gcc-O3", "human", LINEAR, 2.0e-6, n=128, placement=PLACEMENT,
              repeated_input={"median_per_round": 7.9e-6, "ratio": 0.98}),
        bench("ai-remembers", "c-gcc-O3", "ai", LINEAR, 2.1e-6, n=128,
              placement={"policy": "in place", "reason": "has relocations", "offsets": [],
                         "per_offset_median": {}},
              repeated_input={"median_per_round": 0.8e-6}),  # no ratio given: from the fresh median (8.4 µs)
        bench("ai-honest", "x86-native", "ai", LINEAR, 2.0e-6, n=128, repeated_input={"ratio": 0.93}),
        bench("ai-wasm", "wasmtime", "ai", LINEAR, 3.0e-6, n=128, timing="wasm", substrate="wasmtime"),
    )
    analysis = analyse(saved, "state")
    rows = {r.label: r for r in analysis.rows}
    compiler, remembers = rows["insertion_sort@c-gcc-O3"], rows["ai-remembers@c-gcc-O3"]
    assert compiler.placement_spread == pytest.approx(9.2 / 6.8) and report.fmt_placement(compiler) == "1.35x swept"
    assert remembers.placement_spread is None and report.fmt_placement(remembers) == "in place"
    assert report.fmt_placement(rows["ai-wasm@wasmtime"]) == ""
    assert remembers.repeated_ratio == pytest.approx(0.8 / 8.4, rel=0.05) and remembers.keeps_state
    assert not rows["ai-honest@x86-native"].keeps_state and not compiler.keeps_state
    assert rows["ai-wasm@wasmtime"].repeated_ratio is None and not rows["ai-wasm@wasmtime"].keeps_state

    text = report.markdown(analysis)
    assert "## Keeps state between calls" in text and "`ai-remembers@c-gcc-O3`" in text.split("## Keeps state")[1]
    assert "ai-honest" not in text.split("## Keeps state")[1].split("##")[0]
    assert "1.35x swept (no relocations); 0: 1.70 µs; 16: 2.15 µs" in text
    cells = {c[0]: c for c in report.table_rows(analysis.rows)}
    assert "keeps state between calls" in cells["ai-remembers"][report.COLUMNS.index("verdict")]
    written = write_report(analysis, tmp_path)
    data = json.loads((written / "report.json").read_text())
    by_variant = {r["variant"]: r for r in data["rows"]}
    assert by_variant["ai-remembers"]["keeps_state"] is True
    assert by_variant["insertion_sort"]["placement_spread"] == pytest.approx(9.2 / 6.8)
    assert by_variant["insertion_sort"]["placement"]["per_offset_median"]["16"] == 8.6e-6


def test_a_fixed_length_kernel_has_headline_pairs_at_its_own_length() -> None:
    def fixed(bench_: dict[str, Any]) -> dict[str, Any]:
        bench_["extra_info"]["kernel"] = "sort3"
        return bench_

    network = "sorting network"
    analysis = analyse(run(fixed(bench("sort3", "c-gcc-O3", "human", network, 2.0e-9, n=3)),
                           fixed(bench("ai-x86-cmov", "x86-native", "ai", network, 1.5e-9, n=3))), "fixed")
    [pair] = [h for h in analysis.headline if h.comparison == SAME_ALGORITHM]
    assert (pair.kernel, pair.n, pair.ai, pair.compiler) == ("sort3", 3, "ai-x86-cmov@x86-native", "sort3@c-gcc-O3")

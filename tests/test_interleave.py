"""Verdicts from interleaved rounds (harness.measure.interleave), on fixtures whose truth is known by construction: the same
code under two names (identical code), the same code with work added to its inner loop (slower), the same
instructions with other bytes after its end (the same speed), and rounds made up with a known ratio and drift."""
from __future__ import annotations

import math
import random
import shutil
from pathlib import Path

import pytest

from harness.measure.bench import SEED, expectation, one_core, repeat_for
from harness.report.headline import ratio_with_ci
from harness.measure.interleave import (
    BETWEEN_BUILDS, FASTER, IDENTICAL, LEVEL, MIN_ROUNDS, SAME, SAME_MARGIN, SLOWER, UNSURE, Block, code_identity,
    decide,
    identical_code,
    narrow_enough, paired_interval, paired_ratio, settle, time_interleaved,
)
from kernels.kernel import get_kernel
from harness.variants import load_source
from targets import get_route

REPO = Path(__file__).resolve().parent.parent
INDEX_LOOP = REPO / "kernels" / "insertion_sort" / "variants" / "ai-x86-index-loop.s"
SLOWED = REPO / "tests" / "slowed_variants" / "ai-x86-index-loop-slowed.s"  # a multiply chain in the inner loop
PADDED = REPO / "tests" / "slowed_variants" / "ai-x86-index-loop-padded.s"  # nops after its ret
WAT = REPO / "kernels" / "insertion_sort" / "variants" / "ai-wat-index-loop.wat"


def made_up(ratio: float, drift: float, noise: float, count: int, seed: int) -> tuple[list[float], list[float]]:
    """Rounds of two sides a / b = `ratio`: each round carries a drift both sides share (up to `drift` either
    way) and noise of its own (up to `noise`)."""
    rng = random.Random(seed)
    a, b = [], []
    for k in range(count):
        shared = 1 + drift * math.sin(k * 0.7 + seed)
        a.append(ratio * shared * (1 + rng.uniform(-noise, noise)))
        b.append(shared * (1 + rng.uniform(-noise, noise)))
    return a, b


def test_the_verdict_words() -> None:
    assert decide(0.90, 0.97) == FASTER and decide(1.01, 1.2) == SLOWER
    assert decide(0.99, 1.015) == SAME and decide(1 / (1 + SAME_MARGIN), 1 + SAME_MARGIN) == SAME
    wide = 1 + SAME_MARGIN
    assert decide(1 / wide**1.5, 1.01) == UNSURE and decide(None, None) == UNSURE
    # A difference within the margin is not called one, even a certain one: two builds 0.5% apart read `same`
    # in one run whether the interval clears 1 or not, so a rerun cannot turn it from faster into slower.
    assert decide(0.992, 0.999) == SAME == decide(1.001, 1.006) and decide(1 / wide**1.5, 1 / wide**1.2) == FASTER
    # The stopping rule reads the width only: a narrow interval is decided wherever it lies.
    assert narrow_enough(1.30, 1.31) and narrow_enough(0.995, 1.01) and not narrow_enough(1.5, 1.6)
    assert all(decide(low, low * (1 + SAME_MARGIN)) != UNSURE for low in (0.9, 0.97, 0.985, 0.99, 1.0, 1.01))


def test_pairing_cancels_the_drift_the_two_sides_share() -> None:
    a, b = made_up(1.03, drift=0.3, noise=0.002, count=24, seed=1)
    ratio, low, high = paired_interval(a, b)
    assert low is not None and high is not None and 1.0 < low <= ratio <= high < 1.06
    assert decide(low, high) == SLOWER
    # The same rounds taken apart: the drift swamps a 3% difference.
    _, apart_low, apart_high = ratio_with_ci(a, b)
    assert apart_low is not None and apart_high is not None and apart_low < 1 < apart_high
    same = paired_interval(*made_up(1.0, drift=0.3, noise=0.002, count=24, seed=2))
    assert decide(*same[1:]) == SAME
    # One round preempted five times over does not move the verdict.
    a[3] *= 5
    assert decide(*paired_interval(a, b)[1:]) == SLOWER
    with pytest.raises(ValueError):
        paired_interval(a, b[:-1])
    assert paired_interval(a[:MIN_ROUNDS - 1], b[:MIN_ROUNDS - 1])[1:] == (None, None)  # too few for an interval
    assert paired_interval(a, b) == paired_interval(list(a), list(b))  # the same rounds, the same interval


def slowed_spell(share: float, seed: int, count: int = 24) -> tuple[list[float], list[float]]:
    """Two sides of the same speed (a little drift they share, a little noise each), but a share of a's rounds,
    at random, caught by a slow spell of its own that adds 15-100% to them, as a host's other tenants do to one
    process."""
    a, b = made_up(1.0, drift=0.005, noise=0.003, count=count, seed=seed)
    rng = random.Random(seed)
    for k in rng.sample(range(count), round(share * count)):
        a[k] *= 1 + rng.uniform(0.15, 1.0)
    return a, b


def test_a_slow_spell_in_half_of_one_sides_rounds_leaves_the_same_speed_the_same() -> None:
    # The truth by construction is `same`: the spell slows the rounds it catches, never the code. The centre of
    # the per-round ratios (the Hodges-Lehmann estimate: the median of their pairwise means) calls it slower.
    for seed in range(8):
        a, b = slowed_spell(0.5, seed, count=48)
        ratio, low, high = paired_interval(a, b)
        assert decide(low, high) == SAME, (seed, ratio, low, high)
        logs = [math.log(x / y) for x, y in zip(a, b)]
        walsh = sorted((x + y) / 2 for i, x in enumerate(logs) for y in logs[i:])
        assert math.exp(walsh[len(walsh) // 2]) > 1 + SAME_MARGIN
    # A real difference survives the same spell: 5% slower code with half its rounds slowed more.
    a, b = slowed_spell(0.5, 9, count=48)
    b = [x / 1.05 for x in b]
    assert decide(*paired_interval(a, b)[1:]) == SLOWER


class Scripted:
    """A member whose every round takes a made-up time: the stopping rule's input, known in advance."""

    def __init__(self, seconds: float, noise: float, seed: int) -> None:
        self.seconds, self.noise, self.rng = seconds, noise, random.Random(seed)

    def round_seconds(self, run: object) -> float:
        return self.seconds * (1 + self.rng.uniform(-self.noise, self.noise))


def test_more_rounds_go_to_wide_intervals_only_and_stop_at_the_budget() -> None:
    steady = [(Scripted(1.0, 0.001, 1), None), (Scripted(1.5, 0.001, 2), None)]
    block = Block(2)
    block.run(steady, (0, 1), 16, random.Random(0))
    settle(block, steady, [(0, 1)], random.Random(0), max_rounds=64, max_seconds=60)
    assert len(block.rounds[0]) == 16  # already narrower than the margin: no more rounds
    # 2x apart, but noisy: decided at 16 rounds, yet wider than the margin, so it takes more (its width decides).
    noisy = [(Scripted(1.0, 0.3, 3), None), (Scripted(2.0, 0.3, 4), None), (Scripted(1.0, 0.001, 5), None)]
    block = Block(3)
    block.run(noisy, (0, 1, 2), 16, random.Random(0))
    assert decide(*paired_interval(*block.paired(1, 0))[1:]) == SLOWER
    settle(block, noisy, [(1, 0)], random.Random(0), chunk=16, max_rounds=64, max_seconds=60)
    assert len(block.paired(1, 0)[0]) == 64 and len(block.rounds[2]) == 16  # the budget, and only that pair
    assert not narrow_enough(*paired_interval(*block.paired(1, 0))[1:])


def build(path: Path, route: str = "x86-native", name: str | None = None) -> object:
    kernel = get_kernel("insertion_sort")
    return get_route(route).build(load_source(path, kernel, name=name), kernel)


def test_the_same_code_under_two_names_is_identical_and_other_bytes_are_not(tmp_path: Path) -> None:
    twin = tmp_path / "ai-x86-twin.s"
    shutil.copy(INDEX_LOOP, twin)
    builds = {name: build(path) for name, path in
              (("original", INDEX_LOOP), ("twin", twin), ("padded", PADDED), ("slowed", SLOWED))}
    wat, wat_twin = build(WAT, "wasmtime"), build(WAT, "wasmtime", name="twin")
    wat_v8 = build(WAT, "wasm-v8")
    try:
        assert identical_code(builds["original"], builds["twin"])
        assert not identical_code(builds["original"], builds["padded"])
        assert not identical_code(builds["original"], builds["slowed"])
        assert identical_code(wat, wat_twin)
        assert code_identity(wat) is not None and not identical_code(wat, wat_v8)  # another engine: other code
    finally:
        for built in [*builds.values(), wat, wat_twin, wat_v8]:
            built.close()  # type: ignore[attr-defined]


def timed_pair(a: object, b: object, rounds: int, seed: int) -> tuple[float, float | None, float | None]:
    """a / b at n = 128 random, rounds interleaved in a shuffled order."""
    n, shape = 128, "random"
    repeat = repeat_for("insertion_sort", n, shape, "native") // 4
    with one_core():
        members = [(x, x.loop(n, shape, repeat, seed=SEED + seed, expect=expectation("insertion_sort")))
                   for x in (a, b)]  # type: ignore[attr-defined]
        rng = random.Random(seed)
        time_interleaved(members, 1, rng)
        a_rounds, b_rounds = time_interleaved(members, rounds, rng)
    for built, _ in members:
        assert built.loop_outcome().bad == 0  # type: ignore[attr-defined]
    return paired_interval(a_rounds, b_rounds)


def test_a_variant_slowed_on_purpose_is_slower_and_the_same_speed_never_flips() -> None:
    original, slowed, padded = build(INDEX_LOOP), build(SLOWED), build(PADDED)
    try:
        assert decide(*timed_pair(slowed, original, 12, seed=1)[1:]) == SLOWER
        assert decide(*timed_pair(original, slowed, 12, seed=2)[1:]) == FASTER
        # The same instructions from the same places: two timings never call it faster once and slower the other.
        verdicts = {decide(*timed_pair(padded, original, 16, seed=k)[1:]) for k in (3, 4)}
        assert verdicts != {FASTER, SLOWER}
    finally:
        for built in (original, slowed, padded):
            built.close()  # type: ignore[attr-defined]


def test_the_rules_name_the_margin_and_what_identical_code_means() -> None:
    from harness.measure.interleave import rules_text

    first, second = rules_text()
    assert f"{LEVEL} interval" in first and "`same`" in first
    # The allowance and the margin as stated read back as the constants (1.5% is not rounded to 2%).
    import re

    stated = [float(x) / 100 for x in re.findall(r"±([0-9.]+)%", first)]
    assert stated == [pytest.approx(BETWEEN_BUILDS), pytest.approx(SAME_MARGIN)]
    assert IDENTICAL in second and "same machine code" in second


def block_cases(n: int = 16) -> list[object]:
    from harness.measure.bench import BenchCase
    from harness.variants import discover

    kernel = get_kernel("insertion_sort")
    wanted = {("insertion_sort", "c"): "c-gcc-O3", ("ai-x86-index-loop", "x86"): "x86-native",
              ("ai-x86-sentinel", "x86"): "x86-native"}
    return [BenchCase(kernel, s, get_route(wanted[(s.name, s.language)]), n, "random") for s in discover(kernel)
            if (s.name, s.language) in wanted]


def test_a_block_times_its_members_in_shared_rounds_and_checks_every_output() -> None:
    from harness.measure.bench import Workbench
    from harness.measure.blocks import timed_block

    cases = block_cases()
    bench = Workbench(jobs=1)
    try:
        bench.expect([c.pair for c in cases])  # type: ignore[attr-defined]
        bench.expect_counts(cases)  # type: ignore[arg-type]
        block = timed_block(bench, cases[0], rounds=4)  # type: ignore[arg-type]
        assert block.error is None and set(block.rounds) == {c.id for c in cases}  # type: ignore[attr-defined]
        assert all(set(range(4)) <= set(rounds) for rounds in block.rounds.values())
        assert all(o.calls > 0 and o.bad == 0 for o in block.outcomes.values())
        assert all(block.code[c.id] for c in cases)  # type: ignore[attr-defined]
        assert timed_block(bench, cases[1], rounds=4) is block  # type: ignore[arg-type]  # timed once, for all members
    finally:
        bench.close()


def test_every_block_is_timed_in_visits_far_apart_each_with_loops_and_inputs_of_its_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.measure.bench import WARMUP_ROUNDS, Workbench
    from harness.measure.blocks import timed_block, visit_rounds

    cases = block_cases(16) + block_cases(128)  # two blocks
    bench = Workbench(jobs=1)
    visits: list[list[str]] = []
    bench.on_timing = lambda ids: visits.append(sorted(ids))
    seeds: dict[str, list[int]] = {}
    try:
        bench.expect([c.pair for c in cases])  # type: ignore[attr-defined]
        bench.expect_counts(cases)  # type: ignore[arg-type]
        names = {(id(bench.built(*c.pair)), c.n): c.id for c in cases}  # type: ignore[attr-defined]
        for kind in {type(bench.built(*c.pair)) for c in cases}:  # type: ignore[attr-defined]
            def loop(self: object, n: int, *args: object, _loop: object = kind.loop, **kwargs: object) -> object:
                seeds.setdefault(names[(id(self), n)], []).append(kwargs["seed"])  # type: ignore[arg-type]
                return _loop(self, n, *args, **kwargs)  # type: ignore[operator]
            monkeypatch.setattr(kind, "loop", loop)  # which seed each loop's generator starts from
        first = timed_block(bench, cases[0], rounds=12)  # type: ignore[arg-type]
        small, large = sorted(c.id for c in cases[:3]), sorted(c.id for c in cases[3:])  # type: ignore[attr-defined]
        # Every block's first visit, then every block's second: the two visits of a block lie far apart.
        assert visits == [small, large, small, large] and visit_rounds(12) == [8, 4]
        second = timed_block(bench, cases[3], rounds=12)  # type: ignore[arg-type]  # timed already, with the first
        assert len(visits) == 4
        # Each visit's loop starts its generator at a seed of its own: no call sees an input an earlier visit made.
        assert all(len(set(s)) == len(s) == 2 for s in seeds.values()) and len(seeds) == len(cases)
        for timed in (first, second):
            assert timed.error is None and timed.base == 12
            assert all(set(range(12)) <= set(rounds) for rounds in timed.rounds.values())
            for case_id, outcome in timed.outcomes.items():  # every visit's calls, the warm-up's too, were checked
                assert outcome.bad == 0
                assert outcome.calls == timed.repeat * (len(timed.rounds[case_id]) + WARMUP_ROUNDS)
            native = [k for k in timed.placement if "x86-native" in k]
            assert native and all(len(timed.placement[k]["per_offset_median"]) == 4 for k in native)
    finally:
        bench.close()


def test_a_slow_spell_over_either_visit_of_a_block_moves_no_ratio() -> None:
    """A spell that slows one side's code for a while (not its partner's, so pairing cannot cancel it) catches one
    visit of a block; each side's lower quartile then leans on the other visit's rounds."""
    from harness.measure.bench import QUICK_ROUNDS
    from harness.measure.blocks import visit_rounds

    rng = random.Random(7)
    b = [1e-6 * (1 + rng.uniform(0, 0.002)) for _ in range(QUICK_ROUNDS)]
    a = [t * 1.10 for t in b]  # 10% slower in every round
    start = 0
    for count in visit_rounds(QUICK_ROUNDS):
        spell = [t * (1.3 if start <= k < start + count else 1) for k, t in enumerate(a)]
        assert paired_ratio(spell, b) == pytest.approx(paired_ratio(a, b), rel=0.003)
        start += count
    # A spell longer than the run's half does move it: the ratio would show one.
    longer = [t * (1.3 if k < QUICK_ROUNDS - 2 else 1) for k, t in enumerate(a)]
    assert paired_ratio(longer, b) > 1.3


def test_each_row_of_a_timed_block_saves_its_own_rounds_and_the_report_pairs_them(tmp_path: Path) -> None:
    """The rows' benchmarks as `nox -s bench` times them (a child pytest): each saves its rounds with their ids in
    its block, and the report's verdicts come from the rounds the rows shared."""
    import json
    import subprocess
    import sys

    from harness.gate import pytest_child_env
    from harness.report.headline import APART
    from harness.report.analysis import analyse

    ids = [f"tests/test_bench.py::test_kernel[{c.id}]" for c in block_cases()]  # type: ignore[attr-defined]
    saved = tmp_path / "run.json"
    done = subprocess.run([sys.executable, "-m", "pytest", *ids, "-n", "0", "--benchmark-enable", "--benchmark-only",
                           "--benchmark-save-data", f"--benchmark-json={saved}", "--sizes=16", "-p", "no:cacheprovider",
                           "--no-wait", "-q"], capture_output=True, text=True, cwd=REPO, timeout=300,
                          env=pytest_child_env())
    if done.returncode == pytest.ExitCode.INTERRUPTED and "arena:" in done.stdout + done.stderr:
        pytest.skip(f"another run is timing on this machine: {(done.stdout + done.stderr).strip()[-300:]}")
    assert done.returncode == 0, done.stdout[-3000:]
    run = json.loads(saved.read_text())
    infos = [b["extra_info"] for b in run["benchmarks"]]
    assert len(infos) == 3 and len({i["block"] for i in infos}) == 1
    assert all(len(i["round_ids"]) == len(b["stats"]["data"]) for i, b in zip(infos, run["benchmarks"]))
    rows = [r for r in analyse(run, "block").rows if not r.compiler_source]
    assert len(rows) == 2 and all(r.verdict and r.verdict != APART and r.ratio_ci for r in rows)


def test_no_interval_is_narrower_than_what_separate_builds_differ_by() -> None:
    a = [1.0e-6 * (1 + 0.001 * (k % 3)) for k in range(24)]
    b = [t / 1.005 for t in a]  # a / b = 1.005 in every round: the rounds alone leave no doubt at all
    ratio, low, high = paired_interval(a, b)
    assert ratio == pytest.approx(1.005)
    assert (low, high) == (pytest.approx(1.005 / (1 + BETWEEN_BUILDS)), pytest.approx(1.005 * (1 + BETWEEN_BUILDS)))
    assert decide(low, high) == SAME  # a difference no larger than two builds of one code show is not called one
    _, raw_low, raw_high = paired_interval(a, b, floor=0.0)  # what the stopping rule looks at: more rounds won't help
    assert raw_high / raw_low < 1.001 and narrow_enough(raw_low, raw_high)
    slower = [t * (1 + SAME_MARGIN + BETWEEN_BUILDS) for t in a]  # past the margin and the allowance together
    assert decide(*paired_interval(slower, a)[1:]) == SLOWER

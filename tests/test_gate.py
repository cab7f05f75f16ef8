"""`arena gate`: real small runs (an unchanged tree passes as identical code, a slowed variant is caught by its
build timed again beside the earlier one, and by its counts) and synthetic saved runs whose answers are known."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness import gate
from harness.cli import main as arena_main
from harness.gate import (FASTER, FEW_ROUNDS, NOISE, NOT_AGAIN, NOT_TIMED, REGRESSION, UNCHANGED, SavedRun, compare,
                          confirm, time_verdict)
from harness.interleave import paired_interval
from harness.retime import (IDENTICAL, NOT_COMPARED, SOURCES, TIMED, Job, Paired, retime, retime_fresh, route_language,
                            source_name)
from targets.cache import store_text

from harness.gate import pytest_child_env as child_env

from .conftest import REPO

SHIPPED = REPO / "kernels" / "insertion_sort" / "variants" / "ai-wat-index-loop.wat"
SLOWED = REPO / "tests" / "slowed_variants" / "ai-wat-index-loop-slowed.wat"
PROBE = "gate-probe"  # the variant's name in both runs: the shipped file, then the slowed copy
# The same on native code: a copy that does about a fifth more work in its inner loop.
SHIPPED_X86 = REPO / "kernels" / "insertion_sort" / "variants" / "ai-x86-index-loop.s"
FIFTH = REPO / "tests" / "slowed_variants" / "ai-x86-index-loop-fifth.s"
PROBE_X86 = "gate-probe-x86"
# The probes and an unchanged variant, on routes that time them (few cases: each run checks its variants
# first). Emulated rows are covered by the synthetic runs below.
CASES = f"random and ({PROBE}/wasmtime/ or {PROBE_X86}/x86-native/ or ai-wat-binary-search/wasmtime/)"


# --- real runs ---------------------------------------------------------------------------------------------


def saved_run(storage: Path, variants: Path, source: Path, native: Path = SHIPPED_X86) -> Path:
    """One timed run of a few cases, saved as `nox -s bench` saves it; returns the new JSON."""
    shutil.copyfile(source, variants / f"{PROBE}.wat")
    shutil.copyfile(native, variants / f"{PROBE_X86}.s")
    before = set(storage.glob("*/*.json"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_bench.py", "-p", "no:cacheprovider", "-q",
         "--benchmark-enable", "--benchmark-only", "--benchmark-autosave", "--benchmark-save-data",
         f"--benchmark-storage={storage}", "--sizes=128", "-k", CASES, "--variants", str(variants)],
        cwd=REPO, capture_output=True, text=True, timeout=300, env=child_env(),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (new,) = set(storage.glob("*/*.json")) - before
    return new


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Path]]:
    storage = tmp_path_factory.mktemp("benchmarks")
    variants = tmp_path_factory.mktemp("variants")  # one folder for all runs: the same profile
    return storage, variants, [saved_run(storage, variants, source) for source in (SHIPPED, SHIPPED)]


def gate_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = arena_main(["gate", *args])
    return status, capsys.readouterr().out


def test_an_unchanged_tree_passes(runs: tuple[Path, Path, list[Path]], capsys: pytest.CaptureFixture[str]) -> None:
    storage, _, (first, second) = runs
    status, out = gate_cli(capsys, str(second), str(first), "--storage", str(storage))
    assert status == 0, out
    result = compare(gate.load_run(second), gate.load_run(first), timer=refuse_to_time)
    assert result.time_compared and not result.exact and not result.regressions
    assert len(result.time) == 3 and {t.verdict for t in result.time} == {IDENTICAL}  # decided without timing
    assert not result.only_new and not result.only_old


# On a shared machine the other work can preempt so many rounds that even the paired interval stays wide: then
# the gate honestly says "moved, within noise". Such a pair is timed again, up to this often.
ATTEMPTS = 3


def refuse_to_time(jobs: list[Job]) -> list[Paired]:
    raise AssertionError(f"timed {jobs}: identical code needs no timing")


def test_the_slowed_variant_is_caught_by_time_and_by_its_counts(runs: tuple[Path, Path, list[Path]],
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    storage, variants, (_, baseline) = runs
    probe, native = f"{PROBE}@wasmtime n=128 random", f"{PROBE_X86}@x86-native n=128 random"
    slowed = saved_run(storage, variants, SLOWED, FIFTH)
    for attempt in range(ATTEMPTS):  # each attempt times the two builds together again
        result = compare(gate.load_run(slowed), gate.load_run(baseline))
        times = {t.row: t for t in result.time}
        time, fifth = times[probe], times[native]
        if time.verdict == fifth.verdict == REGRESSION:
            break
    assert time.verdict == REGRESSION and time.low is not None and time.low > 1.10, time
    assert fifth.verdict == REGRESSION and fifth.low is not None and fifth.low > 1.10, fifth
    assert times["ai-wat-binary-search@wasmtime n=128 random"].verdict == IDENTICAL  # untouched: not timed
    fuel = next(e for e in result.exact if e.row == probe and e.measure == "wasm fuel")
    assert fuel.worse and fuel.new > fuel.old
    diff = next(e.diff for e in result.exact if e.diff)
    assert any(line.startswith("+") and "imul" in line for line in diff), diff
    assert all(PROBE in e.row for e in result.exact)  # the untouched variants did not change
    # --confirm times the regressed pair again in a fresh process, beside the earlier build again.
    confirm(result)
    assert time.verdict == REGRESSION and time.again.endswith("]"), time
    # With no runs named, the newest is compared with the previous one of the same machine and profile.
    status, out = gate_cli(capsys, "--storage", str(storage))
    assert status == 1 and out.rstrip().endswith("FAIL"), out
    print(f"slowed {time.ratio:.3f}x [{time.low:.3f}-{time.high:.3f}], again {time.again}, fuel {fuel.old} -> {fuel.new}; "
          f"a fifth more work {fifth.ratio:.3f}x [{fifth.low:.3f}-{fifth.high:.3f}], again {fifth.again}")


def test_a_saved_source_is_built_again_in_a_fresh_process(runs: tuple[Path, Path, list[Path]]) -> None:
    """The earlier run's source comes back from the cache (not from the tree, where the file may have changed)."""
    _, variants, (first, _) = runs
    shutil.copyfile(SLOWED, variants / f"{PROBE}.wat")  # the tree now holds the slowed copy
    sources = gate.load_run(first).data["arena"]["sources"]
    shipped = sources[source_name("insertion_sort", PROBE, "wat")]
    (paired,) = retime_fresh([Job("insertion_sort", PROBE, "wasmtime", 16, "random", 64, shipped, dict(shipped))])
    assert paired.outcome == IDENTICAL, paired
    other = sources[source_name("insertion_sort", "ai-wat-binary-search", "wat")]
    (paired,) = retime_fresh([Job("insertion_sort", PROBE, "wasmtime", 16, "random", 64, shipped, other)])
    assert paired.outcome == TIMED and paired.rounds >= 16 and paired.low is not None, paired


def test_a_source_gone_from_the_cache_or_no_longer_building_is_named_not_timed() -> None:
    shipped = {"key": store_text(SOURCES, SHIPPED.read_text()), "language": "wat", "path": str(SHIPPED)}
    gone = {**shipped, "key": "0" * 20}
    broken = {**shipped, "key": store_text(SOURCES, "(module (func $insertion_sort (export \"insertion_sort\")"),
              "path": "broken.wat"}
    found = retime([Job("insertion_sort", PROBE, "wasmtime", 16, "random", 8, gone, shipped),
                    Job("insertion_sort", "other", "wasmtime", 16, "random", 8, broken, shipped)])
    assert [(p.variant, p.outcome) for p in found] == [(PROBE, NOT_COMPARED), ("other", NOT_COMPARED)]
    assert "no longer in the cache" in found[0].why and found[1].why.startswith("BuildError"), found


# --- synthetic saved runs ------------------------------------------------------------------------------------

MACHINE = {"node": "box", "python_implementation": "CPython", "python_version": "3.11.7",
           "cpu": {"brand_raw": "Some CPU", "count": 2, "hz_actual": [1, 0]}}


def bench(variant: str, route: str, per_sort: float, seed: int, timing: str = "native", spread: float = 0.02,
          rounds: int = 20, **extra: Any) -> dict[str, Any]:
    rng = random.Random(seed)
    data = [per_sort * 4 * (1 + rng.uniform(-spread, spread)) for _ in range(rounds)]
    return {"name": f"test_kernel[{variant}/{route}]", "fullname": f"tests/test_bench.py::test_kernel[{variant}/{route}]",
            "group": "insertion_sort n=128 random",
            "stats": {"median": sorted(data)[len(data) // 2], "iqr": 0.0, "rounds": rounds, "data": data},
            "extra_info": {"kernel": "insertion_sort", "variant": variant, "route": route, "origin": "ai", "n": 128,
                           "shape": "random", "repeat": 4, "timing": timing, "code_bytes": 100, **extra}}


def sources_of(run: str, benchmarks: list[dict[str, Any]], edited: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    """Source records as run `run` keeps them (harness.retime.save_sources): `edited` variants' texts are its own."""
    found = {}
    for b in benchmarks:
        info = b["extra_info"]
        name = source_name(info["kernel"], info["variant"], route_language(info["route"]) or "?")
        found[name] = {"key": f"{info['variant']}-{run if info['variant'] in edited else 'as-before'}",
                       "language": route_language(info["route"]), "path": f"{info['variant']}.txt"}
    return found


def saved(tmp_path: Path, name: str, benchmarks: list[dict[str, Any]], machine: dict[str, Any] = MACHINE,
          sizes: tuple[int, ...] = (128,), listings: dict[str, str] | None = None,
          edited: tuple[str, ...] | None = None) -> SavedRun:
    """A saved run; `edited`: the variants whose source differs from the other run's (None: every one)."""
    sources = sources_of(name, benchmarks, tuple(b["extra_info"]["variant"] for b in benchmarks) if edited is None else edited)
    run: dict[str, Any] = {"machine_info": machine, "benchmarks": benchmarks,
                           "arena": {"profile": "quick", "selection": {"sizes": list(sizes), "variants": []},
                                     "sources": sources}}
    if listings:
        folder = tmp_path / f"listings-{name}"
        folder.mkdir()
        for file, text in listings.items():
            (folder / file).write_text(text)
        run["arena"]["listings"] = str(folder)
    path = tmp_path / "Linux-CPython-3.11-64bit" / f"{name}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(run))
    return SavedRun(path, run)


def test_time_verdicts_follow_the_whole_interval() -> None:
    assert time_verdict(1.30, 1.20, 1.40, 0.10) == REGRESSION
    assert time_verdict(1.30, 1.05, 1.40, 0.10) == NOISE  # moved beyond 10%, but the interval reaches it
    assert time_verdict(0.80, 0.70, 0.85, 0.10) == FASTER
    assert time_verdict(0.88, 0.80, 0.95, 0.10) == NOISE
    assert time_verdict(1.05, 1.02, 1.08, 0.10) == UNCHANGED
    assert time_verdict(1.50, None, None, 0.10) == FEW_ROUNDS
    assert time_verdict(1.30, 1.20, 1.40, 0.25) == NOISE  # the threshold is an option


def paired_timer(factors: dict[str, tuple[float, float]], asked: list[list[Job]] | None = None):  # type: ignore[no-untyped-def]
    """A stand-in for the paired re-timing: per variant, new/old = factor in every round, each round jittered by
    `spread`, from rounds that share a drift of the machine (which the pairing cancels)."""
    def timer(jobs: list[Job]) -> list[Paired]:
        if asked is not None:
            asked.append(list(jobs))
        found = []
        for job in jobs:
            factor, spread = factors[job.variant]
            rng = random.Random(job.variant)
            drift = [1 + 0.5 * rng.random() for _ in range(24)]  # the machine's slow spells, up to 1.5x
            old = [1e-3 * d for d in drift]
            new = [t * factor * (1 + rng.uniform(-spread, spread)) for t in old]
            ratio, low, high = paired_interval(new, old)
            found.append(Paired(job.kernel, job.variant, job.route, job.n, job.shape, TIMED, ratio=ratio, low=low,
                                high=high, old_seconds=old[0] / job.repeat, new_seconds=new[0] / job.repeat,
                                rounds=len(old)))
        return found
    return timer


def test_time_regresses_only_beyond_its_noise(tmp_path: Path) -> None:
    old = saved(tmp_path, "0001", [bench("a", "x86-native", 1e-6, 1), bench("b", "wasmtime", 2e-6, 2, timing="wasm"),
                                   bench("c", "llvm-O3", 3e-6, 3)])
    new = saved(tmp_path, "0002", [bench("a", "x86-native", 1e-6, 4), bench("b", "wasmtime", 2e-6, 5, timing="wasm"),
                                   bench("c", "llvm-O3", 3e-6, 6)])
    # clearly slower; slower but noisy; the same speed. The saved runs' own times play no part.
    result = compare(new, old, timer=paired_timer({"a": (1.3, 0.02), "b": (1.3, 0.9), "c": (1.0, 0.02)}))
    verdicts = {t.row.split("@")[0]: t.verdict for t in result.time}
    assert verdicts == {"a": REGRESSION, "b": NOISE, "c": UNCHANGED}
    assert [r.row for r in result.regressions] == ["a@x86-native n=128 random"]
    text = "\n".join(gate.render(result))
    assert "0 identical code (cannot regress); 3 timed again beside the earlier run's build" in text
    assert "1 regressed, 0 faster, 1 moved within noise, 1 unchanged" in text and text.endswith("FAIL")


def test_the_same_source_is_identical_code_and_is_not_timed(tmp_path: Path) -> None:
    old = saved(tmp_path, "0001", [bench("a", "x86-native", 1e-6, 1), bench("b", "llvm-O3", 1e-6, 2)], edited=())
    new = saved(tmp_path, "0002", [bench("a", "x86-native", 2e-6, 3), bench("b", "llvm-O3", 1e-6, 4)], edited=("b",))
    asked: list[list[Job]] = []
    result = compare(new, old, timer=paired_timer({"b": (1.0, 0.01)}, asked))
    # a's saved times doubled (minutes apart, on a shared machine): its source did not change, so its code did not.
    assert {t.row.split("@")[0]: t.verdict for t in result.time} == {"a": IDENTICAL, "b": UNCHANGED}
    assert [[j.variant for j in jobs] for jobs in asked] == [["b"]]
    assert not result.regressions


def test_the_same_source_built_differently_is_not_compared(tmp_path: Path) -> None:
    old = saved(tmp_path, "0001", [bench("a", "x86-native", 1e-6, 1, executed={"instructions": 10})], edited=())
    new = saved(tmp_path, "0002", [bench("a", "x86-native", 1e-6, 2, executed={"instructions": 12})], edited=())
    result = compare(new, old, timer=paired_timer({}))
    (time,) = result.time
    assert time.verdict == NOT_TIMED and "built differently" in time.why
    assert [e.measure for e in result.regressions] == ["executed instructions"]  # the exact measure still gates
    assert "not compared (1): the same source built differently" in "\n".join(gate.render(result))


def test_the_same_source_listed_at_another_address_is_identical_code(tmp_path: Path) -> None:
    """A listing of native code shows where the process mapped it: another mapping is not another build."""
    listing = "# at {at}\n\t{at}  48 83 fe 02  cmp rsi, 2\n\t{next}  {op}\n"
    runs = {}
    for name, at, op in (("0001", 0x7FBA5A8CD000, "72 5c  jb .done"), ("0002", 0x7F4577623000, "72 5c  jb .done"),
                         ("0003", 0x7F4577623000, "72 5a  jb .done")):
        text = listing.format(at=hex(at), next=hex(at + 4), op=op)
        runs[name] = saved(tmp_path, name, [bench("a", "x86-native", 1e-6, 1, listing="a.s")], edited=(),
                           listings={"a.s": text})
    assert [t.verdict for t in compare(runs["0002"], runs["0001"], timer=refuse_to_time).time] == [IDENTICAL]
    assert [t.verdict for t in compare(runs["0003"], runs["0002"], timer=refuse_to_time).time] == [NOT_TIMED]


def test_emulated_time_and_harness_overhead_are_never_gated(tmp_path: Path) -> None:
    old = saved(tmp_path, "0001", [bench("a", "x86-unicorn", 1e-3, 1, timing="emulated", rounds=1,
                                         executed={"instructions": 500}),
                                   bench("noop", "c-gcc-O3", 5e-9, 2, kernel="noop")])
    new = saved(tmp_path, "0002", [bench("a", "x86-unicorn", 3e-3, 3, timing="emulated", rounds=1,
                                         executed={"instructions": 500}),
                                   bench("noop", "c-gcc-O3", 8e-9, 4, kernel="noop")])
    result = compare(new, old, timer=paired_timer({"noop": (1.6, 0.02)}))
    assert result.emulated == 1 and not result.time and not result.regressions
    (overhead,) = result.overhead
    assert overhead.verdict == REGRESSION  # measured and shown, but the no-op's time does not fail the gate
    text = "\n".join(gate.render(result))
    assert f"(no-op kernel, not gated): 1 rows, 1 beyond +-10%; noop@c-gcc-O3 {overhead.ratio:.2f}x" in text
    assert 1.5 < overhead.ratio < 1.7 and text.endswith("PASS")


def test_exact_measures_compare_exactly_with_the_listing_diff(tmp_path: Path) -> None:
    listing = "insertion_sort:\n  mov eax, 1\n  ret\n"
    old = saved(tmp_path, "0001", [bench("a", "x86-unicorn", 1e-3, 1, timing="emulated", rounds=1,
                                         executed={"instructions": 500}, listing="a@x86-unicorn.s"),
                                   bench("b", "wasmtime", 2e-6, 2, timing="wasm", executed={"wasm_operators": 900},
                                         program_length=30)],
                listings={"a@x86-unicorn.s": listing})
    new = saved(tmp_path, "0002", [bench("a", "x86-unicorn", 1e-3, 3, timing="emulated", rounds=1,
                                         executed={"instructions": 501}, code_bytes=103, listing="a@x86-unicorn.s"),
                                   bench("b", "wasmtime", 2e-6, 2, timing="wasm", executed={"wasm_operators": 899},
                                         program_length=29)],
                listings={"a@x86-unicorn.s": listing.replace("  ret", "  nop\n  ret")})
    result = compare(new, old, timer=paired_timer({"b": (1.0, 0.01)}))
    changes = {(e.row.split(" ")[0], e.measure): (e.old, e.new) for e in result.exact}
    assert changes == {("a@x86-unicorn", "executed instructions"): (500, 501), ("a@x86-unicorn", "code bytes"): (100, 103),
                       ("b@wasmtime", "wasm fuel"): (900, 899), ("b@wasmtime", "program length"): (30, 29)}
    # One more instruction fails the gate; fewer is reported and passes.
    assert {(e.row.split(" ")[0], e.measure) for e in result.regressions} == {("a@x86-unicorn", "executed instructions"),
                                                                             ("a@x86-unicorn", "code bytes")}
    diff = next(e.diff for e in result.exact if e.row.startswith("a@"))
    assert "+  nop" in diff
    assert next(e.diff for e in result.exact if e.row.startswith("b@")) == [
        "(no listing to diff: 0001 saved none for this build)"]


def test_time_is_compared_wherever_the_earlier_run_was_timed(tmp_path: Path) -> None:
    """The earlier build is timed again here, beside the new one: the earlier run's machine and profile do not
    matter to the time comparison. A run saved without its sources compares exact measures only."""
    old = saved(tmp_path, "0001", [bench("a", "x86-native", 1e-6, 1, executed={"instructions": 10})])
    slower = [bench("a", "x86-native", 1e-6, 2, executed={"instructions": 11})]
    other_cpu = {**MACHINE, "cpu": {**MACHINE["cpu"], "brand_raw": "Another CPU"}}
    timer = paired_timer({"a": (1.3, 0.02)})
    for new in (saved(tmp_path, "0002", slower, machine=other_cpu), saved(tmp_path, "0003", slower, sizes=(16, 128))):
        result = compare(new, old, timer=timer)
        assert result.time_compared and [t.verdict for t in result.time] == [REGRESSION]
        assert sorted(e.measure for e in result.regressions if not isinstance(e, gate.TimeChange)) == ["executed instructions"]
    del old.data["arena"]["sources"]
    result = compare(saved(tmp_path, "0004", slower), old, timer=timer)
    assert not result.time_compared and not result.time
    assert any("0001 saved no sources" in note for note in result.notes), result.notes
    assert [e.measure for e in result.regressions] == ["executed instructions"]


def test_rows_in_one_run_only_are_listed_not_failed(tmp_path: Path) -> None:
    old = saved(tmp_path, "0001", [bench("a", "x86-native", 1e-6, 1), bench("gone", "llvm-O3", 1e-6, 2)])
    new = saved(tmp_path, "0002", [bench("a", "x86-native", 1e-6, 3), bench("added", "llvm-O3", 9e-6, 4)])
    result = compare(new, old, timer=paired_timer({"a": (1.0, 0.01)}))
    assert result.only_new == ["added@llvm-O3 n=128 random"] and result.only_old == ["gone@llvm-O3 n=128 random"]
    assert not result.regressions


def test_the_previous_run_is_of_the_same_machine_and_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = gate_cli(capsys, "--storage", str(tmp_path))
    assert status == 2
    first = saved(tmp_path, "0001", [bench("a", "x86-native", 1e-6, 1)])
    status, out = gate_cli(capsys, "--storage", str(tmp_path))
    assert status == 0 and "baseline" in out
    other = saved(tmp_path, "0002", [bench("a", "x86-native", 1e-6, 2)], sizes=(16,))
    new = saved(tmp_path, "0003", [bench("a", "x86-native", 1e-6, 3)])
    for offset, run in enumerate((first, other, new)):  # saved in this order, whatever the file system's clock
        os.utime(run.path, (1_000_000 + offset, 1_000_000 + offset))
    previous, note = gate.previous_run(new, tmp_path)
    assert previous is not None and previous.name == "0001" and note == ""
    previous, note = gate.previous_run(other, tmp_path)
    assert previous is not None and previous.name == "0001" and "no earlier run of this machine and profile" in note


def test_unreadable_runs_and_thresholds_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"benchmarks": [\n  {"name": }\n]}')
    assert arena_main(["gate", str(broken), str(broken)]) == 2
    assert f"{broken}:2: not a saved benchmark run" in capsys.readouterr().err
    assert arena_main(["gate", "0042", "--storage", str(tmp_path)]) == 2
    assert "0042: no such file" in capsys.readouterr().err
    assert gate.threshold_arg("5%") == pytest.approx(0.05) and gate.threshold_arg("0.2") == pytest.approx(0.2)
    with pytest.raises(SystemExit):
        arena_main(["gate", "--threshold", "10"])


def test_a_time_regression_must_hold_when_re_measured(tmp_path: Path) -> None:
    old = saved(tmp_path, "0001", [bench("a", "x86-native", 1e-6, 1), bench("b", "llvm-O3", 1e-6, 2)])
    new = saved(tmp_path, "0002", [bench("a", "x86-native", 1e-6, 3), bench("b", "llvm-O3", 1e-6, 4)])
    result = compare(new, old, timer=paired_timer({"a": (1.3, 0.02), "b": (1.3, 0.02)}))
    assert len(result.regressions) == 2
    asked: list[list[Job]] = []
    confirm(result, paired_timer({"a": (1.3, 0.02), "b": (1.01, 0.02)}, asked))
    assert [[(j.variant, j.route) for j in jobs] for jobs in asked] == [[("a", "x86-native"), ("b", "llvm-O3")]]
    verdicts = {t.row.split("@")[0]: t.verdict for t in result.time}
    assert verdicts == {"a": REGRESSION, "b": NOT_AGAIN}
    assert [r.row for r in result.regressions] == ["a@x86-native n=128 random"]
    assert "1 regressed once but not when re-measured" in "\n".join(gate.render(result))

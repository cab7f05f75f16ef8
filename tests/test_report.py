"""The report's arithmetic and its writing, on synthetic runs whose answers are known."""
from __future__ import annotations

import json
import random
import zlib
from pathlib import Path
from typing import Any

import pytest

from harness.report import writer as report
from harness.report.analysis import Ratio, analyse, key_ratio, missed_goal, rows_from_run
from harness.report.writer import fmt_verdict, write_report
from harness.report.headline import ratio_with_ci

from .conftest import arena


def samples(center: float, spread: float, count: int = 20, seed: int | str = 1) -> list[float]:
    rng = random.Random(seed)
    return [center * (1 + rng.uniform(-spread, spread)) for _ in range(count)]


def test_ratio_interval_separates_clear_differences_and_admits_doubt() -> None:
    ratio, low, high = ratio_with_ci(samples(2.0, 0.05), samples(1.0, 0.05, seed=2))
    assert 1.9 < ratio < 2.1 and low is not None and high is not None and 1.0 < low < ratio < high
    same = ratio_with_ci(samples(1.0, 0.3), samples(1.0, 0.3, seed=3))
    assert same[1] is not None and same[2] is not None and same[1] < 1 < same[2]
    faster = ratio_with_ci(samples(0.5, 0.05), samples(1.0, 0.05, seed=4))
    assert faster[2] is not None and faster[2] < 1
    assert ratio_with_ci([1.0], [2.0]) == (0.5, None, None)


@pytest.mark.parametrize(
    "name, center, missed",
    [
        ("harness fidelity: x", 1.30, "above its goal"),
        ("harness fidelity: x", 0.70, "below its goal"),
        ("harness fidelity: x", 1.00, None),
        ("llvm-O3 / clang -O3 (x)", 1.40, "above its goal"),
        ("llvm-O3 / clang -O3 (x)", 0.80, None),
        ("llvm-O0 / llvm-O3, x", 1.50, "below its goal"),
        ("llvm-O0 / llvm-O3, x", 2.50, None),
        ("a ratio with no goal", 9.00, None),
    ],
)
def test_a_key_ratio_fails_its_goal_only_when_clearly_outside(name: str, center: float, missed: str | None) -> None:
    repeat = 8
    ratio = key_ratio(name, [t * repeat for t in samples(center, 0.02, seed=5)], repeat, samples(1.0, 0.02, seed=6))
    assert ratio.low is not None and ratio.high is not None and ratio.low < center < ratio.high
    found = missed_goal(ratio)
    assert (found is None) if missed is None else (found is not None and missed in found and name in found)


def test_a_key_ratio_whose_interval_reaches_its_goal_is_not_failed() -> None:
    # An interval that straddles a bound of the goal leaves it in doubt: not a miss.
    assert missed_goal(Ratio("harness fidelity: x", 1.12, 1.05, 1.20)) is None
    assert missed_goal(Ratio("harness fidelity: x", 1.12, 1.11, 1.20)) is not None
    assert missed_goal(Ratio("llvm-O0 / llvm-O3, x", 1.98, 1.90, 2.10)) is None
    assert missed_goal(Ratio("llvm-O0 / llvm-O3, x", 1.98, 1.90, 1.99)) is not None


def bench(variant: str, route: str, origin: str, median: float, n: int = 128, timing: str = "native",
          repeat: int = 4, **extra: Any) -> dict[str, Any]:
    # A fixed seed per row: hash() of a string changes from process to process.
    data = [t * repeat for t in samples(median, 0.02, seed=zlib.crc32(f"{variant}@{route}/{n}".encode()))]
    if timing != "emulated":  # the rows of one substrate and n were timed as one block, round by round
        extra = {"block": f"insertion_sort/{timing}/n={n}/random", "round_ids": list(range(len(data))),
                 "block_base": len(data), **extra}
    return {
        "name": f"test_kernel[{variant}/{route}]",
        "group": f"insertion_sort n={n} random",
        "stats": {"median": sorted(data)[len(data) // 2], "iqr": 0.0, "rounds": len(data), "data": data},
        "extra_info": {"kernel": "insertion_sort", "variant": variant, "route": route, "origin": origin, "n": n,
                       "shape": "random", "repeat": repeat, "timing": timing, "executed": {}, "code_bytes": 100,
                       "lines": {"total": 20, "effective": 15}, **extra},
    }


def synthetic_run() -> dict[str, Any]:
    return {
        "datetime": "2026-11-22T00:00:00",
        "machine_info": {},
        "benchmarks": [
            bench("insertion_sort", "c-gcc-O3", "human", 2e-6),
            bench("insertion_sort", "llvm-O0", "human", 6e-6),
            bench("ai-fast", "x86-native", "ai", 1e-6),
            bench("ai-slow", "wasmtime", "ai", 4e-6, timing="wasm"),
            bench("ai-emu", "x86-unicorn", "ai", 5e-4, timing="emulated", executed={"instructions": 12345}),
            bench("insertion_sort", "c-gcc-O3-unicorn", "human", 4e-4, timing="emulated",
                  executed={"instructions": 24690}),
            bench("ai-fast", "x86-unicorn", "ai", 6e-4, timing="emulated", executed={"instructions": 20000}),
            bench("insertion_sort", "wasm-clang-O3", "human", 2e-6, timing="wasm", executed={"wasm_operators": 800}),
            bench("noop", "c-gcc-O3", "human", 5e-9, kernel="noop"),
            {**bench("insertion_sort", "llvm-O0", "human", 6e-6, n=1024),
             "extra_info": {**bench("insertion_sort", "llvm-O0", "human", 6e-6, n=1024)["extra_info"],
                            "ratio_name": "llvm-O0 / llvm-O3, n=1024 random", "partner": "llvm-O3",
                            "partner_per_sort": samples(2e-6, 0.02, seed=9)}},
        ],
        "arena": {"profile": "quick", "versions": {"c-gcc-O3": {"gcc": "12"}},
                  "failures": [{"id": "insertion_sort/broken/wasmtime", "variant": "broken", "origin": "ai",
                                "route": "wasmtime", "verdict": "fail", "message": "wrong answer: ..."}]},
    }


def test_analysis_compares_with_the_fastest_compiler_route() -> None:
    analysis = analyse(synthetic_run(), "run-1")
    rows = {r.label: r for r in analysis.rows}
    assert "noop@c-gcc-O3" not in rows and [r.route for r in analysis.overhead] == ["c-gcc-O3"]
    assert rows["insertion_sort@c-gcc-O3"].ratio == pytest.approx(1.0)
    assert rows["insertion_sort@llvm-O0"].ratio == pytest.approx(3.0, rel=0.05)
    assert rows["ai-fast@x86-native"].verdict == "faster"
    assert rows["ai-slow@wasmtime"].verdict == "slower"
    # Emulator time is never compared with anything: on Unicorn the executed count is, without an interval.
    emulated = rows["ai-emu@x86-unicorn"]
    assert emulated.ratio == pytest.approx(0.5) and emulated.ratio_ci is None and emulated.verdict == "fewer instructions"
    # Each row against the compiler builds on its own substrate: wasm rows against the wasm builds.
    assert rows["ai-slow@wasmtime"].compared_with == "insertion_sort@wasm-clang-O3"
    assert rows["ai-slow@wasmtime"].ratio == pytest.approx(2.0, rel=0.05)
    [key] = analysis.key_ratios
    assert key.ratio == pytest.approx(3.0, rel=0.05) and key.note == "(target: >= 2)"
    text = report.markdown(analysis)
    assert "## AI-written and supplied variants against the fastest compiler build on their substrate" in text
    assert "insertion_sort/broken/wasmtime" in text and "12,345 instr" in text


def test_headline_compares_like_with_like() -> None:
    headline = {h.substrate: h for h in analyse(synthetic_run(), "run-1").headline if h.comparison == "algorithm free"}
    assert set(headline) == {"native x86-64", "wasmtime", "x86-64 in Unicorn"}
    native = headline["native x86-64"]
    assert (native.ai, native.compiler, native.verdict) == ("ai-fast@x86-native", "insertion_sort@c-gcc-O3", "AI faster")
    assert native.time_ratio == pytest.approx(0.5, rel=0.05)
    # Executed work of native code is what Unicorn counted on the same bytes.
    assert native.executed_ratio == pytest.approx(20000 / 24690)
    wasm = headline["wasmtime"]
    assert (wasm.ai, wasm.compiler, wasm.verdict) == ("ai-slow@wasmtime", "insertion_sort@wasm-clang-O3", "compiler faster")
    emulated = headline["x86-64 in Unicorn"]
    assert emulated.ai == "ai-emu@x86-unicorn" and emulated.time_ratio is None
    assert emulated.executed_ratio == pytest.approx(0.5) and emulated.verdict == "fewer instructions"


def test_report_is_written_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    analysis = analyse(synthetic_run(), "run-1")
    first = write_report(analysis, tmp_path)
    assert {p.name for p in first.iterdir()} == {"report.json", "report.md", "time_vs_n.png", "bars_n128.png", "index.html"}
    assert (tmp_path / "latest").resolve() == first.resolve()
    before = (first / "report.md").read_text()

    def interrupted(*_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "markdown", interrupted)
    analysis.profile = "changed"
    with pytest.raises(KeyboardInterrupt):
        write_report(analysis, tmp_path)
    assert (first / "report.md").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "run-1"]


def _cannot_draw(*_: Any) -> None:
    raise RuntimeError("no room to draw")


@pytest.mark.parametrize("threads", [1, 3], ids=["forked", "in place"])
def test_the_pictures_are_drawn_in_forked_workers_or_in_place_and_a_failure_reaches_the_caller(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: int) -> None:
    from harness.report import plots

    # A process running other threads must not fork: it draws in place.
    monkeypatch.setattr(plots.threading, "active_count", lambda: threads)
    analysis = analyse(synthetic_run(), "run-1")
    drawing = plots.start_plots(analysis, tmp_path)
    assert (drawing.pool is not None) == (threads == 1)
    drawing.wait()
    assert all((tmp_path / name).read_bytes().startswith(b"\x89PNG") for name in plots.PICTURES)
    monkeypatch.setattr(plots, "DRAWINGS", (plots.time_vs_n, _cannot_draw))
    (tmp_path / "again").mkdir()
    with pytest.raises(RuntimeError, match="no room to draw"):
        plots.start_plots(analysis, tmp_path / "again").wait()


def test_the_pictures_are_drawn_in_place_where_no_pool_of_processes_can_be_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.report import plots

    def no_semaphores(*_: Any, **__: Any) -> None:
        raise ImportError("This platform lacks a functioning sem_open implementation")

    monkeypatch.setattr(plots.threading, "active_count", lambda: 1)
    monkeypatch.setattr(plots, "ProcessPoolExecutor", no_semaphores)
    drawing = plots.start_plots(analyse(synthetic_run(), "run-1"), tmp_path)
    assert drawing.pool is None
    drawing.wait()
    assert all((tmp_path / name).read_bytes().startswith(b"\x89PNG") for name in plots.PICTURES)


def test_the_times_at_128_are_drawn_in_a_panel_per_kernel(tmp_path: Path, saved_figures: list[Any]) -> None:
    from harness.report import plots

    run = synthetic_run()
    dot = {"kernel": "dot_i32", "block": "dot_i32/native/n=128/random"}
    run["benchmarks"] += [bench("dot_i32", "c-gcc-O3", "human", 2e-8, **dot),
                          bench("ai-dot", "x86-native", "ai", 1e-8, **dot)]
    plots.bars_at_128(analyse(run, "two kernels"), tmp_path)
    labels = [{label.get_text() for label in axis.get_yticklabels()} for axis in saved_figures[0].axes]
    # dot_i32's nanoseconds get their own axis instead of vanishing beside insertion sort's microseconds
    assert labels[0] == {"dot_i32@c-gcc-O3", "ai-dot@x86-native"}
    assert len(labels) == 2 and labels[1] and not any("dot" in label for label in labels[1])


def test_arena_report_renders_a_saved_run(tmp_path: Path) -> None:
    saved = tmp_path / "0001_run.json"
    saved.write_text(json.dumps(synthetic_run()))
    result = arena("report", str(saved), "--out", str(tmp_path / "reports"))
    assert result.returncode == 0, result.stderr
    assert "ai-fast" in result.stdout and "faster" in result.stdout and "llvm-O0 / llvm-O3" in result.stdout
    assert (tmp_path / "reports" / "0001_run" / "report.md").exists()
    missing = arena("report", "--storage", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "nox -s bench" in missing.stderr


def test_rows_run_without_the_sandbox_say_so() -> None:
    run = {"benchmarks": [bench("ai-x86-index-loop", "x86-native", "ai", 1e-6,
                                unsafe_native="no system-call filter on this machine")], "arena": {}}
    (row,) = rows_from_run(run)
    assert "ran unfiltered: --unsafe-native" in fmt_verdict(row)
    (plain,) = rows_from_run({"benchmarks": [bench("ai-x86-index-loop", "x86-native", "ai", 1e-6)], "arena": {}})
    assert "unfiltered" not in fmt_verdict(plain)

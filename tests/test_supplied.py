"""Files a user supplies: judged like AI-written variants, shown first in the report, ranked among themselves.

Synthetic saved runs whose answers are known, in the shape tests/test_bench.py and tests/conftest.py save.
"""
from __future__ import annotations

import random
from typing import Any

from harness.analysis import analyse
from harness.report import markdown

WASMTIME = "wasmtime"


def rounds(center: float, spread: float, seed: int, count: int = 20) -> list[float]:
    rng = random.Random(seed)
    return [center * (1 + rng.uniform(-spread, spread)) for _ in range(count)]


def bench(variant: str, route: str, origin: str, median: float, seed: int, spread: float = 0.02,
          executed: dict[str, int] | None = None, block: str = "insertion_sort/wasmtime/n=128/random"
          ) -> dict[str, Any]:
    data = rounds(median, spread, seed)
    return {
        "name": f"test_kernel[{variant}/{route}]", "group": "insertion_sort n=128 random",
        "stats": {"median": sorted(data)[len(data) // 2], "iqr": 0.0, "rounds": len(data), "data": data},
        "extra_info": {"kernel": "insertion_sort", "variant": variant, "route": route, "origin": origin, "n": 128,
                       "shape": "random", "repeat": 1, "timing": "wasm", "substrate": WASMTIME,
                       "executed": executed or {}, "code_bytes": 90, "lines": {"total": 25, "effective": 20},
                       "path": f"/home/me/{variant}.wat",
                       # The rows of one substrate, n and shape were timed as one block, round by round.
                       "block": block, "round_ids": list(range(len(data))), "block_base": len(data)},
    }


def check_report(variant: str, verdict: str = "pass", **extra: Any) -> dict[str, Any]:
    return {"kernel": "insertion_sort", "variant": variant, "route": WASMTIME, "origin": "supplied",
            "id": f"insertion_sort/{variant}/{WASMTIME}", "path": f"/home/me/{variant}.wat", "language": "wat", "lines": {"total": 25, "effective": 20},
            "verdict": verdict, "message": "844 inputs: every result matches the reference" if verdict == "pass" else
            "wrong answer: first difference at index 0: got 0, expected -1", "notes": [], **extra}


def run_with(*, with_compiler: bool = True) -> dict[str, Any]:
    benchmarks = [
        bench("gpt", WASMTIME, "supplied", 1.0e-6, seed=1, executed={"wasm_operators": 700}),
        bench("opus", WASMTIME, "supplied", 1.5e-6, seed=2, executed={"wasm_operators": 900}),
        # As fast as opus within the noise: the step between them must come out unsure.
        bench("gem", WASMTIME, "supplied", 1.51e-6, seed=3, spread=0.3, executed={"wasm_operators": 1000}),
    ]
    if with_compiler:
        benchmarks.append(bench("insertion_sort", "wasm-clang-O3", "human", 1.2e-6, seed=4,
                                executed={"wasm_operators": 800}))
    wrong = check_report("broken", "fail", counterexample={"input": [0, -1], "got": [0, -1], "expected": [-1, 0]})
    return {"datetime": "2026-11-27T00:00:00", "machine_info": {}, "benchmarks": benchmarks,
            "arena": {"profile": "quick", "failures": [wrong],
                      "supplied": [check_report("gpt", notes=["host import(s) console.log (i32) -> () stubbed"]),
                                   check_report("opus"), check_report("gem")]}}


def test_every_supplied_row_gets_a_verdict_and_the_comparisons_are_like_for_like() -> None:
    analysis = analyse(run_with(), "run")
    mine = [r for r in analysis.rows if r.origin == "supplied"]
    assert len(mine) == 3 and all(r.verdict for r in mine)
    by_name = {c["variant"]: c for c in analysis.supplied["comparisons"]}
    assert by_name["gpt"]["compiler"] == "insertion_sort@wasm-clang-O3" and by_name["gpt"]["verdict"] == "faster"
    assert by_name["opus"]["verdict"] == "slower"
    assert abs(by_name["gpt"]["executed_ratio"] - 700 / 800) < 1e-9
    # Why: gpt's module executes 700 / 800 of the compiler build's fuel, which accounts for part of its lead.
    assert by_name["gpt"]["reading"] == "fewer instructions" and "0.88x the instructions" in by_name["gpt"]["explanation"]
    assert by_name["opus"]["reading"] == "more instructions"
    # Without any compiler build in the run the verdict says so, never stays empty.
    alone = analyse(run_with(with_compiler=False), "run")
    assert all(r.verdict.startswith("not compared") for r in alone.rows if r.origin == "supplied")


def test_the_report_opens_with_the_supplied_files() -> None:
    text = markdown(analyse(run_with(), "run"))
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections[0] == "## Your files"
    first = text.split("\n## ")[1]
    for name in ("gpt", "opus", "gem", "broken"):
        assert f"### {name} (`/home/me/{name}.wat`)" in first
    # What was adapted, and the smallest input a wrong file fails on.
    assert "adapted: host import(s) console.log" in first
    assert "smallest failing input `[0, -1]`" in first and "correctness: **fail**" in first


def test_ranking_orders_by_time_and_says_which_steps_are_real() -> None:
    analysis = analyse(run_with(), "run")
    (ranking,) = analysis.supplied["ranking"]
    assert ranking["order"][0] == "gpt" and set(ranking["order"][1:]) == {"opus", "gem"}
    first, second = ranking["steps"]
    assert first["sure"] and first["ci"][0] > 1
    assert not second["sure"] and second["ci"][0] <= 1 <= second["ci"][1]
    assert ranking["summary"].startswith(f"on {WASMTIME} at n=128") and ranking["summary"].endswith(
        f"gpt < {ranking['order'][1]} ~ {ranking['order'][2]}")
    assert ranking["summary"] in markdown(analysis)


def test_a_run_without_supplied_files_has_no_such_section() -> None:
    run = run_with()
    run["benchmarks"] = [b for b in run["benchmarks"] if b["extra_info"]["origin"] != "supplied"]
    run["arena"] = {"failures": []}
    analysis = analyse(run, "run")
    assert analysis.supplied == {} and "## Your files" not in markdown(analysis)


def test_a_step_between_files_timed_apart_decides_nothing() -> None:
    run = run_with()
    run["benchmarks"][0]["extra_info"]["block"] = "another block"  # gpt no longer shares rounds with opus
    analysis = analyse(run, "run")
    first = analysis.supplied["ranking"][0]["steps"][0]
    assert first["verdict"] == "unsure (timed apart)" and not first["interleaved"] and not first["sure"]
    assert analysis.supplied["ranking"][0]["summary"].startswith(f"on {WASMTIME} at n=128 (random, time): gpt ~ ")

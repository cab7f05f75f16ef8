"""Many candidates at once (harness.score, `arena check DIR --jobs N`): every file gets verdicts, never an
exception; correct ones are timed against the compiler build; a local Ray cluster gives the same verdicts."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.score import score, summary
from tests.candidates import write_candidates

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ROOT / "kernels" / "insertion_sort" / "variants"
EXPECTED = {"good.wat": "pass", "unsigned.wat": "fail", "endless.wat": "fail", "notes.txt": "error",
            "latin1.wat": "error"}


@pytest.fixture(scope="module")
def candidates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("candidates")
    shutil.copy(VARIANTS / "ai-wat-index-loop.wat", directory / "good.wat")
    made = write_candidates(directory / "made", 40)
    broken = next(name for name, kind in made.items() if kind == "broken" and name.endswith(".wat"))
    shutil.copy(directory / "made" / broken, directory / "unsigned.wat")
    shutil.copy(ROOT / "tests" / "bad_inputs" / "wat_infinite_loop.wat", directory / "endless.wat")
    (directory / "notes.txt").write_text("not a variant")
    (directory / "latin1.wat").write_bytes(b"(module) ;; caf\xe9\n")
    shutil.rmtree(directory / "made")
    return directory


def verdicts(records: list[dict]) -> dict[str, str]:
    return {Path(r["file"]).name: r["verdict"] for r in records}


def test_every_candidate_gets_a_verdict_and_the_correct_one_a_ratio(candidates: Path) -> None:
    records = score([candidates / name for name in EXPECTED], routes=["wasmtime"], jobs=2, show_progress=False)
    assert verdicts(records) == EXPECTED
    (good,) = [r for r in records if r["correct"]]
    timing = good["timing"]
    assert timing["baseline"] == "insertion_sort@wasm-clang-O3" and timing["substrate"] == "wasmtime"
    assert timing["low"] <= timing["ratio"] <= timing["high"] and timing["fast"] == (timing["ratio"] < 1)
    endless = next(r for r in records if r["file"].endswith("endless.wat"))
    assert "fuel" in endless["message"] or "limit" in endless["message"], endless["message"]
    result = summary(records)
    assert (result["records"], result["correct"], result["timed"]) == (5, 1, 1)
    assert result["fast_p"] == int(timing["fast"])


def test_arena_check_dir_prints_a_json_line_per_file_and_route_then_the_summary(candidates: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "harness.cli", "check", str(candidates), "--jobs", "2", "--json",
                           "--route", "wasmtime", "--route", "wasm-v8"], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    *records, last = lines
    assert done.returncode == 1 and "summary" in last, done.stderr
    # Every readable .wat on both routes; the unreadable files once each, with no route.
    assert sorted((Path(r["file"]).name, r["route"]) for r in records) == sorted(
        [(name, route) for name in ("good.wat", "unsigned.wat", "endless.wat") for route in ("wasmtime", "wasm-v8")]
        + [("latin1.wat", None)]
    )
    assert last["summary"]["records"] == len(records)


def test_a_local_ray_cluster_gives_the_same_verdicts(candidates: Path) -> None:
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'codegen-arena[ray]')")
    files = [candidates / name for name in EXPECTED]
    local = score(files, routes=["wasmtime"], jobs=2, timed=False, show_progress=False)
    on_ray = score(files, routes=["wasmtime"], ray="auto", timed=False, show_progress=False)
    assert verdicts(on_ray) == verdicts(local) == EXPECTED
    by_file = {r["file"]: r for r in local}
    assert all(r["message"] == by_file[r["file"]]["message"] for r in on_ray)


def test_a_fixed_length_kernel_is_timed_at_its_own_length_and_the_compilers_own_code_is_identical(
        tmp_path: Path) -> None:
    shutil.copy(ROOT / "kernels" / "sort3" / "variants" / "ai-x86-cmov-min.s", tmp_path / "cmov.s")
    [record] = score([tmp_path / "cmov.s"], routes=["x86-native"], kernel="sort3", jobs=1, show_progress=False)
    timing = record["timing"]
    assert record["correct"] and timing["ratio"] is not None, timing
    assert (timing["n"], timing["shape"]) == (3, "random") and timing["baseline"] == "sort3@c-gcc-O3"
    assert timing["verdict"] in ("faster", "slower", "same", "unsure") and timing["rounds"] >= 16
    # The compiler's own source handed in as a candidate: the same machine code as the build it is compared with.
    shutil.copy(ROOT / "kernels" / "insertion_sort" / "insertion_sort.c", tmp_path / "mine.c")
    [record] = score([tmp_path / "mine.c"], routes=["c-gcc-O3"], jobs=1, show_progress=False)
    assert record["timing"]["verdict"] == "identical code" and not record["timing"]["fast"], record["timing"]

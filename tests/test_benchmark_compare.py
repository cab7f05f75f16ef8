"""`pytest --benchmark-compare` typed at the repository root: the benchmarks, timed and saved as `nox -s bench`
times and saves them, compared with the previous saved run; the first time, a plain message that there is none."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from pytest_benchmark.utils import get_machine_id

from conftest import BENCH_FILE, BENCH_PROFILE
from harness.gate import pytest_child_env as child_env
from tests.conftest import REPO

# One cheap benchmark: a WAT variant on wasmtime (nothing to compile with a C compiler).
CASE = "test_kernel and ai-wat-guarded-shift/wasmtime/ and random"


def nox_bench_command() -> tuple[str, ...]:
    """noxfile.BENCH, read without importing nox."""
    tree = ast.parse((REPO / "noxfile.py").read_text())
    (value,) = [node.value for node in tree.body if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "BENCH" for t in node.targets)]
    return tuple(ast.literal_eval(value))


def test_the_compare_profile_is_the_bench_sessions() -> None:
    command = nox_bench_command()
    assert BENCH_FILE in command
    options = {}
    for flag in command:
        if flag.startswith("--benchmark-"):
            name, _, value = flag.removeprefix("--").partition("=")
            options[name.replace("-", "_")] = value.split(",") if name == "benchmark-columns" else value or True
    assert options == BENCH_PROFILE


def compare(storage: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--benchmark-compare", f"--benchmark-storage={storage}", "--sizes=16",
         "-k", CASE, "-p", "no:cacheprovider"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        # A cache of its own: its timing lock is nobody else's, and nothing an earlier run stored is reused.
        env=child_env(ARENA_CACHE=str(cache), PYTHONPATH=str(REPO)),
    )


def test_typed_at_the_root_it_times_the_benchmarks_and_compares_with_the_previous_run(tmp_path: Path) -> None:
    storage, cache = tmp_path / "benchmarks", tmp_path / "cache"
    first = compare(storage, cache)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "arena: nothing to compare with:" in first.stdout and "holds no saved run yet" in first.stdout
    assert "Can't compare" not in first.stdout + first.stderr  # pytest-benchmark's own warning is not needed
    assert "1 passed" in first.stdout and "test_gate" not in first.stdout  # the benchmarks only, not the suite
    (saved,) = (storage / get_machine_id()).glob("0001_*.json")
    run = json.loads(saved.read_text())
    (bench,) = run["benchmarks"]
    assert bench["fullname"].startswith(f"{BENCH_FILE}::test_kernel[")
    assert len(bench["stats"]["data"]) == bench["stats"]["rounds"]  # saved with every round, as `nox -s bench`
    assert "arena" in run  # with what the report needs

    second = compare(storage, cache)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert f"arena: comparing with the saved run {storage / get_machine_id() / saved.name}" in second.stdout
    assert "(NOW)" in second.stdout and f"({saved.name[:4]}" in second.stdout  # both runs' rows in the table
    assert len(list((storage / get_machine_id()).glob("0002_*.json"))) == 1

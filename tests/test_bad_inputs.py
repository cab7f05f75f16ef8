"""`arena check` on each kind of bad input: a clear message, the right verdict, a non-zero exit, no traceback.

Each fixture in tests/bad_inputs/ states in its header what the checker must say
(`expect-verdict`, `expect-message`), next to the code that provokes it.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kernels.kernel import get_kernel
from harness.source import load_source
from targets import routes_for

from .conftest import BAD_INPUTS, arena, arena_check_together

KERNEL = get_kernel("insertion_sort")
FIXTURES = sorted(p for p in BAD_INPUTS.iterdir() if p.suffix in {".c", ".ll", ".wat", ".s"})


def test_every_fixture_states_its_expectation() -> None:
    assert len(FIXTURES) >= 20
    for path in FIXTURES:
        header = load_source(path, KERNEL).header
        assert header.get("expect-verdict") in {"fail", "error"}, path
        re.compile(header["expect-message"])


@pytest.fixture(scope="module")
def checked_together() -> tuple[subprocess.CompletedProcess[str], dict[str, list[dict[str, Any]]]]:
    """`arena check` on every fixture at once, as a user checks several files: one process, not one per file."""
    return arena_check_together(FIXTURES)


@pytest.mark.xdist_group("bad inputs, checked together")  # one worker, so the fixture's one process serves all
@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_bad_input_is_reported(path: Path, checked_together: tuple[subprocess.CompletedProcess[str],
                                                                   dict[str, list[dict[str, Any]]]]) -> None:
    header = load_source(path, KERNEL).header
    result, by_name = checked_together
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 1, result.stderr
    reports = by_name.get(path.name, [])
    assert {r["route"] for r in reports} == {r.name for r in routes_for(load_source(path, KERNEL).language)}
    for report in reports:
        assert report["verdict"] == header["expect-verdict"], report
        assert re.search(header["expect-message"], report["message"], re.IGNORECASE | re.DOTALL), report["message"]
        if report["message"].startswith("wrong answer"):
            example = report["counterexample"]
            assert sorted(example["input"]) == example["expected"] != example["got"]
            assert len(example["input"]) <= 4, "the counterexample was not shrunk"


def test_human_output_names_each_route(tmp_path: Path) -> None:
    result = arena("check", str(BAD_INPUTS / "ll_wrong_answer.ll"))
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    routes = [r.name for r in routes_for("llvm")]
    assert [line.split()[0] for line in lines] == ["FAIL"] * len(routes)
    assert [line.split()[1] for line in lines] == [f"insertion_sort/ll_wrong_answer/{r}" for r in routes]


# What rich markup left in text looks like: `[/]`, `[/bold]`, `[yellow]`, `[bold red]`, `[dim]`.
MARKUP = re.compile(r"\[/[a-z ]*\]|\[(?:bold|dim|italic|red|green|yellow|cyan|blue|magenta)\b[a-z ]*\]")


def test_piped_output_is_plain_and_says_a_compiler_message_once(tmp_path: Path) -> None:
    """To a pipe: words without markup; one compiler's output, the same on each route it compiles for, printed
    once and naming those routes, while --json keeps one whole record per route."""
    path = tmp_path / "c_compile_error.c"
    # A non-breaking space, as pasted from a web page, so the check also warns (on stderr).
    path.write_text((BAD_INPUTS / "c_compile_error.c").read_text().replace("int32_t key", "int32_t\u00a0key"))
    human = arena("check", str(path), "--recheck")
    records = [json.loads(line) for line in arena("check", str(path), "--json").stdout.splitlines()]
    assert human.returncode == 1 and "Traceback" not in human.stderr
    assert "warning: " in human.stderr and "non-breaking space" in human.stderr
    assert not MARKUP.search(human.stdout + human.stderr), human.stdout + human.stderr
    assert "\x1b[" not in human.stdout + human.stderr
    # --json: every route's record holds the whole message, the compiler's output included.
    assert [r["route"] for r in records] == [r.name for r in routes_for("c")]
    assert all(r["verdict"] == "error" and ":8:" in r["message"] for r in records)
    # Human: each line of a compiler's output as often as the distinct outputs hold it (once per compiler, or
    # twice where one quotes a line twice), and each group of routes that shares an output named in full.
    shared: dict[str, list[str]] = {}
    for record in records:
        output = record["message"].split("\n", 1)[1]
        shared.setdefault(output, []).append(record["route"])
    assert 1 < len(shared) < len(records), "the routes' compilers gave one output each"
    for output, routes in shared.items():
        for line in output.splitlines():
            assert human.stdout.count(line) == sum(other.count(line) for other in shared), line
        assert f"routes: {', '.join(routes)})" in human.stdout
    verdict_lines = [line for line in human.stdout.splitlines() if not line.startswith(" ")]
    assert [line.split()[1] for line in verdict_lines] == [f"insertion_sort/c_compile_error/{r['route']}" for r in records]


def test_verdicts_and_counterexamples_are_identical_across_runs() -> None:
    paths = [str(BAD_INPUTS / name) for name in ("c_wrong_answer.c", "wat_wrong_answer.wat", "x86_wrong_answer.s")]
    runs = []
    for _ in range(2):
        # Checked afresh both times: a verdict served from the store would be the same by construction.
        result = arena("check", *paths, "--json", "--recheck")
        reports = [json.loads(line) for line in result.stdout.splitlines()]
        for report in reports:
            del report["seconds"]
            assert report.pop("from_store") is False
        runs.append(reports)
    assert runs[0] == runs[1]
    assert all("counterexample" in r for r in runs[0])


def test_missing_file_and_unknown_suffix_are_clear(tmp_path: Path) -> None:
    missing = arena("check", str(tmp_path / "nope.wat"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    odd = tmp_path / "sort.py"
    odd.write_text("print()")
    unknown = arena("check", str(odd), "--json")
    assert unknown.returncode == 2
    assert "unknown suffix '.py'" in json.loads(unknown.stdout)["message"]
    name = arena("check", "no-such-variant")
    assert name.returncode == 2 and "known: " in name.stderr and "insertion_sort" in name.stderr

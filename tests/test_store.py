"""Verdicts remembered across runs (harness.store): found again only while everything that decides them holds."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import check as check_module
from harness import store
from harness.check import check
from harness.inputs import Case
from harness.variants import load_source
from kernels.insertion_sort import KERNEL
from targets import get_route

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "kernels" / "insertion_sort" / "variants" / "ai-wat-index-loop.wat"
WRONG = ROOT / "tests" / "bad_inputs" / "wat_wrong_answer.wat"
SYNTAX = ROOT / "tests" / "bad_inputs" / "wat_syntax_error.wat"
CASES = (Case("mixed", (3, -1, 2, -7, 0, 5)), Case("two", (2, 1)))


@pytest.fixture
def verdicts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty store of this test's own, and no in-process memo standing in front of it."""
    monkeypatch.setenv(store.STORE_ENV, str(tmp_path / "verdicts"))
    monkeypatch.delenv(store.RECHECK_ENV, raising=False)
    monkeypatch.setattr(check_module, "_memo", {})
    return tmp_path / "verdicts"


def entries(root: Path) -> list[Path]:
    return sorted(root.rglob("*.json")) if root.exists() else []


@pytest.mark.parametrize("path", [GOOD, WRONG, SYNTAX], ids=lambda p: p.name)
def test_a_second_check_is_served_from_the_store_with_the_same_verdict(path: Path, verdicts: Path) -> None:
    source = load_source(path, KERNEL)
    first = check(source, get_route("wasmtime"), KERNEL, CASES)
    assert not first.from_store and len(entries(verdicts)) == 1
    again = check(source, get_route("wasmtime"), KERNEL, CASES)
    assert again.from_store
    assert (again.verdict, again.message, again.counterexample) == (first.verdict, first.message, first.counterexample)
    assert not list(verdicts.rglob("*.tmp"))  # written whole, through a temporary file


def test_recheck_checks_again_and_replaces_the_entry(verdicts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = load_source(GOOD, KERNEL)
    check(source, get_route("wasmtime"), KERNEL, CASES)
    (entry,) = entries(verdicts)
    entry.write_text(json.dumps({**json.loads(entry.read_text()), "message": "stale"}))
    monkeypatch.setenv(store.RECHECK_ENV, "1")
    report = check(source, get_route("wasmtime"), KERNEL, CASES)
    assert not report.from_store and report.message != "stale"
    assert json.loads(entry.read_text())["message"] == report.message


def test_what_decides_a_verdict_is_in_the_key(verdicts: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = load_source(GOOD, KERNEL)
    route = get_route("wasmtime")
    check(source, route, KERNEL, CASES)
    assert check(source, route, KERNEL, CASES).from_store
    # Other cases, another route, other text, other tool versions, other code of ours: each is checked afresh.
    assert not check(source, route, KERNEL, CASES[:1]).from_store
    assert not check(source, get_route("wasm-v8"), KERNEL, CASES).from_store
    edited = tmp_path / "edited.wat"
    edited.write_text(GOOD.read_text() + "\n;; one more comment\n")
    assert not check(load_source(edited, KERNEL), route, KERNEL, CASES).from_store
    monkeypatch.setitem(store._versions, route.name, {"wasmtime": "0.0.0"})
    assert not check(source, route, KERNEL, CASES).from_store
    monkeypatch.setattr(store, "code_digest", lambda kernel: "edited")
    assert not check(source, route, KERNEL, CASES).from_store


def test_the_same_text_saved_elsewhere_is_told_about_its_own_file(verdicts: Path, tmp_path: Path) -> None:
    first = check(load_source(SYNTAX, KERNEL), get_route("wasmtime"), KERNEL, CASES)
    assert str(SYNTAX) in first.message
    copy = tmp_path / "pasted.wat"
    copy.write_text(SYNTAX.read_text())
    again = check(load_source(copy, KERNEL), get_route("wasmtime"), KERNEL, CASES)
    assert again.from_store and again.verdict == first.verdict
    assert str(copy) in again.message and str(SYNTAX) not in again.message
    assert (again.variant, again.path) == ("pasted", str(copy))


def test_an_unreadable_entry_is_checked_again_and_a_skip_is_never_stored(verdicts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = load_source(GOOD, KERNEL)
    check(source, get_route("wasmtime"), KERNEL, CASES)
    (entry,) = entries(verdicts)
    entry.write_text("{half a")
    assert not check(source, get_route("wasmtime"), KERNEL, CASES).from_store
    assert json.loads(entry.read_text())["verdict"] == "pass"
    from targets.wasm import v8_route as wasm_v8

    monkeypatch.setattr(wasm_v8.shutil, "which", lambda name: None)  # no node: the V8 route skips
    monkeypatch.setattr(wasm_v8, "node_version", lambda: "not found")
    monkeypatch.setattr(store, "_versions", {})
    assert check(source, get_route("wasm-v8"), KERNEL, CASES).verdict == "skip"
    # The gate's own check on wasmtime is stored; the skip is not.
    assert [json.loads(e.read_text())["verdict"] for e in entries(verdicts)] == ["pass", "pass"]
    assert all(json.loads(e.read_text())["route"] == "wasmtime" for e in entries(verdicts))


def test_executed_counts_are_stored_per_input_and_bypassed_by_recheck(verdicts: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.measure.bench import BenchCase, Workbench, workload

    source = load_source(GOOD, KERNEL)
    case = BenchCase(KERNEL, source, get_route("wasmtime"), 64, "random")
    first = Workbench(jobs=1)
    counted = first.executed(case)
    assert counted["wasm_operators"] > 0
    assert store.lookup_counts(source, case.route, KERNEL, workload(64, "random")) == counted
    assert store.lookup_counts(source, case.route, KERNEL, workload(64, "sorted")) is None  # another input
    second = Workbench(jobs=1)
    second.expect_counts([case])

    def no_pool(*args: object) -> None:
        raise AssertionError("counted again, though the store holds the count")

    import harness.measure.bench

    monkeypatch.setattr(harness.measure.bench, "_pool", no_pool)
    second._count_in_pool()  # served from the store: nothing is built or counted
    assert second._counts[(*second._key(*case.pair), 64, "random")] == counted and not second._built
    monkeypatch.setenv(store.RECHECK_ENV, "1")
    assert store.lookup_counts(source, case.route, KERNEL, workload(64, "random")) is None
    first.close()
    second.close()


def test_every_file_named_as_verdict_code_exists() -> None:
    """A file named there that moved would be hashed as missing, and its edits would no longer invalidate verdicts."""
    from harness import store

    assert all((store._HARNESS / name).is_file() for name in store.VERDICT_CODE), store.VERDICT_CODE

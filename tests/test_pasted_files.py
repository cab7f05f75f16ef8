"""A correct variant saved anywhere, pasted from a web page with no header, passes without any change to the code."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from harness.check import check
from kernels.kernel import get_kernel
from harness.source import discover, load_source
from targets import get_route

from .conftest import arena, arena_check_together

KERNEL = get_kernel("insertion_sort")
# One correct source per language, from the repo: the human-written ones first.
SAMPLES = {s.language: s for s in reversed(discover(KERNEL))}


def pasted(text: str, fence: str) -> str:
    """What a chat window's copy button gives: no header, NBSP indentation, CRLF, a markdown fence."""
    body = "\n".join(line for line in text.splitlines() if ":" not in line or not line.lstrip().startswith((";", "#", "//")))
    body = body.replace("    ", "\u00a0\u00a0\u00a0\u00a0")
    return f"```{fence}\n{body}\n```\n".replace("\n", "\r\n")


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_pasted_file_outside_the_repo_passes(language: str, tmp_path: Path) -> None:
    source = SAMPLES[language]
    target = tmp_path / f"from-a-chat{source.path.suffix}"
    target.write_bytes(pasted(source.text, language).encode())
    result = arena("check", str(target), "--json")
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stdout + result.stderr
    assert reports and all(r["verdict"] == "pass" and r["origin"] == "supplied" for r in reports)
    warnings = " | ".join(reports[0]["warnings"])
    assert "non-breaking space" in warnings and "CRLF" in warnings and "code fence" in warnings


def test_variants_dir_joins_the_listing(tmp_path: Path) -> None:
    shutil.copy(SAMPLES["c"].path, tmp_path / "my-own.c")
    listing = json.loads(arena("list", "--json", "--variants", str(tmp_path)).stdout)
    names = [v["variant"] for v in listing["kernels"]["insertion_sort"]]
    assert "my-own" in names and "insertion_sort" in names
    # A user's file implements the default kernel unless its header names another.
    assert "my-own" not in [v["variant"] for v in listing["kernels"]["noop"]]
    (tmp_path / "my-noop.c").write_text("// kernel: noop\n#include <stddef.h>\n#include <stdint.h>\n"
                                        "void noop(int32_t *a, size_t n) { (void)a; (void)n; }\n")
    listing = json.loads(arena("list", "--json", "--variants", str(tmp_path)).stdout)
    assert "my-noop" in [v["variant"] for v in listing["kernels"]["noop"]]
    assert "my-noop" not in [v["variant"] for v in listing["kernels"]["insertion_sort"]]
    assert {r["route"] for r in listing["routes"]} >= {"llvm-O0", "llvm-O3", "wasmtime", "x86-unicorn", "c-gcc-O0", "c-gcc-O3"}


# --- the forms people paste, each a correct sort of our own (tests/pasted/forms/) ------------------------------

FORMS = Path(__file__).resolve().parent / "pasted" / "forms"
# The one-line note each form must get, saying what was adapted (None: it runs as written, with no note).
EXPECTED_NOTES = {
    "chat_answer.md": r"took lines 4-26 of chat_answer\.md \(the ```asm block\)",
    "chat_answer_saved_as.s": r"took lines 4-26 of chat_answer_saved_as\.s \(the ```asm block\)",
    "int_n_with_main.c": r"own prototype void insertion_sort\(int arr\[\], int n\): n is int, not size_t",
    "clang_emit_llvm.ll": None,
    "nasm_sort.asm": None,
    "imported_memory.wat": None,
    "console_log_unused.wat": r"console\.log \(i32\) -> \(\) stubbed",
}


def test_every_form_has_an_expectation() -> None:
    assert sorted(p.name for p in FORMS.iterdir()) == sorted(EXPECTED_NOTES)


@pytest.fixture(scope="module")
def forms_checked() -> tuple[Any, dict[str, list[dict[str, Any]]]]:
    """`arena check --json` on every form at once, as a user checks the files of several chats: one process."""
    return arena_check_together([FORMS / name for name in sorted(EXPECTED_NOTES)])


@pytest.mark.xdist_group("pasted forms, checked together")  # one worker, so the fixture's one process serves all
@pytest.mark.parametrize("name", sorted(EXPECTED_NOTES))
def test_pasted_form_passes_on_every_route_of_its_language(
        name: str, forms_checked: tuple[Any, dict[str, list[dict[str, Any]]]]) -> None:
    from targets import routes_for

    path = FORMS / name
    result, by_name = forms_checked
    reports = by_name.get(name, [])
    source = load_source(path, KERNEL)
    assert {r["route"] for r in reports} == {r.name for r in routes_for(source.language)}
    for report in reports:
        assert report["verdict"] in ("pass", "skip"), (report["route"], report["message"])
        assert report["origin"] == "supplied" and report["variant"] == path.stem
        notes = " | ".join(report["notes"])
        if EXPECTED_NOTES[name] is None:
            assert not report["notes"], notes
        else:
            assert re.search(EXPECTED_NOTES[name], notes), notes
    assert any(r["verdict"] == "pass" for r in reports)
    # Nothing floods the output: clang's x86 attributes retargeted to wasm32 used to print hundreds of lines.
    assert len(result.stderr.splitlines()) <= 2 * len(EXPECTED_NOTES), result.stderr[:2000]


def test_text_output_is_a_few_lines_per_route() -> None:
    result = arena("check", str(FORMS / "chat_answer.md"))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("PASS") for line in lines) == 2 and len(lines) <= 2 * 2 + 1
    assert lines[0].startswith("note: ") and "took lines" in lines[0]


def test_a_called_host_import_is_a_failure_naming_it() -> None:
    source = load_source(FORMS.parent / "console_log_called.wat", KERNEL, origin="supplied")
    report = check(source, get_route("wasmtime"), KERNEL)
    assert report.verdict == "fail" and "the kernel called console.log (i32) -> ()" in report.message
    assert report.notes and report.origin == "supplied"


def test_c_with_too_narrow_n_is_a_skip_with_the_reason(tmp_path: Path) -> None:
    text = (FORMS / "int_n_with_main.c").read_text().replace("int arr[], int n)", "int arr[], short n)")
    path = tmp_path / "short_n.c"
    path.write_text(text)
    report = check(load_source(path, KERNEL), get_route("c-gcc-O3"), KERNEL)
    assert report.verdict == "skip" and "takes n as short, at most 32,767" in report.message


def test_a_chat_answer_with_two_blocks_gives_its_code_block_and_keeps_saved_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "answer.md"
    path.write_text("Call it like this:\n\n```c\ninsertion_sort(a, n);\n```\n\nThe sort:\n\n```wat\n(module\n"
                    "  (func (export \"insertion_sort\") (param i32 i32)\n    oops))\n```\n")
    source = load_source(path, KERNEL)
    assert source.language == "wat" and source.line_offset == 9
    report = check(source, get_route("wasmtime"), KERNEL)
    assert report.verdict == "error" and f"{path}:12" in report.message, report.message


def test_check_dir_checks_every_file_and_pipes_print_whole_names(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder-with-a-rather-long-name-that-would-not-fit-in-eighty-columns"
    folder.mkdir()
    for name in ("imported_memory.wat", "console_log_unused.wat", "chat_answer.md"):
        shutil.copy(FORMS / name, folder / name)
    result = arena("check", str(folder), "--route", "wasmtime", "--route", "x86-unicorn")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("imported_memory", "console_log_unused", "chat_answer"):
        assert re.search(rf"^{name}\s+supplied\s+\S+\s+pass\s.*{re.escape(str(folder))}/", result.stdout, re.M)
    listing = arena("list", "--variants", str(folder)).stdout
    assert "ai-ll-binary-search" in listing and str(folder / "console_log_unused.wat") in listing
    assert "…" not in listing and "…" not in result.stdout

"""The answer on one screen (harness.report.summary): at most 60 lines at 120 columns, no word cut in two."""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from harness.report.analysis import analyse
from harness.report.summary import SCREEN_LINES, SCREEN_WIDTH, summary_lines

from .conftest import arena
from .test_report import synthetic_run

FIXTURE = Path(__file__).parent / "fixtures" / "small_run" / "0001_small.json"
LONG = "ai-x86-sort3-branchless-partially-sorted-swap-network-with-a-sentinel-and-an-unrolled-tail"  # wider than 80


def crowded() -> object:
    """A run's analysis with more headline pairs than one screen holds, some of them with very long names."""
    analysis = analyse(synthetic_run(), "run-1")
    pairs = []
    kernels = ("insertion_sort", "sort3", "sort4", "sort5", "dot_product", "adler32")
    for k, kernel in enumerate([*kernels, *(f"{name}_again" for name in kernels)]):
        for h in analysis.headline:
            for n in (16, 128, 1024):
                pairs.append(dataclasses.replace(h, kernel=kernel, n=n, ai=LONG + "@x86-native" if k % 2 else h.ai))
    analysis.headline = pairs
    return analysis


def words(lines: list[str]) -> list[str]:
    return " ".join(lines).split()


def test_the_answer_fits_one_screen_of_120_columns() -> None:
    analysis = crowded()
    lines = summary_lines(analysis, Path("reports/run-1"), width=SCREEN_WIDTH)
    assert len(lines) <= SCREEN_LINES
    assert all(len(line) <= SCREEN_WIDTH for line in lines)
    # The end of the screen: the machine and where the whole report is.
    assert lines[-2] == "Report: reports/run-1/report.md (per-n tables; `arena report --tables` prints them here)"
    assert lines[-1] == "Page: reports/run-1/index.html"
    assert any(line.startswith("Machine: ") for line in lines[-6:])
    assert any("more pairings in report.md and on the page" in line for line in lines)


def test_no_name_or_number_is_cut_across_lines() -> None:
    analysis = crowded()
    unwrapped = words(summary_lines(analysis, None, width=100_000, budget=100_000))
    for width in (80, 120):
        lines = summary_lines(analysis, None, width=width, budget=100_000)
        # Wrapping only moves line breaks: the words are the same, in the same order, none split or joined.
        assert words(lines) == unwrapped
        assert all(len(line) <= width or len(line.split()) == 1 for line in lines)
        assert any(f"{LONG}@x86-native" in line for line in lines)
    assert any(re.fullmatch(r"\[\d+\.\d\d-\d+\.\d\d\][.;]?", word) for word in unwrapped)  # intervals: one word


def test_each_pair_reads_as_a_sentence_with_its_ratio_and_why() -> None:
    lines = summary_lines(analyse(synthetic_run(), "run-1"), None)
    text = " ".join(line.strip() for line in lines)
    native = "insertion_sort, native x86-64 (linear insertion; also any algorithm): ai-fast@x86-native / insertion_sort@c-gcc-O3:"
    assert re.search(re.escape(native) + r" n=128 AI faster 0\.5\dx \[0\.\d\d-0\.\d\d\] \(fewer instructions\)\.", text)
    assert "ai-slow@wasmtime / insertion_sort@wasm-clang-O3: n=128 compiler faster 2." in text
    assert "ai-emu@x86-unicorn / insertion_sort@c-gcc-O3-unicorn: n=128 fewer instructions 0.50x." in text


def test_arena_report_ends_with_the_answer_and_prints_tables_on_request(tmp_path: Path) -> None:
    saved = tmp_path / "0001_run.json"
    saved.write_text(json.dumps(synthetic_run()))
    plain = arena("report", str(saved), "--out", str(tmp_path / "reports"))
    assert plain.returncode == 0, plain.stderr
    out = plain.stdout.splitlines()
    assert out[0].startswith("The answer") and out[-1].endswith("/index.html") and len(out) <= SCREEN_LINES
    assert "n = 128, random input" not in plain.stdout
    tables = arena("report", str(saved), "--out", str(tmp_path / "reports"), "--tables")
    assert "n = 128, random input" in tables.stdout and tables.stdout.splitlines()[-1].endswith("/index.html")


def test_a_short_screen_keeps_the_algorithm_free_answer_of_every_kernel() -> None:
    from harness.report.headline import ALGORITHM_FREE, SAME_ALGORITHM

    analysis = analyse(synthetic_run(), "run-1")
    free = [h for h in analysis.headline if h.comparison == ALGORITHM_FREE]
    pairs = []
    for kernel in ("insertion_sort", "sort3", "sort4", "sort5", "dot_product", "adler32", "crc32", "memcpy"):
        for h in free:
            pairs.append(dataclasses.replace(h, kernel=kernel))
            for algorithm in ("binary insertion", "linear insertion"):  # each with its own, other best AI variant
                pairs.append(dataclasses.replace(h, kernel=kernel, comparison=SAME_ALGORITHM, algorithm=algorithm,
                                                 ai=f"ai-{algorithm.split()[0]}-{kernel}@{h.ai.split('@')[1]}"))
    analysis.headline = pairs
    lines = summary_lines(analysis, None, width=SCREEN_WIDTH)
    text = " ".join(lines)
    assert len(lines) <= SCREEN_LINES and "more pairings" not in text
    assert all(f"{h.kernel}, {h.substrate} (any algorithm): {h.ai} / {h.compiler}:" in " ".join(
        line.strip() for line in lines) for h in pairs if h.comparison == ALGORITHM_FREE)
    assert "ai-binary-" not in text and "each algorithm's own pair, same algorithm: in report.md" in text


def test_tables_on_request_leave_out_columns_rather_than_cut_a_word() -> None:
    import io

    from rich.console import Console

    from harness.report.writer import COLUMNS, table_rows
    from harness.report.summary import unsplit_table

    analysis = analyse(json.loads(FIXTURE.read_text()), FIXTURE.stem)
    rows = table_rows([r for r in analysis.rows if r.n == 128 and r.shape == "random"])
    for width in (80, 120):
        out = io.StringIO()
        table = unsplit_table("n = 128", COLUMNS, rows, width)
        Console(file=out, width=width, color_system=None).print(table)
        lines = out.getvalue().splitlines()
        assert all(len(line) <= width for line in lines)
        kept = len(table.columns)
        assert 1 < kept < len(COLUMNS) and f"left out for width: {', '.join(COLUMNS[kept:])}" in table.title
        words = {w for cells in rows for cell in cells[:kept] for w in cell.split()}
        assert "ai-x86-pointer-walk" in words
        assert all(any(w in line for line in lines) for w in words), "a word was cut across lines"


def test_a_variant_a_route_cannot_run_is_listed_as_skipped_not_as_failed() -> None:
    analysis = dataclasses.replace(crowded(), failures=[  # type: ignore[type-var]
        {"id": "dot_i32/ai-x86-avx2/x86-unicorn", "verdict": "skip", "message": "requires avx2, which Unicorn lacks"},
        {"id": "insertion_sort/wrong/c-gcc-O3", "verdict": "fail", "message": "wrong answer"}])
    text = " ".join(summary_lines(analysis, None))
    failed = text.split("Not timed, failed the correctness check:")[1].split(".")[0]
    skipped = text.split("Not timed, skipped")[1].split("report.md):")[1].split(".")[0]
    assert "insertion_sort/wrong/c-gcc-O3" in failed and "ai-x86-avx2" not in failed
    assert "dot_i32/ai-x86-avx2/x86-unicorn" in skipped

"""The report of a saved benchmark run: per-sort times, ratios with confidence intervals, verdicts, plots.

Input is the JSON pytest-benchmark saved (with `--benchmark-save-data`, so each
round's time is there), plus the `arena` block our conftest adds (variants that
failed and were not timed, tool versions). Times per call are a round's time
divided by the round's repeat count. Each row is compared with the fastest
compiler build on its substrate, of its own algorithm and of any algorithm
(harness.report.headline, which also picks the headline pairs), on the rounds the two
shared in their timed block (harness.measure.interleave, whose rules the header states).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from harness.report import alphadev
from harness.report.analysis import (
    KEEPS_STATE_BELOW, Analysis, Row, analyse, analysis_json,
)
from harness.report.formatting import fmt_executed, fmt_ratio, fmt_time
from harness.report.plots import PICTURES, start_plots
from harness.report.headline import (
    ALGORITHM_FREE, HEADLINE_COLUMNS, HEADLINE_TITLES, SAME_ALGORITHM, headline_cells,
)
from harness.measure.interleave import LEVEL, rules_text
from harness.report.earlier_run import compare_with_earlier, note_pace
from harness.report.summary import print_summary, unsplit_table
from targets.cpu_features import features_line

UNSTABLE_SHOWN = 20  # unstable rows on the terminal; report.md lists them all

# --- rendering ---------------------------------------------------------------------------------------------


def fmt_placement(row: Row) -> str:
    """The native runner's placement sweep: the spread of the per-placement medians, or why there was none."""
    if not row.placement:
        return ""
    spread = row.placement_spread
    policy = row.placement.get("policy", "")
    return f"{spread:.2f}x {policy}" if spread is not None else policy


def fmt_verdict(row: Row) -> str:
    return (row.verdict or "pass") + (" (keeps state between calls)" if row.keeps_state else "") + row_flags(row)


def row_flags(row: Row) -> str:
    flags = [flag for flag, on in (("busy", row.busy), ("unstable", row.unstable),
                                   ("ran unfiltered: --unsafe-native", row.unsafe_native)) if on]
    return f" ({', '.join(flags)})" if flags else ""


COLUMNS = ("variant", "algorithm", "origin", "route", "verdict", "median/call", "IQR", "x same-algorithm compiler",
           "x any compiler", "placement", "executed", "code B", "prog len", "lines")


def fmt_phases(phases: dict[str, float]) -> str:
    return " / ".join(f"{phases[p] * 1e3:.1f}" for p in ("build", "load") if p in phases)


def table_rows(rows: Sequence[Row], detail: bool = False) -> list[list[str]]:
    """One row of cells per result; `detail` adds rounds and build / load milliseconds (the Markdown report)."""
    ordered = sorted(rows, key=lambda r: (r.timing == "emulated", r.median))
    return [
        [f"[{r.variant}](asm/{r.listing})" if detail and r.listing else r.variant, r.algorithm, r.origin, r.route, fmt_verdict(r), fmt_time(r.median) + (" (emulator)" if r.timing == "emulated" else ""),
         "" if r.timing == "emulated" else fmt_time(r.iqr), fmt_ratio(r.ratio, r.ratio_ci, r.timing == "emulated"),
         fmt_ratio(r.free_ratio, r.free_ci, r.timing == "emulated"), fmt_placement(r), fmt_executed(r.executed),
         "" if r.code_bytes is None else str(r.code_bytes), "" if r.program_length is None else str(r.program_length),
         f"{r.lines.get('effective', '')}/{r.lines.get('total', '')}"]
        + ([str(r.rounds), fmt_phases(r.phases)] if detail else [])
        for r in ordered
    ]


def print_terminal(analysis: Analysis, report_dir: Path | None = None, tables: bool = False) -> None:
    from rich.console import Console
    from rich.markup import escape

    # Styles only where markup is ours: a message's own brackets (`a[n+0]`) are text, and a pipe gets no styles.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 180)
    if tables:  # the per-n tables and every row's comparison; report.md and the page always have them
        for note in [*rules_text(), *analysis.machine_notes]:
            console.print(note, markup=False)
        for n in sorted({r.n for r in analysis.rows}):
            cells_of = table_rows([r for r in analysis.rows if r.n == n and r.shape == "random"])
            cells_of += [[f["variant"], "", f["origin"], f["route"], f"[red]{f['verdict']}[/]", "not timed",
                          *[""] * (len(COLUMNS) - 6)] for f in analysis.failures]
            console.print(unsplit_table(f"n = {n}, random input (other shapes in report.md)", COLUMNS, cells_of,
                                        console.width))
        for failure in analysis.failures:
            console.print(f"[red]{failure['verdict']}[/] {escape(failure['id'])}: {escape(failure['message'].splitlines()[0])}")
        for comparison, title in HEADLINE_TITLES.items():
            pairs = [h for h in analysis.headline if h.comparison == comparison]
            if not pairs:
                continue
            console.print(unsplit_table(f"{title}; random input; ratios are AI / compiler: < 1, the AI's is faster or "
                                        "smaller", HEADLINE_COLUMNS, [headline_cells(h) for h in pairs], console.width))
        compared = [r for r in analysis.rows if r.verdict and r.shape == "random"]
        if compared:
            console.print("[bold]Each variant against the fastest compiler build on its substrate (random input; "
                          "same algorithm | algorithm free):[/]")
            for r in sorted(compared, key=lambda r: (r.n, r.label)):
                console.print(f"  n={r.n:<5} {r.label:42} {r.algorithm:18} {comparison_text(r)}", markup=False)
        for r in sorted((r for r in analysis.rows if r.keeps_state), key=lambda r: (r.n, r.shape, r.label)):
            console.print(f"[bold red]keeps state between calls[/]: {escape(r.label)} n={r.n} {r.shape}: on one input repeated it "
                          f"took {r.repeated_ratio:.2f}x its time on fresh inputs")
        console.print("[bold]Key ratios (same run):[/]")
        for ratio in analysis.key_ratios:
            console.print(f"  {ratio.text()}", markup=False)
        unstable_rows = [r for r in analysis.rows if r.unstable]
        if unstable_rows:
            console.print(f"[bold]Unstable rows ({len(unstable_rows)}; the figures of all in report.md):[/]")
            for r in sorted(unstable_rows, key=lambda r: (r.n, r.shape, r.label))[:UNSTABLE_SHOWN]:
                console.print(f"  n={r.n:<5} {r.shape:10} {r.label:42} {r.unstable}", markup=False)
        if analysis.overhead:
            console.print("[bold]Harness overhead per route (no-op kernel: the timed loop and the call alone):[/]")
            for r in sorted(analysis.overhead, key=lambda r: (r.route, r.n)):
                console.print(f"  {r.route:14} n={r.n:<5} {fmt_time(r.median)}" + (" (emulator)" if r.timing == "emulated" else ""))
    print_summary(console, analysis, report_dir)

def comparison_text(r: Row) -> str:
    emulated = r.timing == "emulated"
    same = f"{r.verdict or 'n/a'} {fmt_ratio(r.ratio, r.ratio_ci, emulated)} vs {r.compared_with}" if r.compared_with else "no same-algorithm build"
    return f"{same} | {r.free_verdict} {fmt_ratio(r.free_ratio, r.free_ci, emulated)} vs {r.free_compared_with}"


def markdown(analysis: Analysis) -> str:
    out = [f"# codegen-arena benchmark report: {analysis.run_name}", "",
           f"Run {analysis.datetime}, profile `{analysis.profile}`, on {analysis.machine.get('cpu', {}).get('brand_raw', 'this machine')}.",
           *rules_text(), "",
           "Times are per call of the kernel alone (inputs made before the timed window, every output checked after it), from loops inside each target; median and interquartile range over the rounds.",
           f"`x same-algorithm compiler` divides by the fastest compiler build (a compiler route's build of the kernel's own C or LLVM IR source) of the same algorithm on the same substrate, n and shape; `x any compiler` by the fastest compiler build of any algorithm; each from the rounds the two shared (the rows of one kernel, substrate, n and shape are timed as one block), with its {LEVEL} interval. The fastest builds are chosen by the rounds every row of the block took.",
           "`placement`: on native routes, the slowest over the fastest median of the code placed at several offsets mod 64 (or why it stayed in place).",
           "Emulated routes report executed instructions; their time is the emulator's, not the code's.", ""]
    out += [features_line(analysis.machine.get("cpu", {}).get("flags")), ""]
    out += [*analysis.machine_notes, ""] if analysis.machine_notes else []
    from harness.report import supplied, vectors

    out += supplied.markdown(analysis)  # the user's own files come first
    if analysis.headline:
        out += ["## AI-written vs compiler", "",
                "Per substrate (the same engine, or the same CPU), the best AI-written variant against the best build of "
                "the kernel's C or LLVM IR source by a compiler, on random input, twice: "
                f"**{SAME_ALGORITHM}** pits each algorithm's best AI-written variant against the compiler's build of "
                f"that same algorithm (who generated better code); **{ALGORITHM_FREE}** pits the best AI-written "
                "variant against the compiler's fastest build of any algorithm (which program to use). `timed`: "
                "`interleaved` when the ratio comes from the rounds the pair shared in its timed block; `apart` "
                "(a run saved before blocks) when it comes from two separate benchmarks, and decides nothing. Ratios are AI / compiler: below 1, "
                "the AI's code is faster, executes less, or is smaller. On the emulator only the exact instruction "
                "count is compared. Executed work on native routes and V8 is counted on the same bytes in Unicorn "
                "or the same module in wasmtime (fuel). `why` sets that executed work against the time (harness.report.explain): "
                "`fewer instructions` or `more instructions` (then whether the time per instruction differs too), "
                "`same instructions, faster per instruction` (the same work run in fewer cycles), `identical machine "
                "code`, or `another algorithm`; with llvm-mca's predicted cycles per iteration of each side's hot loop "
                "where llvm-mca is installed, and the code size ratio." + (f" {analysis.explanation_note}." if analysis.explanation_note else ""), ""]
        for comparison, title in HEADLINE_TITLES.items():
            pairs = [h for h in analysis.headline if h.comparison == comparison]
            out += [f"### {title}", "", "| " + " | ".join(HEADLINE_COLUMNS) + " |", "|" + " --- |" * len(HEADLINE_COLUMNS)]
            out += ["| " + " | ".join(headline_cells(h)) + " |" for h in pairs] + [""]
    out += alphadev.markdown(alphadev.comparison(analysis.rows))
    out += vectors.markdown(analysis)
    out += ["## Key ratios", ""] + [f"- {r.text()}" for r in analysis.key_ratios] + [""]
    compared = [r for r in analysis.rows if r.verdict]
    if compared:
        out += ["## AI-written and supplied variants against the fastest compiler build on their substrate", "",
                f"| n | shape | variant@route | algorithm | {SAME_ALGORITHM} | {ALGORITHM_FREE} |", "| --- " * 6 + "|"]
        out += [f"| {r.n} | {r.shape} | {r.label} | {r.algorithm} | " + " | ".join(comparison_text(r).split(" | ")) + " |"
                for r in sorted(compared, key=lambda r: (r.n, r.shape, r.label))]
        out.append("")
    stateful = [r for r in analysis.rows if r.keeps_state]
    if stateful:
        out += ["## Keeps state between calls", "", f"Timed once more on one input repeated, these took less than "
                f"{KEEPS_STATE_BELOW}x their time on fresh inputs: they answer from what earlier calls left behind.", ""]
        out += [f"- n={r.n} {r.shape} `{r.label}`: {r.repeated_ratio:.2f}x" for r in sorted(stateful, key=lambda r: (r.n, r.shape, r.label))]
        out.append("")
    placed = [r for r in analysis.rows if r.placement]
    if placed:
        out += ["## Code placement (native routes)", "", "Median per call with the code placed at each offset mod 64.", ""]
        out += [f"- n={r.n} {r.shape} `{r.label}`: {fmt_placement(r)}" + ("" if not r.placement.get("reason") else f" ({r.placement['reason']})")
                + "".join(f"; {offset}: {fmt_time(float(m) / r.repeat)}" for offset, m in (r.placement.get("per_offset_median") or {}).items())
                for r in sorted(placed, key=lambda r: (r.n, r.shape, r.label))]
        out.append("")
    unstable_rows = [r for r in analysis.rows if r.unstable]
    if unstable_rows:
        out += ["## Unstable rows", "", "Flagged as pyperf does: the slowest round 50% or more above the median, or "
                "an interquartile range 13.5% or more of the median (pyperf: a standard deviation of 10% of the mean).", ""]
        out += [f"- n={r.n} {r.shape} `{r.label}`: {r.unstable}" for r in sorted(unstable_rows, key=lambda r: (r.n, r.shape, r.label))]
        out.append("")
    for title, chosen in (("failed the correctness check", [f for f in analysis.failures if f.get("verdict") != "skip"]),
                          ("skipped, the route cannot run them", [f for f in analysis.failures if f.get("verdict") == "skip"])):
        if chosen:
            out += [f"## Not timed: {title}", ""]
            out += [f"- `{f['id']}`: {f['verdict']}: {f['message'].splitlines()[0]}" for f in chosen] + [""]
    for n in sorted({r.n for r in analysis.rows}):
        for shape in ("random", "sorted", "reversed", "few-unique"):
            rows = [r for r in analysis.rows if r.n == n and r.shape == shape]
            if not rows:
                continue
            columns = (*COLUMNS, "rounds", "build / load ms")
            out += [f"## n = {n}, {shape}", "", "| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
            out += ["| " + " | ".join(cells) + " |" for cells in table_rows(rows, detail=True)] + [""]
    if analysis.overhead:
        out += ["## Harness overhead (no-op kernel)", "", "| route | n | median per call | timing |", "| --- | --- | --- | --- |"]
        out += [f"| {r.route} | {r.n} | {fmt_time(r.median)} | {r.timing} |" for r in sorted(analysis.overhead, key=lambda r: (r.route, r.n))]
        out.append("")
    if analysis.listings:
        out += ["Each variant name in the tables links to the listing of the code that was timed (`asm/`).", ""]
    if analysis.listing_problems:
        out += ["Listings that could not be made:", ""] + [f"- {p}" for p in analysis.listing_problems] + [""]
    out += ["## Plots", ""] + [line for name, title in PICTURES.items() for line in (f"![{title}]({name})", "")]
    out += ["## Tool versions", ""] + [f"- {route}: " + ", ".join(f"{k} {v}" for k, v in vs.items()) for route, vs in analysis.versions.items()]
    if analysis.compiler_flags:
        from targets.native.c_cffi import shown_flags

        out += ["", "## Compiler flags as received", "",
                "What each compiler route's compiler proper received (clang's -cc1, gcc's cc1), paths left out:", ""]
        out += [f"- {route}: `{shown_flags(flags)}`" for route, flags in analysis.compiler_flags.items()]
    return "\n".join(out) + "\n"


def write_report(analysis: Analysis, reports: Path, saved: Path | None = None) -> Path:
    """reports/<run>/ with report.json, report.md, the plots and index.html, swapped in whole: an interrupted
    write leaves the previous report of that run, and every other report, as it was. `saved` (the run's
    JSON) lets the report compare with the previous saved run beside it (report.md's notes on the machine, the
    page's last section)."""
    earlier = compare_with_earlier(analysis, saved)
    note_pace(analysis, earlier[0])
    reports.mkdir(parents=True, exist_ok=True)
    final = reports / analysis.run_name
    staging = Path(tempfile.mkdtemp(prefix=f".{analysis.run_name}-", dir=reports))
    try:
        plots = start_plots(analysis, staging)
        try:
            as_json = analysis_json(analysis)
            (staging / "report.json").write_text(json.dumps(as_json, indent=1))
            (staging / "report.md").write_text(markdown(analysis))
            if analysis.listings and Path(analysis.listings).is_dir():
                shutil.copytree(analysis.listings, staging / "asm")
            from harness.report.page import write_page

            write_page(analysis, staging, saved, earlier, as_json)
        finally:
            plots.wait()
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=".old-", dir=reports))
            os.replace(final, old / "report")
            os.replace(staging, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    latest = reports / ".latest-link"
    latest.unlink(missing_ok=True)
    latest.symlink_to(analysis.run_name)
    os.replace(latest, reports / "latest")
    return final


def latest_saved_run(storage: Path = Path(".benchmarks")) -> Path:
    runs = sorted(storage.glob("*/*.json"), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise FileNotFoundError(f"no saved benchmark run under {storage}/: run `nox -s bench` first")
    return runs[-1]


def report_saved_run(path: Path, reports: Path) -> tuple[Analysis, Path]:
    analysis = analyse(json.loads(path.read_text()), path.stem)
    return analysis, write_report(analysis, reports, path)

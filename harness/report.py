"""The report of a saved benchmark run: per-sort times, ratios with confidence intervals, verdicts, plots.

Input is the JSON pytest-benchmark saved (with `--benchmark-save-data`, so each
round's time is there), plus the `arena` block our conftest adds (variants that
failed and were not timed, tool versions). Times per sort are a round's time
divided by the round's repeat count. Each row is compared with the fastest
compiler build on its substrate, of its own algorithm and of any algorithm
(harness.headline, which also picks the headline pairs).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.headline import (
    ALGORITHM_FREE, HEADLINE_COLUMNS, HEADLINE_TITLES, SAME_ALGORITHM, Headline, compare_rows, headline_cells,
    headline_rows, interleaved_pairs, ratio_with_ci, verdict_from_ci,
)

# A row whose time on one input repeated is this far below its time on fresh inputs answers from memory. An
# honest sort runs a repeated input somewhat faster too (caches, and branch predictors that learn part of it),
# and on a loaded machine the probe's few rounds scatter: the line sits well below that, far above replaying.
KEEPS_STATE_BELOW = 0.3
UNSTABLE_SHOWN = 20  # unstable rows on the terminal; report.md lists them all


def run_metadata(failures: list[dict[str, Any]], full: bool) -> dict[str, Any]:
    from targets import all_routes

    return {
        "profile": "full" if full else "quick",
        "failures": failures,
        "versions": {name: route.versions() for name, route in all_routes().items()},
        "compiler_flags": {name: flags for name, route in all_routes().items() if (flags := received_flags(route))},
    }


def received_flags(route: Any) -> list[str]:
    """What the route's compiler proper received; a compiler that cannot be asked is said so, not fatal."""
    from targets.base import ArenaError

    try:
        return route.received_flags()
    except (ArenaError, OSError) as exc:
        return [f"unknown: {exc}"]


@dataclass
class Row:
    kernel: str
    variant: str
    route: str
    origin: str
    timing: str
    n: int
    shape: str
    repeat: int
    median: float  # seconds per sort
    iqr: float
    rounds: int
    per_sort: list[float] = field(repr=False, default_factory=list)
    executed: dict[str, int] = field(default_factory=dict)
    code_bytes: int | None = None
    lines: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    # To the fastest compiler build of the same algorithm on the same substrate, kernel, n and shape (on the
    # emulator: the executed count's ratio); the verdict (faster / slower / unsure) for rows not compiler-built.
    ratio: float | None = None
    ratio_ci: tuple[float, float] | None = None
    verdict: str = ""
    listing: str | None = None  # file name under the report's asm/ folder
    substrate: str = ""
    algorithm: str = ""
    compiler_source: bool = False  # a compiler route's build of one of the kernel's own sources
    compared_with: str = ""
    # The same against the fastest compiler build of any algorithm.
    free_ratio: float | None = None
    free_ci: tuple[float, float] | None = None
    free_verdict: str = ""
    free_compared_with: str = ""
    # The native runner's placement sweep: policy, reason, offsets, per_offset_median (seconds per round).
    placement: dict[str, Any] = field(default_factory=dict)
    repeated_ratio: float | None = None  # median on one input repeated / median on fresh inputs
    busy: bool = False  # timed while the machine was busy (harness.machine)
    unstable: str | None = None  # pyperf-style warning with its figures
    unsafe_native: str = ""  # why no system-call filter contained this native variant (--unsafe-native)

    @property
    def id(self) -> str:
        """The benchmark's id, as harness.bench.BenchCase names it."""
        return f"{self.kernel}/{self.variant}/{self.route}/n={self.n}/{self.shape}"

    @property
    def placement_spread(self) -> float | None:
        """Slowest over fastest of the per-placement medians."""
        medians = [float(m) for m in (self.placement.get("per_offset_median") or {}).values()]
        return max(medians) / min(medians) if len(medians) > 1 and min(medians) > 0 else None

    @property
    def keeps_state(self) -> bool:
        return self.repeated_ratio is not None and self.repeated_ratio < KEEPS_STATE_BELOW

    @property
    def label(self) -> str:
        return f"{self.variant}@{self.route}"


@dataclass
class Ratio:
    name: str
    ratio: float
    low: float | None
    high: float | None
    note: str = ""

    def text(self) -> str:
        ci = f" (95% CI {self.low:.3f}-{self.high:.3f})" if self.low is not None else ""
        return f"{self.name}: {self.ratio:.3f}{ci}{' ' + self.note if self.note else ''}"


@dataclass
class Analysis:
    run_name: str
    datetime: str
    profile: str
    rows: list[Row]
    failures: list[dict[str, Any]]
    key_ratios: list[Ratio]
    overhead: list[Row]
    versions: dict[str, dict[str, str]]
    machine: dict[str, Any]
    listings: str | None = None
    listing_problems: list[str] = field(default_factory=list)
    headline: list[Headline] = field(default_factory=list)
    compiler_flags: dict[str, list[str]] = field(default_factory=dict)
    machine_notes: list[str] = field(default_factory=list)  # the machine's state while timing, in plain words
    # The user's own files: checks, adaptations, comparisons and ranking (harness.supplied); empty without them.
    supplied: dict[str, Any] = field(default_factory=dict)


def rows_from_run(run: dict[str, Any]) -> list[Row]:
    rows = []
    for bench in run.get("benchmarks", []):
        info, stats = bench.get("extra_info", {}), bench["stats"]
        if "partner_per_sort" in info or "route" not in info:
            continue
        repeat = int(info.get("repeat", 1))
        data = [t / repeat for t in stats.get("data", [])]
        algorithm, compiler = _algorithm_of(info)
        rows.append(Row(
            kernel=info["kernel"], variant=info["variant"], route=info["route"], origin=info.get("origin", "unknown"),
            timing=info.get("timing", "native"), n=int(info["n"]), shape=info["shape"], repeat=repeat,
            median=stats["median"] / repeat, iqr=stats["iqr"] / repeat, rounds=int(stats["rounds"]), per_sort=data,
            executed=info.get("executed") or {}, code_bytes=info.get("code_bytes"), lines=info.get("lines") or {},
            phases=info.get("phases") or {}, listing=info.get("listing"), substrate=info.get("substrate") or _substrate_of(info),
            algorithm=algorithm, compiler_source=compiler, placement=info.get("placement") or {},
            repeated_ratio=_repeated_ratio(info.get("repeated_input"), stats["median"]),
            unsafe_native=info.get("unsafe_native", ""),
        ))
    return rows


def _algorithm_of(info: dict[str, Any]) -> tuple[str, bool]:
    """(algorithm, compiler-built) as the run recorded them; for runs saved before they did, what the kernel
    declares today (its compiler sources by name, anything else its baseline)."""
    if "algorithm" in info:
        return info["algorithm"], bool(info.get("compiler_source"))
    from harness.kernel import UnknownName, get_kernel

    try:
        kernel = get_kernel(info["kernel"])
    except UnknownName:
        return "", info["variant"] == info["kernel"]
    own = kernel.compiler_sources
    return own.get(info["variant"], kernel.algorithm), info["variant"] in own


def _repeated_ratio(repeated: dict[str, Any] | None, fresh_median_per_round: float) -> float | None:
    if not repeated:
        return None
    if repeated.get("ratio") is not None:
        return float(repeated["ratio"])
    if repeated.get("median_per_round") and fresh_median_per_round:
        return float(repeated["median_per_round"]) / fresh_median_per_round
    return None


def _substrate_of(info: dict[str, Any]) -> str:
    """For runs saved before benchmarks recorded their substrate."""
    from targets.base import SUBSTRATES

    return "V8 (node)" if "v8" in info["route"] else SUBSTRATES.get(info.get("timing", "native"), "")


def is_compiler_built(row: Row) -> bool:
    """A compiler route's build of one of the kernel's own sources (any algorithm): the compiler's side of every
    comparison. Which algorithm it is decides which rows it is compared with (harness.headline)."""
    return row.compiler_source


def analyse(run: dict[str, Any], run_name: str) -> Analysis:
    rows = rows_from_run(run)
    sorts = [r for r in rows if r.kernel != "noop"]
    compare_rows(sorts)
    key_ratios = interleaved_ratios(run)
    headline = headline_rows(sorts, interleaved_pairs(run))
    meta = run.get("arena", {})
    from harness.machine import judge_rows

    machine_notes = judge_rows(sorts, headline, meta.get("machine"))
    analysis = Analysis(
        run_name=run_name, datetime=run.get("datetime", ""), profile=meta.get("profile", "?"), rows=sorts,
        failures=meta.get("failures", []), key_ratios=key_ratios,
        overhead=[r for r in rows if r.kernel == "noop"], versions=meta.get("versions", {}),
        machine=run.get("machine_info", {}), listings=meta.get("listings"),
        listing_problems=meta.get("listing_problems", []), headline=headline,
        compiler_flags=meta.get("compiler_flags", {}), machine_notes=machine_notes,
    )
    from harness import supplied

    supplied.attach(analysis, run)
    return analysis


# The goal each key ratio is held to, by the start of its name: (lowest, highest) acceptable, None for no bound.
GOALS: dict[str, tuple[float | None, float | None]] = {
    "harness fidelity": (0.90, 1.10),
    "llvm-O3 / clang": (None, 1.15),
    "llvm-O0 / llvm-O3": (2.0, None),
}


def goal_of(name: str) -> tuple[float | None, float | None] | None:
    return next((goal for prefix, goal in GOALS.items() if name.startswith(prefix)), None)


def goal_text(goal: tuple[float | None, float | None]) -> str:
    low, high = goal
    if low is not None and high is not None:
        return f"(target: within {low:.2f}-{high:.2f})"
    return f"(target: <= {high:g})" if high is not None else f"(target: >= {low:g})"


def key_ratio(name: str, rounds: Sequence[float], repeat: int, partner_per_sort: Sequence[float]) -> Ratio:
    """One interleaved ratio: the suite's time per sort (rounds of `repeat` sorts) over its partner's."""
    ratio, low, high = ratio_with_ci([t / repeat for t in rounds], partner_per_sort)
    goal = goal_of(name)
    return Ratio(name, ratio, low, high, goal_text(goal) if goal else "")


def missed_goal(ratio: Ratio) -> str | None:
    """Why `ratio` misses its goal beyond doubt (its whole 95% interval outside it); None if met or in doubt.

    Without an interval (fewer than three rounds a side) the ratio itself is held to the goal.
    """
    goal = goal_of(ratio.name)
    if goal is None:
        return None
    low = ratio.low if ratio.low is not None else ratio.ratio
    high = ratio.high if ratio.high is not None else ratio.ratio
    if goal[0] is not None and high < goal[0]:
        return f"{ratio.text()}: below its goal"
    if goal[1] is not None and low > goal[1]:
        return f"{ratio.text()}: above its goal"
    return None


def interleaved_ratios(run: dict[str, Any]) -> list[Ratio]:
    """The ratios measured with both sides' rounds interleaved in one benchmark (tests/test_bench.py)."""
    ratios = []
    for bench in run.get("benchmarks", []):
        info = bench.get("extra_info", {})
        if "partner_per_sort" not in info or "headline_pair" in info or "supplied_pair" in info:
            continue
        rounds = bench["stats"].get("data", []) or [bench["stats"]["median"]]
        ratio = key_ratio(info["ratio_name"], rounds, info["repeat"], info["partner_per_sort"])
        if "partner_entry_offset_mod_64" in info:
            ratio.note += (f" (kernel placement mod 64: suite {info['entry_offset_mod_64']}, "
                           f"program {info['partner_entry_offset_mod_64']})")
        ratios.append(ratio)
    return ratios


# --- rendering ---------------------------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e9:.0f} ns"


def fmt_executed(executed: dict[str, int]) -> str:
    labels = {"instructions": "instr", "wasm_operators": "wasm ops"}
    return ", ".join(f"{v:,} {labels.get(k, k)}" for k, v in executed.items())


def fmt_ratio(ratio: float | None, ci: tuple[float, float] | None, emulated: bool = False) -> str:
    """A ratio to a compiler build: time with its interval, or on the emulator the executed count's."""
    if ratio is None:
        return ""
    if emulated:
        return f"{ratio:.2f}x instr"
    return f"{ratio:.2f}x" + (f" [{ci[0]:.2f}-{ci[1]:.2f}]" if ci else "")


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


COLUMNS = ("variant", "algorithm", "origin", "route", "verdict", "median/sort", "IQR", "x same-algorithm compiler",
           "x any compiler", "placement", "executed", "code B", "lines")


def fmt_phases(phases: dict[str, float]) -> str:
    return " / ".join(f"{phases[p] * 1e3:.1f}" for p in ("build", "load") if p in phases)


def table_rows(rows: Sequence[Row], detail: bool = False) -> list[list[str]]:
    """One row of cells per result; `detail` adds rounds and build / load milliseconds (the Markdown report)."""
    ordered = sorted(rows, key=lambda r: (r.timing == "emulated", r.median))
    return [
        [f"[{r.variant}](asm/{r.listing})" if detail and r.listing else r.variant, r.algorithm, r.origin, r.route, fmt_verdict(r), fmt_time(r.median) + (" (emulator)" if r.timing == "emulated" else ""),
         "" if r.timing == "emulated" else fmt_time(r.iqr), fmt_ratio(r.ratio, r.ratio_ci, r.timing == "emulated"),
         fmt_ratio(r.free_ratio, r.free_ci, r.timing == "emulated"), fmt_placement(r), fmt_executed(r.executed),
         "" if r.code_bytes is None else str(r.code_bytes), f"{r.lines.get('effective', '')}/{r.lines.get('total', '')}"]
        + ([str(r.rounds), fmt_phases(r.phases)] if detail else [])
        for r in ordered
    ]


def print_terminal(analysis: Analysis, report_dir: Path | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 180)
    for note in analysis.machine_notes:
        console.print(note, markup=False)
    for n in sorted({r.n for r in analysis.rows}):
        table = Table(title=f"n = {n}, random input (other shapes in report.md)", title_justify="left")
        for column in COLUMNS:
            table.add_column(column, overflow="fold")
        for cells in table_rows([r for r in analysis.rows if r.n == n and r.shape == "random"]):
            table.add_row(*cells)
        for failure in analysis.failures:
            table.add_row(failure["variant"], "", failure["origin"], failure["route"], f"[red]{failure['verdict']}[/]",
                          "not timed", *[""] * (len(COLUMNS) - 6))
        console.print(table)
    for failure in analysis.failures:
        console.print(f"[red]{failure['verdict']}[/] {failure['id']}: {failure['message'].splitlines()[0]}", markup=True)
    for comparison, title in HEADLINE_TITLES.items():
        pairs = [h for h in analysis.headline if h.comparison == comparison]
        if not pairs:
            continue
        table = Table(title=f"{title}; random input; ratios are AI / compiler: < 1, the AI's is faster or smaller",
                      title_justify="left")
        for column in HEADLINE_COLUMNS:
            table.add_column(column, overflow="fold")
        for h in pairs:
            table.add_row(*headline_cells(h))
        console.print(table)
    compared = [r for r in analysis.rows if r.verdict and r.shape == "random"]
    if compared:
        console.print("[bold]Each variant against the fastest compiler build on its substrate (random input; "
                      "same algorithm | algorithm free):[/]")
        for r in sorted(compared, key=lambda r: (r.n, r.label)):
            console.print(f"  n={r.n:<5} {r.label:42} {r.algorithm:18} {comparison_text(r)}", markup=False)
    for r in sorted((r for r in analysis.rows if r.keeps_state), key=lambda r: (r.n, r.shape, r.label)):
        console.print(f"[bold red]keeps state between calls[/]: {r.label} n={r.n} {r.shape}: on one input repeated it "
                      f"took {r.repeated_ratio:.2f}x its time on fresh inputs")
    console.print("[bold]Key ratios (same run):[/]")
    for ratio in analysis.key_ratios:
        console.print(f"  {ratio.text()}")
    unstable_rows = [r for r in analysis.rows if r.unstable]
    if unstable_rows:
        console.print(f"[bold]Unstable rows ({len(unstable_rows)}; the figures of all in report.md):[/]")
        for r in sorted(unstable_rows, key=lambda r: (r.n, r.shape, r.label))[:UNSTABLE_SHOWN]:
            console.print(f"  n={r.n:<5} {r.shape:10} {r.label:42} {r.unstable}", markup=False)
    if analysis.overhead:
        console.print("[bold]Harness overhead per route (no-op kernel: copy + call):[/]")
        for r in sorted(analysis.overhead, key=lambda r: (r.route, r.n)):
            console.print(f"  {r.route:14} n={r.n:<5} {fmt_time(r.median)}" + (" (emulator)" if r.timing == "emulated" else ""))
    if report_dir is not None:
        console.print(f"Report: {report_dir}/report.md (JSON: report.json, plots: *.png)")
        console.print(f"Page: {report_dir}/index.html")


def comparison_text(r: Row) -> str:
    emulated = r.timing == "emulated"
    same = f"{r.verdict or 'n/a'} {fmt_ratio(r.ratio, r.ratio_ci, emulated)} vs {r.compared_with}" if r.compared_with else "no same-algorithm build"
    return f"{same} | {r.free_verdict} {fmt_ratio(r.free_ratio, r.free_ci, emulated)} vs {r.free_compared_with}"


def markdown(analysis: Analysis) -> str:
    out = [f"# codegen-arena benchmark report: {analysis.run_name}", "",
           f"Run {analysis.datetime}, profile `{analysis.profile}`, on {analysis.machine.get('cpu', {}).get('brand_raw', 'this machine')}.",
           "Times are per sort (copy of the input + sort), from loops inside each target; median and interquartile range over the rounds.",
           "`x same-algorithm compiler` divides by the fastest compiler build (a compiler route's build of the kernel's own C or LLVM IR source) of the same algorithm on the same substrate, n and shape; `x any compiler` by the fastest compiler build of any algorithm; each with a 95% bootstrap confidence interval. `faster` and `slower` only when the whole interval clears 1.",
           "`placement`: on native routes, the slowest over the fastest median of the code placed at several offsets mod 64 (or why it stayed in place).",
           "Emulated routes report executed instructions; their time is the emulator's, not the code's.", ""]
    out += [*analysis.machine_notes, ""] if analysis.machine_notes else []
    from harness import supplied

    out += supplied.markdown(analysis)  # the user's own files come first
    if analysis.headline:
        out += ["## AI-written vs compiler", "",
                "Per substrate (the same engine, or the same CPU), the best AI-written variant against the best build of "
                "the kernel's C or LLVM IR source by a compiler, on random input, twice: "
                f"**{SAME_ALGORITHM}** pits each algorithm's best AI-written variant against the compiler's build of "
                f"that same algorithm (who generated better code); **{ALGORITHM_FREE}** pits the best AI-written "
                "variant against the compiler's fastest build of any algorithm (which program to use). `timed`: "
                "`interleaved` when the pair was re-measured after it was chosen, its two sides' rounds alternating; "
                "`apart` when the ratio comes from two separate benchmarks. Ratios are AI / compiler: below 1, "
                "the AI's code is faster, executes less, or is smaller. On the emulator only the exact instruction "
                "count is compared. Executed work on native routes and V8 is counted on the same bytes in Unicorn "
                "or the same module in wasmtime (fuel).", ""]
        for comparison, title in HEADLINE_TITLES.items():
            pairs = [h for h in analysis.headline if h.comparison == comparison]
            out += [f"### {title}", "", "| " + " | ".join(HEADLINE_COLUMNS) + " |", "|" + " --- |" * len(HEADLINE_COLUMNS)]
            out += ["| " + " | ".join(headline_cells(h)) + " |" for h in pairs] + [""]
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
    if analysis.failures:
        out += ["## Not timed: failed the correctness check", ""]
        out += [f"- `{f['id']}`: {f['verdict']}: {f['message'].splitlines()[0]}" for f in analysis.failures] + [""]
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
    out += ["## Plots", "", "![time per sort against n](time_vs_n.png)", "", "![time per sort at n = 128](bars_n128.png)", ""]
    out += ["## Tool versions", ""] + [f"- {route}: " + ", ".join(f"{k} {v}" for k, v in vs.items()) for route, vs in analysis.versions.items()]
    if analysis.compiler_flags:
        from targets.c_cffi import shown_flags

        out += ["", "## Compiler flags as received", "",
                "What each compiler route's compiler proper received (clang's -cc1, gcc's cc1), paths left out:", ""]
        out += [f"- {route}: `{shown_flags(flags)}`" for route, flags in analysis.compiler_flags.items()]
    return "\n".join(out) + "\n"


def plot(analysis: Analysis, directory: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = [r for r in analysis.rows if r.shape == "random" and r.timing != "emulated"]
    substrates = sorted({r.substrate for r in timed}) or [""]
    # One panel per substrate: like compares with like, and each panel stays readable.
    fig, axes = plt.subplots(1, len(substrates), figsize=(6.5 * len(substrates), 6), squeeze=False)
    for ax, substrate in zip(axes[0], substrates):
        here = [r for r in timed if r.substrate == substrate]
        for label in sorted({r.label for r in here}):
            series = sorted((r.n, r.median) for r in here if r.label == label)
            ai = any(r.origin == "ai" for r in here if r.label == label)
            ax.plot([n for n, _ in series], [t * 1e6 for _, t in series], marker="o", linestyle="--" if ai else "-",
                    label=label)
        if here:
            n0, t0 = min((r.n, r.median) for r in here)
            ns = sorted({r.n for r in here})
            ax.plot(ns, [t0 * 1e6 * (n / n0) ** 2 for n in ns], "k:", linewidth=1, label="n² growth")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("n (int32 elements, random)")
        ax.set_ylabel("µs per sort")
        ax.set_title(f"{substrate}: time per sort against n (dashed: AI-written)", fontsize=9)
        ax.legend(fontsize=6, loc="upper left")
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(directory / "time_vs_n.png", dpi=100)
    plt.close(fig)

    bars = sorted((r for r in timed if r.n == 128), key=lambda r: r.median)
    fig, ax = plt.subplots(figsize=(9, max(3, 0.35 * len(bars) + 1)))
    ax.barh([r.label for r in bars], [r.median * 1e6 for r in bars], xerr=[r.iqr * 1e6 / 2 for r in bars],
            color=["tab:orange" if r.origin == "ai" else "tab:blue" for r in bars])
    ax.set_xlabel("µs per sort, n = 128 random (bar: median, whisker: IQR/2); orange: AI-written")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(directory / "bars_n128.png", dpi=110)
    plt.close(fig)


def analysis_json(analysis: Analysis) -> dict[str, Any]:
    data = asdict(analysis)
    for row, original in zip(data["rows"] + data["overhead"], analysis.rows + analysis.overhead):
        row["per_sort"] = [float(t) for t in row["per_sort"]]
        row.update(placement_spread=original.placement_spread, keeps_state=original.keeps_state)
    return data


def write_report(analysis: Analysis, reports: Path, saved: Path | None = None) -> Path:
    """reports/<run>/ with report.json, report.md, the plots and index.html, swapped in whole: an interrupted
    write leaves the previous report of that run, and every other report, as it was. `saved` (the run's
    JSON) lets the page compare with the previous saved run beside it."""
    reports.mkdir(parents=True, exist_ok=True)
    final = reports / analysis.run_name
    staging = Path(tempfile.mkdtemp(prefix=f".{analysis.run_name}-", dir=reports))
    try:
        (staging / "report.json").write_text(json.dumps(analysis_json(analysis), indent=1))
        (staging / "report.md").write_text(markdown(analysis))
        plot(analysis, staging)
        if analysis.listings and Path(analysis.listings).is_dir():
            shutil.copytree(analysis.listings, staging / "asm")
        from harness.html import write_page

        write_page(analysis, staging, saved)
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

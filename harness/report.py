"""The report of a saved benchmark run: per-sort times, ratios with confidence intervals, verdicts, plots.

Input is the JSON pytest-benchmark saved (with `--benchmark-save-data`, so each
round's time is there), plus the `arena` block our conftest adds (variants that
failed and were not timed, tool versions). Times per sort are a round's time
divided by the round's repeat count. A ratio's 95% confidence interval is a
bootstrap over the rounds of both sides (scipy.stats.bootstrap, fixed seed, so
the same run always gives the same report).
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

import numpy as np

COMPILER_TIMINGS = ("native",)
CONFIDENCE = 0.95
UNSTABLE_SHOWN = 20  # on the terminal; report.md lists them all
RESAMPLES = 2000


def run_metadata(failures: list[dict[str, Any]], full: bool) -> dict[str, Any]:
    from targets import all_routes

    return {
        "profile": "full" if full else "quick",
        "failures": failures,
        "versions": {name: route.versions() for name, route in all_routes().items()},
    }


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
    ratio: float | None = None  # to the fastest compiler-built route, same kernel, n and shape
    ratio_ci: tuple[float, float] | None = None
    verdict: str = ""  # for AI-written rows: faster / slower / unsure than the best compiler route
    listing: str | None = None  # file name under the report's asm/ folder
    substrate: str = ""
    busy: bool = False  # timed while the machine was busy (harness.machine)
    unstable: str | None = None  # pyperf-style warning with its figures

    @property
    def id(self) -> str:
        """The benchmark's id, as harness.bench.BenchCase names it."""
        return f"{self.kernel}/{self.variant}/{self.route}/n={self.n}/{self.shape}"

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
class Headline:
    """The best AI-written variant against the best compiler build on one substrate at one n."""

    substrate: str
    n: int
    ai: str
    compiler: str
    time_ratio: float | None
    time_ci: tuple[float, float] | None
    verdict: str
    executed_ratio: float | None
    code_ratio: float | None
    lines_ratio: float | None


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
    machine_notes: list[str] = field(default_factory=list)  # the machine's state while timing, in plain words


def ratio_with_ci(a: Sequence[float], b: Sequence[float]) -> tuple[float, float | None, float | None]:
    """median(a) / median(b), and a bootstrap confidence interval when both sides have rounds to resample."""
    from scipy.stats import bootstrap

    ratio = float(np.median(a) / np.median(b))
    if len(a) < 3 or len(b) < 3:
        return ratio, None, None

    def statistic(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.median(x, axis=axis) / np.median(y, axis=axis)

    result = bootstrap(
        (np.asarray(a), np.asarray(b)), statistic, paired=False, vectorized=True, n_resamples=RESAMPLES,
        confidence_level=CONFIDENCE, method="percentile", rng=np.random.default_rng(0),
    )
    return ratio, float(result.confidence_interval.low), float(result.confidence_interval.high)


def verdict_from_ci(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "unsure"
    if high < 1.0:
        return "faster"
    if low > 1.0:
        return "slower"
    return "unsure"


def rows_from_run(run: dict[str, Any]) -> list[Row]:
    rows = []
    for bench in run.get("benchmarks", []):
        info, stats = bench.get("extra_info", {}), bench["stats"]
        if "partner_per_sort" in info or "route" not in info:
            continue
        repeat = int(info.get("repeat", 1))
        data = [t / repeat for t in stats.get("data", [])]
        rows.append(Row(
            kernel=info["kernel"], variant=info["variant"], route=info["route"], origin=info.get("origin", "unknown"),
            timing=info.get("timing", "native"), n=int(info["n"]), shape=info["shape"], repeat=repeat,
            median=stats["median"] / repeat, iqr=stats["iqr"] / repeat, rounds=int(stats["rounds"]), per_sort=data,
            executed=info.get("executed") or {}, code_bytes=info.get("code_bytes"), lines=info.get("lines") or {},
            phases=info.get("phases") or {}, listing=info.get("listing"), substrate=info.get("substrate") or _substrate_of(info),
        ))
    return rows


def _substrate_of(info: dict[str, Any]) -> str:
    """For runs saved before benchmarks recorded their substrate."""
    from targets.base import SUBSTRATES

    return "V8 (node)" if "v8" in info["route"] else SUBSTRATES.get(info.get("timing", "native"), "")


def is_compiler_built(row: Row) -> bool:
    """The kernel's own C and LLVM IR sources, compiled to native code: the compiler's side of every comparison."""
    return row.variant == row.kernel and row.timing in COMPILER_TIMINGS


def analyse(run: dict[str, Any], run_name: str) -> Analysis:
    rows = rows_from_run(run)
    sorts = [r for r in rows if r.kernel != "noop"]
    for key in sorted({(r.kernel, r.n, r.shape) for r in sorts}):
        group = [r for r in sorts if (r.kernel, r.n, r.shape) == key]
        compilers = [r for r in group if is_compiler_built(r)]
        if not compilers:
            continue
        fastest = min(compilers, key=lambda r: r.median)
        for row in group:
            if row.timing == "emulated":
                continue
            row.ratio, low, high = ratio_with_ci(row.per_sort or [row.median], fastest.per_sort or [fastest.median])
            row.ratio_ci = (low, high) if low is not None and high is not None else None
            if row.origin == "ai":
                row.verdict = verdict_from_ci(low, high)
    key_ratios = interleaved_ratios(run)
    headline = headline_rows(sorts)
    meta = run.get("arena", {})
    from harness.machine import judge_rows

    machine_notes = judge_rows(sorts, headline, meta.get("machine"))
    return Analysis(
        run_name=run_name, datetime=run.get("datetime", ""), profile=meta.get("profile", "?"), rows=sorts,
        failures=meta.get("failures", []), key_ratios=key_ratios,
        overhead=[r for r in rows if r.kernel == "noop"], versions=meta.get("versions", {}),
        machine=run.get("machine_info", {}), listings=meta.get("listings"),
        listing_problems=meta.get("listing_problems", []), headline=headline, machine_notes=machine_notes,
    )


def row_flags(row: Row) -> str:
    flags = [flag for flag, on in (("busy", row.busy), ("unstable", row.unstable)) if on]
    return f" ({', '.join(flags)})" if flags else ""


HEADLINE_SIZES = (16, 128, 1024)


def counted_route(route: str) -> str:
    """The route that counts what `route` executes: the same bytes in Unicorn, or the same module in wasmtime."""
    if route.endswith("-v8"):
        return "wasmtime" if route == "wasm-v8" else route[: -len("-v8")]
    if route == "x86-native":
        return "x86-unicorn"
    return f"{route}-unicorn"


def executed_total(row: Row, rows: Sequence[Row]) -> int | None:
    counts = row.executed or next(
        (r.executed for r in rows if (r.variant, r.route, r.n, r.shape) == (row.variant, counted_route(row.route), row.n, row.shape)),
        {},
    )
    return sum(counts.values()) if counts else None


def _quotient(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def headline_rows(rows: Sequence[Row], shape: str = "random") -> list[Headline]:
    """Per substrate and n: the best AI-written variant against the best compiler build, like for like."""
    out = []
    for substrate in sorted({r.substrate for r in rows if r.substrate}):
        for n in HEADLINE_SIZES:
            here = [r for r in rows if r.substrate == substrate and r.n == n and r.shape == shape]
            ai = [r for r in here if r.origin == "ai"]
            compiler = [r for r in here if r.variant == r.kernel]
            if not ai or not compiler:
                continue
            emulated = here[0].timing == "emulated"

            def cost(r: Row) -> float:
                return float(executed_total(r, rows) or 0) if emulated else r.median

            best_ai, best_compiler = min(ai, key=cost), min(compiler, key=cost)
            executed_ratio = _quotient(executed_total(best_ai, rows), executed_total(best_compiler, rows))
            if emulated:  # the emulator's time is not the code's: the exact count decides
                time_ratio, ci = None, None
                verdict = "unsure" if executed_ratio is None else (
                    "fewer instructions" if executed_ratio < 1 else "more instructions" if executed_ratio > 1 else "same count")
            else:
                time_ratio, low, high = ratio_with_ci(best_ai.per_sort or [best_ai.median],
                                                      best_compiler.per_sort or [best_compiler.median])
                ci = (low, high) if low is not None and high is not None else None
                verdict = {"faster": "AI faster", "slower": "compiler faster", "unsure": "unsure"}[verdict_from_ci(low, high)]
            out.append(Headline(
                substrate=substrate, n=n, ai=best_ai.label, compiler=best_compiler.label, time_ratio=time_ratio,
                time_ci=ci, verdict=verdict, executed_ratio=executed_ratio,
                code_ratio=_quotient(best_ai.code_bytes, best_compiler.code_bytes),
                lines_ratio=_quotient(best_ai.lines.get("effective"), best_compiler.lines.get("effective")),
            ))
    return out


HEADLINE_COLUMNS = ("substrate", "n", "best AI-written", "best compiler build", "time ratio [95% CI]", "verdict",
                    "executed ratio", "code ratio", "lines ratio")


def headline_cells(h: Headline) -> list[str]:
    def ratio(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}"

    time = "emulator: not compared" if h.time_ratio is None and h.verdict != "unsure" else ratio(h.time_ratio)
    if h.time_ci:
        time += f" [{h.time_ci[0]:.2f}-{h.time_ci[1]:.2f}]"
    return [h.substrate, str(h.n), h.ai, h.compiler, time, h.verdict, ratio(h.executed_ratio), ratio(h.code_ratio),
            ratio(h.lines_ratio)]


TARGETS = {
    "harness fidelity": "(target: within 0.90-1.10)",
    "llvm-O3 / clang": "(target: <= 1.15)",
    "llvm-O0 / llvm-O3": "(target: >= 2)",
}


def interleaved_ratios(run: dict[str, Any]) -> list[Ratio]:
    """The ratios measured with both sides' rounds interleaved in one benchmark (tests/test_bench.py)."""
    ratios = []
    for bench in run.get("benchmarks", []):
        info = bench.get("extra_info", {})
        if "partner_per_sort" not in info:
            continue
        ours = [t / info["repeat"] for t in bench["stats"].get("data", [])] or [bench["stats"]["median"] / info["repeat"]]
        ratio, low, high = ratio_with_ci(ours, info["partner_per_sort"])
        note = next((t for prefix, t in TARGETS.items() if info["ratio_name"].startswith(prefix)), "")
        if "partner_entry_offset_mod_64" in info:
            note += (f" (kernel placement mod 64: suite {info['entry_offset_mod_64']}, "
                     f"program {info['partner_entry_offset_mod_64']})")
        ratios.append(Ratio(info["ratio_name"], ratio, low, high, note))
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


def fmt_ratio(row: Row) -> str:
    if row.timing == "emulated":
        return "emulated"
    if row.ratio is None:
        return ""
    ci = f" [{row.ratio_ci[0]:.2f}-{row.ratio_ci[1]:.2f}]" if row.ratio_ci else ""
    return f"{row.ratio:.2f}x{ci}"


COLUMNS = ("variant", "origin", "route", "verdict", "median/sort", "IQR", "x fastest compiler", "executed", "code B", "lines")


def fmt_phases(phases: dict[str, float]) -> str:
    return " / ".join(f"{phases[p] * 1e3:.1f}" for p in ("build", "load") if p in phases)


def table_rows(rows: Sequence[Row], detail: bool = False) -> list[list[str]]:
    """One row of cells per result; `detail` adds rounds and build / load milliseconds (the Markdown report)."""
    ordered = sorted(rows, key=lambda r: (r.timing == "emulated", r.median))
    return [
        [f"[{r.variant}](asm/{r.listing})" if detail and r.listing else r.variant, r.origin, r.route, (r.verdict or "pass") + row_flags(r), fmt_time(r.median) + (" (emulator)" if r.timing == "emulated" else ""),
         "" if r.timing == "emulated" else fmt_time(r.iqr), fmt_ratio(r), fmt_executed(r.executed), "" if r.code_bytes is None else str(r.code_bytes),
         f"{r.lines.get('effective', '')}/{r.lines.get('total', '')}"]
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
            table.add_row(failure["variant"], failure["origin"], failure["route"], f"[red]{failure['verdict']}[/]",
                          "not timed", "", "", "", "", "", )
        console.print(table)
    for failure in analysis.failures:
        console.print(f"[red]{failure['verdict']}[/] {failure['id']}: {failure['message'].splitlines()[0]}", markup=True)
    if analysis.headline:
        table = Table(title="AI-written vs compiler, like for like (random input; ratios are AI / compiler: < 1, the AI's is faster or smaller)",
                      title_justify="left")
        for column in HEADLINE_COLUMNS:
            table.add_column(column, overflow="fold")
        for h in analysis.headline:
            table.add_row(*headline_cells(h))
        console.print(table)
    ai = [r for r in analysis.rows if r.origin == "ai" and r.verdict and r.shape == "random"]
    if ai:
        console.print("[bold]Each AI-written variant against the fastest native compiler route (random input):[/]")
        for r in sorted(ai, key=lambda r: (r.n, r.label)):
            ci = f"95% CI {r.ratio_ci[0]:.2f}-{r.ratio_ci[1]:.2f}" if r.ratio_ci else "no CI"
            console.print(f"  n={r.n:<5} {r.label:42} {r.verdict:7} time ratio {r.ratio:.2f} ({ci})")
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


def markdown(analysis: Analysis) -> str:
    out = [f"# codegen-arena benchmark report: {analysis.run_name}", "",
           f"Run {analysis.datetime}, profile `{analysis.profile}`, on {analysis.machine.get('cpu', {}).get('brand_raw', 'this machine')}.",
           "Times are per sort (copy of the input + sort), from loops inside each target; median and interquartile range over the rounds.",
           "`x fastest compiler` divides by the fastest compiler-built route (the kernel's own C and LLVM IR sources on native routes) at the same n and shape, with a 95% bootstrap confidence interval.",
           "Emulated routes report executed instructions; their time is the emulator's, not the code's.", ""]
    out += [*analysis.machine_notes, ""] if analysis.machine_notes else []
    if analysis.headline:
        out += ["## AI-written vs compiler", "",
                "Per substrate (the same engine, or the same CPU), the best AI-written variant against the best build of "
                "the kernel's C or LLVM IR source by a compiler, on random input. Ratios are AI / compiler: below 1, "
                "the AI's code is faster, executes less, or is smaller. On the emulator only the exact instruction "
                "count is compared. Executed work on native routes and V8 is counted on the same bytes in Unicorn "
                "or the same module in wasmtime (fuel).", "",
                "| " + " | ".join(HEADLINE_COLUMNS) + " |", "|" + " --- |" * len(HEADLINE_COLUMNS)]
        out += ["| " + " | ".join(headline_cells(h)) + " |" for h in analysis.headline] + [""]
    out += ["## Key ratios", ""] + [f"- {r.text()}" for r in analysis.key_ratios] + [""]
    ai = [r for r in analysis.rows if r.origin == "ai" and r.verdict]
    if ai:
        out += ["## AI-written variants against the fastest compiler route", "",
                "| n | shape | variant@route | verdict | time ratio | 95% CI |", "| --- | --- | --- | --- | --- | --- |"]
        out += [f"| {r.n} | {r.shape} | {r.label} | {r.verdict} | {r.ratio:.3f} | "
                + (f"{r.ratio_ci[0]:.3f}-{r.ratio_ci[1]:.3f}" if r.ratio_ci else "n/a") + " |"
                for r in sorted(ai, key=lambda r: (r.n, r.shape, r.label))]
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
    for row in data["rows"] + data["overhead"]:
        row["per_sort"] = [float(t) for t in row["per_sort"]]
    return data


def write_report(analysis: Analysis, reports: Path) -> Path:
    """reports/<run>/ with report.json, report.md and the plots, swapped in whole: an interrupted
    write leaves the previous report of that run, and every other report, as it was."""
    reports.mkdir(parents=True, exist_ok=True)
    final = reports / analysis.run_name
    staging = Path(tempfile.mkdtemp(prefix=f".{analysis.run_name}-", dir=reports))
    try:
        (staging / "report.json").write_text(json.dumps(analysis_json(analysis), indent=1))
        (staging / "report.md").write_text(markdown(analysis))
        plot(analysis, staging)
        if analysis.listings and Path(analysis.listings).is_dir():
            shutil.copytree(analysis.listings, staging / "asm")
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
    return analysis, write_report(analysis, reports)

"""The answer on one screen: what the terminal prints last after a benchmark run.

Per kernel and substrate, the headline pairs as short sentences (who is faster,
by what ratio and interval, and why: harness.report.explain), the key ratios, one line
on the machine, and where the report and the page are. At most SCREEN_LINES
lines at SCREEN_WIDTH columns: the per-n tables go to report.md and the page.
Lines are wrapped between words only, so no name or number is ever split; a
name longer than the screen is left whole on its own line.
"""
from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.report.explain import ANOTHER_ALGORITHM, IDENTICAL_CODE, NOT_COUNTED
from harness.report.headline import ALGORITHM_FREE, SAME_ALGORITHM, Headline
from harness.measure.interleave import FASTER, IDENTICAL, LEVEL, SAME, SLOWER

SCREEN_LINES = 60
SCREEN_WIDTH = 120
INDENT = "    "


def wrap(text: str, width: int, indent: str = "", first: str = "") -> list[str]:
    """Lines of at most `width` columns broken only at spaces: long words stay whole."""
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def ratio_text(h: Headline) -> str:
    if h.time_ratio is None:
        return "" if h.executed_ratio is None else f"{h.executed_ratio:.2f}x"
    ci = f" [{h.time_ci[0]:.2f}-{h.time_ci[1]:.2f}]" if h.time_ci else ""
    return f"{h.time_ratio:.2f}x{ci}"


def verdict_words(h: Headline) -> str:
    """Who is faster, in words that need no column heading."""
    return {FASTER: "AI faster", SLOWER: "compiler faster", SAME: "same speed",
            IDENTICAL: "identical code"}.get(h.verdict, h.verdict)


def _why(h: Headline) -> str:
    # On the emulator the count is the verdict already: its reading would only repeat it.
    counted_only = h.time_ratio is None and not h.reading.startswith((IDENTICAL_CODE, ANOTHER_ALGORITHM))
    return "" if counted_only or h.reading in ("", NOT_COUNTED, verdict_words(h)) else h.reading


def pair_lines(pairs: Sequence[Headline], width: int, why: bool) -> list[str]:
    """One sentence per AI-written variant and compiler build, with the verdict at each n they are paired at;
    an algorithm-free pair with the same two sides as a same-algorithm one is folded into it."""
    def sides(h: Headline) -> tuple[str, str, int, str, str]:
        return h.kernel, h.substrate, h.n, h.ai, h.compiler

    same = {sides(h) for h in pairs if h.comparison == SAME_ALGORITHM}
    free = {sides(h) for h in pairs if h.comparison == ALGORITHM_FREE}
    groups: dict[tuple[str, str, str, str, str], list[Headline]] = {}
    for h in pairs:
        if h.comparison == ALGORITHM_FREE and sides(h) in same:
            continue
        also = h.comparison == SAME_ALGORITHM and sides(h) in free
        which = (h.algorithm + ("; also any algorithm" if also else "")) if h.comparison == SAME_ALGORITHM \
            else "any algorithm"
        groups.setdefault((h.kernel, h.substrate, which, h.ai, h.compiler), []).append(h)
    out = []
    for (kernel, substrate, which, ai, compiler), found in groups.items():
        steps = []
        for h in sorted(found, key=lambda h: h.n):
            reading = _why(h) if why else ""
            steps.append(f"n={h.n} {verdict_words(h)} {ratio_text(h)}".rstrip() + (f" ({reading})" if reading else ""))
        text = f"{kernel}, {substrate} ({which}): {ai} / {compiler}: " + "; ".join(steps) + "."
        out += wrap(text, width, indent=INDENT)
    return out


def _count(pairs: Sequence[Headline]) -> int:
    """How many sentences the pairs make (one line each when nothing wraps)."""
    return len(pair_lines(pairs, 100_000, False))


def machine_line(analysis: Any) -> str:
    cpu = analysis.machine.get("cpu", {}) if analysis.machine else {}
    parts = [cpu.get("brand_raw") or analysis.machine.get("processor") or "an unnamed machine"]
    if cpu.get("count"):
        parts.append(f"{cpu['count']} logical CPUs")
    if analysis.machine.get("system"):
        parts.append(f"{analysis.machine['system']} {analysis.machine.get('release', '')}".strip())
    notes = len(analysis.machine_notes)
    line = "Machine: " + ", ".join(parts) + f"; profile {analysis.profile}"
    if analysis.pace_changed:
        line += f"; it ran {analysis.pace_changed} than in its previous run (ratios move with that)"
    return line + (f"; {notes} note(s) on its state in report.md" if notes else "")


def summary_lines(analysis: Any, report_dir: Path | None, width: int = SCREEN_WIDTH,
                  budget: int = SCREEN_LINES) -> list[str]:
    """The last screen: at most `budget` lines of at most `width` columns (a whole over-long name excepted)."""
    head = wrap("The answer (random input; ratios are AI / compiler: below 1, the AI-written code is faster or "
                f"executes less; [{LEVEL} interval] from the rounds the two shared):", width)
    tail: list[str] = []
    failed = [f['id'] for f in analysis.failures if f.get('verdict') != "skip"]
    skipped = [f['id'] for f in analysis.failures if f.get('verdict') == "skip"]
    if failed:
        tail += wrap(f"Not timed, failed the correctness check: {', '.join(failed)}.", width, indent=INDENT)
    if skipped:  # the route cannot host the variant (a CPU feature, a missing tool): not a failure
        tail += wrap(f"Not timed, skipped (the route cannot run them; reasons in report.md): {', '.join(skipped)}.",
                     width, indent=INDENT)
    stateful = sorted({r.label for r in analysis.rows if r.keeps_state})
    if stateful:
        tail += wrap(f"Keeps state between calls (answers from earlier calls): {', '.join(stateful)}.", width,
                     indent=INDENT)
    if analysis.key_ratios:
        tail.append("Key ratios (same run):")
        for ratio in analysis.key_ratios:
            tail += wrap(ratio.text(), width, indent=INDENT * 2, first=INDENT)
    tail += wrap(machine_line(analysis), width, indent=INDENT)
    if report_dir is not None:
        tail += wrap(f"Report: {report_dir}/report.md (per-n tables; `arena report --tables` prints them here)",
                     width, indent=INDENT)
        tail += wrap(f"Page: {report_dir}/index.html", width, indent=INDENT)
    room = budget - len(head) - len(tail)
    pairs = sorted(analysis.headline, key=lambda h: (h.kernel, h.substrate))
    body: list[str] = []
    # When the screen is short the readings go first, then the same-algorithm pairs: the algorithm-free pair of
    # each kernel, substrate and n (which program to use) is the answer a reader came for.
    free = [h for h in pairs if h.comparison == ALGORITHM_FREE]
    for why, shown in ((True, pairs), (False, pairs), (False, free)):
        body = pair_lines(shown, width, why)
        if shown is free:
            body += wrap(f"{INDENT}(each algorithm's own pair, same algorithm: in report.md and on the page)", width,
                         indent=INDENT)
        if len(body) <= room:
            break
    pairs = shown
    if len(body) > room:
        kept: list[str] = []
        for kernel, substrate in dict.fromkeys((h.kernel, h.substrate) for h in pairs):
            lines = pair_lines([h for h in pairs if (h.kernel, h.substrate) == (kernel, substrate)], width, False)
            if len(kept) + len(lines) > room - 1:
                break
            kept += lines
        shown = sum(1 for line in kept if not line.startswith(INDENT))
        body = kept + [f"{INDENT}... {_count(pairs) - shown} more pairings in report.md and on the page"]
    if not pairs:
        body = [f"{INDENT}No headline pairs: this run timed no AI-written variant beside a compiler build."]
    return head + body + tail


def print_summary(console: Any, analysis: Any, report_dir: Path | None) -> None:
    # Piped (nox, CI logs): the width the screen is designed for, not the console's wide default.
    width = console.width if console.is_terminal else SCREEN_WIDTH
    for line in summary_lines(analysis, report_dir, width):
        # soft_wrap: the lines are wrapped here, between words; rich must not cut them again.
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def unsplit_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> Any:
    """A rich Table whose columns are no narrower than their longest word, so a name such as `sort3_branchless`
    is never cut in two: the widest columns wrap first, between words, and where the screen is too narrow even
    so the rightmost columns give way (the title says which) rather than any word."""
    from rich.table import Table

    def texts(k: int) -> list[str]:
        return [columns[k], *(r[k] for r in rows if k < len(r))]

    shortest = [max((len(w) for t in texts(k) for w in t.split()), default=1) for k in range(len(columns))]
    natural = [max(len(t) for t in texts(k)) for k in range(len(columns))]
    keep = len(columns)
    while keep > 1 and sum(shortest[:keep]) + 3 * keep + 1 > width:  # a cell's padding and border: 3 columns
        keep -= 1
    widths = natural[:keep]
    while sum(widths) + 3 * keep + 1 > width:  # narrow the widest column that can still wrap between words
        k = max((k for k in range(keep) if widths[k] > shortest[k]), key=lambda k: widths[k] - shortest[k])
        widths[k] -= 1
    left_out = f" (left out for width: {', '.join(columns[keep:])}; report.md has them)" if keep < len(columns) else ""
    table = Table(title=title + left_out, title_justify="left")
    for k in range(keep):
        table.add_column(columns[k], width=widths[k], overflow="fold")
    for r in rows:
        table.add_row(*r[:keep])
    return table

"""The fixed-size sorts beside AlphaDev's published program lengths.

For each kernel AlphaDev reported on, the best AI-written variant and the best
compiler build of this run (fastest on native x86-64), each with its program
length, the instructions it executes per call in the emulator, and its time,
next to the published figures: Mankowitz et al., "Faster sorting algorithms
discovered using deep reinforcement learning", Nature 618, 257-263 (2023),
Table 1a, program length in instructions. Those are the paper's figures, not
measurements of this suite.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.report.formatting import fmt_time

SOURCE = "Mankowitz et al., Nature 618, 2023, Table 1a (published figures, not measured here)"
# Program length in instructions: (AlphaDev, human benchmark).
PUBLISHED = {"sort3": (17, 18), "sort4": (28, 28), "sort5": (42, 46)}
NATIVE = "native x86-64"


def _emulated_count(row: Any, rows: Sequence[Any]) -> int | None:
    """Instructions per call of the same variant in the emulator (x86-unicorn, or the build's -unicorn route)."""
    for other in rows:
        if (other.kernel, other.variant, other.n, other.shape) == (row.kernel, row.variant, row.n, row.shape) \
                and other.route in (f"{row.route}-unicorn", "x86-unicorn") and "instructions" in other.executed:
            return int(other.executed["instructions"])
    return None


def _best(rows: Sequence[Any], kernel: str, compiler: bool) -> Any | None:
    side = [r for r in rows if r.kernel == kernel and r.substrate == NATIVE
            and (r.compiler_source if compiler else r.origin == "ai")]
    return min(side, key=lambda r: r.median, default=None)


def comparison(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """One entry per published kernel this run timed: our best of each side, and the published lengths."""
    out = []
    for kernel, (alphadev, human) in PUBLISHED.items():
        ours = {}
        for side, compiler in (("ai", False), ("compiler", True)):
            best = _best(rows, kernel, compiler)
            ours[side] = None if best is None else {
                "label": best.label, "program_length": best.program_length,
                "executed_instructions": _emulated_count(best, rows), "seconds_per_call": best.median,
            }
        if ours["ai"] or ours["compiler"]:
            out.append({"kernel": kernel, "best_ai": ours["ai"], "best_compiler": ours["compiler"],
                        "published": {"alphadev": alphadev, "human_benchmark": human, "source": SOURCE}})
    return out


def _cells(side: dict[str, Any] | None) -> list[str]:
    if side is None:
        return ["", "", "", ""]
    length, executed = side["program_length"], side["executed_instructions"]
    return [side["label"], "" if length is None else str(length), "" if executed is None else f"{executed:,}",
            fmt_time(side["seconds_per_call"])]


def markdown(entries: Sequence[dict[str, Any]]) -> list[str]:
    if not entries:
        return []
    out = ["## Fixed-size sorts and AlphaDev's published lengths", "",
           "Program length: instructions of the function without its final `ret`; executed: instructions per call "
           "in Unicorn; time: per call on native x86-64, fresh random input each call. The last two columns are "
           f"published figures, not ours: {SOURCE}.", "",
           "| kernel | best AI-written | length | executed | time | best compiler build | length | executed | time "
           "| AlphaDev (published) | human benchmark (published) |",
           "| --- " * 11 + "|"]
    for e in entries:
        published = e["published"]
        out.append("| " + " | ".join([e["kernel"], *_cells(e["best_ai"]), *_cells(e["best_compiler"]),
                                      str(published["alphadev"]), str(published["human_benchmark"])]) + " |")
    return out + [""]

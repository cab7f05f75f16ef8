"""A run against the previous saved run of the same machine: which rows moved, and whether the machine did.

Two runs of one machine minutes apart can differ as a whole: a virtual machine's host has other tenants, and
its slow spells last minutes. Such a spell does not slow all code alike (a loop bound by loads and one bound
by arithmetic, vector code and scalar code, move by different amounts), so the ratios between builds move
with it, and the intervals of one run, made from its own rounds, cannot foresee it. The report says when the
rows moved: over the rows both runs timed, each row's time now over its time then, their median and middle
half.
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.report.analysis import Analysis, Row, rows_from_run
from harness.report.headline import ratio_with_ci

# The fields pytest-benchmark records that say which machine a run was made on.
_MACHINE_KEYS = ("node", "machine", "system", "processor")
# A row is flagged when its time moved by more than this, beyond its interval: smaller moves are the drift
# between two runs of one machine.
MOVE_THRESHOLD = 0.10
# The machine is said to have run slower or faster than in the previous run when a quarter of its rows moved by
# more than this; and only from this many rows in both runs.
STATE_THRESHOLD = 0.10
MIN_PACE_ROWS = 10


def same_machine(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if not a or not b:
        return False
    keys = [k for k in _MACHINE_KEYS if k in a or k in b]
    cpu = (a.get("cpu") or {}).get("brand_raw"), (b.get("cpu") or {}).get("brand_raw")
    return bool(keys) and all(a.get(k) == b.get(k) for k in keys) and cpu[0] == cpu[1]


def previous_run(analysis: Analysis, saved: Path | None) -> tuple[Path | None, str]:
    """The newest saved run beside `saved` made on the same machine before this one, or why there is none."""
    if saved is None:
        return None, "the saved run this report comes from is not known"
    if not analysis.machine:
        return None, "this run records no machine_info"
    # Newest first by pytest-benchmark's counter in the name, so a long history is not read whole.
    for path in sorted(Path(saved).parent.glob("*.json"), reverse=True):
        if path.resolve() == Path(saved).resolve():
            continue
        try:
            run = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # not a saved run (or one being written): it cannot be compared with
        when = run.get("datetime", "") if isinstance(run, dict) else ""
        if when and when < analysis.datetime and same_machine(analysis.machine, run.get("machine_info") or {}):
            return path, ""
    return None, f"no earlier saved run of this machine in {Path(saved).parent}"


@dataclass
class Move:
    key: str
    flag: str  # "" when the row stayed within its intervals
    detail: str


def row_key(r: Row) -> str:
    return f"{r.kernel}/{r.variant}/{r.route}/n={r.n}/{r.shape}"


def compare_runs(current: Sequence[Row], previous: Sequence[Row]) -> dict[str, Move]:
    """Per row of both runs: flagged when the whole interval of its time new/old (both runs' rounds) lies beyond
    MOVE_THRESHOLD either way, or when an exact count changed; emulated rows only by their counts."""
    before = {row_key(r): r for r in previous}
    moves = {}
    for row in current:
        old = before.get(row_key(row))
        if old is None:
            continue
        key = row_key(row)
        now_count, old_count = sum(row.executed.values()), sum(old.executed.values())
        time, low, high = ratio_with_ci(row.per_sort or [row.median], old.per_sort or [old.median])
        change = f"time x{time:.2f}" + (f" [{low:.2f}-{high:.2f}]" if low is not None else "") + " of the previous run"
        if row.executed and old.executed and now_count != old_count:
            moves[key] = Move(key, "count changed", f"executed {old_count:,} -> {now_count:,}; {change}")
        elif row.timing != "emulated" and low is not None and high is not None and \
                (low > 1 + MOVE_THRESHOLD or high < 1 / (1 + MOVE_THRESHOLD)):
            moves[key] = Move(key, "slower" if low > 1 else "faster", change)
        else:
            moves[key] = Move(key, "", change)
    return moves


@dataclass(frozen=True)
class Pace:
    """This run's timed rows against the same rows of an earlier run: the median of their time ratios (now /
    then), the middle half of those ratios, and how many rows."""

    previous: str
    median: float
    low: float
    high: float
    rows: int

    @property
    def changed(self) -> str:
        """`slower` or `faster` when a quarter of the rows or more moved beyond STATE_THRESHOLD that way (a slow
        spell catches some kinds of code more than others, so the median alone can stay put), else ""."""
        slower, faster = self.high > 1 + STATE_THRESHOLD, self.low < 1 / (1 + STATE_THRESHOLD)
        if slower and faster:
            return "slower for some code and faster for other"
        return "slower" if slower else "faster" if faster else ""

    def note(self) -> str:
        line = (f"Against the previous run of this machine, {self.previous}: the median timed row took "
                f"x{self.median:.2f} its time then, the middle half of the rows x{self.low:.2f}-x{self.high:.2f} "
                f"({self.rows} rows).")
        if self.changed:
            line += (f" A quarter of the rows or more moved by over {STATE_THRESHOLD:.0%}: the machine ran "
                     f"{self.changed} than then. Such a state moves code bound by memory and code bound by "
                     "arithmetic, vector and scalar code, by different amounts, and with them the ratios between "
                     "builds, beyond what this run's intervals can know: compare ratios between runs taken in the "
                     "same state.")
        return line


def run_pace(current: Sequence[Row], previous: Sequence[Row], previous_name: str) -> Pace | None:
    """How the rows both runs timed (emulated ones and the no-op left out) moved, or None with too few."""
    before = {row_key(r): r for r in previous if r.timing != "emulated" and r.kernel != "noop"}
    ratios = [math.log(row.median / old.median) for row in current
              if row.timing != "emulated" and (old := before.get(row_key(row))) is not None
              and row.median > 0 and old.median > 0]
    if len(ratios) < MIN_PACE_ROWS:
        return None
    low, median, high = np.exp(np.quantile(ratios, (0.25, 0.5, 0.75)))
    return Pace(previous_name, float(median), float(low), float(high), len(ratios))


def compare_with_earlier(analysis: Analysis, saved: Path | None) -> tuple[dict[str, Any], dict[str, Move]]:
    """The comparison with the previous run of this machine (for the page: what moved, and the typical row's
    move), and each row's move by row key; `{"previous": None, "reason": ...}` when there is none."""
    path, reason = previous_run(analysis, saved)
    if path is None:
        return {"previous": None, "reason": reason}, {}
    earlier = json.loads(path.read_text())
    # Only its rows' times and counts: not the whole analysis, whose comparisons take seconds.
    earlier_rows = [r for r in rows_from_run(earlier) if r.kernel != "noop"]
    moves = compare_runs(analysis.rows, earlier_rows)
    keys_now, keys_then = {row_key(r) for r in analysis.rows}, {row_key(r) for r in earlier_rows}
    pace = run_pace(analysis.rows, earlier_rows, path.stem)
    return {"previous": path.stem, "datetime": earlier.get("datetime", ""),
            "flagged": [vars(m) for m in moves.values() if m.flag], "compared": len(moves),
            "only_now": len(keys_now - keys_then), "only_before": len(keys_then - keys_now),
            "pace": vars(pace) | {"changed": pace.changed, "note": pace.note()} if pace else None}, moves


def note_pace(analysis: Analysis, comparison: dict[str, Any]) -> None:
    """The typical row's move against the previous run (`compare_with_earlier`'s comparison), added once to the
    analysis's notes on the machine's state, so report.md and the terminal say it."""
    pace = comparison.get("pace")
    if pace and pace["note"] not in analysis.machine_notes:
        analysis.machine_notes.append(pace["note"])
        analysis.pace_changed = pace["changed"]

"""`arena gate`: compare a saved benchmark run with an earlier one and fail only on a real regression.

Two kinds of measure, two rules:
- exact measures (executed instructions, wasm fuel, code bytes, program length) are deterministic, so any
  change is reported, with the listing of that build diffed against the saved one; an increase is a regression;
- time is never read from the two saved runs (figures taken minutes apart on a shared machine differ by more
  than any threshold): the earlier run's build, rebuilt from the source it saved, is timed again beside the new
  run's in one process, in interleaved rounds (harness.retime), and a row regresses only when the whole paired
  interval of new/old lies above 1 + threshold. Two builds of the same machine code are `identical code` and
  cannot regress. Emulated routes' time is the emulator's and is never gated.
Rows present in one run only are listed, never failed.
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.formatting import fmt_time
from harness.analysis import Row, rows_from_run
from harness.retime import (IDENTICAL, NOT_COMPARED, TIMED, Job, Paired, retime, retime_fresh, route_language,
                            source_name)

DEFAULT_THRESHOLD = 0.10
DIFF_LINES = 80  # per build: enough to see what changed (registers get renamed); the files are named for the rest
EXACT_PER_BUILD = {"code_bytes": "code bytes", "program_length": "program length"}
COUNTER_NAMES = {"instructions": "executed instructions", "wasm_operators": "wasm fuel"}

REGRESSION, FASTER, NOISE, UNCHANGED, FEW_ROUNDS = "regression", "faster", "moved, within noise", "unchanged", "too few rounds"
NOT_AGAIN = "regressed once, not when re-measured"
NOT_TIMED = "not compared"
Timer = Callable[[Sequence[Job]], list[Paired]]  # the paired re-timing: harness.retime.retime, or a stand-in
REPO = Path(__file__).resolve().parent.parent
# The no-op kernel's time is the harness's cost of one call, a few nanoseconds that jump between discrete
# levels from one process to the next (where the code lands): shown, never gated. Sorts pay the same cost.
OVERHEAD_KERNEL = "noop"


class GateError(Exception):
    """A saved run that cannot be read or found: the message names the file and the cause."""


@dataclass
class SavedRun:
    path: Path
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.stem


def pytest_child_env(**extra: str) -> dict[str, str]:
    """The environment for a pytest started from this process: this one's, without what makes a pytest-xdist
    worker (a child pytest that inherits it believes it is one, and pytest-benchmark then refuses to time)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT_TEST"))}
    return {**env, **extra}

def load_run(path: Path) -> SavedRun:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise GateError(f"{path}:{exc.lineno}: not a saved benchmark run: {exc.msg}") from None
    except OSError as exc:
        raise GateError(f"{path}: cannot read: {exc.strerror}") from None
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise GateError(f"{path}: not a saved benchmark run: no 'benchmarks' list")
    return SavedRun(path, data)


def machine_of(run: dict[str, Any]) -> dict[str, Any]:
    """What makes two runs' times comparable: the host, its CPU and the Python running the harness
    (not the CPU's current clock, which cpuinfo reports differently from run to run)."""
    info = run.get("machine_info", {})
    cpu = info.get("cpu", {})
    return {"node": info.get("node"), "cpu": cpu.get("brand_raw"), "cores": cpu.get("count"),
            "python": f"{info.get('python_implementation')} {info.get('python_version')}"}


def profile_of(run: dict[str, Any]) -> dict[str, Any]:
    """quick or full, the sizes asked for, the extra variant folders and the origin given to their files
    (runs saved before the selection was recorded: the sizes that were timed)."""
    meta = run.get("arena", {})
    selection = meta.get("selection") or {}
    sizes = selection.get("sizes") or sorted({b.get("extra_info", {}).get("n") for b in run["benchmarks"]} - {None})
    return {"profile": meta.get("profile", "?"), "sizes": list(sizes), "variants": selection.get("variants", []),
            "origin": selection.get("origin")}


def saved_runs(storage: Path) -> list[Path]:
    return sorted(storage.glob("*/*.json"), key=lambda p: p.stat().st_mtime)


def find_run(spec: str, storage: Path) -> Path:
    """A path to a saved run's JSON, or the start of its name under storage (`0007`)."""
    path = Path(spec)
    if path.is_file():
        return path
    found = [p for p in saved_runs(storage) if p.stem.startswith(spec)]
    if len(found) != 1:
        names = ", ".join(p.stem for p in found) or "none"
        raise GateError(f"{spec}: no such file, and {len(found)} saved runs under {storage}/ start so ({names})")
    return found[0]


def previous_run(new: SavedRun, storage: Path) -> tuple[SavedRun | None, str]:
    """The newest run saved before `new` on the same machine with the same profile, else the newest run
    saved before it at all (its rows that the new run shares are compared), with a note saying which."""
    earlier = [p for p in saved_runs(storage) if p.resolve() != new.path.resolve()
               and p.stat().st_mtime <= new.path.stat().st_mtime]
    candidates = [load_run(p) for p in reversed(earlier)]
    for run in candidates:
        if machine_of(run.data) == machine_of(new.data) and profile_of(run.data) == profile_of(new.data):
            return run, ""
    if candidates:
        return candidates[0], "no earlier run of this machine and profile"
    return None, f"no earlier saved run under {storage}/: this run is the baseline for the next"


@dataclass
class ExactChange:
    row: str
    measure: str
    old: int
    new: int
    diff: list[str] = field(default_factory=list)

    @property
    def worse(self) -> bool:
        return self.new > self.old


@dataclass
class TimeChange:
    row: str
    old: float | None  # seconds per call of each build, from the paired rounds (None: not timed)
    new: float | None
    ratio: float | None
    low: float | None
    high: float | None
    verdict: str
    again: str = ""  # new/old when re-measured (confirm)
    why: str = ""  # for identical code and rows not compared
    job: Job | None = field(default=None, repr=False)


@dataclass
class Comparison:
    new: str
    old: str
    threshold: float
    time_compared: bool
    notes: list[str] = field(default_factory=list)
    exact: list[ExactChange] = field(default_factory=list)
    time: list[TimeChange] = field(default_factory=list)
    overhead: list[TimeChange] = field(default_factory=list)  # the no-op kernel's rows, compared, not gated
    emulated: int = 0
    only_new: list[str] = field(default_factory=list)
    only_old: list[str] = field(default_factory=list)
    confirmed: bool = False  # time regressions were re-measured in a fresh process

    @property
    def regressions(self) -> list[TimeChange | ExactChange]:
        return [t for t in self.time if t.verdict == REGRESSION] + [e for e in self.exact if e.worse]

    def count(self, verdict: str) -> int:
        return sum(t.verdict == verdict for t in self.time)


def _key(row: Row) -> tuple[str, str, str, int, str]:
    return (row.kernel, row.variant, row.route, row.n, row.shape)


def _label(key: tuple[str, str, str, int, str]) -> str:
    kernel, variant, route, n, shape = key
    return f"{variant}@{route} n={n} {shape}" + (f" ({kernel})" if kernel not in ("insertion_sort", variant) else "")


def _info_key(info: dict[str, Any]) -> tuple[str, str, str, int, str]:
    return (info.get("kernel"), info.get("variant"), info.get("route"), int(info.get("n", 0)), info.get("shape"))  # type: ignore[return-value]


def _rows(run: SavedRun) -> dict[tuple[str, str, str, int, str], tuple[Row, dict[str, Any]]]:
    """Each timed benchmark's row (times per sort) with its raw extra_info (measures the Row does not carry)."""
    try:
        rows = rows_from_run(run.data)
    except (KeyError, TypeError, ValueError) as exc:
        raise GateError(f"{run.path}: a benchmark lacks what the gate reads: {exc!r}") from None
    infos = {_info_key(i): i for i in (b.get("extra_info", {}) for b in run.data["benchmarks"]) if "route" in i}
    return {_key(r): (r, infos.get(_key(r), {})) for r in rows}


def time_verdict(ratio: float, low: float | None, high: float | None, threshold: float) -> str:
    """Beyond the threshold either way (1 + t slower, 1 / (1 + t) faster) only when the whole interval is."""
    up, down = 1 + threshold, 1 / (1 + threshold)
    if low is None or high is None:
        return FEW_ROUNDS
    if low > up:
        return REGRESSION
    if high < down:
        return FASTER
    return NOISE if ratio > up or ratio < down else UNCHANGED


def listing_diff(old: SavedRun, new: SavedRun, old_info: dict[str, Any], new_info: dict[str, Any]) -> list[str]:
    """The unified diff of the listing each run saved of this build."""
    texts = []
    for run, info in ((old, old_info), (new, new_info)):
        folder, name = run.data.get("arena", {}).get("listings"), info.get("listing")
        path = Path(folder) / name if folder and name else None
        if path is None or not path.is_file():
            return [f"(no listing to diff: {run.name} " + (f"lacks {path}" if path else "saved none for this build") + ")"]
        texts.append((path, path.read_text(errors="replace").splitlines()))
    (old_path, a), (new_path, b) = texts
    lines = list(difflib.unified_diff(a, b, fromfile=str(old_path), tofile=str(new_path), lineterm="", n=2))
    if not lines:
        return ["(listings identical)"]
    if len(lines) > DIFF_LINES:
        lines = lines[:DIFF_LINES] + [f"... {len(lines) - DIFF_LINES} more diff lines: diff the two files above"]
    return lines


def _exact_changes(old: SavedRun, new: SavedRun, key: tuple, old_info: dict[str, Any], new_info: dict[str, Any],
                   builds_seen: set[tuple[str, str, str]]) -> list[ExactChange]:
    changes = []
    old_counts, new_counts = old_info.get("executed") or {}, new_info.get("executed") or {}
    for counter in sorted(old_counts.keys() & new_counts.keys()):
        if old_counts[counter] != new_counts[counter]:
            changes.append(ExactChange(_label(key), COUNTER_NAMES.get(counter, counter), old_counts[counter], new_counts[counter]))
    build = key[:3]
    if build not in builds_seen:  # code size and length belong to the build, not to one n and shape
        for measure, name in EXACT_PER_BUILD.items():
            a, b = old_info.get(measure), new_info.get(measure)
            if a is not None and b is not None and a != b:
                changes.append(ExactChange(f"{key[1]}@{key[2]}", name, a, b))
    if changes and build not in builds_seen:
        changes[0].diff = listing_diff(old, new, old_info, new_info)
    if changes:
        builds_seen.add(build)
    return changes


# Where a process mapped the code (a listing of native code shows its addresses): not part of the build.
MAPPED_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{8,}\b")


def _listing_text(run: SavedRun, info: dict[str, Any]) -> str | None:
    folder, name = run.data.get("arena", {}).get("listings"), info.get("listing")
    path = Path(folder) / name if folder and name else None
    if path is None or not path.is_file():
        return None
    return MAPPED_ADDRESS.sub("0x?", path.read_text(errors="replace"))


def _built_alike(old: SavedRun, new: SavedRun, old_info: dict[str, Any], new_info: dict[str, Any]) -> bool:
    """Whether the two runs' builds of one source came out alike: the same exact measures, and the same listing
    where both saved one. Otherwise the route or its tools changed, and the earlier build cannot be made again."""
    for measure in (*EXACT_PER_BUILD, "executed"):
        if old_info.get(measure) is not None and new_info.get(measure) is not None \
                and old_info[measure] != new_info[measure]:
            return False
    texts = _listing_text(old, old_info), _listing_text(new, new_info)
    return None in texts or texts[0] == texts[1]


def _time_change(key: tuple[str, str, str, int, str], paired: Paired, threshold: float) -> TimeChange:
    if paired.outcome == TIMED:
        verdict = time_verdict(paired.ratio or 0.0, paired.low, paired.high, threshold)
    else:
        verdict = IDENTICAL if paired.outcome == IDENTICAL else NOT_TIMED
    return TimeChange(_label(key), paired.old_seconds, paired.new_seconds, paired.ratio, paired.low, paired.high,
                      verdict, why=paired.why)


def compare(new: SavedRun, old: SavedRun, threshold: float = DEFAULT_THRESHOLD, note: str = "",
            timer: Timer = retime) -> Comparison:
    """Exact measures compared exactly; time by `timer`, which times each row's two builds together."""
    old_sources, new_sources = (run.data.get("arena", {}).get("sources") for run in (old, new))
    result = Comparison(new.name, old.name, threshold, time_compared=bool(old_sources and new_sources),
                        notes=[note] if note else [])
    if not result.time_compared:
        which = " and ".join(r.name for r, s in ((old, old_sources), (new, new_sources)) if not s)
        result.notes.append(f"{which} saved no sources to build again: time not compared, exact measures only")
    new_rows, old_rows = _rows(new), _rows(old)
    result.only_new = [_label(k) for k in sorted(new_rows.keys() - old_rows.keys())]
    result.only_old = [_label(k) for k in sorted(old_rows.keys() - new_rows.keys())]
    builds_seen: set[tuple[str, str, str]] = set()
    jobs: dict[tuple[str, str, str, int, str], Job] = {}
    unsaved: list[tuple[str, str, str, int, str]] = []
    changed: list[tuple[str, str, str, int, str]] = []
    same: list[tuple[str, str, str, int, str]] = []
    for key in sorted(new_rows.keys() & old_rows.keys()):
        (new_row, new_info), (old_row, old_info) = new_rows[key], old_rows[key]
        result.exact += _exact_changes(old, new, key, old_info, new_info, builds_seen)
        if new_row.timing == "emulated" or old_row.timing == "emulated":
            result.emulated += 1
            continue
        if not result.time_compared:
            continue
        kernel, variant, route, n, shape = key
        name = source_name(kernel, variant, route_language(route) or "?")
        old_source, new_source = old_sources.get(name), new_sources.get(name)
        if old_source is None or new_source is None:
            unsaved.append(key)
        elif old_source["key"] == new_source["key"]:
            (same if _built_alike(old, new, old_info, new_info) else changed).append(key)
        else:
            jobs[key] = Job(kernel, variant, route, n, shape, int(new_info.get("repeat") or new_row.repeat or 1),
                            old_source, new_source)
    found = {(p.kernel, p.variant, p.route, p.n, p.shape): p for p in (timer(list(jobs.values())) if jobs else [])}
    for key in sorted(jobs.keys() | set(unsaved) | set(changed) | set(same)):
        if key in same:  # the same source built alike: the same code, which cannot have regressed
            paired = Paired(*key, IDENTICAL, "the same source")
        elif key in unsaved:
            paired = Paired(*key, NOT_COMPARED, "a run saved no source of this variant")
        elif key in changed:
            paired = Paired(*key, NOT_COMPARED, "the same source built differently (the route or its tools "
                                                "changed): the earlier build cannot be made again")
        else:
            paired = found.get(key) or Paired(*key, NOT_COMPARED, "not timed")
        change = _time_change(key, paired, threshold)
        change.job = jobs.get(key)
        (result.overhead if key[0] == OVERHEAD_KERNEL else result.time).append(change)
    return result


def confirm(c: Comparison, measure_again: Timer = retime_fresh) -> None:
    """A time regression counts only if it holds again in a fresh process: one process can land in a slow state
    for its whole life (where each build's code lands, an engine's tier), which its own rounds cannot show and a
    second process re-rolls; a real regression repeats."""
    flagged = [t for t in c.time if t.verdict == REGRESSION and t.job is not None]
    if not flagged:
        return
    again = {_label((p.kernel, p.variant, p.route, p.n, p.shape)): p
             for p in measure_again([t.job for t in flagged if t.job is not None])}
    for t in flagged:
        paired = again.get(t.row)
        if paired is None or paired.outcome != TIMED:
            t.again = "not re-measured" + (f": {paired.why}" if paired is not None and paired.why else "")
            continue
        t.again = (f"{paired.ratio:.3f}x [{paired.low:.3f}-{paired.high:.3f}]" if paired.low is not None
                   else f"{paired.ratio:.3f}x")
        if time_verdict(paired.ratio or 0.0, paired.low, paired.high, c.threshold) != REGRESSION:
            t.verdict = NOT_AGAIN
    c.confirmed = True


def render(c: Comparison) -> list[str]:
    out = [f"arena gate: {c.new} against {c.old}"] + [f"  note: {n}" for n in c.notes]
    regressions = c.regressions
    out.append(f"regressions: {len(regressions)}" + (" (time: paired interval of new/old above "
                                                     f"{1 + c.threshold:.2f}; exact: any increase)" if regressions else ""))
    for r in regressions:
        if isinstance(r, TimeChange):
            out.append(f"  time   {r.row:52} {fmt_time(r.old):>10} -> {fmt_time(r.new):>10}  "
                       f"{r.ratio:.3f}x [{r.low:.3f}-{r.high:.3f}]" + (f", again {r.again}" if r.again else ""))
        else:
            out.append(f"  exact  {r.row:52} {r.measure}: {r.old:,} -> {r.new:,} ({r.new - r.old:+,})")
    improved = [e for e in c.exact if not e.worse]
    if improved:
        out.append(f"exact measures that fell: {len(improved)}")
        out += [f"  exact  {e.row:52} {e.measure}: {e.old:,} -> {e.new:,} ({e.new - e.old:+,})" for e in improved]
    diffs = [e for e in c.exact if e.diff]
    for e in diffs:
        out.append(f"listing diff of {e.row.split(' ')[0]}:")
        out += [f"  {line}" for line in e.diff]
    if c.time_compared:
        for t in (t for t in c.time if t.verdict in (NOISE, FASTER, NOT_AGAIN)):
            again = f", again {t.again}" if t.again else ""
            out.append(f"  {t.row:52} {t.ratio:.3f}x [{t.low:.3f}-{t.high:.3f}]  {t.verdict}{again}")
        reasons: dict[str, list[str]] = {}
        for t in c.time:
            if t.verdict == NOT_TIMED:
                reasons.setdefault(t.why, []).append(t.row)
        for why, rows in reasons.items():
            shown = ", ".join(rows[:4]) + (f", ... ({len(rows) - 4} more)" if len(rows) > 4 else "")
            out.append(f"  not compared ({len(rows)}): {why}: {shown}")
        timed = sum(t.verdict not in (IDENTICAL, NOT_TIMED) for t in c.time)
        out.append(f"time: {len(c.time)} rows: {c.count(IDENTICAL)} identical code (cannot regress); {timed} timed "
                   f"again beside the earlier run's build, gated at +{c.threshold:.0%}: {c.count(REGRESSION)} "
                   f"regressed, {c.count(FASTER)} faster, {c.count(NOISE)} moved within noise, "
                   f"{c.count(UNCHANGED)} unchanged"
                   + (f", {c.count(NOT_AGAIN)} regressed once but not when re-measured" if c.confirmed else "")
                   + (f", {c.count(FEW_ROUNDS)} with too few rounds" if c.count(FEW_ROUNDS) else "")
                   + (f"; {c.count(NOT_TIMED)} not compared" if c.count(NOT_TIMED) else ""))
        moved = [t for t in c.overhead if t.verdict not in (UNCHANGED, FEW_ROUNDS, IDENTICAL, NOT_TIMED)]
        if c.overhead:
            out.append(f"harness overhead (no-op kernel, not gated): {len(c.overhead)} rows, {len(moved)} beyond "
                       f"+-{c.threshold:.0%}" + "".join(f"; {t.row.split(' ')[0]} {t.ratio:.2f}x" for t in moved))
    else:
        out.append("time: not compared (see note)")
    out.append(f"emulated rows (time never gated): {c.emulated}; exact measures changed: {len(c.exact)}")
    for title, rows in (("only in the new run", c.only_new), ("only in the old run", c.only_old)):
        if rows:
            shown = ", ".join(rows[:8]) + (f", ... ({len(rows) - 8} more)" if len(rows) > 8 else "")
            out.append(f"{title} ({len(rows)}, not gated): {shown}")
    out.append("FAIL" if regressions else "PASS")
    return out


def threshold_arg(text: str) -> float:
    """`10%` or `0.1`."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give a percentage (10%) or a fraction (0.1)") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a threshold lies between 0% and 100% (10% or 0.1)")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("gate", help="compare a saved run with an earlier one; fail only on a real regression")
    p.add_argument("new", nargs="?", metavar="NEW", help="a saved run (path, or the start of its name); default: the newest")
    p.add_argument("old", nargs="?", metavar="OLD",
                   help="the run to compare with; default: the previous one of the same machine and profile")
    p.add_argument("--threshold", type=threshold_arg, default=DEFAULT_THRESHOLD,
                   help="time regresses when new/old's whole interval lies above 1 + this (default 10%%)")
    p.add_argument("--storage", default=".benchmarks", help="where pytest-benchmark saved the runs")
    p.add_argument("--confirm", action="store_true",
                   help="time the rows that regressed again, beside the earlier build, in a fresh process; fail only "
                        "on those that regress again")
    p.set_defaults(run=cmd_gate)


def cmd_gate(args: argparse.Namespace) -> int:
    """0: no regression (or nothing to compare with yet); 1: a regression; 2: a run could not be found or read."""
    storage = Path(args.storage)
    try:
        if args.new:
            new = load_run(find_run(args.new, storage))
        else:
            runs = saved_runs(storage)
            if not runs:
                raise GateError(f"no saved benchmark run under {storage}/: run `nox -s gate` or `nox -s bench` first")
            new = load_run(runs[-1])
        old, note = (load_run(find_run(args.old, storage)), "") if args.old else previous_run(new, storage)
        if old is None:
            print(f"arena gate: {new.name}: {note}")
            return 0
        comparison = compare(new, old, args.threshold, note)
        if args.confirm and comparison.time_compared:
            confirm(comparison)
    except GateError as exc:
        print(f"arena gate: {exc}", file=sys.stderr)
        return 2
    print("\n".join(render(comparison)))
    return 1 if comparison.regressions else 0

"""The report as one self-contained web page: `reports/<run>/index.html`.

Everything the page shows is embedded in it (the analysis, every listing of the
report's `asm/` folder, the side-by-side listings of AI-written rows against the
compiler build they were compared with), and its script draws the table and
the plots itself, so the page opens from `file://` with no network and no
server. The script renders `analysis_json` generically: a section it has no
special view for is still shown, as tables and lists.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from harness.asm import COMMENT, SUFFIX, Listing, side_by_side_opcodes
from harness.measure.interleave import LEVEL
from harness.report.analysis import Analysis, Row, analysis_json, is_compiler_built, rows_from_run
from harness.report.headline import executed_total, ratio_with_ci

PAGE = "index.html"
# Wider than a terminal's `arena asm --diff`: a page has room for address, bytes and instruction on each side.
DIFF_PAGE_WIDTH = 180
_KIND_OF_SUFFIX = {suffix: kind for kind, suffix in SUFFIX.items()}
# The fields pytest-benchmark records that say which machine a run was made on.
_MACHINE_KEYS = ("node", "machine", "system", "processor")


# --- listings ----------------------------------------------------------------------------------------------------


def read_listing(path: Path) -> Listing:
    """A listing file that `arena asm` (or a benchmark) wrote, read back: its header, body and code size."""
    text = path.read_text(errors="replace")
    kind = _KIND_OF_SUFFIX.get(path.suffix, "x86")
    marker = COMMENT[kind]
    lines = text.rstrip("\n").split("\n")
    header: list[str] = []
    while lines and lines[0].startswith(marker):
        header.append(lines.pop(0)[len(marker):].strip())
    if lines and not lines[0].strip():
        lines.pop(0)
    variant, _, rest = path.name.rpartition("@")
    route = rest[: -len(path.suffix)] if path.suffix else rest
    stage = re.search(r"\bstage (\S+)", header[0]) if header else None
    size = next((re.search(r"^code: (\d+) bytes", h) for h in header if h.startswith("code:")), None)
    return Listing(variant=variant, route=route.split(".")[0], stage=stage.group(1) if stage else "", kind=kind,
                   header=header, body=lines, raw_text=text, code_bytes=int(size.group(1)) if size else None)


def comparison_partner(row: Row, rows: Sequence[Row]) -> Row | None:
    """The compiler build an AI-written row is set against: the best one on the same substrate (as the headline
    compares like with like), else the fastest compiler-built route its time ratio divides by."""
    here = [r for r in rows if (r.kernel, r.n, r.shape) == (row.kernel, row.n, row.shape) and r.variant == r.kernel]
    same = [r for r in here if r.substrate == row.substrate]
    if same:
        if row.timing == "emulated":
            return min(same, key=lambda r: executed_total(r, rows) or 0)
        return min(same, key=lambda r: r.median)
    native = [r for r in here if is_compiler_built(r)]
    return min(native, key=lambda r: r.median) if native else None


# --- the previous run of the same machine ------------------------------------------------------------------------


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


def _row_key(r: Row) -> str:
    return f"{r.kernel}/{r.variant}/{r.route}/n={r.n}/{r.shape}"


# A row is flagged when its time moved by more than this, beyond its interval: smaller moves are the drift
# between two runs of one machine.
MOVE_THRESHOLD = 0.10


def compare_runs(current: Sequence[Row], previous: Sequence[Row]) -> dict[str, Move]:
    """Per row of both runs: flagged when the whole interval of its time new/old (both runs' rounds) lies beyond
    MOVE_THRESHOLD either way, or when an exact count changed; emulated rows only by their counts."""
    before = {_row_key(r): r for r in previous}
    moves = {}
    for row in current:
        old = before.get(_row_key(row))
        if old is None:
            continue
        key = _row_key(row)
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


# --- the page ----------------------------------------------------------------------------------------------------


def page_data(analysis: Analysis, directory: Path, saved: Path | None = None) -> dict[str, Any]:
    """Everything the page shows, as one JSON object."""
    data = analysis_json(analysis)
    for row in data["rows"] + data["overhead"]:
        # Every round's time and its round id: in report.json; on the page they were most of its weight.
        row.pop("per_sort", None)
        row.pop("round_ids", None)
    listings: dict[str, str] = {}
    problems: list[str] = []
    asm_dir = directory / "asm"
    if asm_dir.is_dir():
        for path in sorted(asm_dir.iterdir()):
            if path.is_file():
                listings[path.name] = path.read_text(errors="replace")
    diffs: dict[str, str] = {}
    for row, shown in zip(analysis.rows, data["rows"]):
        shown["key"] = _row_key(row)
        partner = comparison_partner(row, analysis.rows) if row.origin == "ai" else None
        if partner is None or not row.listing or not partner.listing:
            continue
        pair = f"{row.listing}|{partner.listing}"
        shown["compared_with"] = partner.label
        shown["diff"] = pair
        if pair in diffs or row.listing not in listings or partner.listing not in listings:
            continue
        try:
            # Only how the two listings line up: the page lays them side by side from the listings it embeds
            # anyway, as harness.asm.diff would (the laid-out text was half the page).
            ops = side_by_side_opcodes(read_listing(asm_dir / row.listing), read_listing(asm_dir / partner.listing))
            diffs[pair] = {"a": row.listing, "b": partner.listing, "ops": [[op[0], *rest] for op, *rest in ops]}
        except (OSError, ValueError, IndexError) as exc:
            problems.append(f"{row.label} against {partner.label}: {exc}")
    comparison: dict[str, Any] = {"previous": None}
    prev_path, reason = previous_run(analysis, saved)
    if prev_path is not None:
        # Only its rows' times and counts: not the whole analysis, whose comparisons take seconds.
        previous_run_data = json.loads(prev_path.read_text())
        previous_rows = [r for r in rows_from_run(previous_run_data) if r.kernel != "noop"]
        moves = compare_runs(analysis.rows, previous_rows)
        for shown in data["rows"]:
            move = moves.get(shown["key"])
            if move is not None:
                shown["moved"], shown["moved_detail"] = move.flag, move.detail
        keys_now, keys_then = {_row_key(r) for r in analysis.rows}, {_row_key(r) for r in previous_rows}
        comparison = {"previous": prev_path.stem, "datetime": previous_run_data.get("datetime", ""),
                      "flagged": [vars(m) for m in moves.values() if m.flag], "compared": len(moves),
                      "only_now": len(keys_now - keys_then), "only_before": len(keys_then - keys_now)}
    else:
        comparison["reason"] = reason
    return {"analysis": data, "level": LEVEL, "listings": listings, "diffs": diffs, "diff_problems": problems,
            "comparison": comparison, "diff_width": DIFF_PAGE_WIDTH, "comment_of_suffix": {
                suffix: COMMENT[kind] for kind, suffix in SUFFIX.items()}}


def render_page(data: dict[str, Any]) -> str:
    template = resources.files("harness.report").joinpath("report_page.html").read_text()
    # Inside <script>, "</" would end the element early; "<\/" is the same JSON string.
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")
    title = f"codegen-arena: {data['analysis'].get('run_name', '')}".replace("&", "&amp;").replace("<", "&lt;")
    return template.replace("__TITLE__", title).replace("__DATA__", payload)


def write_page(analysis: Analysis, directory: Path, saved: Path | None = None) -> Path:
    """Write `index.html` into a report folder (after its `asm/` listings are in place)."""
    path = Path(directory) / PAGE
    path.write_text(render_page(page_data(analysis, Path(directory), saved)))
    return path

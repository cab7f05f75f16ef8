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
from importlib import resources
from pathlib import Path
from typing import Any

from harness.asm import COMMENT, SUFFIX, Listing, side_by_side_opcodes
from harness.measure.interleave import LEVEL
from harness.report.analysis import Analysis, Row, analysis_json, is_compiler_built
from harness.report.earlier_run import Move, compare_with_earlier, row_key
from harness.report.headline import executed_total

PAGE = "index.html"
# Wider than a terminal's `arena asm --diff`: a page has room for address, bytes and instruction on each side.
DIFF_PAGE_WIDTH = 180
_KIND_OF_SUFFIX = {suffix: kind for kind, suffix in SUFFIX.items()}


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


# --- the page ----------------------------------------------------------------------------------------------------


def page_data(analysis: Analysis, directory: Path, saved: Path | None = None,
              earlier: tuple[dict[str, Any], dict[str, Move]] | None = None,
              as_json: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the page shows, as one JSON object. `earlier`: the comparison with the previous run of this
    machine, and `as_json`: analysis_json(analysis), when the caller made them already (they take a while; the
    latter is left as it was)."""
    data = dict(as_json if as_json is not None else analysis_json(analysis))
    # Every round's time and its round id: in report.json; on the page they were most of its weight.
    left_out = ("per_sort", "round_ids")
    for table in ("rows", "overhead"):
        data[table] = [{k: v for k, v in row.items() if k not in left_out} for row in data[table]]
    listings: dict[str, str] = {}
    problems: list[str] = []
    asm_dir = directory / "asm"
    if asm_dir.is_dir():
        for path in sorted(asm_dir.iterdir()):
            if path.is_file():
                listings[path.name] = path.read_text(errors="replace")
    diffs: dict[str, str] = {}
    for row, shown in zip(analysis.rows, data["rows"]):
        shown["key"] = row_key(row)
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
    comparison, moves = earlier if earlier is not None else compare_with_earlier(analysis, saved)
    for shown in data["rows"]:
        move = moves.get(shown["key"])
        if move is not None:
            shown["moved"], shown["moved_detail"] = move.flag, move.detail
    return {"analysis": data, "level": LEVEL, "listings": listings, "diffs": diffs, "diff_problems": problems,
            "comparison": comparison, "diff_width": DIFF_PAGE_WIDTH, "comment_of_suffix": {
                suffix: COMMENT[kind] for kind, suffix in SUFFIX.items()}}


def render_page(data: dict[str, Any]) -> str:
    template = resources.files("harness.report").joinpath("report_page.html").read_text()
    # Inside <script>, "</" would end the element early; "<\/" is the same JSON string.
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")
    title = f"codegen-arena: {data['analysis'].get('run_name', '')}".replace("&", "&amp;").replace("<", "&lt;")
    return template.replace("__TITLE__", title).replace("__DATA__", payload)


def write_page(analysis: Analysis, directory: Path, saved: Path | None = None,
               earlier: tuple[dict[str, Any], dict[str, Move]] | None = None,
               as_json: dict[str, Any] | None = None) -> Path:
    """Write `index.html` into a report folder (after its `asm/` listings are in place); the arguments are
    page_data's."""
    path = Path(directory) / PAGE
    path.write_text(render_page(page_data(analysis, Path(directory), saved, earlier, as_json)))
    return path

"""A run against the previous run of the same machine (harness.report.earlier_run): when the machine as a whole
ran slower or faster than then, report.md, the terminal's machine line and the page say so, on fixtures whose
truth is known by construction (the same run saved twice; the same run with some rows' times scaled)."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from harness.report.earlier_run import STATE_THRESHOLD, run_pace
from harness.report.analysis import rows_from_run
from harness.report.summary import machine_line
from harness.report.writer import report_saved_run

FIXTURE = Path(__file__).parent / "fixtures" / "small_run" / "0001_small.json"


def earlier(run: dict[str, Any], factor: float, share: float = 1.0) -> dict[str, Any]:
    """The same run an hour before, its first `share` of timed rows taking `factor` times their time now."""
    before = copy.deepcopy(run)
    before["datetime"] = "2026-01-01T00:00:00.000000+00:00"
    timed = [b for b in before["benchmarks"] if b["extra_info"].get("timing") != "emulated"]
    for bench in timed[:round(share * len(timed))]:
        bench["stats"]["data"] = [t * factor for t in bench["stats"]["data"]]
        bench["stats"]["median"] *= factor
    return before


def reported(tmp_path: Path, previous: dict[str, Any] | None) -> tuple[Any, Path]:
    storage = tmp_path / "bench"
    storage.mkdir()
    current = storage / "0002_now.json"
    current.write_text(FIXTURE.read_text())
    if previous is not None:
        (storage / "0001_then.json").write_text(json.dumps(previous))
    return report_saved_run(current, tmp_path / "reports")


def test_the_same_run_again_is_the_same_pace_and_says_nothing_of_a_state(tmp_path: Path) -> None:
    analysis, directory = reported(tmp_path, earlier(json.loads(FIXTURE.read_text()), 1.0))
    assert analysis.pace_changed == ""
    note = next(n for n in analysis.machine_notes if n.startswith("Against the previous run"))
    assert "x1.00 its time then" in note and "ran" not in note.split("rows).")[-1]
    assert "previous run" not in machine_line(analysis)
    page = json.loads((directory / "report.json").read_text())
    assert page["pace_changed"] == ""


def test_a_machine_that_ran_slower_for_a_third_of_its_rows_is_said_to_have_run_slower(tmp_path: Path) -> None:
    # A slow spell catches some kinds of code and not others: here a third of the rows took 1.4x as long as in
    # the run before, the rest the same. The median row did not move; the report still says the state moved.
    run = json.loads(FIXTURE.read_text())
    analysis, directory = reported(tmp_path, earlier(run, 1 / 1.4, share=0.34))
    assert analysis.pace_changed == "slower"
    assert "ran slower than in its previous run" in machine_line(analysis)
    text = (directory / "report.md").read_text()
    assert "the machine ran slower than then" in text and "compare ratios between runs taken in the same state" in text
    html = (directory / "index.html").read_text()
    assert "the machine ran slower than then" in html
    # And the other way: the run before was the slow one.
    pace = run_pace(rows_from_run(run), rows_from_run(earlier(run, 1.4, share=0.5)), "then")
    assert pace is not None and pace.changed == "faster" and pace.low < 1 / (1 + STATE_THRESHOLD)


def test_without_a_previous_run_nothing_is_said_of_one(tmp_path: Path) -> None:
    analysis, directory = reported(tmp_path, None)
    assert analysis.pace_changed == "" and not any("previous run" in n for n in analysis.machine_notes)
    assert "no earlier saved run of this machine" in (directory / "index.html").read_text()

"""Plot colours that never repeat (harness.report.colours), in the report's PNG plots."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from harness.report import plots
from harness.report.colours import distinct
from harness.report.analysis import analyse

from .test_report import bench


def test_distinct_colours_never_repeat() -> None:
    colours = distinct(80)
    assert len(set(colours)) == 80 and all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    assert distinct(3) == distinct(80)[:3]  # a series keeps its colour when others are added after it


def test_the_time_plot_gives_each_of_many_series_its_own_colour(tmp_path: Path, saved_figures: list[Any]) -> None:
    run = {"benchmarks": [bench(f"ai-variant-{k:02d}", "x86-native", "ai", (1 + k / 10) * 1e-6, n=n)
                          for k in range(24) for n in (16, 128)]
           + [bench("insertion_sort", "c-gcc-O3", "human", 2e-6, n=n) for n in (16, 128)], "arena": {}}
    plots.time_vs_n(analyse(run, "many"), tmp_path)
    lines = [line for line in saved_figures[0].axes[0].get_lines() if line.get_label() != "n² growth"]
    assert len(lines) == 25 and len({line.get_color() for line in lines}) == 25

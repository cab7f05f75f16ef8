"""The report page as pictures: Chromium's screenshots of it, compared with one another within the run.

Fonts differ between machines, so no picture from an earlier run is kept to compare with. Each test takes its
screenshots here and knows by construction how they must relate: the same report looks the same wherever, whenever
and in whatever locale it is opened; a report with one verdict changed differs only in that verdict's rows; the
forest plot is drawn in the stylesheet's verdict colours; no two series of a plot share one. The pictures are also
saved to tests/screenshots/ for a person to look at; nothing reads them back.
"""
from __future__ import annotations

import copy
import io
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy
import pytest
from PIL import Image, ImageChops, ImageColor, ImageDraw

from harness.report import page as html

from .test_html import SCREENSHOTS, browser, page_data, report  # noqa: F401 (browser, report: fixtures)

VIEWPORT = {"width": 1500, "height": 1000}
# What each verdict of the forest plot is drawn in: a variable of the page's stylesheet (unsure, whatever its reason).
VERDICT_VARIABLE = {"AI faster": "--faster", "fewer instructions": "--faster", "compiler faster": "--slower",
                    "more instructions": "--slower", "same": "--same", "same count": "--same",
                    "identical code": "--identical", "unsure (machine busy)": "--unsure"}
MARKER = "#forest g.pair :is(circle, rect)"  # each pair's one marker: a dot (time) or an open square (instructions)


@contextmanager
def opened(chromium: Any, path: Path, *, now: str = "2001-02-03T04:05:06Z", random: float = 0.25,
           **context: Any) -> Iterator[Any]:
    """`path` in a browser context of its own (no cache or storage shared with another), the network refused, the
    clock stopped at `now` and Math.random returning `random`, at one device pixel per CSS pixel."""
    session = chromium.new_context(viewport=VIEWPORT, device_scale_factor=1, **context)
    try:
        tab = session.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.route(re.compile(r"^(?!file:).*"), lambda route: route.abort())
        tab.clock.set_fixed_time(now)
        tab.add_init_script(f"Math.random = () => {random};")
        tab.goto(path.as_uri())
        tab.evaluate("document.fonts.ready.then(() => true)")
        yield tab
        assert not errors, f"the page's script failed: {errors}"
    finally:
        session.close()


def picture(shooter: Any, name: str | None = None, **options: Any) -> Image.Image:
    """A screenshot (of a page or of one element) as RGB pixels; kept in tests/screenshots/ under `name`."""
    image = Image.open(io.BytesIO(shooter.screenshot(**options))).convert("RGB")
    if name:
        keep(image, name)
    return image


def keep(image: Image.Image, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    image.save(SCREENSHOTS / f"{name}.png")


def changed(a: Image.Image, b: Image.Image) -> Image.Image:
    """A mask, white where the two pictures of one size differ at all."""
    assert a.size == b.size, f"the pictures differ in size: {a.size} and {b.size}"
    return ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v else 0)


def box_of(tab: Any, selector: str, nth: int = 0, grow: float = 0) -> tuple[int, int, int, int]:
    """An element's box in page pixels (what a full-page screenshot shows), grown by `grow` on every side."""
    rect = tab.locator(selector).nth(nth).evaluate("""e => { const r = e.getBoundingClientRect();
        return [r.left + scrollX, r.top + scrollY, r.right + scrollX, r.bottom + scrollY]; }""")
    left, top, right, bottom = rect
    return (int(left - grow), int(top - grow), int(right + grow + 1), int(bottom + grow + 1))


def rgb(css: str) -> tuple[int, int, int]:
    """A colour as CSS writes it (#555, #1a7f37, rgb(26, 127, 55)) as the pixel it paints."""
    found = re.fullmatch(r"rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*1)?\)", css.strip())
    return tuple(int(v) for v in found.groups()) if found else ImageColor.getrgb(css.strip())[:3]


def written(directory: Path, data: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "index.html"
    path.write_text(html.render_page(data))
    return path


# --- the same report, the same picture ----------------------------------------------------------------------------


def test_the_same_report_renders_the_same_picture_wherever_whenever_and_in_any_locale(
        browser: Any, report: dict[str, Any], tmp_path: Path) -> None:
    # The report folder copied elsewhere, opened in another context at another time, in another time zone and
    # locale, with another Math.random: nothing of these may show.
    elsewhere = tmp_path / "elsewhere" / "copy of the report"
    shutil.copytree(report["dir"], elsewhere)
    with opened(browser, report["page"]) as first:
        one, dom = picture(first, "same-report-first", full_page=True), first.evaluate("document.body.outerHTML")
    with opened(browser, elsewhere / "index.html", now="2037-11-12T23:59:59Z", random=0.875,
                timezone_id="Pacific/Chatham", locale="de-DE") as second:
        two, other_dom = picture(second, "same-report-second", full_page=True), second.evaluate("document.body.outerHTML")
    differs = changed(one, two).getbbox()
    assert differs is None, f"the same report rendered differently, within {differs} (x0, y0, x1, y1)"
    # What shows no pixel (an id, a title shown on hover) must not vary either.
    assert other_dom == dom, "the page built another document"


# --- one verdict changed, one row changed -------------------------------------------------------------------------


def test_a_changed_verdict_changes_the_picture_only_in_its_own_rows(browser: Any, report: dict[str, Any],
                                                                   tmp_path: Path) -> None:
    data = page_data(report)
    pairs = data["analysis"]["headline"]
    plotted = [h for h in pairs if h["time_ratio"] is not None or h["executed_ratio"] is not None]
    verdicts = Counter(h["verdict"] for h in pairs)
    # A timed pair whose verdict another pair shares, so the table's verdict column keeps its width, turned into a
    # shorter verdict of another colour, so the plot keeps its width: only this pair's rows may change.
    k, pair = next((k, h) for k, h in enumerate(plotted) if h["time_ratio"] is not None and verdicts[h["verdict"]] > 1
                   and len(h["verdict"]) >= len("compiler faster") and VERDICT_VARIABLE.get(h["verdict"]) != "--slower")
    before = written(tmp_path / "before", data)
    pair["verdict"] = "compiler faster"
    after = written(tmp_path / "after", data)
    with opened(browser, before) as tab:
        old = picture(tab, full_page=True)
    with opened(browser, after) as tab:
        new = picture(tab, full_page=True)
        forest = box_of(tab, "#forest")
        row = box_of(tab, "#forest g.pair", k, grow=2)
        point = box_of(tab, MARKER, k, grow=1)
        cell = box_of(tab, "#headline-table tbody tr", pairs.index(pair))
    mask = changed(old, new)
    band = (forest[0], row[1], forest[2], row[3])
    assert mask.crop(point).getbbox(), "the changed verdict's point kept its colour"
    assert mask.crop(cell).getbbox(), "the changed verdict's table row did not change"
    elsewhere = mask.copy()
    draw = ImageDraw.Draw(elsewhere)
    for region in (band, cell):
        draw.rectangle((region[0], region[1], region[2] - 1, region[3] - 1), fill=0)
    outside = elsewhere.getbbox()
    shown = new.copy()
    shown.paste((255, 0, 255), mask=mask)
    keep(shown, "one-verdict-changed")
    assert outside is None, (f"one changed verdict changed the picture outside its forest row {band} and table row "
                             f"{cell}, within {outside} (see tests/screenshots/one-verdict-changed.png)")


# --- colours ------------------------------------------------------------------------------------------------------


def test_the_forest_plot_is_drawn_in_the_stylesheets_verdict_colours(browser: Any, report: dict[str, Any],
                                                                    tmp_path: Path) -> None:
    data = page_data(report)
    kinds = list(VERDICT_VARIABLE)
    for k, pair in enumerate(data["analysis"]["headline"]):
        pair["verdict"] = kinds[k % len(kinds)]
    with opened(browser, written(tmp_path, data)) as tab:
        styles = tab.evaluate("""names => Object.fromEntries(names.map(n =>
            [n, getComputedStyle(document.documentElement).getPropertyValue(n)]))""",
                              sorted(set(VERDICT_VARIABLE.values())))
        colours = {name: rgb(value) for name, value in styles.items()}
        assert len(set(colours.values())) == len(colours), f"two verdicts share a colour in the stylesheet: {styles}"
        whole = picture(tab, "forest-every-verdict", full_page=True)
        drawn = tab.locator("#forest g.pair").evaluate_all("gs => gs.map(g => g.dataset.verdict)")
        assert sorted(set(drawn)) == sorted(kinds)
        for k, verdict in enumerate(drawn):
            # Among the marker's pixels, some it covers wholly: those show its colour exactly.
            seen = {c for _, c in whole.crop(box_of(tab, MARKER, k)).getcolors(1 << 16)}
            wanted = colours[VERDICT_VARIABLE[verdict]]
            assert wanted in seen, f"{verdict!r} is not drawn in {VERDICT_VARIABLE[verdict]} {wanted}"
            others = {c for name, c in colours.items() if c != wanted} & seen
            assert not others, f"{verdict!r} is drawn in another verdict's colour too: {others}"
        # The legend's swatches, in the legend's order: faster, slower, same, identical code, unsure.
        swatches = tab.locator(".forest-legend .swatch")
        centres = []
        for k in range(swatches.count()):
            left, top, right, bottom = box_of(tab, ".forest-legend .swatch", k)
            centres.append(whole.getpixel(((left + right) // 2, (top + bottom) // 2)))
        assert centres == [colours[v] for v in ("--faster", "--slower", "--same", "--identical", "--unsure")]


def test_each_series_of_a_plot_is_drawn_in_a_colour_of_its_own(browser: Any, report: dict[str, Any],
                                                              tmp_path: Path) -> None:
    data = page_data(report)
    rows = data["analysis"]["rows"]
    # Past the palette's ten: a dozen more AI-written series, each a little slower than the one it copies.
    ai = [r for r in rows if r["origin"] == "ai" and r["timing"] != "emulated" and r["shape"] == "random"]
    for k in range(12):
        for row in ai:
            twin = copy.deepcopy(row)
            twin["variant"], twin["median"] = f"{row['variant']}-copy{k:02d}", row["median"] * (1 + (k + 1) / 16)
            twin["key"] = f"{row['key']}-copy{k:02d}"
            rows.append(twin)
    with opened(browser, written(tmp_path, data)) as tab:
        plots = tab.locator(".plot > svg")
        assert plots.count() >= 2
        widest = 0
        for p in range(plots.count()):
            plot = plots.nth(p)
            series = plot.locator("g.series")
            names = series.evaluate_all("gs => gs.map(g => g.dataset.series)")
            strokes = series.evaluate_all("gs => gs.map(g => getComputedStyle(g.querySelector('polyline')).stroke)")
            guides = series.evaluate_all("gs => gs.map(g => g.children.length <= 2)")  # no markers: the n² guide
            plot.evaluate("svg => svg.querySelectorAll('g.series').forEach(g => g.style.visibility = 'hidden')")
            empty = picture(plot)
            found: dict[str, tuple[int, int, int]] = {}
            for s, name in enumerate(names):
                if guides[s]:
                    continue  # a thin dotted black line, no fully covered pixel to read a colour from
                series.nth(s).evaluate("g => g.style.visibility = 'visible'")
                alone = picture(plot)
                series.nth(s).evaluate("g => g.style.visibility = 'hidden'")
                mask = changed(empty, alone)
                ys, xs = numpy.nonzero(numpy.asarray(mask))
                counts = Counter(map(tuple, numpy.asarray(alone)[ys, xs].tolist()))
                assert counts, f"series {name!r} draws nothing"
                found[name] = counts.most_common(1)[0][0]
                assert found[name] == rgb(strokes[s]), f"series {name!r} is drawn in {found[name]}, not {strokes[s]}"
            plot.evaluate("svg => svg.querySelectorAll('g.series').forEach(g => g.style.visibility = '')")
            picture(plot, f"plot-{p}-many-series")
            shared = [names for names in ([n for n in found if found[n] == c] for c in set(found.values()))
                      if len(names) > 1]
            assert not shared, f"{len(shared)} colours are each drawn for several series, as {shared[0]}"
            widest = max(widest, len(found))
        assert widest > 10, "no plot had more series than the palette's ten"


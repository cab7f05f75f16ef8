"""The report page (`index.html`), built from a small real run and used in a real browser (headless Chromium).

The fixture under tests/fixtures/small_run is a run `nox -s bench` saved (a few variants and routes at
n = 16 and 128) with the listings it wrote. Screenshots go to tests/screenshots/.
"""
from __future__ import annotations

import copy
import itertools
import json
import math
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.report import page as html
from harness.asm import diff
from harness.report.writer import report_saved_run

FIXTURE = Path(__file__).parent / "fixtures" / "small_run"
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # an identifier the DOM needs, never fetched


def saved_run(directory: Path, name: str = "0002_small.json", **changes: Any) -> Path:
    """A copy of the fixture run in `directory`, its listings pointing at a copy of the fixture's."""
    run = json.loads((FIXTURE / "0001_small.json").read_text())
    asm = directory / "listings"
    if not asm.exists():
        shutil.copytree(FIXTURE / "asm", asm)
    run["arena"]["listings"] = str(asm)
    run.update(changes)
    path = directory / name
    path.write_text(json.dumps(run))
    return path


def slowed_previous(run: dict[str, Any]) -> dict[str, Any]:
    """The same run as an earlier one where one AI row was twenty times slower (beyond this noisy run's intervals) and one exact count differed."""
    before = copy.deepcopy(run)
    before["datetime"] = "2026-01-01T00:00:00.000000+00:00"
    for bench in before["benchmarks"]:
        info = bench["extra_info"]
        if (info.get("variant"), info.get("route"), info.get("n")) == ("ai-wat-index-loop", "wasmtime", 128):
            bench["stats"]["data"] = [t * 20 for t in bench["stats"]["data"]]
            bench["stats"]["median"] *= 20
        if (info.get("variant"), info.get("route"), info.get("n")) == ("ai-x86-pointer-walk", "x86-unicorn", 16):
            info["executed"] = {"instructions": info["executed"]["instructions"] + 7}
    return before


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`arena report` on the fixture run, with an earlier run of the same machine saved beside it."""
    root = tmp_path_factory.mktemp("html")
    storage = root / "bench" / "Linux-CPython-3.11-64bit"
    storage.mkdir(parents=True)
    current = saved_run(storage)
    (storage / "0001_before.json").write_text(json.dumps(slowed_previous(json.loads(current.read_text()))))
    analysis, directory = report_saved_run(current, root / "reports")
    return {"page": directory / "index.html", "json": json.loads((directory / "report.json").read_text()),
            "dir": directory}


def find_chromium() -> str | None:
    for candidate in (os.environ.get("ARENA_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[test])")
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium found on PATH (apt-get install chromium, or set ARENA_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, report: dict[str, Any]) -> Iterator[Any]:
    """The report page with every request but the page's own file refused: it must need no network."""
    tab = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    requested: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("request", lambda request: requested.append(request.url))
    tab.route(re.compile(r"^(?!file:).*"), lambda route: route.abort())
    tab.goto(report["page"].as_uri())
    tab.requested = requested
    yield tab
    assert not errors, f"the page's script failed: {errors}"
    tab.close()


def shot(tab: Any, name: str, **options: Any) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.screenshot(path=str(path), **options)
    print(f"screenshot: {path}")
    return path


def visible_rows(tab: Any) -> list[tuple[str, ...]]:
    """(variant, route, n) of every table row, top to bottom, as a person reads them."""
    cells = tab.locator("#results tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.children].map(td => td.textContent))")
    return [(c[1], c[3], c[5]) for c in cells]


# --- without a browser ------------------------------------------------------------------------------------------


def test_page_is_one_file_with_nothing_fetched(report: dict[str, Any]) -> None:
    text = report["page"].read_text()
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= {SVG_NAMESPACE}, f"the page refers to the network: {urls - {SVG_NAMESPACE}}"
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", text), "the page loads a file of its own"
    listing = (FIXTURE / "asm" / "insertion_sort@c-gcc-O3.s").read_text()
    assert json.dumps(listing)[1:-1].replace("</", "<\\/") in text, "the listings are not embedded"
    print(f"page size: {len(text.encode()):,} bytes for {len(report['json']['rows'])} rows")


def test_previous_run_of_another_machine_is_not_compared(tmp_path: Path) -> None:
    current = saved_run(tmp_path)
    other = json.loads(current.read_text())
    other["datetime"], other["machine_info"]["node"] = "2026-01-01T00:00:00", "another-host"
    (tmp_path / "0001_other.json").write_text(json.dumps(other))
    data = html.page_data(*_analysed(current))
    assert data["comparison"]["previous"] is None and "no earlier saved run" in data["comparison"]["reason"]
    other["machine_info"]["node"] = json.loads(current.read_text())["machine_info"]["node"]
    (tmp_path / "0001_other.json").write_text(json.dumps(other))
    assert html.page_data(*_analysed(current))["comparison"]["previous"] == "0001_other"


def _analysed(saved: Path) -> tuple[Any, Path, Path]:
    from harness.report.analysis import analyse

    directory = saved.parent / "report"
    directory.mkdir(exist_ok=True)
    return analyse(json.loads(saved.read_text()), saved.stem), directory, saved


# --- in the browser ---------------------------------------------------------------------------------------------


def test_page_opens_offline_with_headline_and_every_row(page: Any, report: dict[str, Any]) -> None:
    assert page.requested == [report["page"].as_uri()]
    assert page.locator("#results tbody tr").count() == len(report["json"]["rows"])
    headline = page.locator("#headline table tbody tr")
    assert headline.count() == len(report["json"]["headline"])
    first = report["json"]["headline"][0]
    assert first["ai"] in headline.first.inner_text() and first["verdict"] in headline.first.inner_text()
    # The summary counts every AI row with a verdict: an `unsure (...)` one among the unsure.
    ai = [r["verdict"].split(" (")[0] for r in report["json"]["rows"] if r["origin"] == "ai" and r["verdict"]]
    assert (f"{ai.count('faster')} faster, {ai.count('slower')} slower, {ai.count('same')} same, "
            f"{ai.count('identical code')} identical code, {ai.count('unsure')} unsure"
            in page.locator("#summary").inner_text())
    shot(page, "headline")
    shot(page, "page", full_page=True)


def test_sorting_a_column_orders_the_rows_a_person_sees(page: Any, report: dict[str, Any]) -> None:
    rows = report["json"]["rows"]
    by_median = [(r["variant"], r["route"], str(r["n"])) for r in sorted(rows, key=lambda r: r["median"])]
    page.click("#results th[data-key=median]")
    assert visible_rows(page) == by_median
    assert page.get_attribute("#results th[data-key=median]", "aria-sort") == "ascending"
    shot(page, "sorted-by-median", clip=_table_clip(page))
    page.click("#results th[data-key=median]")
    assert visible_rows(page) == by_median[::-1]
    page.click("#results th[data-key=code_bytes]")
    sizes = [int(t) for t in page.locator("#results tbody td:nth-child(13)").all_inner_texts()]
    assert sizes == sorted(sizes) and len(set(sizes)) > 1


def _table_clip(tab: Any) -> dict[str, float]:
    box = tab.locator("#table").bounding_box()
    return {"x": box["x"], "y": box["y"], "width": box["width"], "height": min(box["height"], 900)}


def test_filtering_by_origin_and_n_keeps_only_those_rows(page: Any, report: dict[str, Any]) -> None:
    ai = [(r["variant"], r["route"], str(r["n"])) for r in report["json"]["rows"] if r["origin"] == "ai"]
    page.select_option("#filter-origin", "ai")
    shown = visible_rows(page)
    assert sorted(shown) == sorted(ai) and shown
    page.select_option("#filter-n", "128")
    assert sorted(visible_rows(page)) == sorted(row for row in ai if row[2] == "128")
    assert page.inner_text("#shown") == f"{len(visible_rows(page))} of {len(report['json']['rows'])} rows shown"
    page.select_option("#filter-origin", "")
    page.select_option("#filter-n", "")
    assert len(visible_rows(page)) == len(report["json"]["rows"])


def test_a_row_opens_its_listing(page: Any, report: dict[str, Any]) -> None:
    page.click("#results tbody tr[data-key='insertion_sort/insertion_sort/c-gcc-O3/n=128/random']")
    assert page.is_visible("#viewer")
    listing = (report["dir"] / "asm" / "insertion_sort@c-gcc-O3.s").read_text()
    assert page.text_content("#viewer-text") == listing
    assert "insertion_sort@c-gcc-O3" in page.inner_text("#viewer-title")
    page.keyboard.press("Escape")
    assert not page.is_visible("#viewer")


def test_an_ai_row_opens_beside_the_compiler_build(page: Any, report: dict[str, Any]) -> None:
    rows = report["json"]["rows"]
    ai = next(r for r in rows if (r["variant"], r["route"], r["n"]) == ("ai-x86-pointer-walk", "x86-native", 128))
    compilers = [r for r in rows if r["variant"] == r["kernel"] and r["substrate"] == ai["substrate"] and r["n"] == 128]
    partner = min(compilers, key=lambda r: r["median"])
    page.click("#results tbody tr[data-key='insertion_sort/ai-x86-pointer-walk/x86-native/n=128/random']")
    title = page.inner_text("#viewer-title")
    assert f"ai-x86-pointer-walk@x86-native beside {partner['variant']}@{partner['route']}" in title
    asm = report["dir"] / "asm"
    expected = diff(html.read_listing(asm / ai["listing"]), html.read_listing(asm / partner["listing"]),
                    width=html.DIFF_PAGE_WIDTH)
    shown = page.locator("#viewer-text div").all_text_contents()
    assert [line.rstrip() for line in shown] == [line.rstrip() or "" for line in expected]
    assert page.locator("#viewer-text .d-change").count() > 0
    shot(page, "side-by-side")
    page.click("#show-listing")
    assert page.text_content("#viewer-text") == (asm / ai["listing"]).read_text()


def test_plot_series_differ_in_colour_and_marker_and_are_named(page: Any) -> None:
    plots = page.locator(".plot > svg")
    assert plots.count() >= 2
    for k in range(plots.count()):
        series = plots.nth(k).locator("g.series").evaluate_all("""gs => gs.map(g => ({
            name: g.dataset.series, line: g.querySelector('polyline').getAttribute('stroke'),
            marker: g.children[2] ? g.children[2].tagName + (g.children[2].getAttribute('points') || '').split(' ').length : ''}))""")
        legend = page.locator(".plot").nth(k).locator(".legend li").all_inner_texts()
        assert [s["name"] for s in series] == legend
        styles = [(s["line"], s["marker"]) for s in series if s["marker"]]
        assert len(set(c for c, _ in styles)) == len(styles), f"two series share a colour: {styles}"
        assert len(set(m for _, m in styles)) == len(styles), f"two series share a marker: {styles}"


def test_rows_that_moved_since_the_previous_run_are_flagged(page: Any) -> None:
    flagged = {row.split("\n")[0] for row in page.locator("#comparison table tbody tr").all_inner_texts()}
    keys = {line.split("\t")[0] for line in flagged}
    assert keys == {"insertion_sort/ai-wat-index-loop/wasmtime/n=128/random",
                    "insertion_sort/ai-x86-pointer-walk/x86-unicorn/n=16/random"}
    cell = page.locator("#results tbody tr[data-key='insertion_sort/ai-wat-index-loop/wasmtime/n=128/random'] .moved")
    assert cell.inner_text() == "faster"
    cell = page.locator("#results tbody tr[data-key='insertion_sort/ai-x86-pointer-walk/x86-unicorn/n=16/random'] .moved")
    assert cell.inner_text() == "count changed"


def test_sections_the_page_does_not_know_are_shown(browser: Any, report: dict[str, Any], tmp_path: Path) -> None:
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>',
                                report["page"].read_text(), re.S).group(1))
    data["analysis"]["user_files"] = [{"file": "mine.wat", "verdict": "fail", "message": "wrong answer at 3"}]
    path = tmp_path / "index.html"
    path.write_text(html.render_page(data))
    tab = browser.new_page()
    tab.goto(path.as_uri())
    section = tab.locator("#extra-user_files")
    assert "mine.wat" in section.inner_text() and "wrong answer at 3" in section.inner_text()
    assert section.locator(".v-fail").inner_text() == "fail"
    # The answer first; then what the page has no view for, before the sections it has one for.
    ids = tab.locator("main > section").evaluate_all("ss => ss.map(s => s.id)")
    extras = list(itertools.takewhile(lambda i: i.startswith("extra-"), ids[1:]))
    assert ids[0] == "headline" and "extra-user_files" in extras and len(ids) > len(extras) + 1
    tab.close()


def test_an_unsure_verdict_with_its_reason_counts_and_reads_as_unsure(browser: Any, report: dict[str, Any],
                                                                     tmp_path: Path) -> None:
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>',
                                report["page"].read_text(), re.S).group(1))
    ai = [r for r in data["analysis"]["rows"] if r["origin"] == "ai" and r["verdict"]]
    reasons = ["unsure (machine busy)", "unsure (insertion_sort@c-gcc-O3 unstable)", "faster", "same", "identical code"]
    for row, verdict in zip(ai, reasons):
        row["verdict"] = verdict
    path = tmp_path / "index.html"
    path.write_text(html.render_page(data))
    tab = browser.new_page()
    tab.goto(path.as_uri())
    counted = [r["verdict"].split(" (")[0] for r in ai]
    assert (f"{counted.count('faster')} faster, {counted.count('slower')} slower, {counted.count('same')} same, "
            f"{counted.count('identical code')} identical code, {counted.count('unsure')} unsure"
            in tab.locator("#summary").inner_text())
    assert tab.locator("#results td.v-identical-code").count() >= 1
    cell = tab.locator("#results td.v-unsure", has_text="unstable")
    assert cell.count() >= 1 and cell.first.inner_text().startswith("unsure (insertion_sort@c-gcc-O3 unstable)")
    tab.close()


# --- the answer first -------------------------------------------------------------------------------------------


def page_data(report: dict[str, Any]) -> dict[str, Any]:
    return json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>',
                                report["page"].read_text(), re.S).group(1))


def test_the_page_opens_on_the_answer_with_a_forest_plot_of_every_pair(page: Any, report: dict[str, Any]) -> None:
    assert page.locator("main > section").first.get_attribute("id") == "headline"
    assert page.locator("#forest").bounding_box()["y"] < page.viewport_size["height"]  # on the first screen
    pairs = report["json"]["headline"]
    drawn = page.locator("#forest g.pair").evaluate_all("""gs => gs.map(g => {
        const dot = g.querySelector('circle, rect'), box = dot.getBBox();
        return {x: box.x + box.width / 2, colour: dot.getAttribute('fill') === 'none' ? dot.getAttribute('stroke')
                : dot.getAttribute('fill'), verdict: g.dataset.verdict, why: g.querySelector('text.why').textContent,
                label: g.querySelector('text').getBBox().x, ci: !!g.querySelector('line.ci')};
    })""")
    assert len(drawn) == len(pairs)
    values = [p["time_ratio"] if p["time_ratio"] is not None else p["executed_ratio"] for p in pairs]
    # Log scale: equal ratios of ratios are equal distances, and the order along the axis is the ratios' order.
    order = sorted(range(len(pairs)), key=lambda i: values[i])
    assert [drawn[i]["x"] for i in order] == sorted(d["x"] for d in drawn)
    (lo, hi) = (order[0], order[-1])
    one = page.locator("#forest line[stroke='#333']").evaluate("l => +l.getAttribute('x1')")
    scale = (drawn[hi]["x"] - drawn[lo]["x"]) / math.log(values[hi] / values[lo])
    assert drawn[lo]["x"] + scale * math.log(1 / values[lo]) == pytest.approx(one, abs=0.5)
    # The explanation beside each pair; a colour per verdict, never one colour for two verdicts.
    for pair, shown in zip(pairs, drawn):
        assert shown["verdict"] == pair["verdict"] and pair["explanation"] in shown["why"]
        assert shown["ci"] == (pair["time_ci"] is not None)
        assert shown["label"] >= 0  # no label runs off the plot's left edge
    colours = {d["verdict"]: d["colour"] for d in drawn}
    assert len(set(colours.values())) == len(colours)
    # The pairs as a table of words and numbers, with the explanation as its last column.
    table = page.locator("#headline-table tbody tr")
    assert table.count() == len(pairs) and pairs[0]["explanation"] in table.first.inner_text()
    shot(page, "answer", clip=page.locator("#headline").bounding_box())


def test_sections_read_as_tables_of_words_not_nested_records(browser: Any, report: dict[str, Any],
                                                            tmp_path: Path) -> None:
    from harness.report import alphadev

    data = page_data(report)
    side = {"label": "ai-x86-sort3@x86-native", "program_length": 17, "executed_instructions": 18,
            "seconds_per_call": 4e-9}
    data["analysis"]["alphadev"] = [{"kernel": "sort3", "best_ai": side, "best_compiler": {**side, "label": "sort3@c-gcc-O3"},
                                     "published": {"alphadev": 17, "human_benchmark": 18, "source": alphadev.SOURCE}}]
    path = tmp_path / "index.html"
    path.write_text(html.render_page(data))
    tab = browser.new_page(viewport={"width": 1500, "height": 1000})
    tab.goto(path.as_uri())
    rows = tab.locator("#alphadev-table tbody tr").all_inner_texts()
    assert rows == ["sort3\tai-x86-sort3@x86-native\t17\t18\t4 ns\tsort3@c-gcc-O3\t17\t18\t4 ns\t17\t18"]
    for section in ("#headline", "#alphadev"):
        assert tab.locator(f"{section} dl, {section} table table").count() == 0, f"{section} shows raw records"
    tab.close()


def test_plot_colours_never_repeat_however_many_series(page: Any) -> None:
    colours = page.evaluate("[...Array(60)].map((_, i) => colourOf(i))")
    assert len(set(colours)) == 60


def test_the_page_leaves_out_every_rounds_figures(report: dict[str, Any]) -> None:
    text = report["page"].read_text()
    assert '"per_sort"' not in text and '"round_ids"' not in text


def test_the_users_files_read_as_sentences_and_one_table_each(browser: Any, tmp_path: Path) -> None:
    from harness.report.analysis import analyse
    from harness.report.writer import write_report

    from .test_supplied import run_with

    directory = write_report(analyse(run_with(), "run"), tmp_path)
    tab = browser.new_page(viewport={"width": 1500, "height": 1000})
    tab.goto((directory / "index.html").as_uri())
    assert tab.locator("main > section").evaluate_all("ss => ss.map(s => s.id)")[:2] == ["headline", "supplied"]
    section = tab.locator("#supplied")
    assert {f"{n} (/home/me/{n}.wat)" for n in ("gpt", "opus", "gem", "broken")} <= set(section.locator("h3").all_inner_texts())
    text = section.inner_text()
    assert "smallest failing input [0,-1]: got [0,-1], expected [-1,0]" in text and "Adapted: host import(s) console.log" in text
    assert "fewer instructions (0.88x the instructions)" in text  # gpt's explanation, beside its ratio
    assert section.locator("dl, table table").count() == 0
    shot(tab, "your-files", clip=section.bounding_box())
    tab.close()

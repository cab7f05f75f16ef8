"""The files a user handed to the run (origin `supplied`): judged like AI-written variants, ranked, shown first.

`attach` fills `analysis.supplied` from a saved run: per file, the correctness
check (with the shrunk counterexample when wrong), what was adapted to run it,
its lines; per substrate and n, each timed row against the best compiler build
on the same substrate (time ratio with its bootstrap interval, verdict,
executed-work ratio); and a ranking of the supplied files among themselves,
each neighbouring pair's ratio with its interval from the rounds the two shared
in their timed block (harness.measure.interleave's verdicts). `markdown` renders that as
the report's first section.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.measure.interleave import LEVEL

ORIGIN = "supplied"


def _ci_text(low: float | None, high: float | None) -> str:
    return f"[{low:.2f}-{high:.2f}]" if low is not None and high is not None else "[no interval]"


def _files(meta: dict[str, Any], failures: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per supplied file, from every check of it the run saved (failed checks included)."""
    by_file: dict[tuple[str, str], dict[str, Any]] = {}
    for report in [*meta.get("supplied", []), *(f for f in failures if f.get("origin") == ORIGIN)]:
        entry = by_file.setdefault((report["variant"], report["path"]), {
            "variant": report["variant"], "path": report["path"], "language": report.get("language", ""),
            "lines": report.get("lines", {}), "routes": {}, "notes": [], "problems": [],
        })
        entry["routes"][report["route"]] = report["verdict"]
        entry["notes"] += [n for n in report.get("notes", []) if n not in entry["notes"]]
        if report["verdict"] not in ("pass", "skip") and not any(p["route"] == report["route"] for p in entry["problems"]):
            entry["problems"].append({"route": report["route"], "verdict": report["verdict"],
                                      "message": report["message"].splitlines()[0] if report["message"] else "",
                                      "counterexample": report.get("counterexample")})
    for entry in by_file.values():
        verdicts = set(entry["routes"].values())
        entry["correctness"] = "pass" if verdicts <= {"pass", "skip"} else (
            "fail" if "fail" in verdicts else "error")
    return sorted(by_file.values(), key=lambda e: e["variant"])


def _comparisons(rows: Sequence[Any], analysis: Any) -> list[dict[str, Any]]:
    from harness.report.headline import _quotient, base_cost, executed_total, time_comparison

    out = []
    for row in sorted((r for r in rows if r.origin == ORIGIN), key=lambda r: (r.variant, r.substrate, r.n, r.shape)):
        compilers = [r for r in analysis.rows if r.variant == r.kernel and r.kernel == row.kernel
                     and (r.substrate, r.n, r.shape) == (row.substrate, row.n, row.shape)]
        mine = executed_total(row, analysis.rows)
        entry: dict[str, Any] = {"variant": row.variant, "route": row.route, "substrate": row.substrate, "n": row.n,
                                 "shape": row.shape, "median": row.median, "compiler": None, "time_ratio": None,
                                 "ci": None, "verdict": "", "executed_ratio": None}
        if row.timing == "emulated":
            best = min(compilers, key=lambda r: executed_total(r, analysis.rows) or float("inf"), default=None)
            if best is not None:
                entry["executed_ratio"] = _quotient(mine, executed_total(best, analysis.rows))
                entry["compiler"] = best.label
            ratio = entry["executed_ratio"]
            entry["verdict"] = "not compared" if ratio is None else (
                "fewer instructions" if ratio < 1 else "more instructions" if ratio > 1 else "same count")
        elif compilers:
            best = min(compilers, key=lambda r: (base_cost(r), r.label))
            ratio, ci, verdict = time_comparison(row, best)
            entry.update(compiler=best.label, time_ratio=ratio, ci=list(ci) if ci else None, verdict=verdict,
                         executed_ratio=_quotient(mine, executed_total(best, analysis.rows)))
        else:
            entry["verdict"] = "not compared"
        # The row's own verdict is against the fastest native compiler build; without one in the run, the
        # build on its own substrate decides, so no supplied row is left without a verdict.
        if not row.verdict:
            row.verdict = entry["verdict"] if entry["verdict"] != "not compared" else "not compared: no compiler build timed"
        out.append(entry)
    return out


def _ranking(rows: Sequence[Any]) -> list[dict[str, Any]]:
    from harness.report.headline import APART, base_cost, executed_total, time_comparison
    from harness.measure.interleave import SAME, SLOWER

    supplied = [r for r in rows if r.origin == ORIGIN]
    out = []
    for substrate, n, shape in sorted({(r.substrate, r.n, r.shape) for r in supplied}):
        here = [r for r in supplied if (r.substrate, r.n, r.shape) == (substrate, n, shape)]
        if len({r.variant for r in here}) < 2:
            continue
        emulated = here[0].timing == "emulated"
        # A file on several routes of one substrate (C at -O0 and -O3) is named with its route.
        twice = {r.variant for r in here if sum(o.variant == r.variant for o in here) > 1}

        def cost(r: Any) -> float:
            # The order the timed blocks took more rounds for: by the rounds every member shared.
            return float(executed_total(r, rows) or 0) if emulated else base_cost(r)

        ordered = sorted(here, key=lambda r: (cost(r), r.label))
        names = [f"{r.variant}@{r.route}" if r.variant in twice else r.variant for r in ordered]
        steps = []
        for (a, name_a), (b, name_b) in zip(zip(ordered, names), zip(ordered[1:], names[1:])):
            if emulated:
                ratio, ci = cost(b) / cost(a) if cost(a) else float("nan"), None
                verdict = SLOWER if ratio > 1 else SAME
            else:
                ratio, ci, verdict = time_comparison(b, a)  # the slower over the faster, round by round
            steps.append({"faster": name_a, "slower": name_b, "ratio": ratio, "verdict": verdict,
                          "interleaved": not emulated and verdict != APART, "ci": list(ci) if ci else None,
                          "sure": verdict == SLOWER})
        line = names[0] + "".join(f" {_step_sign(s['verdict'])} {s['slower']}" for s in steps)
        measure = "executed instructions" if emulated else "time"
        out.append({"substrate": substrate, "n": n, "shape": shape, "order": names, "steps": steps,
                    "summary": f"on {substrate} at n={n} ({shape}, {measure}): {line}"})
    return out


def _step_sign(verdict: str) -> str:
    """`<` the next is slower, `=` the same speed or identical code, `>` faster after all (ranked by the first
    rounds, decided on all of them), `~` unsure."""
    return {"slower": "<", "same": "=", "identical code": "=", "faster": ">"}.get(verdict, "~")


def attach(analysis: Any, run: dict[str, Any]) -> None:
    """Fill `analysis.supplied` (and the verdict of every supplied row) from a saved run; nothing when the run
    had no supplied files."""
    meta = run.get("arena", {})
    files = _files(meta, analysis.failures)
    if not files and not any(r.origin == ORIGIN for r in analysis.rows):
        return
    analysis.supplied = {"files": files, "comparisons": _comparisons(analysis.rows, analysis),
                         "ranking": _ranking(analysis.rows)}


def markdown(analysis: Any) -> list[str]:
    data = getattr(analysis, "supplied", None)
    if not data:
        return []
    from harness.report.formatting import fmt_time

    out = ["## Your files", "",
           "The files handed to this run (origin `supplied`), judged like AI-written variants: ratios are yours / the "
           "best compiler build of the kernel's own source on the same substrate (below 1: yours is faster or "
           f"executes less), with {LEVEL} intervals from the rounds the two shared (harness.measure.interleave).", ""]
    for f in data["files"]:
        out.append(f"### {f['variant']} (`{f['path']}`)")
        out.append("")
        lines = f["lines"]
        out.append(f"- correctness: **{f['correctness']}** on {len(f['routes'])} route(s) "
                   f"({', '.join(f'{r} {v}' for r, v in sorted(f['routes'].items()))}); "
                   f"lines: {lines.get('effective', '?')} effective / {lines.get('total', '?')} total")
        for problem in f["problems"]:
            out.append(f"- {problem['route']}: {problem['verdict']}: {problem['message']}")
            if problem["counterexample"]:
                ce = problem["counterexample"]
                out.append(f"  - smallest failing input `{ce['input']}`: got `{ce['got']}`, expected `{ce['expected']}`")
        out += [f"- adapted: {note}" for note in f["notes"]] or ["- adapted: nothing, it ran as written"]
        mine = [c for c in data["comparisons"] if c["variant"] == f["variant"]]
        if mine:
            out += ["", f"| substrate | n | shape | route | median/call | best compiler build | time ratio [{LEVEL} CI] | "
                    "verdict | executed ratio | why |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
            for c in mine:
                ratio = (f"{c['time_ratio']:.2f} {_ci_text(*(c['ci'] or [None, None]))}"
                         if c["time_ratio"] is not None else "n/a")
                executed = f"{c['executed_ratio']:.2f}" if c["executed_ratio"] is not None else "n/a"
                out.append(f"| {c['substrate']} | {c['n']} | {c['shape']} | {c['route']} | {fmt_time(c['median'])} | "
                           f"{c['compiler'] or 'none in this run'} | {ratio} | {c['verdict']} | {executed} | "
                           f"{c.get('explanation', '')} |")
        out.append("")
    if data["ranking"]:
        out += ["### Ranking among your files", "",
                "Per substrate and n, fastest first. `<`: the next is slower, its interval clear of 1; `=`: the same "
                "speed (within the margin) or identical code; `~`: unsure. Ratios are slower / faster, from the "
                "rounds the two shared in their timed block.", ""]
        for rank in data["ranking"]:
            out.append(f"- **{rank['summary']}**")
            for s in rank["steps"]:
                ci = _ci_text(*(s["ci"] or [None, None]))
                out.append(f"  - {s['slower']} / {s['faster']}: {s['ratio']:.3f} {ci} {s['verdict']}")
        out.append("")
    return out

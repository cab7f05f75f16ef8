"""`arena`: check a file or every variant on every route, and list what exists.

Exit status: 0 when every route checked passed, 1 when any failed or could not
build, 2 when the command itself could not start (no such file, unknown name).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Collection, Sequence
from pathlib import Path

from harness.check import Report, check
from kernels.kernel import Kernel, UnknownName, all_kernels, get_kernel
from targets.variant_source import Source, SourceError
from harness.variants import discover, resolve_sources
from targets.native import sandbox
from harness.asm import add_parser as add_asm_parser
from harness.doctor import add_parser as add_doctor_parser
from harness.gate import add_parser as add_gate_parser
from targets import all_routes, get_route, routes_for

VERDICT_STYLE = {"pass": "green", "fail": "red", "error": "yellow", "skip": "cyan"}


def _console(stream: object = None):  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(file=stream or sys.stdout, highlight=False, soft_wrap=True)


def check_sources(sources: Sequence[Source], kernel: Kernel, route_names: Sequence[str] | None) -> list[Report]:
    """Every source on every route of its language: the function behind `arena check`. Each report carries
    the variant's origin, name, and what was adapted to run it (`notes`)."""
    wanted = [get_route(name) for name in route_names] if route_names else None
    plan = [
        (source, route)
        for source in sources
        for route in (wanted or routes_for(source.language))
        if route.language == source.language
    ]
    if not plan:
        languages = ", ".join(sorted({s.language for s in sources}))
        among = f" among {', '.join(route_names)}" if route_names else ""
        raise SourceError(f"{', '.join(str(s.path) for s in sources)}: no route runs {languages} sources{among}")
    return [check(source, route, kernel) for source, route in plan]


# A route gated on another one repeats that route's message after this prefix (harness.check._passed_gate).
GATED = re.compile(r"(.*?: failed on ([\w.-]+): )")


def _split(message: str, routes: Collection[str]) -> tuple[str, str, bool]:
    """(what names this route's part, the part other routes may share, whether lines were split off): a
    compiler's name and flags on the first line and its output below, or a gated route's prefix and the
    message of its gate, one of `routes`."""
    lead = ""
    if (gated := GATED.match(message)) and gated.group(2) in routes:
        lead, message = gated.group(1), message[gated.end():]
    first, _, rest = message.partition("\n")
    if rest.strip():
        return lead + first, rest, True
    return lead.rstrip(), message, False


def _sharing(reports: Sequence[Report]) -> dict[int, tuple[tuple[str, str, str], str, list[str], bool]]:
    """For each report (by index) that failed or erred: its key (path, verdict, shared part), its own first
    part, every route sharing that key, and whether lines were split off. One C syntax error is the same
    compiler output on every route of that compiler, and is printed once."""
    routes_of: dict[str, set[str]] = {}
    for report in reports:
        routes_of.setdefault(report.path, set()).add(report.route)
    found, routes = {}, {}
    for index, report in enumerate(reports):
        if report.verdict != "pass" and report.message:
            lead, shared, split = _split(report.message, routes_of[report.path])
            key = (report.path, report.verdict, shared)
            routes.setdefault(key, []).append(report.route)
            found[index] = (key, lead, routes[key], split)
    return found


def print_reports(reports: Sequence[Report], as_json: bool) -> None:
    if as_json:
        for report in reports:
            print(json.dumps(report.as_json()), flush=True)
        return
    from rich.text import Text

    # Text, never markup: messages hold brackets of their own (`a[n+0]`), and a stream that is not a terminal
    # gets the words without styles.
    console, errors = _console(), _console(sys.stderr)
    warned: set[tuple[str, str]] = set()
    sharing = _sharing(reports)
    shown_on: dict[tuple[str, str, str], str] = {}
    for index, report in enumerate(reports):
        for warning in report.warnings:
            if (report.path, warning) not in warned:
                warned.add((report.path, warning))
                errors.print(Text.assemble(("warning", "yellow"), f": {report.path}: {warning}"))
        for note in report.notes:
            if (report.path, note) not in warned:
                warned.add((report.path, note))
                console.print(Text(f"note: {report.path}: {note}"))
        style = VERDICT_STYLE[report.verdict]
        stored = ", stored verdict" if report.from_store else ""  # the seconds are those of the check that made it
        console.print(Text.assemble((f"{report.verdict.upper():5}", f"bold {style}"), f" {report.id}  ",
                                    (f"({report.seconds:.2f} s{stored})", "dim")))
        key, lead, routes, split = sharing.get(index, (None, "", [], False))
        if key in shown_on:
            where = f"as on {shown_on[key]}, above"
            lines = [f"{lead} ({'the rest ' if split else ''}{where})" if lead else where]
        else:
            lines = report.message.splitlines()
            if len(routes) > 1:
                shown_on[key] = report.route
                lines.append(f"(the same{' after the first line' if split else ''} on {len(routes)} routes: "
                             f"{', '.join(routes)})")
        for line in lines:
            console.print(Text(f"      {line}"))


def print_plain(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell and never cut: what `grep` and `cut` get when stdout is a pipe."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    for cells in (header, *rows):
        line = "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths))
        print(line.rstrip())


def print_table(reports: Sequence[Report]) -> None:
    if not sys.stdout.isatty():
        print_plain(("variant", "origin", "route", "verdict", "lines", "inputs", "file", "message"), [
            (r.variant, r.origin, r.route, r.verdict, f"{r.lines['effective']}/{r.lines['total']}",
             str(r.inputs_checked), r.path, r.message.splitlines()[0] if r.message else "") for r in reports
        ])
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Verdicts: every variant on every route", title_justify="left")
    for column in ("variant", "origin", "route", "verdict", "lines", "inputs", "message"):
        table.add_column(column, overflow="fold")
    for r in reports:
        table.add_row(
            r.variant, r.origin, r.route, Text(r.verdict, VERDICT_STYLE[r.verdict]),
            f"{r.lines['effective']}/{r.lines['total']}", str(r.inputs_checked),
            Text(r.message.splitlines()[0][:120] if r.message else ""),
        )
    _console().print(table)


def cmd_check(args: argparse.Namespace) -> int:
    if args.unsafe_native:
        os.environ[sandbox.UNSAFE_ENV] = "1"
    if args.recheck:
        from harness.store import force_recheck

        force_recheck()
    if args.jobs or args.ray:  # many candidates: checked in parallel, the correct ones timed, fast_p summed up
        return cmd_score(args)
    kernel = get_kernel(args.kernel)
    if args.targets:
        sources = [s for target in args.targets for s in resolve_sources(target, kernel, args.origin)]
    else:
        sources = discover(kernel, [Path(d) for d in args.variants], args.origin)
    reports = check_sources(sources, kernel, args.route)
    single_files = args.targets and not any(Path(t).is_dir() for t in args.targets)
    if single_files or args.json:
        print_reports(reports, args.json)
    else:
        print_table(reports)
    # A skipped route (a missing optional tool) is shown with its reason and does not fail the check.
    return 0 if all(r.passed or r.verdict == "skip" for r in reports) else 1


def cmd_score(args: argparse.Namespace) -> int:
    """Many candidates at once (harness.score): checked in parallel, the correct ones timed, then fast_p."""
    from harness.measure.interleave import LEVEL
    from harness.score import score, summary

    def shown(record: dict) -> None:
        if args.json:
            print(json.dumps(record), flush=True)
        elif not record.get("correct"):
            message = (record.get("message") or "").splitlines()
            print(f"{record['verdict'].upper():5} {record['file']} @ {record['route']}: {message[0] if message else ''}",
                  flush=True)

    records = score(args.targets, routes=args.route, jobs=args.jobs, p=args.p, ray=args.ray, kernel=args.kernel,
                    on_record=shown)
    result = summary(records, args.p)
    if args.json:
        print(json.dumps({"summary": result}), flush=True)
    else:
        for record in records:
            timing = record.get("timing") or {}
            if timing.get("ratio") is not None:
                print(f"PASS  {record['file']} @ {record['route']}: {timing['ratio']:.2f}x {timing['baseline']} "
                      f"[{timing['low']:.2f}-{timing['high']:.2f}]")
        print(f"{result['correct']} of {result['records']} (file, route) correct ({result['files']} files); "
              f"fast_{args.p:g}: {result['fast_p']} correct and faster than the compiler build by {args.p:g}x "
              f"({result['fast_p_sure']} with the whole {LEVEL} interval beyond it)")
    return 0 if all(r.get("correct") or r["verdict"] == "skip" for r in records) else 1


def cmd_list(args: argparse.Namespace) -> int:
    kernels = all_kernels()
    routes = all_routes()
    sources = {name: discover(k, [Path(d) for d in args.variants], args.origin) for name, k in kernels.items()}
    if args.json:
        print(json.dumps({
            "kernels": {name: [{"variant": s.name, "language": s.language, "origin": s.origin, "path": str(s.path),
                                "lines": s.lines.as_dict()} for s in found] for name, found in sources.items()},
            "routes": [{"route": r.name, "language": r.language, "description": r.description} for r in routes.values()],
        }, indent=2))
        return 0
    if not sys.stdout.isatty():
        for name, found in sources.items():
            print(f"kernel {name}: variants")
            print_plain(("variant", "language", "origin", "lines", "routes", "file"), [
                (s.name, s.language, s.origin, f"{s.lines.effective}/{s.lines.total}",
                 ",".join(r.name for r in routes_for(s.language)), str(s.path)) for s in found
            ])
            print()
        print("routes")
        print_plain(("route", "language", "what it does"), [(r.name, r.language, r.description) for r in routes.values()])
        return 0
    from rich.table import Table

    console = _console()
    for name, found in sources.items():
        table = Table(title=f"kernel {name}: variants", title_justify="left")
        for column in ("variant", "language", "origin", "lines", "routes", "file"):
            table.add_column(column)
        for s in found:
            table.add_row(s.name, s.language, s.origin, f"{s.lines.effective}/{s.lines.total}",
                          ", ".join(r.name for r in routes_for(s.language)), str(s.path))
        console.print(table)
    table = Table(title="routes", title_justify="left")
    for column in ("route", "language", "what it does"):
        table.add_column(column)
    for r in routes.values():
        table.add_row(r.name, r.language, r.description)
    console.print(table)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from harness.report.writer import latest_saved_run, print_terminal, report_saved_run

    try:
        run = Path(args.saved) if args.saved else latest_saved_run(Path(args.storage))
    except FileNotFoundError as exc:
        print(f"arena: {exc}", file=sys.stderr)
        return 2
    analysis, directory = report_saved_run(run, Path(args.out))
    print_terminal(analysis, directory, tables=args.tables)
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="arena", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    check_p = sub.add_parser("check", help="check files or variants on every route that accepts their language")
    check_p.add_argument("targets", nargs="*", metavar="FILE", help="a variant file or name; none: every variant")
    check_p.add_argument("--json", action="store_true", help="one JSON object per line, one line per route")
    check_p.add_argument("--route", action="append", help="only this route (repeatable)")
    check_p.add_argument("--kernel", default="insertion_sort", help="the kernel the file implements")
    check_p.add_argument("--variants", action="append", default=[], metavar="DIR", help="also every variant in DIR")
    check_p.add_argument("--unsafe-native", action="store_true",
                         help="where no system-call filter is available, run native variant code unfiltered anyway")
    check_p.add_argument("--origin", metavar="ORIGIN",
                         help="origin of the given files and folders when their header names none (default supplied)")
    check_p.add_argument("--jobs", type=int, metavar="N",
                         help="check many files (or DIRs) in N processes, time the correct ones, sum up fast_p")
    check_p.add_argument("--ray", metavar="ADDRESS",
                         help="check on the Ray cluster at ADDRESS ('auto': a local one); needs codegen-arena[ray]")
    check_p.add_argument("--p", type=float, default=1.0, help="fast_p's factor: faster than the compiler build by p")
    check_p.add_argument("--recheck", action="store_true",
                         help="check again instead of reusing verdicts stored by earlier runs")
    check_p.set_defaults(run=cmd_check)
    list_p = sub.add_parser("list", help="kernels, variants and routes")
    list_p.add_argument("--json", action="store_true")
    list_p.add_argument("--variants", action="append", default=[], metavar="DIR", help="also every variant in DIR")
    list_p.add_argument("--origin", metavar="ORIGIN", help="origin of the --variants files whose header names none")
    list_p.set_defaults(run=cmd_list)
    add_asm_parser(sub)
    report_p = sub.add_parser("report", help="tables, verdicts and plots from a saved benchmark run")
    report_p.add_argument("saved", nargs="?", metavar="RUN", help="a saved run's JSON (default: the newest under --storage)")
    report_p.add_argument("--storage", default=".benchmarks", help="where pytest-benchmark saved the runs")
    report_p.add_argument("--out", default="reports", help="where the report folder is written")
    report_p.add_argument("--tables", action="store_true",
                          help="also print the per-n tables and every row's comparison (report.md has them always)")
    report_p.set_defaults(run=cmd_report)
    add_doctor_parser(sub)
    add_gate_parser(sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (SourceError, UnknownName) as exc:
        message = str(exc).strip("'\"")
        if getattr(args, "json", False):
            print(json.dumps({"verdict": "error", "message": message}))
        else:
            print(f"arena: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `arena check ... | head` is a normal way to read
        sys.stderr.close()
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""`arena asm`: the code each route really runs, as text, with diffs and an optional static cost.

Numbers say which variant wins; the emitted code says why. A listing is taken
from the artifact the route built (the optimized module, the compiler's own
output for the same flags, the machine code wasmtime compiled, the bytes
Keystone assembled), never re-derived by another tool, and every listing is
headed by the route, the tool versions, the flags and the code size.

Like Compiler Explorer, directives, comments and unused labels are hidden by
default; `raw=True` shows everything.
"""
from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kernels.kernel import Kernel, UnknownName, get_kernel
from targets.variant_source import Source, SourceError
from harness.variants import discover, resolve_sources
from targets import all_routes, get_route
from targets.base import ArenaError, Built, Target
from targets.native.c_cffi import shown_flags, tool_name
from targets.vector_width import vector_width
from targets.listing import Rendered
from harness.mca import mca

# The comment marker, the file suffix and the pygments lexer of each kind of listing.
COMMENT = {"x86": "#", "llvm": ";", "wat": ";;"}
SUFFIX = {"x86": ".s", "llvm": ".ll", "wat": ".wat"}
LEXER = {"x86": "gas", "llvm": "llvm", "wat": "wat"}

DIFF_WIDTH = 120


class UnknownStage(UnknownName):
    """A stage the route's artifact does not have; the message lists those it has."""

    def __init__(self, route: str, stage: str, known: Sequence[str]) -> None:
        LookupError.__init__(self, f"route {route} has no stage {stage!r}; its stages: {', '.join(known)}")


@dataclass
class Listing:
    variant: str
    route: str
    stage: str
    kind: str
    header: list[str]
    body: list[str]
    raw_text: str
    code_bytes: int | None = None
    code: list[str] = field(default_factory=list)
    #: Things the listing proves wrong (a failed round trip); shown loudly, and the command exits 1.
    problems: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.variant}@{self.route}"

    @property
    def suffix(self) -> str:
        return SUFFIX[self.kind]

    def text(self) -> str:
        marker = COMMENT[self.kind]
        head = [f"{marker} {line}" if line else marker for line in self.header]
        return "\n".join([*head, "", *self.body]) + "\n"


# --- filters ---------------------------------------------------------------------------------------------------

_GAS_LABEL = re.compile(r"^([A-Za-z_.$@?][\w.$@?]*):")
_SYMBOL = re.compile(r"[A-Za-z_.$@?][\w.$@?]*")
# Data that belongs to the code (jump tables, constants) stays visible; every other directive is hidden.
_DATA_DIRECTIVES = (".byte", ".short", ".value", ".word", ".long", ".int", ".quad", ".octa", ".ascii", ".asciz",
                    ".string", ".zero", ".skip", ".float", ".double")
# Sections whose whole content is bookkeeping, not code: their labels and data are hidden with them.
_BOOKKEEPING_SECTIONS = (".debug", ".note", ".comment", ".eh_frame", ".llvm", ".stab", ".gcc_except")


def _strip_trailing_comment(line: str, marker: str) -> str:
    quoted = False
    for i, c in enumerate(line):
        if c == '"' and (i == 0 or line[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and line.startswith(marker, i):
            return line[:i].rstrip()
    return line.rstrip()


def _section_of(directive: str, current: str) -> str:
    words = directive.replace(",", " ").split()
    if words[0] == ".section" and len(words) > 1:
        return words[1].strip('"')
    if words[0] in (".text", ".data", ".bss", ".rodata"):
        return words[0]
    return current


def filter_gas(text: str) -> list[str]:
    """Compiler assembly without directives, comments, bookkeeping sections and unreferenced labels."""
    kept: list[str] = []
    functions: set[str] = set()
    section = ".text"
    for line in text.splitlines():
        stripped = _strip_trailing_comment(line, "#")
        statement = stripped.strip()
        if not statement:
            continue
        if statement.startswith(".") and not _GAS_LABEL.match(statement):
            section = _section_of(statement, section)
            if statement.split()[0] in (".globl", ".global") or "@function" in statement:
                functions.update(_SYMBOL.findall(statement.split(None, 1)[1])[:1])
            if section.startswith(_BOOKKEEPING_SECTIONS) or statement.split()[0] not in _DATA_DIRECTIVES:
                continue
        if section.startswith(_BOOKKEEPING_SECTIONS):
            continue
        kept.append(stripped)
    return _drop_unused_labels(kept, functions)


def _drop_unused_labels(lines: list[str], keep: set[str]) -> list[str]:
    defined = {m.group(1) for line in lines if (m := _GAS_LABEL.match(line.strip()))}
    used = set(keep)
    for line in lines:
        if not _GAS_LABEL.match(line.strip()):
            used.update(name for name in _SYMBOL.findall(line) if name in defined)
    return [line for line in lines if not ((m := _GAS_LABEL.match(line.strip())) and m.group(1) not in used)]


# Module-level lines that describe the module rather than its code.
_LLVM_BOOKKEEPING = re.compile(r"^(source_filename|target datalayout|target triple|attributes #|!)")


def filter_llvm(text: str) -> list[str]:
    """LLVM IR without comments, metadata, attribute groups and the module's target lines."""
    out: list[str] = []
    for line in text.splitlines():
        stripped = _strip_trailing_comment(line, ";")
        if _LLVM_BOOKKEEPING.match(stripped) or (not stripped and line.strip()):
            continue
        if stripped or (out and out[-1]):  # one blank line between blocks, never several
            out.append(stripped)
    while out and not out[-1]:
        out.pop()
    while out and not out[0]:
        out.pop(0)
    return out


_WAT_BLOCK_COMMENT = re.compile(r"\(;.*?;\)", re.DOTALL)


def filter_wat(text: str) -> list[str]:
    """WAT without `;;` and `(; ;)` comments (wasm-tools prints indices as `(;0;)`)."""
    body = _WAT_BLOCK_COMMENT.sub("", text)
    out: list[str] = []
    for line in body.splitlines():
        stripped = _strip_trailing_comment(line, ";;")
        if stripped.strip():
            out.append(re.sub(r"(\S)  +", r"\1 ", stripped))
    return out


FILTERS: dict[str, Callable[[str], list[str]]] = {"x86": filter_gas, "llvm": filter_llvm, "wat": filter_wat}


# --- dispatch ---------------------------------------------------------------------------------------------------


def stages_of(built: Built) -> tuple[dict[str, Callable[[Built, Target], Rendered]], str]:
    """The stages a built artifact can show, and the default one, as the artifact itself lists them
    (`Built.stages()`): a new route whose Built lists its stages gets its listings with it."""
    return built.stages()


def _header(built: Built, route: Target, stage: str, rendered: Rendered, lines: int, code: Sequence[str] = ()) -> list[str]:
    versions = {**route.versions(), **rendered.extra_versions}
    tools = ", ".join(f"{_tool_name(k)} {v}" for k, v in versions.items())
    # An IR or WAT stage has no bytes of its own: the machine code built from it is what the size describes.
    code_bytes = rendered.code_bytes or built.code_bytes
    size = f"{code_bytes} bytes" if code_bytes else "unknown"
    entry = built.entry
    return [
        f"{built.source.name}@{route.name}  stage {stage}  ({_shown_path(built.source.path)})",
        f"route: {route.description}",
        f"tools: {tools}",
        f"flags: {rendered.flags}",
        *([f"received: {shown_flags(received)}"] if (received := route.received_flags()) else []),
        f"code: {size}" + (f" (entry {entry})" if entry else "") + f"; {lines} lines shown",
        *([f"vector width: {width}"] if (width := vector_width(rendered.kind, code)) else []),
        *rendered.notes,
        *rendered.problems,
    ]


def _shown_path(path: Path) -> str:
    # Relative where it can be, so a listing saved in a report reads the same on every machine.
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _tool_name(key: str) -> str:
    # The clang routes' compiler is `<python> -m ziglang clang ...`: the interpreter's path says nothing.
    return tool_name(key)


def render(built: Built, route: Target, stage: str | None = None, raw: bool = False) -> Listing:
    """A listing of an artifact already built (what a benchmark timed), without building again."""
    stages, default = stages_of(built)
    chosen = stage or default
    if chosen not in stages:
        raise UnknownStage(route.name, chosen, list(stages))
    rendered = stages[chosen](built, route)
    if raw:
        body = rendered.raw.rstrip("\n").split("\n")
    else:
        body = rendered.filtered if rendered.filtered is not None else FILTERS[rendered.kind](rendered.raw)
    code = rendered.code if rendered.code is not None else (filter_gas(rendered.raw) if rendered.kind == "x86" else [])
    return Listing(
        variant=built.source.name, route=route.name, stage=chosen, kind=rendered.kind,
        header=_header(built, route, chosen, rendered, len(body), code or body), body=body, raw_text=rendered.raw,
        code_bytes=rendered.code_bytes, code=code, problems=rendered.problems,
    )


def pick_source(sources: Sequence[Source], route: Target) -> Source:
    """Of a variant's sources (one per language), the one the route takes."""
    for source in sources:
        if source.language == route.language:
            return source
    have = ", ".join(f"{s.path} ({s.language})" for s in sources)
    takes = ", ".join(r.name for r in all_routes().values() if r.language in {s.language for s in sources})
    raise SourceError(f"route {route.name} takes {route.language} sources; {have} is for: {takes or 'no route'}")


def listing(source: Source, route: Target, kernel: Kernel, stage: str | None = None, raw: bool = False) -> Listing:
    """Build `source` on `route` and list `stage` of what it built (the route's default stage when None)."""
    built = route.build(source, kernel)
    try:
        return render(built, route, stage, raw)
    finally:
        built.close()


def listing_of(pair: str, kernel: Kernel, stage: str | None = None, raw: bool = False) -> Listing:
    """`variant@route` (a variant name or a file path before the @)."""

    target, sep, route_name = pair.rpartition("@")
    if not sep or not target:
        raise SourceError(f"{pair!r}: expected VARIANT@ROUTE, e.g. insertion_sort@llvm-O3")
    route = get_route(route_name)
    return listing(pick_source(resolve_sources(target, kernel), route), route, kernel, stage, raw)


# --- diffs ------------------------------------------------------------------------------------------------------


def _fit(text: str, width: int) -> str:
    text = text.expandtabs(8)
    return text if len(text) <= width else text[: width - 1] + "…"


def _comparable(line: str) -> str:
    return " ".join(line.split())


def side_by_side_opcodes(a: Listing, b: Listing) -> list[tuple[str, int, int, int, int]]:
    """How the two bodies line up (difflib's opcodes), comparing lines with their spacing evened out."""
    matcher = difflib.SequenceMatcher(None, [_comparable(x) for x in a.body], [_comparable(x) for x in b.body],
                                      autojunk=False)
    return matcher.get_opcodes()


def diff(a: Listing, b: Listing, unified: bool = False, width: int = DIFF_WIDTH) -> list[str]:
    """Two listings side by side (every line at most `width` columns) or as a unified diff."""
    head = [_fit(f"a: {line}", width) for line in a.header[:5]] + [_fit(f"b: {line}", width) for line in b.header[:5]]
    if unified:
        body = difflib.unified_diff(a.body, b.body, fromfile=a.title, tofile=b.title, lineterm="", n=3)
        return [*head, *(_fit(line, width) for line in body)]
    column = (width - 3) // 2
    rows = [f"{_fit(a.title, column):<{column}}   {_fit(b.title, column)}", "-" * width]
    counts = {"|": 0, "<": 0, ">": 0}
    for op, i1, i2, j1, j2 in side_by_side_opcodes(a, b):
        left, right = a.body[i1:i2], b.body[j1:j2]
        for k in range(max(len(left), len(right))):
            mark = " " if op == "equal" else "|" if k < len(left) and k < len(right) else "<" if k < len(left) else ">"
            if mark != " ":
                counts[mark] += 1
            l_text = _fit(left[k], column) if k < len(left) else ""
            r_text = _fit(right[k], column) if k < len(right) else ""
            rows.append(f"{l_text:<{column}} {mark} {r_text}".rstrip())
    summary = (f"a: {len(a.body)} lines, {a.code_bytes or '?'} bytes; b: {len(b.body)} lines, "
               f"{b.code_bytes or '?'} bytes; {counts['|']} changed, {counts['<']} only in a, {counts['>']} only in b")
    return [*head, *rows, "-" * width, _fit(summary, width)]


# --- files for the report ---------------------------------------------------------------------------------------


def listing_path(directory: Path, listing: Listing, default: bool = True) -> Path:
    # `x@wasmtime.wat`, not `x@wasmtime.wat.wat`: the suffix already names a stage called like it.
    stage = "" if default or f".{listing.stage}" == listing.suffix else f".{listing.stage}"
    return Path(directory) / f"{listing.variant}@{listing.route}{stage}{listing.suffix}"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        # A reader (the report, a browser) sees the old listing or the new one, never half of one.
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def write_listing(directory: Path, source: Source, route: Target, kernel: Kernel, stage: str | None = None,
                  built: Built | None = None) -> Path:
    """Write `<variant>@<route>.s` (or `.ll`, `.wat`: by what the stage shows) into `directory`; return its path.

    Pass `built` to list the very artifact a benchmark timed instead of building again. Other stages than
    the route's default get the stage in the name: `<variant>@<route>.<stage><suffix>`.
    """
    own = built is None
    built = built or route.build(source, kernel)
    try:
        result = render(built, route, stage)
        default = stage is None or stage == stages_of(built)[1]
    finally:
        if own:
            built.close()
    path = listing_path(directory, result, default)
    _write_atomically(path, result.text())
    return path


def write_listings(directory: Path, pairs: Iterable[tuple[Source, Target]], kernel: Kernel,
                   all_stages: bool = False) -> tuple[list[Path], list[str], list[str]]:
    """Every pair's listing (every stage's with `all_stages`).

    Returns the paths written, the pairs skipped because they do not build (that is their verdict, which
    `arena check` reports; there is no code to list), and the listings that failed although the pair built.
    """
    written: list[Path] = []
    skipped: list[str] = []
    failed: list[str] = []
    for source, route in pairs:
        try:
            built = route.build(source, kernel)
        except ArenaError as exc:
            skipped.append(f"{source.name}@{route.name}: {str(exc).splitlines()[0]}")
            continue
        try:
            stages, default = stages_of(built)
            for stage in stages if all_stages else [default]:
                try:
                    written.append(write_listing(directory, source, route, kernel, stage, built=built))
                except ArenaError as exc:
                    failed.append(f"{source.name}@{route.name} {stage}: {exc}")
        except ArenaError as exc:
            failed.append(f"{source.name}@{route.name}: {exc}")
        finally:
            built.close()
    return written, skipped, failed


# --- terminal ---------------------------------------------------------------------------------------------------


def _is_terminal() -> bool:
    return sys.stdout.isatty()


def show(text: str, kind: str) -> None:
    """Highlighted in a terminal, plain when piped (so `arena asm ... > f.s` gives a clean file)."""
    if not _is_terminal():
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    from rich.console import Console
    from rich.syntax import Syntax

    Console(highlight=False, soft_wrap=True).print(
        Syntax(text.rstrip("\n"), LEXER[kind], theme="ansi_dark", background_color="default", word_wrap=False)
    )


def show_diff(lines: Sequence[str]) -> None:
    if not _is_terminal():
        sys.stdout.write("\n".join(lines) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    column = (DIFF_WIDTH - 3) // 2
    style = {"|": "yellow", "<": "red", ">": "green", "-": "red", "+": "green", "@": "cyan"}
    console = Console(highlight=False, soft_wrap=True)
    for line in lines:
        mark = line[column + 1 : column + 2] if len(line) > column + 1 else ""
        key = mark if mark in "|<>" and mark.strip() else line[:1] if line[:1] in "+-@" and line[:2] != "--" else ""
        console.print(Text(line, style=style.get(key, "")))


# --- the command ------------------------------------------------------------------------------------------------


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `arena asm`."""
    p = subparsers.add_parser("asm", help="show the code a route runs: IR, assembly, wasm, machine code; diff two",
                              description=__doc__.splitlines()[0])
    p.add_argument("target", nargs="?", metavar="TARGET", help="a variant name or a file path")
    p.add_argument("--route", help="the route whose code to show (see `arena list`)")
    p.add_argument("--stage", help="llvm: ir-in, ir-opt, asm; wasm: wat, native; default: the machine code")
    p.add_argument("--raw", action="store_true", help="keep directives, comments, unused labels and helpers")
    p.add_argument("--mca", action="store_true", help="llvm-mca's static cost of the inner loop, if on PATH")
    p.add_argument("--diff", nargs=2, metavar=("A", "B"), help="compare two VARIANT@ROUTE listings")
    p.add_argument("--unified", action="store_true", help="with --diff: a unified diff, not side by side")
    p.add_argument("--all", action="store_true", help="write every variant's listings on every route to --out")
    p.add_argument("--out", type=Path, default=Path("reports/asm"), help="with --all: the directory")
    p.add_argument("--kernel", default="insertion_sort", help="the kernel the variants implement")
    p.set_defaults(run=cmd_asm)


def cmd_asm(args: argparse.Namespace) -> int:
    kernel = get_kernel(args.kernel)
    chosen = [name for name, on in (("TARGET", args.target), ("--diff", args.diff), ("--all", args.all)) if on]
    if len(chosen) != 1:
        raise SourceError("give exactly one of TARGET (with --route), --diff A B, or --all")
    try:
        if args.all:
            return _cmd_all(args, kernel)
        if args.diff:
            return _cmd_diff(args, kernel)
        return _cmd_one(args, kernel)
    except ArenaError as exc:
        print(f"arena: {exc}", file=sys.stderr)
        return 1


def _cmd_one(args: argparse.Namespace, kernel: Kernel) -> int:

    sources = resolve_sources(args.target, kernel)
    if not args.route:
        takes = sorted(r.name for r in all_routes().values() if r.language in {s.language for s in sources})
        raise SourceError(f"choose a route with --route; routes for {args.target}: {', '.join(takes)}")
    route = get_route(args.route)
    result = listing(pick_source(sources, route), route, kernel, args.stage, args.raw)
    show(result.text(), result.kind)
    if args.mca:
        show("\n".join(f"{COMMENT[result.kind]} {line}" for line in mca(result).splitlines()), result.kind)
    for problem in result.problems:
        print(f"arena: {result.title}: {problem}", file=sys.stderr)
    return 1 if result.problems else 0


def _cmd_diff(args: argparse.Namespace, kernel: Kernel) -> int:
    a, b = (listing_of(pair, kernel, args.stage, args.raw) for pair in args.diff)
    show_diff(diff(a, b, unified=args.unified))
    return 0


def _cmd_all(args: argparse.Namespace, kernel: Kernel) -> int:
    routes = [get_route(args.route)] if args.route else list(all_routes().values())
    pairs = [(s, r) for s in discover(kernel) for r in routes if r.language == s.language]
    written, skipped, failed = write_listings(args.out, pairs, kernel, all_stages=True)
    print(f"wrote {len(written)} listings of {len(pairs) - len(skipped)} variant/route pairs to {args.out}")
    for skip in skipped:
        print(f"skipped (does not build): {skip}", file=sys.stderr)
    for failure in failed:
        print(f"arena: {failure}", file=sys.stderr)
    return 1 if failed else 0

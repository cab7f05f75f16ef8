"""An x86 file means the same whatever Keystone's lexer radix: decimal or hexadecimal, forced either way, the same
bytes; and a file's verdict does not depend on what the process checked or assembled before it."""
from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import keystone
import pytest

from kernels.kernel import get_kernel
from harness.source import load_source
from kernels.kernel import Kernel
from targets import x86_assemble
from targets.base import BuildError
from targets.disasm import decoder
from targets.isolate import in_child
from targets.x86_assemble import CODE_BASE, assemble, hexadecimal_engine

from .conftest import BAD_INPUTS, REPO, arena

# Every x86 source in the repository, with the kernel it is written for (tests/golden holds listings, not sources).
X86_FILES = sorted(
    [p for p in REPO.glob("kernels/*/variants/*.s")]
    + [p for p in REPO.glob("kernels/*/*.s")]
    + [p for folder in ("bad_inputs", "escapes", "fixtures", "pasted") for p in (REPO / "tests" / folder).rglob("*.s")]
)
_KEPT: list[keystone.Ks] = []


def _kernel_of(path: Path) -> Kernel:
    parts = path.relative_to(REPO).parts
    if parts[0] == "kernels":
        return get_kernel(parts[1])
    return get_kernel("sort3" if "alphadev" in parts else "insertion_sort")


def decimal_engine() -> keystone.Ks:
    """An engine whose lexer reads decimal. Without an option Keystone leaves the radix uninitialized, so engines
    are made, each kept alive so that none reuses the memory of another, until one reads `push 16` as 16 (memory
    fresh from the system is zero, which reads decimal)."""
    for ks in _KEPT:
        if _reads_decimal(ks):
            return ks
    for _ in range(256):
        ks = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_64)
        _KEPT.append(ks)
        if _reads_decimal(ks):
            return ks
    raise AssertionError("no Keystone engine in 256 read decimal numbers")


def _reads_decimal(ks: keystone.Ks) -> bool:
    return bytes(ks.asm("push 16")[0] or b"") == b"\x6a\x10"


def test_the_two_engines_really_read_numbers_differently() -> None:
    assert _reads_decimal(decimal_engine())
    assert bytes(hexadecimal_engine().asm("push 16")[0]) == b"\x6a\x16"


def _outcome(path: Path, engine: Callable[[], keystone.Ks]) -> str:
    kernel = _kernel_of(path)
    try:
        assembled = assemble(load_source(path, kernel), kernel, engine=engine)
    except BuildError as exc:
        return f"error: {exc}"
    return f"{assembled.code.hex()} entry {assembled.entry} lines {assembled.lines}"


@pytest.mark.parametrize("path", X86_FILES, ids=[str(p.relative_to(REPO)) for p in X86_FILES])
def test_every_x86_file_assembles_alike_in_either_radix_and_as_written_in_decimal(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    in_hex, in_decimal = _outcome(path, hexadecimal_engine), _outcome(path, decimal_engine)
    assert in_hex == in_decimal
    # The meaning is the file's own: the text as written, numbers not respelled, read in decimal.
    monkeypatch.setattr(x86_assemble, "radix_free", lambda line, syntax: line)
    assert _outcome(path, decimal_engine) == in_hex


# (dialect, how a number is written, its value): each spelled into `mov eax, ...` (AT&T: `movl $..., %eax`).
SPELLINGS = [
    ("intel", "16", 16), ("intel", "10h", 16), ("intel", "0x10", 16), ("intel", "020", 16), ("intel", "0b10000", 16),
    ("intel", "0", 0), ("intel", "1 + 15", 16), ("intel", "-16", -16), ("intel", "4*4", 16), ("intel", "1fh", 31),
    ("att", "16", 16), ("att", "0x10", 16), ("att", "-16", -16), ("att", "020", 16),
    ("nasm", "16", 16), ("nasm", "020", 20), ("nasm", "10h", 16), ("nasm", "0x10", 16), ("nasm", "$10", 16),
    ("nasm", "10000b", 16), ("nasm", "0b1_0000", 16), ("nasm", "20q", 16), ("nasm", "0o20", 16), ("nasm", "16d", 16),
    ("nasm", "0d16", 16), ("nasm", "1_6", 16),
]


@pytest.mark.parametrize("engine", [hexadecimal_engine, decimal_engine], ids=["hexadecimal", "decimal"])
@pytest.mark.parametrize("syntax,written,value", SPELLINGS, ids=[f"{s}:{w}" for s, w, _ in SPELLINGS])
def test_a_number_keeps_the_value_its_dialect_gives_it(tmp_path: Path, engine: Callable[[], keystone.Ks],
                                                      syntax: str, written: str, value: int) -> None:
    kernel = get_kernel("insertion_sort")
    line = {"intel": f"mov eax, {written}", "att": f"movl ${written}, %eax", "nasm": f"mov eax, {written}"}[syntax]
    # The memory operand and the alignment carry numbers too: the dialect is told by their spelling.
    operand = {"intel": "dword ptr [rdi + 8]", "att": "8(%rdi)", "nasm": "dword [rdi + 8]"}[syntax]
    load = f"movl {operand}, %ecx" if syntax == "att" else f"mov ecx, {operand}"
    path = tmp_path / "numbers.s"
    path.write_text(f"insertion_sort:\n    {line}\n    {load}\n    .p2align 4\n    ret\n")
    assembled = assemble(load_source(path, kernel), kernel, engine=engine)
    assert assembled.syntax == syntax
    mov, load_insn, *rest = decoder().disasm(assembled.code, 0)
    assert mov.operands[1].imm & 0xFFFFFFFF == value & 0xFFFFFFFF, (written, mov.op_str)
    assert load_insn.op_str == "ecx, dword ptr [rdi + 8]"
    assert len(assembled.code) == 17 and rest[-1].mnemonic == "ret"  # .p2align 4: the ret at offset 16


def test_quoted_text_identifiers_and_floats_are_read_alike(tmp_path: Path) -> None:
    kernel = get_kernel("insertion_sort")
    path = tmp_path / "data.s"
    path.write_text('insertion_sort:\n    mov r8d, 12\n    ret\n    .ascii "10"\n    .byte \'1\', 10\n'
                    "    .double 1.5\n    .float 0.25\n")
    # In a child: a float that reaches Keystone's hexadecimal radix as written hangs its lexer.
    outcomes = {in_child(assemble, load_source(path, kernel), kernel, CODE_BASE, engine, timeout=30).code
                for engine in (hexadecimal_engine, decimal_engine)}
    (code,) = outcomes
    assert code == bytes.fromhex("41b80c000000" "c3" "3130" "310a" "000000000000f83f" "0000803e")


def _verdicts(reports: list[dict]) -> dict[tuple[str, str], tuple[str, str]]:
    return {(str(Path(r["path"]).resolve()), r["route"]): (r["verdict"], r["message"]) for r in reports}


def test_files_checked_together_in_any_order_get_the_verdicts_they_get_alone(monkeypatch: pytest.MonkeyPatch
                                                                            ) -> None:
    """NASM-style, AT&T and Intel files (the variants of every kernel) with the bad-input fixtures, each checked
    alone in a process of its own, then all in one process in several orders, some after this process assembled
    in the other radix."""
    import json

    from harness import check as checking
    from targets import get_route

    insertion = get_kernel("insertion_sort").variants_dir
    # One insertion sort per dialect (each takes seconds in the emulator); the fixed-length sorts are quick.
    variants = [insertion / name for name in ("ai-x86-binary-insert.s", "ai-x86-index-loop.s", "ai-x86-pointer-walk.s")]
    files = variants + sorted(REPO.glob("kernels/sort*/variants/*.s")) + sorted(BAD_INPUTS.glob("x86_*.s"))
    syntaxes = {x86_assemble.detect_syntax(x86_assemble.strip_comments(p.read_text())) for p in files}
    assert syntaxes == {"nasm", "att", "intel"}
    routes = [get_route("x86-unicorn"), get_route("x86-native")]
    alone: dict[tuple[str, str], tuple[str, str]] = {}
    for path in files:
        done = arena("check", str(path), "--kernel", _kernel_of(path).name, "--json", "--recheck",
                     "--route", "x86-unicorn", "--route", "x86-native")
        alone.update(_verdicts([json.loads(line) for line in done.stdout.splitlines()]))
    assert len(alone) == 2 * len(files)

    orders = [files, files[::-1], random.Random(1).sample(files, len(files))]
    for index, order in enumerate(orders):
        if index:  # what this process assembled before: an engine with an option set (radix 16), used and freed
            engine = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_64)
            engine.syntax = keystone.KS_OPT_SYNTAX_INTEL
            engine.asm("add rdi, 16")
            del engine
        monkeypatch.setattr(checking, "_memo", {})  # each order checks afresh (the store is off under monkeypatch)
        together = [checking.check(load_source(path, _kernel_of(path)), route, _kernel_of(path)).as_json()
                    for path in order for route in routes]
        assert _verdicts(together) == alone, [str(p.relative_to(REPO)) for p in order]

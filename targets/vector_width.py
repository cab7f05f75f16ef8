"""The vector width a listing's code uses, read from the code itself: the widest register (x86 xmm/ymm/zmm) of
its packed instructions, the widest vector type of LLVM IR, or v128 in wasm.

Declared intent (a header's `requires:`) says what code may use; this says what it does use, so a compiler
build that vectorized and one that did not are told apart the same way as hand-written code.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_X86_REGISTER = re.compile(r"\b([xyz])mm\d+\b")
_BITS = {"x": 128, "y": 256, "z": 512}
# Instructions with an xmm operand that work on one lane only (scalar float, moves to and from a general
# register, conversions): they use the vector registers without being vector code.
_SCALAR = re.compile(r"^v?(mov[dq]|movs[sd]|cvt\w*|u?comis[sd]|pextr\w|pinsr\w|ldmxcsr|stmxcsr"
                     r"|(add|sub|mul|div|min|max|sqrt|rcp|rsqrt|round|cmp\w*|f\w*m(add|sub)\d*)s[sd])$")
_LLVM_VECTOR = re.compile(r"<\s*(\d+)\s+x\s+(?:i|f|bf)(\d+)\s*>")
_LLVM_FLOAT_VECTOR = re.compile(r"<\s*(\d+)\s+x\s+(float|double|half)\s*>")
_FLOAT_BITS = {"float": 32, "double": 64, "half": 16}
_WASM_SIMD = re.compile(r"\bv128\b|\b[if](8|16|32|64)x\d+\.")


def vector_width(kind: str, lines: Sequence[str]) -> str | None:
    """`256-bit (ymm: 12 instructions, xmm: 3)` for x86 code, `256-bit (<8 x i32>)` for LLVM IR, `128-bit (v128)`
    for wasm; None when the code uses no vectors."""
    if kind == "x86":
        return _x86_width(lines)
    if kind == "llvm":
        widest: tuple[int, str] | None = None
        for line in lines:
            for count, bits in _LLVM_VECTOR.findall(line):
                widest = max(widest or (0, ""), (int(count) * int(bits), f"<{count} x {bits}-bit>"))
            for count, name in _LLVM_FLOAT_VECTOR.findall(line):
                widest = max(widest or (0, ""), (int(count) * _FLOAT_BITS[name], f"<{count} x {name}>"))
        return f"{widest[0]}-bit ({widest[1]})" if widest and widest[0] > 64 else None
    if kind == "wat":
        return "128-bit (v128)" if any(_WASM_SIMD.search(line) for line in lines) else None
    return None


def _x86_width(lines: Sequence[str]) -> str | None:
    used: Counter[str] = Counter()
    for line in lines:
        words = line.strip().split(None, 1)
        if len(words) < 2 or words[0].endswith(":") or words[0].startswith("."):
            continue
        mnemonic, operands = words[0].lower(), words[1].split("#")[0].split(";")[0]
        registers = {m.group(1) for m in _X86_REGISTER.finditer(operands.lower())}
        if not registers or _SCALAR.match(mnemonic):
            continue
        used[max(registers, key=_BITS.__getitem__)] += 1
    if not used:
        return None
    widest = max(used, key=_BITS.__getitem__)
    counts = ", ".join(f"{r}mm: {used[r]}" for r in sorted(used, key=_BITS.__getitem__, reverse=True))
    return f"{_BITS[widest]}-bit ({counts} instructions)"


def built_vector_width(built: object) -> str | None:
    """The vector width of what a route built and runs: its x86-64 entry code where the route has it, else its
    wasm module (the binary printed as text, or the WAT as written); None when that code uses no vectors or the
    route shows no code."""
    from targets.x86.disasm import decoder
    from targets.listing import wasm_to_text

    code = built.entry_code() if hasattr(built, "entry_code") else None  # type: ignore[attr-defined]
    if code is None and hasattr(built, "kernel_bytes") and hasattr(built, "entry_address"):
        raw = built.kernel_bytes()  # type: ignore[attr-defined]
        code = (raw, 0) if raw else None
    if code is not None:
        return _x86_width([f"{i.mnemonic} {i.op_str}" for i in decoder().disasm(*code)])
    binary = getattr(built, "binary", None)
    if binary:
        return vector_width("wat", wasm_to_text(binary).splitlines())
    source = getattr(built, "source", None)
    if source is not None and source.language == "wat":
        return vector_width("wat", source.text.splitlines())
    return None

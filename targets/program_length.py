"""Program length: the static instruction count of a function's machine code, the measure AlphaDev's fixed
sorts were optimized for (Mankowitz et al., Nature 618, 2023, Table 1a), counted the way that table counts:
every instruction of the function except its final `ret`."""
from __future__ import annotations

from targets.disasm import decoder


# Instructions that only fill space after a function's last instruction (alignment to the next function):
# nop in all its lengths, int3, and the two-byte 00 00 that zero-filled padding decodes as.
_PADDING = {"nop", "int3"}
_RETURNS = {"ret", "retq", "repz ret", "rep ret"}


class UndecodableCode(ValueError):
    """Bytes capstone could not decode as x86-64 instructions, so no count would be honest."""


def _is_padding(mnemonic: str, raw: bytes) -> bool:
    return mnemonic in _PADDING or raw == b"\x00\x00"


def program_length(code: bytes, address: int = 0) -> int:
    """Instructions in `code` (one function's bytes) without its final `ret`.

    Padding after the function's last instruction (nops of any length, int3,
    zero bytes: what assemblers and linkers put after a function to align the
    next one) is not part of the program and is not counted (a compiler's
    object file already leaves it out of the symbol's size); the `ret` dropped
    is the last instruction before that padding. A function that does not end
    in `ret` (a tail call's `jmp`, say) has nothing dropped. Every other
    instruction counts, wherever it sits: a `ret` in the middle of the code (an
    early return) counts, and so does padding inside the function (an aligned
    loop head). Raises UndecodableCode if capstone stops before the end.
    """
    instructions = [(i.mnemonic, bytes(i.bytes)) for i in decoder().disasm(code, address)]
    decoded = sum(len(raw) for _, raw in instructions)
    # Capstone stops at the first bytes it cannot decode; zero bytes left there are padding too.
    if code[decoded:].strip(b"\x00"):
        raise UndecodableCode(f"capstone decoded {decoded} of {len(code)} bytes (stopped at +{decoded:#x})")
    while instructions and _is_padding(*instructions[-1]):
        instructions.pop()
    if instructions and instructions[-1][0] in _RETURNS:
        instructions.pop()
    return len(instructions)

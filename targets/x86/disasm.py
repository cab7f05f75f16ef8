"""The x86-64 disassembler every module shares: one capstone set-up, with instruction details on."""
from __future__ import annotations

from functools import cache

import capstone


@cache
def decoder() -> capstone.Cs:
    """Intel syntax, 64-bit, with details (groups, operands): what listings and code checks both need."""
    decoder = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    decoder.detail = True
    return decoder


def position_dependence(code: bytes, address: int) -> list[str]:
    """Why these bytes would not run the same copied elsewhere: every instruction that reaches outside them
    (a rip-relative operand, a branch or call leaving the function, an indirect jump, a 64-bit immediate that
    may be an address). Empty when a copy at any address runs exactly as the original."""
    reasons = []
    end = address + len(code)
    for insn in decoder().disasm(code, address):
        text = f"{insn.mnemonic} {insn.op_str}".strip()
        group_names = {insn.group_name(g) for g in insn.groups}
        if "rip" in insn.op_str:
            reasons.append(f"{text} (rip-relative)")
        elif group_names & {"jump", "call"}:
            operand = insn.op_str.strip()
            try:
                target = int(operand, 0)
            except ValueError:
                reasons.append(f"{text} (indirect)")
                continue
            if not address <= target < end:
                reasons.append(f"{text} (leaves the function)")
        elif insn.mnemonic == "movabs":
            reasons.append(f"{text} (64-bit immediate)")
    return reasons


# Instructions that enter the operating system; a sort has no use for them.
SYSTEM_ENTRIES = ("syscall", "sysenter", "int", "int1", "into")


def forbidden_instructions(code: bytes, address: int = 0) -> list[str]:
    """Each system-entering instruction in `code`, as `offset: text`: refused at build time, before any run."""
    return [f"{insn.mnemonic} {insn.op_str}".strip() + f" at +{insn.address - address:#x}"
            for insn in decoder().disasm(code, address) if insn.mnemonic in SYSTEM_ENTRIES]

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

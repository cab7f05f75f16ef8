"""`arena asm` for x86-64 code the emulator or the native route runs: Keystone's bytes read back by capstone
beside the source lines they came from (with a round-trip check), or a compiler's entry in a loaded image."""
from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from targets.x86.disasm import decoder
from targets.listing import Rendered, branch_target, disassemble_function, instruction
from targets.variant_source import Source
from targets.x86.assemble import strip_comments


def stages(built: Any) -> tuple[dict[str, Any], str]:
    """Keystone records one offset per source line; an image loaded from a compiler's ELF has none."""
    return ({"asm": assembled_listing} if built.assembled.lines else {"asm": image_listing}), "asm"


# Labels at the start of a line (`a: b: mov ...`), the way the route's assembler front end reads them.
_LEADING_LABEL_RUN = re.compile(r"^(\s*(?:[A-Za-z_.$?@][\w.$?@]*\s*:(?!:)\s*)*)")
_LEADING_LABELS = re.compile(r"([A-Za-z_.$?@][\w.$?@]*)\s*:")


def _source_labels(source: Source, lines: Sequence[tuple[int, int]]) -> dict[int, list[str]]:
    """Offset -> labels defined in the source there: a label's offset is that of the next instruction line."""
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
    code, base, lines = assembled.code, assembled.base, assembled.lines
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


def assembled_listing(built: Any, route: Any) -> Rendered:
    assembled = built.assembled
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
        code.append(instruction(insn.mnemonic, operands))
    count = len({offset for offset, _ in assembled.lines})
    notes = [f"round trip: Keystone assembled {count} instruction lines into {len(assembled.code)} bytes; "
             f"capstone decodes {len(decoded)} instructions" + ("" if problems else ": they match")]
    return Rendered("x86", "\n".join(raw), flags=f"Keystone, {assembled.syntax} syntax as detected, at "
                    f"{assembled.base:#x}; shown as address, Keystone's bytes, capstone's reading, source line",
                    notes=notes, code_bytes=len(assembled.code), filtered=filtered, code=code, problems=problems)


def image_listing(built: Any, route: Any) -> Rendered:
    """The entry function of a compiler's shared library as the emulator runs it: no source lines to check."""
    assembled = built.assembled
    size = built.code_bytes or 0
    start = assembled.base + assembled.entry
    name = assembled.entry_label or "entry"
    full, plain = disassemble_function(assembled.code[assembled.entry : assembled.entry + size], start, {start: name})
    return Rendered("x86", "\n".join([f"{name}:", *full]), flags="the entry symbol's bytes in the loaded image, "
                    "disassembled by capstone", code_bytes=size, filtered=[f"{name}:", *plain],
                    code=[f"{name}:", *plain], extra_versions={"capstone": metadata.version("capstone")})

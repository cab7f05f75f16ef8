"""A shared library as a loader would lay it out: its segments at one base, its relocations applied, and what
its entry function reaches outside itself. The Unicorn routes run such an image; the C routes read from it
what a kernel calls before anything runs."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from capstone import CS_GRP_CALL, CS_GRP_JUMP
from capstone.x86 import X86_OP_IMM, X86_OP_MEM, X86_REG_RIP
from elftools.elf.constants import P_FLAGS, SH_FLAGS
from elftools.elf.elffile import ELFFile

from targets.base import BuildError
from targets.disasm import decoder
from targets.native_memory import round_to_page
from targets.x86_assemble import CODE_BASE, PAGE


R_X86_64_64 = 1
R_X86_64_GLOB_DAT = 6
R_X86_64_JUMP_SLOT = 7
R_X86_64_RELATIVE = 8
#: Where the GOT slots of symbols the library does not define point: unmapped, so reaching one faults, and the
#: fault names the symbol.
IMPORT_BASE = 0x0E00_0000
IMPORT_STRIDE = 16


@dataclass(frozen=True)
class NativeImage:
    """A shared library's loadable segments as one block of memory at `base`, and where its entry is."""

    code: bytes
    base: int
    entry: int  # offset of the entry symbol into `code`
    entry_size: int  # the entry symbol's st_size: bytes of its machine code
    writable: tuple[tuple[int, int], ...]  # (offset, length) of the read-write segments, page-aligned
    #: GOT slots (offsets into `code`) of symbols defined outside the library, with their names.
    imports: dict[int, str] = field(default_factory=dict)
    #: Every function symbol: offset into `code` -> (name, size).
    functions: dict[int, tuple[str, int]] = field(default_factory=dict)
    #: (start, end) offsets of the PLT sections.
    plt: tuple[tuple[int, int], ...] = ()

    def import_at(self, address: int) -> str | None:
        """The outside symbol whose GOT slot points at `address`, if one does."""
        index, rest = divmod(address - IMPORT_BASE, IMPORT_STRIDE)
        names = list(self.imports.values())
        return names[index] if rest == 0 and 0 <= index < len(names) else None

    def outside_references(self) -> list[str]:
        """The symbols from outside the library that the entry function, or a function of the library it calls,
        calls through the PLT or reads from the GOT: what the emulator, which runs only the library's own code,
        cannot provide."""
        found: set[str] = set()
        pending, seen = [self.entry], {self.entry}
        while pending:
            start = pending.pop()
            size = self.functions.get(start, ("", 0))[1] or self.entry_size
            for insn in decoder().disasm(self.code[start : start + size], start):
                for op in insn.operands:
                    if op.type == X86_OP_MEM and op.mem.base == X86_REG_RIP:
                        slot = insn.address + insn.size + op.mem.disp
                        if slot in self.imports:
                            found.add(self.imports[slot])
                    elif op.type == X86_OP_IMM and (insn.group(CS_GRP_CALL) or insn.group(CS_GRP_JUMP)):
                        target = op.imm
                        if any(low <= target < high for low, high in self.plt):
                            name = self._plt_import(target)
                            if name:
                                found.add(name)
                        elif target in self.functions and target not in seen:
                            seen.add(target)
                            pending.append(target)
        return sorted(found)

    def _plt_import(self, stub: int) -> str | None:
        # A PLT stub jumps through its GOT slot: `jmp qword ptr [rip + slot]`, after an endbr64 in .plt.sec.
        for insn in decoder().disasm(self.code[stub : stub + 16], stub, 3):
            for op in insn.operands:
                if op.type == X86_OP_MEM and op.mem.base == X86_REG_RIP:
                    return self.imports.get(insn.address + insn.size + op.mem.disp)
        return None


def load_image(path: Path, symbol: str, base: int = CODE_BASE) -> NativeImage:
    """The PT_LOAD segments of `path` placed at `base` + their vaddr, with its dynamic relocations applied.

    A relocation against a symbol the library defines gets that symbol's address; one against a symbol from
    outside (the C library's memcpy, Python's API) gets an unmapped address of its own (`NativeImage.imports`):
    the emulator never runs a stand-in for code the library does not contain.
    """
    with path.open("rb") as f:
        elf = ELFFile(f)
        if elf["e_machine"] != "EM_X86_64":
            raise BuildError(f"{path.name}: not an x86-64 object ({elf['e_machine']})")
        segments = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        end = max(s["p_vaddr"] + s["p_memsz"] for s in segments)
        image = bytearray(round_to_page(end))
        writable = []
        for segment in segments:
            start = segment["p_vaddr"]
            image[start : start + segment["p_filesz"]] = segment.data()
            if segment["p_flags"] & P_FLAGS.PF_W:
                low = start // PAGE * PAGE
                writable.append((low, round_to_page(start + segment["p_memsz"]) - low))
        imports: dict[int, str] = {}
        for section in elf.iter_sections():
            if section["sh_type"] != "SHT_RELA" or section["sh_flags"] & SH_FLAGS.SHF_ALLOC == 0:
                continue
            symbols = elf.get_section(section["sh_link"])
            for reloc in section.iter_relocations():
                kind, offset = reloc["r_info_type"], reloc["r_offset"]
                if kind == R_X86_64_RELATIVE:
                    value = base + reloc["r_addend"]
                elif kind in (R_X86_64_64, R_X86_64_GLOB_DAT, R_X86_64_JUMP_SLOT):
                    target = symbols.get_symbol(reloc["r_info_sym"])
                    if target["st_shndx"] == "SHN_UNDEF":  # the C library's, Python's: not in this image
                        value = IMPORT_BASE + IMPORT_STRIDE * len(imports)
                        imports[offset] = target.name
                    else:  # the library's own (a call of a global function of the file, through the PLT)
                        value = base + target["st_value"] + (reloc["r_addend"] if kind == R_X86_64_64 else 0)
                else:
                    continue
                image[offset : offset + 8] = (value % (1 << 64)).to_bytes(8, "little")
        functions = {
            s["st_value"]: (s.name, s["st_size"])
            for name in (".symtab", ".dynsym") if (table := elf.get_section_by_name(name)) is not None
            for s in table.iter_symbols() if s["st_info"]["type"] == "STT_FUNC" and s["st_shndx"] != "SHN_UNDEF"
        }
        plt = tuple((s["sh_addr"], s["sh_addr"] + s["sh_size"]) for s in elf.iter_sections() if s.name.startswith(".plt"))
        found = None
        for name in (".symtab", ".dynsym"):
            table = elf.get_section_by_name(name)
            hits = table.get_symbol_by_name(symbol) if table is not None else None
            if hits:
                found = hits[0]
                break
        if found is None or found["st_info"]["type"] != "STT_FUNC":
            raise BuildError(f"{path.name}: no function symbol {symbol!r} in the library the route built")
    return NativeImage(
        code=bytes(image), base=base, entry=found["st_value"], entry_size=found["st_size"], writable=tuple(writable),
        imports=imports, functions=functions, plt=plt,
    )



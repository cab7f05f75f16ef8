"""Function symbols in ELF images (objects, shared libraries, programs), read with pyelftools: one place for
the look-ups the routes, the listings and the fidelity program make."""
from __future__ import annotations

import io
from collections.abc import Iterator

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import Symbol

SYMBOL_TABLES = (".symtab", ".dynsym")


def _reader(elf: bytes) -> ELFFile:
    return ELFFile(io.BytesIO(elf))


def function_symbols(reader: ELFFile) -> Iterator[Symbol]:
    """Every STT_FUNC symbol of the first symbol table that has any (.symtab, else .dynsym)."""
    for table_name in SYMBOL_TABLES:
        table = reader.get_section_by_name(table_name)
        found = [s for s in (table.iter_symbols() if table is not None else ()) if s["st_info"]["type"] == "STT_FUNC"]
        if found:
            yield from found
            return


def elf_function(elf: bytes, name: str) -> tuple[int, int] | None:
    """(st_value, st_size) of a sized symbol `name`, from .symtab or .dynsym."""
    reader = _reader(elf)
    for table_name in SYMBOL_TABLES:
        table = reader.get_section_by_name(table_name)
        for symbol in table.iter_symbols() if table is not None else ():
            if symbol.name == name and symbol["st_size"]:
                return int(symbol["st_value"]), int(symbol["st_size"])
    return None


def symbol_size(elf: bytes, name: str) -> int | None:
    """st_size of a function symbol in an ELF image (object or shared library), from .symtab or .dynsym."""
    found = elf_function(elf, name)
    return found[1] if found else None


def loaded_function(elf: bytes, name: str) -> bytes | None:
    """The bytes of function `name` in a linked image (library or program), found through its load segments."""
    found = elf_function(elf, name)
    if found is None:
        return None
    value, size = found
    for segment in _reader(elf).iter_segments():
        if segment["p_type"] == "PT_LOAD" and segment["p_vaddr"] <= value < segment["p_vaddr"] + segment["p_filesz"]:
            start = segment["p_offset"] + value - segment["p_vaddr"]
            return elf[start : start + size]
    return None


def object_function(elf: bytes, name: str) -> bytes:
    """The bytes of function `name` (its symbol's st_size) in an ELF relocatable object, as a compiler wrote it.

    Relocations are not applied; a relocated operand has the same length, so an instruction count is unaffected.
    """
    reader = _reader(elf)
    table = reader.get_section_by_name(".symtab")
    for symbol in table.iter_symbols() if table is not None else ():
        if symbol.name == name and symbol["st_info"]["type"] == "STT_FUNC":
            section = reader.get_section(symbol["st_shndx"])
            start = int(symbol["st_value"])
            return section.data()[start:start + int(symbol["st_size"])]
    raise LookupError(f"no function symbol {name!r} in this object")


def text_and_functions(image: bytes) -> tuple[tuple[bytes, int], list[tuple[str, int, int]]]:
    """The text section (its bytes and address) and every function symbol: (name, address, size), by address."""
    reader = _reader(image)
    text = reader.get_section_by_name(".text") or reader.get_section_by_name(".ltext")
    section = (text.data(), int(text["sh_addr"])) if text is not None else (b"", 0)
    functions = [(s.name, int(s["st_value"]), int(s["st_size"])) for s in function_symbols(reader)]
    return section, sorted(functions, key=lambda f: f[1])

"""Compiler-built x86-64 run in the same Unicorn emulator as the AI-written assembly, so instruction counts
compare like for like.

The machine code is the native route's own artifact, never a second compile
with other flags: the cffi shared library a C route built (`CBuilt.library`),
or, for LLVM IR, the object the route's TargetMachine emits for its optimized
module, linked into a shared library by ld.lld from the ziglang wheel. The
library's loadable segments are placed at their virtual addresses above
`CODE_BASE`, with their read-only data, and the entry symbol is called like an
assembled variant: same stack, same guarded array, same register checks.
"""
from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import unicorn
from unicorn import x86_const as x86
from capstone import CS_GRP_CALL, CS_GRP_JUMP
from capstone.x86 import X86_OP_IMM, X86_OP_MEM, X86_REG_RIP
from elftools.elf.constants import P_FLAGS, SH_FLAGS
from elftools.elf.elffile import ELFFile

from kernels.kernel import Kernel
from targets.source import Source
from targets import get_route
from targets.base import Built, BuildError, LimitExceeded, OutOfBounds, RunError, Target, Unavailable
from targets.c_cffi import CBuilt
from targets.cache import cached, content_key
from targets.llvm_jit import LlvmBuilt
from targets.disasm import decoder
from targets.native import round_to_page
from targets.x86_unicorn import CODE_BASE, PAGE, Assembled, UnicornBuilt

R_X86_64_64 = 1
R_X86_64_GLOB_DAT = 6
R_X86_64_JUMP_SLOT = 7
R_X86_64_RELATIVE = 8
#: Where the GOT slots of symbols the library does not define point: unmapped, so reaching one faults, and the
#: fault names the symbol.
IMPORT_BASE = 0x0E00_0000
IMPORT_STRIDE = 16
LINK_SECONDS = 60.0
# The messages of a bad memory access in Unicorn start with one of these (targets.x86_unicorn._ACCESS).
_MEMORY_FAULTS = ("read of", "write to", "fetch from")


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


class NativeUnicornBuilt(UnicornBuilt):
    """A compiler's shared library in the emulator: the assembled-variant machinery, run on a loaded image."""

    def __init__(self, source: Source, route: str, image: NativeImage, symbol: str, max_instructions: int) -> None:
        assembled = Assembled(code=image.code, base=image.base, entry=image.entry, entry_label=symbol, syntax="elf")
        super().__init__(source, route, assembled, max_instructions)
        self.image = image
        self.symbol = symbol
        assert self._uc is not None
        for offset, length in image.writable:  # .data, .got, .bss: writable as the dynamic loader maps them
            self._uc.mem_protect(image.base + offset, length, unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE)

    @property
    def code_bytes(self) -> int:
        return self.image.entry_size

    def entry_code(self) -> tuple[bytes, int] | None:
        """The entry function's bytes in the loaded image (its symbol's size)."""
        start = self.image.entry
        return self.image.code[start : start + self.image.entry_size], self.image.base + start

    def listing(self) -> str:
        """The entry function's machine code as the emulator runs it."""
        start = self.image.entry
        code = self.image.code[start : start + self.image.entry_size]
        return "\n".join(
            f"{i.address:#x}  {i.bytes.hex():<20} {i.mnemonic} {i.op_str}".rstrip()
            for i in decoder().disasm(code, self.image.base + start)
        )

    def _run(self, values: Sequence[int], counted: bool) -> tuple[list[int], int]:
        self._unsupported: str | None = None
        try:
            return super()._run(values, counted)
        except (LimitExceeded, OutOfBounds):
            raise
        except RunError as exc:
            if self._unsupported:
                raise Unavailable(self._unsupported) from None
            # A bad access here is exactly what the same library does natively, where the process dies.
            message = str(exc)
            if message.startswith(_MEMORY_FAULTS):
                message += "; natively this access would have crashed with SIGSEGV"
            raise RunError(message) from None

    def _fault_message(self, uc: unicorn.Uc, exc: unicorn.UcError) -> str:
        message = super()._fault_message(uc, exc)
        if exc.errno == unicorn.UC_ERR_INSN_INVALID and not self._event:
            rip = uc.reg_read(x86.UC_X86_REG_RIP)
            insn = next(decoder().disasm(bytes(uc.mem_read(rip, 15)), rip, 1), None)
            # AVX (VEX/EVEX-encoded, all spelled v...): real code for the host CPU the native route built for,
            # which Unicorn 2.1's QEMU 5 translator cannot run. Not the variant's fault: the route skips it.
            if insn is not None and insn.mnemonic.startswith("v") and insn.mnemonic not in ("verr", "verw"):
                self._unsupported = (
                    f"Unicorn cannot emulate {insn.mnemonic} {insn.op_str} ({self.symbol} at {rip:#x}): the native"
                    f" route built AVX code for the host CPU, which Unicorn {unicorn.__version__} does not support"
                )
        return message

    def _region(self, address: int) -> str:
        name = self.image.import_at(address)
        if name is None:
            return super()._region(address)
        # Reached by a path the build's scan did not see (a pointer read from data): the same answer as there.
        self._unsupported = (
            f"{self.symbol} reached {name}, from outside the library; the emulator runs only the library's own code"
        )
        return f"where {name} would be"

    def _describe(self, address: int) -> str:
        text = super()._describe(address)
        offset = address - self.image.base - self.image.entry
        if 0 <= offset < max(self.image.entry_size, 1):
            text += f" ({self.symbol}+{offset:#x})"
        return text


class UnicornNativeTarget(Target):
    """The machine code a native route built, run in Unicorn: instructions executed, counted exactly."""

    counts = True

    def __init__(self, name: str, native_route: str, language: str, max_instructions: int = 2_000_000_000) -> None:
        super().__init__(name, f"the x86-64 code route {native_route} built, run in the Unicorn emulator")
        self.native_route = native_route
        self.language = language
        self.max_instructions = max_instructions

    def build(self, source: Source, kernel: Kernel) -> NativeUnicornBuilt:
        started = time.perf_counter()
        native = get_route(self.native_route).build(source, kernel)  # its BuildError is this route's too
        try:
            library, symbol = self._library(native)
        finally:
            native.close()
        built_at = time.perf_counter()
        image = load_image(library, symbol)
        outside = image.outside_references()
        if outside:
            raise Unavailable(
                f"{source.where()}: {symbol} calls {', '.join(outside)} from outside the library {self.native_route}"
                " built; the emulator runs only the library's own code, with no C library to call"
            )
        built = NativeUnicornBuilt(source, self.name, image, symbol, self.max_instructions)
        built.kernel = kernel
        built.library = library  # type: ignore[attr-defined]
        built.notes = native.notes  # what the native route adapted (a C file's own prototype) holds here too
        built.phases.update(build=built_at - started, load=time.perf_counter() - built_at)
        return built

    def _library(self, native: Built) -> tuple[Path, str]:
        if isinstance(native, CBuilt):
            assert native.library is not None
            return native.library, native.entry
        if isinstance(native, LlvmBuilt):
            return link_object(native.machine.emit_object(native.module)), native.entry
        raise BuildError(f"{self.native_route} built a {type(native).__name__}; this route reads C or LLVM builds")

    def received_flags(self) -> list[str]:
        return get_route(self.native_route).received_flags()  # the native route's own library runs here

    def versions(self) -> dict[str, str]:
        return {
            **get_route(self.native_route).versions(),
            **{pkg: metadata.version(pkg) for pkg in ("unicorn", "capstone", "pyelftools")},
        }


def link_object(obj: bytes) -> Path:
    """A relocatable ELF object linked by ld.lld into a shared library, cached by content hash."""
    def link(work: Path) -> Path:
        src, out = work / "kernel.o", work / "kernel.so"
        src.write_bytes(obj)
        try:
            done = subprocess.run(
                # -z notext: the JIT's machine uses the large code model, whose absolute addresses
                # (R_X86_64_64) become R_X86_64_RELATIVE relocations that load_image applies.
                [sys.executable, "-m", "ziglang", "ld.lld", "-shared", "-z", "notext", str(src), "-o", str(out)],
                capture_output=True, text=True, timeout=LINK_SECONDS, check=False,
            )
        except subprocess.TimeoutExpired:
            raise BuildError(f"ld.lld did not finish within {LINK_SECONDS:g} s") from None
        if done.returncode != 0 or not out.exists():
            raise BuildError(f"ld.lld -shared failed on the emitted object:\n{done.stderr.strip()}")
        return out

    return cached("unicorn", f"{content_key(obj)}.so", link)


ROUTES = [
    UnicornNativeTarget(f"{native}-unicorn", native, language)
    for native, language in (
        ("llvm-O0", "llvm"),
        ("llvm-O3", "llvm"),
        ("c-gcc-O0", "c"),
        ("c-gcc-O3", "c"),
        ("c-clang-O0", "c"),
        ("c-clang-O3", "c"),
    )
]

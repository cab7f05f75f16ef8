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
from importlib import metadata
from pathlib import Path
from typing import Any

import unicorn
from unicorn import x86_const as x86

from kernels.interface import Outcome
from kernels.kernel import Kernel
from targets.variant_source import Source
from targets import get_route
from targets.cpu_features import UNICORN_FEATURES
from targets.base import Built, BuildError, LimitExceeded, OutOfBounds, RunError, Target, Unavailable
from targets.native.c_cffi import CBuilt
from targets.cache import cached, content_key
from targets.native.llvm_jit import LlvmBuilt
from targets.x86.disasm import decoder
from targets.native.image import NativeImage, load_image
from targets.x86.assemble import Assembled
from targets.x86.unicorn_route import UnicornBuilt

LINK_SECONDS = 60.0
# The messages of a bad memory access in Unicorn start with one of these (targets.x86.unicorn_route._ACCESS).
_MEMORY_FAULTS = ("read of", "write to", "fetch from")


class NativeUnicornBuilt(UnicornBuilt):
    """A compiler's shared library in the emulator: the assembled-variant machinery, run on a loaded image."""

    def __init__(self, source: Source, route: str, image: NativeImage, symbol: str, max_instructions: int, *,
                 library: Path, kernel: Kernel | None = None, build_seconds: float = 0.0, load_seconds: float = 0.0,
                 notes: tuple[str, ...] = ()) -> None:
        assembled = Assembled(code=image.code, base=image.base, entry=image.entry, entry_label=symbol, syntax="elf")
        super().__init__(source, route, assembled, max_instructions, kernel=kernel, build_seconds=build_seconds,
                         load_seconds=load_seconds, notes=notes)
        self.image = image
        self.symbol = symbol
        #: The native route's shared library the image was loaded from.
        self.library = library
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

    def _run(self, values: Any, counted: bool) -> tuple[Outcome, int]:
        self._unsupported: str | None = None
        if self._uc is not None:
            # Every run starts from the library as loaded, as a fresh process would: what one run left in .data
            # or .bss cannot shorten the next (the counts are compared as exact), nor carry an answer to it.
            for offset, length in self.image.writable:
                self._uc.mem_write(self.image.base + offset, self.image.code[offset : offset + length])
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
        # What the native route adapted (a C file's own prototype) holds here too.
        return NativeUnicornBuilt(source, self.name, image, symbol, self.max_instructions, library=library,
                                  kernel=kernel, build_seconds=built_at - started,
                                  load_seconds=time.perf_counter() - built_at, notes=native.notes)

    def _library(self, native: Built) -> tuple[Path, str]:
        if isinstance(native, CBuilt):
            assert native.library is not None
            return native.library, native.entry
        if isinstance(native, LlvmBuilt):
            return link_object(native.machine.emit_object(native.module)), native.entry
        raise BuildError(f"{self.native_route} built a {type(native).__name__}; this route reads C or LLVM builds")

    def received_flags(self) -> list[str]:
        return get_route(self.native_route).received_flags()  # the native route's own library runs here

    def cpu_features(self) -> frozenset[str]:
        return get_route(self.native_route).cpu_features() & UNICORN_FEATURES

    def features_owner(self) -> str:
        return f"{self.native_route}'s target as Unicorn emulates it"

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


# The host-tuned routes (-march=native, the host CPU's LLVM features) have no twin here: their vector loops are
# AVX code on any CPU that has AVX, which Unicorn cannot run (each such build would only ever be skipped), and an
# instruction count of code built for one CPU says nothing of another's, where the baseline builds' counts hold.
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

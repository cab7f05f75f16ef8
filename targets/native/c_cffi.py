"""C built by a real C compiler into a cffi out-of-line extension module, cached by content hash.

cffi compiles through setuptools, which puts Python's own CFLAGS first
(`-O3 -fwrapv -g` here); the route's flags come last, so they decide the
optimization level, and `-fno-wrapv` puts signed overflow back to plain C
rules, as a C programmer's own build would have it. What the compiler proper
finally received (gcc's cc1, clang's -cc1) is asked of the driver itself
(`-v`, `-###`): `CffiTarget.received_flags()`.

clang is the plain driver of the ziglang wheel (`zig clang`), not `zig cc`:
zig cc passes -O2 for -O3 and forces frame pointers, where the routes promise
clang's own -O0 and -O3 with stock clang's defaults for the target.
"""
from __future__ import annotations

import ctypes
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.util import find_spec
from pathlib import Path

from typing import Any

import cffi

from kernels.kernel import Kernel
from targets.variant_source import Source
from targets import listing
from targets.native import c_prototype
from targets.base import Built, BuildError, Target
from targets.cache import cached_bytes
from targets.native.cffi_build import compile_cffi, compiler_version
from targets.native.elf import loaded_function, symbol_size
from targets.native.runner import NativeKernel
from targets.x86.disasm import forbidden_instructions
from targets.cpu_features import X86_64_BASELINE, host_features, host_identity


# Declared ahead of the source, so a definition with another signature is a compile error that says which.
CONTRACT_PROLOGUE = "#line 1 \"<arena contract>\"\n#include <stddef.h>\n#include <stdint.h>\n{signature}\n"
# Our source is pasted into cffi's generated wrapper; after it, line numbers are cffi's, not the user's.
WRAPPER_LINE = '\n#line 1 "<cffi wrapper>"\n'


def tool_name(compiler: str) -> str:
    """The compiler as people name it: the ziglang routes' commands start with the interpreter's path."""
    return "clang (ziglang)" if "-m ziglang" in compiler else compiler


def compile_command(compiler: str, args: Sequence[str], c_file: Path, obj: Path) -> list[str]:
    """The command setuptools runs to compile `c_file` for a cffi build: CC, Python's CFLAGS and CCSHARED, then
    `args`, composed by setuptools' own compiler class rather than a copy of its rules."""
    import setuptools  # noqa: F401  (first, so `distutils` is setuptools' copy, the one cffi builds with)
    from distutils.ccompiler import new_compiler
    from distutils.sysconfig import customize_compiler

    saved = os.environ.get("CC")
    os.environ["CC"] = compiler
    try:
        builder = new_compiler()
        customize_compiler(builder)
    finally:
        if saved is None:
            os.environ.pop("CC", None)
        else:
            os.environ["CC"] = saved
    spawned: list[list[str]] = []
    # Record, do not run: older setuptools compile through `spawn`, newer ones through `call`.
    builder.spawn = builder.call = spawned.append  # type: ignore[method-assign]
    builder.compile([str(c_file)], output_dir=str(obj.parent), extra_postargs=list(args))
    return spawned[0]


def proper_flags(driver_output: str) -> list[str]:
    """The compiler proper's arguments in a driver's `-v` or `-###` output: after `-cc1` (clang) or the cc1
    program (gcc)."""
    for line in driver_output.splitlines():
        try:
            words = shlex.split(line)
        except ValueError:
            continue
        if "-cc1" in words:
            return words[words.index("-cc1") + 1 :]
        if words and Path(words[0]).name == "cc1":
            return words[1:]
    raise BuildError(f"no compiler-proper command in the driver's output:\n{driver_output.strip()[:2000]}")


def ask_driver(command: Sequence[str], words: int, work: str) -> tuple[str, ...]:
    """What the compiler proper receives from `command` (a compiler driver of `words` words, then its arguments),
    run in the folder `work`: clang prints its -cc1 command without running it (`-###`), gcc prints cc1's while
    compiling (`-v`)."""
    ask = "-###" if "clang" in " ".join(command[:words]) else "-v"
    done = subprocess.run([*command[:words], ask, *command[words:]], capture_output=True, text=True, check=False,
                          cwd=work)
    if done.returncode != 0:
        raise BuildError(f"{tool_name(' '.join(command[:words]))} {ask} failed:\n{done.stderr.strip()[:2000]}")
    # The temporary folder is in a few flags (debug dirs, gcc's dump names): named alike on every run.
    return tuple(flag.replace(work, "$BUILD") for flag in proper_flags(done.stderr))


@cache
def received_flags(compiler: str, args: tuple[str, ...]) -> tuple[str, ...]:
    """What the compiler proper receives when setuptools compiles C with `compiler` and `args`."""
    with tempfile.TemporaryDirectory(prefix="arena-flags-") as work:
        c_file, obj = Path(work) / "probe.c", Path(work) / "probe.o"
        c_file.write_text("int arena_probe;\n")
        return ask_driver(compile_command(compiler, args, c_file, obj), len(shlex.split(compiler)), work)


#: Options of the compiler proper whose value is a path or a file name: left out where flags are shown to people.
_PATH_OPTIONS = {"-resource-dir", "-internal-isystem", "-internal-externc-isystem", "-isystem", "-idirafter", "-I", "-o",
                 "-main-file-name", "-dumpdir", "-dumpbase", "-dumpbase-ext", "-imultiarch", "-x"}
_NOISE = {"-quiet", "-v", "-version"}


def shown_flags(flags: Sequence[str]) -> str:
    """The compiler proper's flags without paths, file names and the driver's chatter: what decides the code."""
    kept: list[str] = []
    skip = False
    for flag in flags:
        if skip:
            skip = False
        elif flag in _PATH_OPTIONS:
            skip = True
        elif flag in _NOISE or flag.startswith(("-fdebug-compilation-dir", "-fcoverage-compilation-dir", "$BUILD")):
            pass
        else:
            kept.append(flag)
    return " ".join(kept)


def find_c_entry(source: Source, kernel: Kernel) -> str:
    for name in kernel.entry_candidates():
        if re.search(rf"\b{re.escape(name)}\s*\(", source.text):
            return name
    raise BuildError(
        f"{source.where()}: no function named like the kernel ({', '.join(kernel.entry_candidates()[:3])}); "
        f"the contract requires {kernel.interface.c_prototype()}"
    )


# What a kernel's object may leave for the dynamic loader to resolve: the memory functions C compilers emit
# calls to on their own, cffi's calls into Python (its wrapper around the kernel), and the C runtime's hooks.
ALLOWED_EXTERNALS = {"memcpy", "memmove", "memset", "__stack_chk_fail", "__cxa_finalize", "__gmon_start__",
                     "_ITM_deregisterTMCloneTable", "_ITM_registerTMCloneTable"}
# Functions the C runtime itself registers to run at load time; anything else there is the variant's.
RUNTIME_INITIALIZERS = {"frame_dummy", "__do_global_dtors_aux"}


def refuse_outside_reach(library: Path, source: Source, route: str, entry: str) -> None:
    """BuildError when the kernel would call outside its allowance, or the library would run code of its own at
    load. What the entry function (and every function of the library it calls) reaches through the PLT or the
    GOT is checked, so a `main` or a helper that nothing calls may use what it likes. A library found within its
    allowance is remembered in the cache (targets.cache) by its bytes and entry: reading an ELF file with
    pyelftools is slow next to a build read from the cache, and a run builds every pair."""
    def produce(work: Path) -> bytes:
        _refuse_outside_reach(library, source, route, entry)
        return b"within reach"

    cached_bytes("within-reach", (*_reach_rules(), entry, library.read_bytes()), produce)


@cache
def _reach_rules() -> tuple[str, ...]:
    """What decides the judgement besides the library: this module's rules, the loader's view
    (targets.native.image) and the ELF reader's version."""
    from importlib.metadata import version

    from targets.native import image

    return (Path(__file__).read_text(), Path(image.__file__).read_text(), version("pyelftools"))


def _refuse_outside_reach(library: Path, source: Source, route: str, entry: str) -> None:
    from elftools.elf.elffile import ELFFile

    from targets.native.image import load_image  # the loader's view of the library, as the Unicorn routes use

    calls = [name for name in load_image(library, entry).outside_references() if name not in ALLOWED_EXTERNALS]
    with library.open("rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        by_address = {sym["st_value"]: sym.name for sym in (symtab.iter_symbols() if symtab is not None else ())
                      if sym["st_info"]["type"] in ("STT_FUNC", "STT_GNU_IFUNC")}
        ifuncs = [sym.name for sym in (symtab.iter_symbols() if symtab is not None else ())
                  if sym["st_info"]["type"] == "STT_GNU_IFUNC"]
        initializers = []
        for name in (".init_array", ".preinit_array", ".ctors"):
            section = elf.get_section_by_name(name)
            if section is None:
                continue
            low, high = section["sh_addr"], section["sh_addr"] + section["sh_size"]
            rela = elf.get_section_by_name(".rela.dyn")
            for reloc in (rela.iter_relocations() if rela is not None else ()):
                if low <= reloc["r_offset"] < high:
                    target = by_address.get(reloc["r_addend"], hex(reloc["r_addend"]))
                    if target not in RUNTIME_INITIALIZERS:
                        initializers.append(target)
    if calls:
        lines = [f"{source.where(line)}: calls {name}" for name in calls for line in [_line_naming(source, name)]]
        raise BuildError(f"{route}: the code calls functions a kernel may not use ({', '.join(calls)}): "
                         "a kernel may call only memcpy, memmove and memset\n" + "\n".join(lines))
    if initializers or ifuncs:
        names = ", ".join(initializers + ifuncs)
        raise BuildError(f"{source.where()}: {route}: the code would run at load time ({names}: a constructor or "
                         "an ifunc resolver); a kernel runs only when called")


def _line_naming(source: Source, name: str) -> int | None:
    # The C library renames some calls (open becomes open64 with large-file support): try the plain name too.
    for word in dict.fromkeys([name, re.sub(r"64$", "", name)]):
        if (line := source.first_line(rf"\b{re.escape(word)}\s*\(")) is not None:
            return line
    return None


def _file_bytes(library: Path, name: str) -> bytes | None:
    """The bytes of function `name` as the library file holds them (no loading)."""
    return loaded_function(library.read_bytes(), name)


@dataclass
class CBuilt(NativeKernel, Built):
    """A C kernel in a shared library on disk; loaded only by the sandboxed child that runs it."""

    library: Path | None = None
    _address: int = 0

    def enter_child(self) -> None:
        assert self.library is not None
        handle = ctypes.CDLL(str(self.library))
        self._address = ctypes.cast(handle[self.entry], ctypes.c_void_p).value or 0

    def entry_address(self) -> int:
        if not self._address:
            self.enter_child()
        return self._address

    def kernel_bytes(self) -> bytes | None:
        return self._kernel_bytes

    # The library in the cache never changes once published: read it once per build, not per loop or listing.
    @cached_property
    def _kernel_bytes(self) -> bytes | None:
        return _file_bytes(self.library, self.entry) if self.library else None

    @cached_property
    def code_bytes(self) -> int | None:  # type: ignore[override]
        return symbol_size(self.library.read_bytes(), self.entry) if self.library else None

    def stages(self) -> tuple[dict[str, Callable[[Any, Target], listing.Rendered]], str]:
        """`arena asm`: the compiler's own assembly for the same text and flags."""
        return {"asm": _listing_asm}, "asm"

    def close(self) -> None:
        self.close_native()


class CffiTarget(Target):
    language = "c"
    native = True

    def __init__(self, name: str, compiler: str, flags: Sequence[str]) -> None:
        super().__init__(name, f"C compiled by {tool_name(compiler)} {' '.join(flags)} into a cffi extension module")
        self.compiler = compiler
        self.flags = tuple(flags)
        # -march=native: the compiler targets this machine's CPU, so the build and its results are this machine's.
        self.host_tuned = "-march=native" in self.flags

    def cpu_features(self) -> frozenset[str]:
        return host_features() if self.host_tuned else X86_64_BASELINE

    def features_owner(self) -> str:
        return "this machine's CPU" if self.host_tuned else super().features_owner()

    def compile_args(self) -> list[str]:
        return [*self.flags, "-fno-wrapv"]

    def received_flags(self) -> list[str]:
        """The compiler proper's arguments for this route's builds, as its driver reports them."""
        return list(received_flags(self.compiler, tuple(self.compile_args())))

    def build(self, source: Source, kernel: Kernel) -> CBuilt:
        started = time.perf_counter()
        entry = find_c_entry(source, kernel)
        _, library = compile_cffi(
            self.wrapped_source(source, entry, kernel),
            c_prototype.for_source(source, entry, kernel.interface).declaration,
            self.compiler,
            self.compile_args(),
            what=self.description.split(" into ")[0],
            load=False,
        )
        compiled = time.perf_counter()
        refuse_outside_reach(library, source, self.name, entry)
        # The library is loaded by the child that runs it, never here: no load phase in this process.
        built = CBuilt(source=source, route=self.name, entry=entry, library=library, kernel=kernel,
                       host_tuned=self.host_tuned, notes=c_prototype.for_source(source, entry, kernel.interface).notes,
                       phases={"build": compiled - started, "load": 0.0})
        code = built.kernel_bytes()
        if code is not None and (found := forbidden_instructions(code)):
            raise BuildError(f"{source.where()}: {self.name}: the compiled kernel contains {found[0]}; "
                             "a kernel may not make system calls")
        return built

    @staticmethod
    def wrapped_source(source: Source, entry: str, kernel: Kernel) -> str:
        """The C text cffi compiles: the entry's prototype (the contract's, or the user's own where it differs
        only in integer types: targets.native.c_prototype), then the user's file with its own line numbers."""
        return c_prototype.wrapped(source, entry, kernel.interface, CONTRACT_PROLOGUE, WRAPPER_LINE)

    def versions(self) -> dict[str, str]:
        tools = {tool_name(self.compiler): compiler_version(self.compiler), "cffi": cffi.__version__}
        return {**tools, "cpu": host_identity()} if self.host_tuned else tools


def _listing_asm(built: CBuilt, route: CffiTarget) -> listing.Rendered:
    text = route.wrapped_source(built.source, built.entry, built.kernel)  # type: ignore[attr-defined]
    args = [*listing.setuptools_cflags(), *route.compile_args()]  # type: ignore[attr-defined]
    command = [*shlex.split(route.compiler), *args]  # type: ignore[attr-defined]
    c_name, version = f"{built.source.name}.c", compiler_version(route.compiler)  # type: ignore[attr-defined]
    asm = listing.compile_for_listing(route.name, [*command, "-S", "-masm=intel"], c_name, text, "out.s", version).decode()
    # The same text and flags again, to an object: its entry must be as long as the one that ran.
    obj = listing.compile_for_listing(route.name, [*command, "-c"], c_name, text, "out.o", version)
    listed = symbol_size(obj, built.entry)  # type: ignore[attr-defined]
    shown = " ".join([tool_name(route.compiler), *map(shlex.quote, args)])  # type: ignore[attr-defined]
    ran = built.code_bytes  # the entry's size in the library that ran
    notes = [f"code bytes: the entry in the extension module that ran; this listing's object has {listed}"
             + (": the same" if listed == ran else ": NOT the same, the listing may not be the code that ran")]
    return listing.Rendered("x86", asm, flags=f"{shown} -S -masm=intel", notes=notes, code_bytes=ran or listed)


#: The ziglang wheel's lib folder: clang's own headers are in its include/, as in a clang resource directory.
ZIG_LIB = Path(find_spec("ziglang").origin or "").parent / "lib"  # type: ignore[union-attr]


def zig_clang(triple: str) -> str:
    """clang from the ziglang wheel as the plain clang driver: the same clang on every machine, installed with
    the project. Its resource directory is the wheel's lib folder (the driver would look beside the wheel)."""
    return shlex.join([sys.executable, "-m", "ziglang", "clang", f"--target={triple}", "-resource-dir", str(ZIG_LIB)])


#: The Python process's own target: the extension module is loaded into it (zig's clang defaults to musl).
ZIG_CLANG = zig_clang("x86_64-unknown-linux-gnu")

ROUTES = [
    # All for baseline x86-64, like the llvm routes (clang would otherwise target its default CPU, gcc its own).
    CffiTarget("c-gcc-O0", "gcc", ["-O0", "-march=x86-64"]),
    CffiTarget("c-gcc-O3", "gcc", ["-O3", "-march=x86-64"]),
    CffiTarget("c-clang-O0", ZIG_CLANG, ["-O0", "-march=x86-64"]),
    CffiTarget("c-clang-O3", ZIG_CLANG, ["-O3", "-march=x86-64"]),
    # The compilers at their best on this machine: its CPU's every vector unit. Their rows are this machine's
    # (Built.substrate), and the compiler proper shows the CPU the driver chose for `native` (received_flags).
    CffiTarget("c-gcc-O3-native", "gcc", ["-O3", "-march=native"]),
    CffiTarget("c-clang-O3-native", ZIG_CLANG, ["-O3", "-march=native"]),
]

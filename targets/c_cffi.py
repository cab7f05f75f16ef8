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

import contextlib
import ctypes
import hashlib
import importlib.machinery
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType
from typing import Any

import cffi

from harness.kernel import Kernel
from harness.source import Source
from targets import c_prototype
from targets.base import Built, BuildError, Target
from targets.native import NativeKernel, elf_function, forbidden_instructions, symbol_size

C_SIGNATURE = "void {name}(int32_t *a, size_t n);"
# Declared ahead of the source, so a definition with another signature is a compile error that says which.
CONTRACT_PROLOGUE = "#line 1 \"<arena contract>\"\n#include <stddef.h>\n#include <stdint.h>\n{signature}\n"
# Our source is pasted into cffi's generated wrapper; after it, line numbers are cffi's, not the user's.
WRAPPER_LINE = '\n#line 1 "<cffi wrapper>"\n'


def cache_dir() -> Path:
    root = os.environ.get("ARENA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "codegen-arena"
    )
    return Path(root)


@contextlib.contextmanager
def captured_output() -> Iterator[list[str]]:
    """Capture what subprocesses (the compiler) write to fds 1 and 2; setuptools does not return it."""
    result: list[str] = []
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(1), os.dup(2)
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield result
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            sink.seek(0)
            result.append(sink.read().decode("utf-8", "replace"))


@cache
def compiler_version(compiler: str) -> str:
    try:
        out = subprocess.run([*shlex.split(compiler), "--version"], capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        return "not found"
    return out.splitlines()[0] if out else "unknown"


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
    builder.spawn = spawned.append  # record, do not run
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
        f"the contract requires {C_SIGNATURE.format(name=kernel.name)}"
    )


def compiler_diagnostics(output: str, limit: int = 12) -> str:
    """The compiler's own messages, without setuptools' command lines."""
    keep = [line for line in output.splitlines() if line.strip() and not line.startswith(("gcc ", "cc ", "clang "))]
    interesting = [line for line in keep if re.search(r"error|warning|note|\^|\|", line)] or keep
    return "\n".join(interesting[:limit])


def compile_cffi(c_text: str, cdef: str, compiler: str, args: Sequence[str], what: str,
                 load: bool = True) -> tuple[ModuleType | None, Path]:
    """Build `c_text` into a cffi extension module (once per content hash) and import it (unless not `load`:
    variant code is never loaded into this process, only into the sandboxed child that runs it).

    `what` names the build in error messages. The library is published whole (os.replace), so an
    interrupted or concurrent build never leaves half a library in the cache.
    """
    key = hashlib.sha256(
        "\0".join([c_text, cdef, compiler, compiler_version(compiler), *args, cffi.__version__, sys.version]).encode()
    ).hexdigest()[:20]
    module_name = f"_arena_c_{key}"
    directory = cache_dir() / "c"
    directory.mkdir(parents=True, exist_ok=True)
    library = directory / f"{module_name}{importlib.machinery.EXTENSION_SUFFIXES[0]}"
    if not library.exists():
        ffibuilder = cffi.FFI()
        ffibuilder.cdef(cdef)
        ffibuilder.set_source(module_name, c_text, extra_compile_args=list(args))
        with tempfile.TemporaryDirectory(dir=directory, prefix="build-") as work:
            env_cc = os.environ.get("CC")
            os.environ["CC"] = compiler
            try:
                with captured_output() as output:
                    try:
                        built = ffibuilder.compile(tmpdir=work, verbose=False)
                        failed = None
                    except Exception as exc:  # setuptools raises several unrelated types for a failed compile
                        built, failed = None, exc
            finally:
                if env_cc is None:
                    os.environ.pop("CC", None)
                else:
                    os.environ["CC"] = env_cc
            if failed is not None or built is None:
                detail = compiler_diagnostics(output[0]) or str(failed)
                if "conflicting types" in detail:
                    detail += f"\nthe contract requires {cdef}"
                raise BuildError(f"{what} failed:\n{detail}")
            os.replace(built, library)
        shutil.rmtree(directory / "__pycache__", ignore_errors=True)
    if not load:
        return None, library
    spec = importlib.util.spec_from_file_location(module_name, library)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, library


# What a kernel's object may leave for the dynamic loader to resolve: the memory functions C compilers emit
# calls to on their own, cffi's calls into Python (its wrapper around the kernel), and the C runtime's hooks.
ALLOWED_EXTERNALS = {"memcpy", "memmove", "memset", "__stack_chk_fail", "__cxa_finalize", "__gmon_start__",
                     "_ITM_deregisterTMCloneTable", "_ITM_registerTMCloneTable"}
# Functions the C runtime itself registers to run at load time; anything else there is the variant's.
RUNTIME_INITIALIZERS = {"frame_dummy", "__do_global_dtors_aux"}


def refuse_outside_reach(library: Path, source: Source, route: str, entry: str) -> None:
    """BuildError when the kernel would call outside its allowance, or the library would run code of its own at
    load. What the entry function (and every function of the library it calls) reaches through the PLT or the
    GOT is checked, so a `main` or a helper that nothing calls may use what it likes."""
    from elftools.elf.elffile import ELFFile

    from targets.unicorn_native import load_image  # the library's own loader view: the same for both routes

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
        for number, line in enumerate(source.text.splitlines(), start=1):
            if re.search(rf"\b{re.escape(word)}\s*\(", line):
                return number
    return None


def _file_bytes(library: Path, name: str) -> bytes | None:
    """The bytes of function `name` as the library file holds them (no loading)."""
    from elftools.elf.elffile import ELFFile

    data = library.read_bytes()
    found = elf_function(data, name)
    if found is None:
        return None
    value, size = found
    import io

    for segment in ELFFile(io.BytesIO(data)).iter_segments():
        if segment["p_type"] == "PT_LOAD" and segment["p_vaddr"] <= value < segment["p_vaddr"] + segment["p_filesz"]:
            start = segment["p_offset"] + value - segment["p_vaddr"]
            return data[start : start + size]
    return None


@dataclass
class CBuilt(NativeKernel, Built):
    """A C kernel in a shared library on disk; loaded only by the sandboxed child that runs it."""

    entry: str = ""
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
        return _file_bytes(self.library, self.entry) if self.library else None

    @property
    def code_bytes(self) -> int | None:  # type: ignore[override]
        return symbol_size(self.library.read_bytes(), self.entry) if self.library else None

    def close(self) -> None:
        self.close_native()


class CffiTarget(Target):
    language = "c"
    native = True

    def __init__(self, name: str, compiler: str, flags: Sequence[str]) -> None:
        super().__init__(name, f"C compiled by {tool_name(compiler)} {' '.join(flags)} into a cffi extension module")
        self.compiler = compiler
        self.flags = tuple(flags)

    def compile_args(self) -> list[str]:
        return [*self.flags, "-fno-wrapv"]

    def received_flags(self) -> list[str]:
        """The compiler proper's arguments for this route's builds, as its driver reports them."""
        return list(received_flags(self.compiler, tuple(self.compile_args())))

    def build(self, source: Source, kernel: Kernel) -> CBuilt:
        started = time.perf_counter()
        entry = find_c_entry(source, kernel)
        _, library = compile_cffi(
            self.wrapped_source(source, entry),
            c_prototype.for_source(source, entry).declaration,
            self.compiler,
            self.compile_args(),
            what=self.description.split(" into ")[0],
            load=False,
        )
        compiled = time.perf_counter()
        refuse_outside_reach(library, source, self.name, entry)
        built = CBuilt(source=source, route=self.name, entry=entry, library=library)
        built.notes = c_prototype.for_source(source, entry).notes
        code = built.kernel_bytes()
        if code is not None and (found := forbidden_instructions(code)):
            raise BuildError(f"{source.where()}: {self.name}: the compiled kernel contains {found[0]}; "
                             "a kernel may not make system calls")
        # The library is loaded by the child that runs it, never here: no load phase in this process.
        built.phases = {"build": compiled - started, "load": 0.0}
        return built

    @staticmethod
    def wrapped_source(source: Source, entry: str) -> str:
        """The C text cffi compiles: the entry's prototype (the contract's, or the user's own where it differs
        only in integer types: targets.c_prototype), then the user's file with its own line numbers."""
        return c_prototype.wrapped(source, entry, CONTRACT_PROLOGUE, WRAPPER_LINE)

    def versions(self) -> dict[str, str]:
        return {tool_name(self.compiler): compiler_version(self.compiler), "cffi": cffi.__version__}


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
]

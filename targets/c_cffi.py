"""C built by a real C compiler into a cffi out-of-line extension module, cached by content hash.

cffi compiles through setuptools, which puts Python's own CFLAGS first
(`-O3 -fwrapv -g` here); the route's flags come last, so they decide the
optimization level, and `-fno-wrapv` puts signed overflow back to plain C
rules, as a C programmer's own build would have it.
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
from pathlib import Path
from types import ModuleType
from typing import Any

import cffi

from harness.kernel import Kernel
from harness.source import Source
from targets import c_prototype
from targets.base import Built, BuildError, Target
from targets.native import GuardedBuffer, NativeLoop, NativeTiming, symbol_size

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


def compile_cffi(c_text: str, cdef: str, compiler: str, args: Sequence[str], what: str) -> tuple[ModuleType, Path]:
    """Build `c_text` into a cffi extension module (once per content hash) and import it.

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
    spec = importlib.util.spec_from_file_location(module_name, library)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, library


@dataclass
class CBuilt(NativeTiming, Built):
    entry: str = ""
    library: Path | None = None
    module: ModuleType | None = None
    address: int = 0
    buffer: GuardedBuffer = field(default_factory=GuardedBuffer)
    timer: NativeLoop | None = None
    _call: Any = None

    def run(self, values: Sequence[int]) -> list[int]:
        return self.buffer.call(self._call, values)

    @property
    def code_bytes(self) -> int | None:  # type: ignore[override]
        return symbol_size(self.library.read_bytes(), self.entry) if self.library else None

    def close(self) -> None:
        self.buffer.close()


class CffiTarget(Target):
    language = "c"
    native = True

    def __init__(self, name: str, compiler: str, flags: Sequence[str]) -> None:
        shown = "clang (ziglang)" if "ziglang" in compiler else compiler
        super().__init__(name, f"C compiled by {shown} {' '.join(flags)} into a cffi extension module")
        self.compiler = compiler
        self.flags = tuple(flags)

    def compile_args(self) -> list[str]:
        return [*self.flags, "-fno-wrapv"]

    def build(self, source: Source, kernel: Kernel) -> CBuilt:
        started = time.perf_counter()
        entry = find_c_entry(source, kernel)
        module, library = compile_cffi(
            self.wrapped_source(source, entry),
            c_prototype.for_source(source, entry).declaration,
            self.compiler,
            self.compile_args(),
            what=self.description.split(" into ")[0],
        )
        loaded = time.perf_counter()
        ffi, lib = module.ffi, module.lib  # type: ignore[attr-defined]
        function = getattr(lib, entry)

        def call(pointer: int, n: int) -> None:
            function(ffi.cast("int32_t *", pointer), n)

        # The kernel itself, for the timing loop: ffi.addressof gives cffi's direct-call stub, which at -O0
        # is a call of its own. The library is loaded already; dlopen hands back the same mapping.
        address = ctypes.cast(ctypes.CDLL(str(library))[entry], ctypes.c_void_p).value or 0
        built = CBuilt(source=source, route=self.name, entry=entry, library=library, module=module,
                       address=address, _call=call)
        built.notes = c_prototype.for_source(source, entry).notes
        # The compile (or cache hit) and the import are not separable through cffi: both count as build.
        built.phases = {"build": loaded - started, "load": time.perf_counter() - loaded}
        return built

    @staticmethod
    def wrapped_source(source: Source, entry: str) -> str:
        """The C text cffi compiles: the entry's prototype (the contract's, or the user's own where it differs
        only in integer types: targets.c_prototype), then the user's file with its own line numbers."""
        return c_prototype.wrapped(source, entry, CONTRACT_PROLOGUE, WRAPPER_LINE)

    def versions(self) -> dict[str, str]:
        return {self.compiler: compiler_version(self.compiler), "cffi": cffi.__version__}


# clang from the ziglang wheel: the same clang on every machine, installed with the project.
ZIG_CC = f"{sys.executable} -m ziglang cc"

ROUTES = [
    # All for baseline x86-64, like the llvm routes (zig's clang would target the host CPU by default).
    CffiTarget("c-gcc-O0", "gcc", ["-O0", "-march=x86-64"]),
    CffiTarget("c-gcc-O3", "gcc", ["-O3", "-march=x86-64"]),
    # zig's clang turns UBSan on at -O0; a plain -O0 build is what the comparison needs. zig names the
    # baseline CPU x86_64, where clang says x86-64.
    CffiTarget("c-clang-O0", ZIG_CC, ["-O0", "-march=x86_64", "-fno-sanitize=undefined"]),
    CffiTarget("c-clang-O3", ZIG_CC, ["-O3", "-march=x86_64"]),
]

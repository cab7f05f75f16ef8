"""Compiling C into a cffi extension module, cached by content hash: what the C routes and the native timing
driver both build with (the driver sits below the routes, so this module imports neither)."""
from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from types import ModuleType

import cffi

from targets.base import BuildError
from targets.cpu_features import host_identity
from targets.cache import cached, content_key



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
    # A build for this machine's CPU is this machine's: the CPU is part of its key.
    host = (host_identity(),) if "-march=native" in args else ()
    key = content_key(c_text, cdef, compiler, compiler_version(compiler), *args, *host, cffi.__version__, sys.version)
    module_name = f"_arena_c_{key}"

    def build(work: Path) -> Path:
        ffibuilder = cffi.FFI()
        ffibuilder.cdef(cdef)
        ffibuilder.set_source(module_name, c_text, extra_compile_args=list(args))
        env_cc = os.environ.get("CC")
        os.environ["CC"] = compiler
        try:
            with captured_output() as output:
                try:
                    built = ffibuilder.compile(tmpdir=str(work), verbose=False)
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
        shutil.rmtree(work.parent / "__pycache__", ignore_errors=True)
        return Path(built)

    library = cached("c", f"{module_name}{importlib.machinery.EXTENSION_SUFFIXES[0]}", build)
    if not load:
        return None, library
    spec = importlib.util.spec_from_file_location(module_name, library)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, library

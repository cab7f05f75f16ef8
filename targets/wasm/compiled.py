"""Compiler-built WebAssembly run by the same wasmtime as the AI-written WAT: C by clang, LLVM IR by llvmlite.

The point is a like-for-like comparison: the module a compiler produced runs in
the engine, with the fuel and the array placement, that the `wasmtime` route
gives hand-written WAT. Modules are cached by content hash, like the C routes'
libraries, and the bytes stay on the Built (`built.binary`) for listings.

One thing differs from hand-written WAT: a C or LLVM null pointer is wasm
address 0, which is ordinary memory, so a store through it passes silently.
wasm-ld puts the stack first (it grows down from 64 KiB) and nothing at the
bottom of memory, so the first KiB is filled with a pattern before each call
and checked after it: a change there is a write through a null pointer, the
store that crashes the same C natively.
"""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import llvmlite
import llvmlite.binding as llvm

from kernels.interface import Array, Interface, Outcome
from kernels.kernel import Kernel
from targets.variant_source import Source
from targets.native import c_prototype
from targets.cpu_features import WASM_ENGINE_FEATURES
from targets.base import BuildError, RunError, Unavailable
from targets.native.c_cffi import CffiTarget, ZIG_LIB, ask_driver, find_c_entry, zig_clang
from targets.native.cffi_build import compiler_diagnostics
from targets.cache import cached_bytes
from targets.native.llvm_jit import describe_pipeline, optimize, parse_verified
from targets.wasm.wasmtime_route import WasmBuilt, WasmtimeTarget

ZIG = [sys.executable, "-m", "ziglang"]
WASM_TRIPLE = "wasm32-unknown-unknown"
#: C for wasm32 is compiled for WASI, whose C library headers zig ships (wasi-libc's); the code has no imports.
WASI_TRIPLE = "wasm32-unknown-wasip1"
TOOL_SECONDS = 120.0
#: Bytes at address 0 that compiler-built code never touches (see the module docstring).
NULL_REGION = 1024
NULL_FILL = bytes([0xA5]) * NULL_REGION


@cache
def zig_version() -> str:
    return metadata.version("ziglang")


def _run_tool(args: Sequence[str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(args), capture_output=True, text=True, timeout=TOOL_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what} did not finish within {TOOL_SECONDS:g} s") from None


class CompiledWasmBuilt(WasmBuilt):
    """A compiler-built module: the WasmBuilt of the wasmtime route, plus its bytes and the null-region check."""

    def __init__(self, *args: Any, ir_opt: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The IR after optimization, for the LLVM route's listings; empty for C.
        self.ir_opt = ir_opt

    def call(self, values: Any) -> Outcome:
        if self._store is None:
            self.instantiate()
        assert self._store is not None and self._memory is not None
        self._memory.write(self._store, NULL_FILL, 0)
        result = super().call(values)
        if self._store is None:  # super() dropped a trapped instance; its run already raised
            return result
        after = self._memory.read(self._store, 0, NULL_REGION)
        moved = next((i for i in range(NULL_REGION) if after[i] != NULL_FILL[i]), None)
        if moved is not None:
            self._store = None  # memory the module may rely on is now in doubt
            raise RunError(
                f"write through a null pointer: wasm memory at {moved:#x} changed (the first {NULL_REGION} bytes,"
                " where the compiler's layout puts nothing); natively the same store would have crashed with"
                " SIGSEGV"
            )
        return result


class CompiledWasmTarget(WasmtimeTarget):
    """Shared by the C and LLVM routes: cache by content hash, then load through the wasmtime route."""

    def cached(self, key_parts: Sequence[str], produce: Callable[[Path], bytes]) -> bytes:
        return cached_bytes("wasm", (self.name, zig_version(), *key_parts), produce, ".wasm")

    def finish(self, source: Source, kernel: Kernel, binary: bytes, started: float, *, notes: tuple[str, ...] = (),
               ir_opt: str = "") -> CompiledWasmBuilt:
        """The wasmtime route's load of `binary`, made as a CompiledWasmBuilt: its run adds the null check."""
        built = self.load(source, kernel, binary, build_seconds=time.perf_counter() - started, notes=notes,
                          built_type=CompiledWasmBuilt, ir_opt=ir_opt)
        assert isinstance(built, CompiledWasmBuilt)
        return built

    def cpu_features(self) -> frozenset[str]:
        """What the compiled module may use: SIMD only where the route compiles with it."""
        return WASM_ENGINE_FEATURES if self.host_tuned else frozenset()

    def features_owner(self) -> str:
        return f"the wasm32 target of {self.name}"

    def versions(self) -> dict[str, str]:
        return {**super().versions(), "ziglang": zig_version()}


#: The C library headers zig ships for wasm32 (wasi-libc's), in the order zig cc itself searches them.
WASM_LIBC_HEADERS = [ZIG_LIB / "libc" / "include" / d
                     for d in ("wasm-wasi-musl", "generic-musl", "wasm32-wasi-any", "any-wasi-any")]
#: wasm-ld's words for a symbol nothing defines.
_UNDEFINED = re.compile(r"undefined symbol: (\S+)")


class ClangWasmTarget(CompiledWasmTarget):
    """C compiled to wasm32 by the plain clang driver of the ziglang wheel, linked by its wasm-ld.

    There is no C library to link: the <string.h> copies (memcpy, memmove, memset) compile to the bulk-memory
    instructions of stock clang's default wasm32 CPU. A call to anything else the C library defines leaves an
    undefined symbol, and the route says it cannot host that variant.
    """

    language = "c"
    compiler = zig_clang(WASI_TRIPLE)

    def __init__(self, name: str, level: int, simd: bool = False) -> None:
        shown = f"-O{level}" + (" -msimd128" if simd else "")
        super().__init__(name, f"C compiled to wasm32 by clang (ziglang) {shown}, run by wasmtime (Cranelift)")
        self.level = level
        # wasm SIMD (v128): the compiler's vectorizers get 128-bit vectors; its rows are compared with their kind.
        self.host_tuned = simd

    def flags(self) -> list[str]:
        # After clang's own headers (stddef.h, stdint.h), as for any C library: -idirafter, not -isystem.
        headers = [word for d in WASM_LIBC_HEADERS for word in ("-idirafter", str(d))]
        return [*headers, f"-O{self.level}", *(["-msimd128"] if self.host_tuned else [])]

    def compile_command(self, c_file: Path, obj: Path) -> list[str]:
        return [*shlex.split(self.compiler), *self.flags(), "-c", str(c_file), "-o", str(obj)]

    def received_flags(self) -> list[str]:
        """The compiler proper's arguments for this route's compiles, as clang's driver reports them."""
        return list(_wasm_received_flags(self))

    def build(self, source: Source, kernel: Kernel) -> CompiledWasmBuilt:
        started = time.perf_counter()
        entry = find_c_entry(source, kernel)
        # The same prologue as the native C routes: a definition with another signature is a compile error.
        c_text = CffiTarget.wrapped_source(source, entry, kernel)
        flags = self.flags()

        def produce(work: Path) -> bytes:
            c_file, obj, out = work / f"{source.name}.c", work / "kernel.o", work / "out.wasm"
            c_file.write_text(c_text)
            done = _run_tool(self.compile_command(c_file, obj), "clang")
            if done.returncode != 0 or not obj.exists():
                detail = compiler_diagnostics(done.stderr) or done.stderr.strip()
                raise BuildError(f"clang (ziglang) -O{self.level} for wasm32 failed:\n{detail}")
            link = ["wasm-ld", "--no-entry", f"--export={entry}", "--export-memory", str(obj), "-o", str(out)]
            done = _run_tool([*ZIG, *link], "wasm-ld")
            missing = sorted(set(_UNDEFINED.findall(done.stderr)))
            if missing:
                raise Unavailable(
                    f"{source.where()}: calls {', '.join(missing)}, which wasm32 has no C library for here (only"
                    " memcpy, memmove and memset, as bulk-memory instructions)"
                )
            if done.returncode != 0 or not out.exists():
                raise BuildError(f"{source.where()}: wasm-ld failed:\n{done.stderr.strip()}")
            return out.read_bytes()

        binary = self.cached([c_text, entry, *flags], produce)
        return self.finish(source, kernel, binary, started,
                           notes=c_prototype.for_source(source, entry, kernel.interface).notes)


@cache
def _wasm_received_flags(route: ClangWasmTarget) -> tuple[str, ...]:
    with tempfile.TemporaryDirectory(prefix="arena-flags-") as work:
        c_file = Path(work) / "probe.c"
        c_file.write_text("int arena_probe;\n")
        command = route.compile_command(c_file, Path(work) / "probe.o")
        return ask_driver(command, len(shlex.split(route.compiler)), work)


class LlvmWasmTarget(CompiledWasmTarget):
    """LLVM IR optimized by llvmlite for wasm32, emitted as an object and linked by wasm-ld (ziglang)."""

    language = "llvm"

    def __init__(self, name: str, level: int) -> None:
        super().__init__(
            name, f"LLVM IR through the O{level} pipeline for wasm32 (llvmlite), linked by wasm-ld, run by wasmtime"
        )
        self.level = level

    def build(self, source: Source, kernel: Kernel) -> CompiledWasmBuilt:
        started = time.perf_counter()
        _initialize()
        module, entry = parse_verified(source, kernel)
        # Optimizing takes milliseconds and gives the listing its IR; only emitting and linking is cached.
        machine = self.target_machine()
        wrapped = with_wasm_entry(module, entry, kernel.interface)
        wrapped.triple = machine.triple
        wrapped.data_layout = str(machine.target_data)
        optimize(wrapped, machine, self.level)
        ir_opt = str(wrapped)

        def produce(work: Path) -> bytes:
            obj, out = work / "kernel.o", work / "out.wasm"
            obj.write_bytes(machine.emit_object(wrapped))
            link = ["wasm-ld", "--no-entry", f"--export={entry}", "--export-memory", str(obj), "-o", str(out)]
            done = _run_tool([*ZIG, *link], "wasm-ld")
            if done.returncode != 0 or not out.exists():
                raise BuildError(f"{source.where()}: wasm-ld failed:\n{done.stderr.strip()}")
            return out.read_bytes()

        binary = self.cached([ir_opt, entry, llvmlite.__version__], produce)
        return self.finish(source, kernel, binary, started, ir_opt=ir_opt)

    def target_machine(self) -> llvm.TargetMachine:
        _initialize()
        return llvm.Target.from_triple(WASM_TRIPLE).create_target_machine(opt=self.level)

    def received_flags(self) -> list[str]:
        """What this route hands LLVM through llvmlite (there is no driver to ask)."""
        return describe_pipeline(self.level, self.target_machine())

    def versions(self) -> dict[str, str]:
        return {**super().versions(), "llvmlite": llvmlite.__version__, "llvm": ".".join(map(str, llvm.llvm_version_info))}


@cache
def _initialize() -> None:
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()


IMPL_SUFFIX = ".arena_impl"
# Function attributes that name the CPU a front end compiled for (clang -emit-llvm writes them for x86-64);
# on wasm32 each of their features would be reported as unknown, once per function and feature.
HOST_CPU_ATTRIBUTE = re.compile(r'\s*"(?:target-cpu|target-features|tune-cpu)"="[^"]*"')


def without_host_cpu(ir: str) -> str:
    return HOST_CPU_ATTRIBUTE.sub("", ir)



def with_wasm_entry(module: llvm.ModuleRef, entry: str, interface: Interface) -> llvm.ModuleRef:
    """The module with `entry` renamed and made internal, and an `entry` of wasm32 types calling it.

    A length's `i64` (the interface's LLVM type) would make the export `(i32, i64)`, not the `(i32, i32)`
    every wasm route calls; a wasm32 C `size_t` is 32 bits. After inlining, the zero-extension is all that
    remains of the wrapper.
    """
    module = llvm.parse_assembly(without_host_cpu(str(module)))  # a copy: the caller's module stays as parsed
    impl = entry + IMPL_SUFFIX
    module.get_function(entry).name = impl
    params, widen, args = [], [], []
    for argument in interface.arguments:
        name = argument.name
        if isinstance(argument, Array):
            params.append(f"ptr %{name}")
            args.append(f"ptr %{name}")
        else:
            params.append(f"i32 %{name}")
            widen.append(f"  %{name}.wide = zext i32 %{name} to i64\n")
            args.append(f"i64 %{name}.wide")
    result, arguments = interface.llvm_type().split(" ", 1)
    returned = "ret void" if result == "void" else f"ret {result} %result"
    wrapper = llvm.parse_assembly(
        f'declare {result} @"{impl}"({arguments.removeprefix("(").removesuffix(")")})\n'
        f'define {result} @"{entry}"({", ".join(params)}) {{\n'
        + "".join(widen)
        + f'  {"" if result == "void" else "%result = "}call {result} @"{impl}"({", ".join(args)})\n'
        f"  {returned}\n}}\n"
    )
    module.link_in(wrapper)
    # Internal only after linking: an internal definition does not resolve the wrapper's external declaration.
    module.get_function(impl).linkage = llvm.Linkage.internal
    return module


ROUTES = [
    ClangWasmTarget("wasm-clang-O0", level=0),
    ClangWasmTarget("wasm-clang-O3", level=3),
    ClangWasmTarget("wasm-clang-O3-simd", level=3, simd=True),
    LlvmWasmTarget("wasm-llvm-O3", level=3),
]

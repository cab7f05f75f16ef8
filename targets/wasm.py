"""WebAssembly run by wasmtime (Cranelift): WAT assembled by wasmtime itself, or a binary module from a compiler.

The array never goes into memory the module declared: it is placed past it, after
growing the memory, so a module declaring one page sorts a million elements and
its own data (stack, globals in memory) stays untouched. Fuel is on, so a runaway
loop becomes a verdict instead of a hung run, and the executed-operator count is
a deterministic cost measure.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import wasmtime

from kernels.kernel import Kernel
from targets.source import Source
from kernels.interface import Int32Array, Interface
from targets.base import (
    CANARY_WORDS,
    DEFAULT_INTERFACE,
    Built,
    BuildError,
    LimitExceeded,
    RunError,
    Target,
    as_int32,
    guarded,
    unguarded,
)
from targets.fresh import EXPECT_SORTED, SHAPE_CODES, LoopOutcome, outcome, seed_state, signed64, wat_driver

#: The entry returns nothing; its parameters come from the kernel's interface (`(param i32 i32)` for a and n).
ENTRY_RESULTS: tuple[str, ...] = ()
# Enough for any start function a kernel module could reasonably have.
START_FUEL = 10_000_000


def fuel_budget(n: int, interface: Interface = DEFAULT_INTERFACE) -> int:
    """Operators a call on n elements may execute (the interface's fuel limit): generous for the kernel's
    cost, finite for a runaway loop."""
    return interface.limits.fuel_for(n)


def engine_config(opt_level: str = "speed") -> wasmtime.Config:
    """The one place the engine is configured, so every wasm route measures the same thing."""
    config = wasmtime.Config()
    config.consume_fuel = True
    config.cranelift_opt_level = opt_level
    return config


@cache
def timing_engine(opt_level: str) -> wasmtime.Engine:
    config = engine_config(opt_level)
    config.consume_fuel = False
    return wasmtime.Engine(config)


@cache
def timing_driver(engine: wasmtime.Engine, text: str) -> wasmtime.Module:
    """targets.fresh's driver module for one kernel interface (its text), compiled once per engine."""
    return wasmtime.Module(engine, text)


def signature(func_type: wasmtime.FuncType) -> str:
    params = ", ".join(str(p) for p in func_type.params)
    results = ", ".join(str(r) for r in func_type.results)
    return f"({params}) -> ({results})"


def describe_extern(extern_type: object) -> str:
    """An export's or import's type as one short phrase, for messages that list what a module has."""
    if isinstance(extern_type, wasmtime.FuncType):
        return signature(extern_type)
    if isinstance(extern_type, wasmtime.MemoryType):
        limits = extern_type.limits
        size = f"{limits.min} page" + ("" if limits.min == 1 else "s")
        return f"memory ({size}, max {limits.max})" if limits.max is not None else f"memory ({size})"
    if isinstance(extern_type, wasmtime.GlobalType):
        return f"global {extern_type.content}"
    if isinstance(extern_type, wasmtime.TableType):
        return "table"
    return type(extern_type).__name__.replace("Type", "").lower()


def _is_entry_type(func_type: wasmtime.FuncType, params: tuple[str, ...]) -> bool:
    return (
        tuple(str(p) for p in func_type.params) == params
        and tuple(str(r) for r in func_type.results) == ENTRY_RESULTS
    )


def _as_i32(value: int) -> int:
    # Addresses past 2 GiB must cross the boundary as the signed i32 with the same bits.
    return value - (1 << 32) if value >= 1 << 31 else value


# --- messages ------------------------------------------------------------------------------------------------

_WAT_LOCATION = re.compile(r"-->\s*<anon>:(\d+):(\d+)")
_SNIPPET_GUTTER = re.compile(r"^(\s*)(\d+)( \|)")


def wat_error_message(source: Source, message: str) -> str:
    """wasmtime's WAT error with `<anon>:line:col` replaced by the file and the line as saved."""
    lines = message.rstrip().split("\n")
    where = _WAT_LOCATION.search(message)
    if not where:
        return f"{source.where()}: {message.strip()}"
    line, column = int(where.group(1)), int(where.group(2))
    cause = lines[0].strip()
    snippet = []
    for text in lines[1:]:
        if _WAT_LOCATION.search(text) or not text.strip(" |"):
            continue
        # The snippet's gutter counts lines of the normalized text; show the saved file's numbers.
        snippet.append(
            _SNIPPET_GUTTER.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + source.line_offset}{m.group(3)}", text)
        )
    body = "\n".join(snippet)
    return f"{source.where(line)}:{column}: {cause}" + (f"\n{body}" if body else "")


def _causes(message: str) -> list[str]:
    """The `Caused by:` lines of a wasmtime error, without their numbering."""
    tail = message.split("Caused by:", 1)[-1]
    return [re.sub(r"^\d+:\s*", "", line.strip()) for line in tail.split("\n") if line.strip()]


def module_error_message(source: Source, message: str) -> str:
    """A binary module that failed to parse, validate or compile, in one line."""
    causes = _causes(message)
    head = message.split("\n", 1)[0].strip()
    function = re.search(r"wasm\[\d+\]::function\[(\d+)\]::(\S+)", head)
    cause = re.sub(r"^Invalid input WebAssembly code at offset (\d+): (.*)$", r"\2 (at byte \1)", causes[-1])
    where = f" in function {function.group(2)}" if function else ""
    return f"{source.where()}: invalid wasm module{where}: {cause}"


def trap_message(trap: wasmtime.Trap) -> str:
    """A trap's cause, its detail and the innermost wasm frame, on one line."""
    causes = _causes(trap.message)
    cause = causes[-1] if causes else trap.message.strip()
    detail = "; ".join(causes[:-1])
    text = f"{cause} ({detail})" if detail else cause
    frames = trap.frames
    if frames:
        frame = frames[0]
        # Names come from the module's name section, demangled by wasmtime: `$f` shows as `float`.
        name = frame.func_name or f"wasm function {frame.func_index}"
        text += f" in {name} at module byte 0x{frame.module_offset:x}"
    return text


# --- reading a binary module -------------------------------------------------------------------------------


def _leb_u32(data: bytes | bytearray, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def function_body_size(binary: bytes | bytearray, export_name: str) -> int | None:
    """Bytes in the code section body of an exported function; None if the module imports a table or global.

    Imported functions (host imports the route stubs) come first in the function
    index space and have no body: the code section starts after them.
    """
    try:
        if binary[:4] != b"\0asm":
            return None
        pos = 8
        index: int | None = None
        imported_functions = 0
        bodies: list[int] = []
        while pos < len(binary):
            section, pos = binary[pos], pos + 1
            size, pos = _leb_u32(binary, pos)
            end = pos + size
            if section == 2:
                count, p = _leb_u32(binary, pos)
                for _ in range(count):
                    for _name in range(2):
                        length, p = _leb_u32(binary, p)
                        p += length
                    if binary[p] == 0:  # a function: its type index, and one more index before the bodies
                        _, p = _leb_u32(binary, p + 1)
                        imported_functions += 1
                        continue
                    if binary[p] != 2:
                        return None
                    flags, p = _leb_u32(binary, p + 1)
                    _, p = _leb_u32(binary, p)
                    if flags & 1:
                        _, p = _leb_u32(binary, p)
                    if flags & 8:
                        _, p = _leb_u32(binary, p)
            elif section == 7:
                count, p = _leb_u32(binary, pos)
                for _ in range(count):
                    length, p = _leb_u32(binary, p)
                    name = bytes(binary[p : p + length]).decode("utf-8", "replace")
                    kind, p = binary[p + length], p + length + 1
                    item, p = _leb_u32(binary, p)
                    if kind == 0 and name == export_name:
                        index = item
            elif section == 10:
                count, p = _leb_u32(binary, pos)
                for _ in range(count):
                    body, p = _leb_u32(binary, p)
                    bodies.append(body)
                    p += body
            pos = end
        if index is None or not 0 <= index - imported_functions < len(bodies):
            return None
        return bodies[index - imported_functions]
    except (IndexError, ValueError):
        return None


# --- the built module --------------------------------------------------------------------------------------


@dataclass
class _Timed:
    """What one timing loop's callable works on, and what its calls have counted so far."""

    store: wasmtime.Store
    memory: wasmtime.Memory
    last: wasmtime.Global
    work: int
    n: int
    shape: str
    calls: int = 0
    bad: int = 0


class WasmBuilt(Built):
    """One compiled module; instantiated once and reused until a trap leaves its state in doubt."""

    timing = "wasm"

    def __init__(
        self,
        source: Source,
        route: str,
        engine: wasmtime.Engine,
        module: wasmtime.Module,
        entry: str,
        memory_export: str | None,
        memory_import: tuple[str, str, wasmtime.MemoryType] | None,
        code_bytes: int | None,
        binary: bytes | bytearray = b"",
        opt_level: str = "speed",
    ) -> None:
        super().__init__(source=source, route=route)
        self.binary = bytes(binary)
        self.opt_level = opt_level
        self._timed: _Timed | None = None
        self.engine = engine
        self.module = module
        self.entry = entry
        self.code_bytes = code_bytes
        #: Operators executed by the last run (deterministic; None before the first run).
        self.fuel_used: int | None = None
        #: Byte address where the guarded array starts: the end of the memory the module had when instantiated.
        self.base = 0
        self.instantiations = 0
        self._memory_export = memory_export
        self._memory_import = memory_import
        self._store: wasmtime.Store | None = None
        self._func: wasmtime.Func | None = None
        self._memory: wasmtime.Memory | None = None
        self._max_pages: int | None = None

    def _instantiate(self, store: wasmtime.Store, module: wasmtime.Module) -> tuple[wasmtime.Func, wasmtime.Memory]:
        imports: list[wasmtime.Memory | wasmtime.Func] = []
        for imp in module.imports:  # in the module's order: a memory, or a host function's stub
            if isinstance(imp.type, wasmtime.MemoryType):
                imports.append(wasmtime.Memory(store, imp.type))
            else:
                assert isinstance(imp.type, wasmtime.FuncType)
                imports.append(wasmtime.Func(store, imp.type, host_stub(imp.module, imp.name, imp.type)))
        try:
            instance = wasmtime.Instance(store, module, imports)
        except wasmtime.Trap as trap:
            raise BuildError(f"{self.source.where()}: the module's start function trapped: {trap_message(trap)}") from None
        except wasmtime.WasmtimeError as exc:
            raise BuildError(f"{self.source.where()}: cannot instantiate: {_causes(str(exc))[-1]}") from None
        exports = instance.exports(store)
        func = exports[self.entry]
        memory = next((m for m in imports if isinstance(m, wasmtime.Memory)), None) or exports[self._memory_export]
        assert isinstance(func, wasmtime.Func) and isinstance(memory, wasmtime.Memory)
        return func, memory

    def instantiate(self) -> None:
        started = time.perf_counter()
        store = wasmtime.Store(self.engine)
        store.set_fuel(START_FUEL)
        func, memory = self._instantiate(store, self.module)
        self._store, self._func, self._memory = store, func, memory
        self._max_pages = memory.type(store).limits.max
        self.base = memory.data_len(store)
        self.instantiations += 1
        self.phases["load"] = self.phases.get("load", 0.0) + time.perf_counter() - started

    def loop(self, n: int, shape: str, repeat: int, *, seed: int, fresh: bool = True,
             expect: int = EXPECT_SORTED) -> Callable[[], None]:
        """The timing loop inside wasm: targets.fresh's driver module imports this module's memory and entry and
        runs `repeat` x (fill; call; check), in an engine like the checking one but without fuel, whose
        accounting would otherwise be timed with the kernel. The work array lies past the module's own memory."""
        engine = timing_engine(self.opt_level)
        store = wasmtime.Store(engine)
        func, memory = self._instantiate(store, wasmtime.Module(engine, self.binary))
        driver = wasmtime.Instance(store, timing_driver(engine, wat_driver(self.interface)), [memory, func])
        exports = driver.exports(store)
        drive, state = exports["drive"], exports["state"]
        assert isinstance(drive, wasmtime.Func) and isinstance(state, wasmtime.Global)
        work = memory.data_len(store)
        need = work + 4 * max(n, 1)
        page = 1 << memory.type(store).page_size_log2
        try:
            memory.grow(store, -(-(need - memory.data_len(store)) // page))
        except wasmtime.WasmtimeError as exc:
            raise RunError(f"could not grow the module's memory for the timing loop's array: {exc}") from None
        start = wasmtime.Val.i64(signed64(seed_state(seed, n, shape)))
        state.set_value(store, start)
        last = exports["last"]
        assert isinstance(last, wasmtime.Global)
        timed = _Timed(store, memory, last, work, n, shape)
        self._timed = timed
        args = (_as_i32(work), n, repeat, SHAPE_CODES[shape], expect, int(fresh))

        def run() -> None:
            if not fresh:  # every call of the callable, not only every call inside it, gets the first input
                state.set_value(store, start)
            try:
                bad = drive(store, *args)
            except wasmtime.Trap as trap:
                raise RunError(f"in the timing loop: {trap_message(trap)}") from None
            timed.calls += repeat
            timed.bad += bad

        return run

    def loop_outcome(self) -> LoopOutcome:
        timed = self._timed
        if timed is None:
            raise RuntimeError(f"{self.route}: loop_outcome() before loop()")
        output = list(as_int32(timed.memory.read(timed.store, timed.work, timed.work + 4 * timed.n)))
        return outcome(timed.shape, timed.n, timed.calls, timed.bad, timed.last.value(timed.store), output)

    def executed(self, values: Sequence[int]) -> dict[str, int]:
        self.run(values)
        assert self.fuel_used is not None
        return {"wasm_operators": self.fuel_used}

    def _ensure_room(self, nbytes: int) -> None:
        assert self._memory is not None and self._store is not None
        have = self._memory.data_len(self._store)
        need = self.base + nbytes
        if need <= have:
            return
        page = 1 << self._memory.type(self._store).page_size_log2
        pages_needed = -(-need // page)
        current = have // page
        if self._max_pages is not None and pages_needed > self._max_pages:
            raise RunError(
                f"the module's memory has a maximum of {self._max_pages} page(s); the array "
                f"({nbytes:,} bytes with canaries) needs {pages_needed} past the {self.base // page} it declares: "
                "raise or drop the maximum"
            )
        try:
            self._memory.grow(self._store, pages_needed - current)
        except wasmtime.WasmtimeError as exc:
            raise RunError(f"could not grow the module's memory to {pages_needed} pages: {exc}") from None

    def run(self, values: Sequence[int]) -> list[int]:
        if self._store is None:
            self.instantiate()
        assert self._store is not None and self._func is not None and self._memory is not None
        store, memory = self._store, self._memory
        n = len(values)
        buf = guarded(values)
        data = buf.tobytes()
        self._ensure_room(len(data))
        memory.write(store, data, self.base)
        budget = fuel_budget(n, self.interface)
        store.set_fuel(budget)
        try:
            self._func(store, *self.interface.call_arguments(_as_i32(self.base + 4 * CANARY_WORDS), n))
        except wasmtime.Trap as trap:
            self.fuel_used = budget - store.get_fuel()
            # Globals and memory may be half-updated: the next run gets a fresh instance.
            self._store = None
            if trap.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
                raise LimitExceeded(
                    f"did not return within {budget:,} wasm operators of fuel (n={n}): infinite loop?"
                ) from None
            raise RunError(trap_message(trap)) from None
        except wasmtime.WasmtimeError as exc:
            self._store = None
            raise RunError(f"wasm call failed: {_causes(str(exc))[-1]}") from None
        self.fuel_used = budget - store.get_fuel()
        out = as_int32(memory.read(store, self.base, self.base + len(data)))
        return unguarded(out, n)

    def close(self) -> None:
        self._store = self._func = self._memory = None


# --- the target --------------------------------------------------------------------------------------------


class WasmtimeTarget(Target):
    """WAT (or a wasm binary, for compiler routes that subclass or call `load`) run by wasmtime."""

    counts = True

    language = "wat"

    def __init__(self, name: str, description: str, opt_level: str = "speed") -> None:
        super().__init__(name, description)
        self.opt_level = opt_level
        self._engine: wasmtime.Engine | None = None

    @property
    def engine(self) -> wasmtime.Engine:
        # One engine per route: compiled code is tied to it, and creating one costs milliseconds.
        if self._engine is None:
            self._engine = wasmtime.Engine(engine_config(self.opt_level))
        return self._engine

    def versions(self) -> dict[str, str]:
        from importlib.metadata import version

        return {"wasmtime": version("wasmtime"), "cranelift_opt_level": self.opt_level}

    def build(self, source: Source, kernel: Kernel) -> WasmBuilt:
        started = time.perf_counter()
        try:
            binary = wasmtime.wat2wasm(source.text)
        except wasmtime.WasmtimeError as exc:
            raise BuildError(wat_error_message(source, str(exc))) from None
        assembled = time.perf_counter() - started
        built = self.load(source, kernel, binary)
        built.phases["build"] += assembled
        return built

    def load(self, source: Source, kernel: Kernel, binary: bytes | bytearray) -> WasmBuilt:
        """Compile a binary module, find its entry and memory, and instantiate it once."""
        started = time.perf_counter()
        try:
            module = wasmtime.Module(self.engine, binary)
        except wasmtime.WasmtimeError as exc:
            raise BuildError(module_error_message(source, str(exc))) from None
        compiled = time.perf_counter() - started
        entry = find_entry(source, kernel, module)
        memory_export, memory_import = find_memory(source, module)
        built = WasmBuilt(
            source=source,
            route=self.name,
            engine=self.engine,
            module=module,
            entry=entry,
            memory_export=memory_export,
            memory_import=memory_import,
            code_bytes=function_body_size(binary, entry),
            binary=binary,
            opt_level=self.opt_level,
        )
        built.kernel = kernel
        built.phases["build"] = compiled
        built.notes = host_import_notes(module)
        built.instantiate()
        return built


def _exports_listing(module: wasmtime.Module) -> str:
    items = [f"{e.name}: {describe_extern(e.type)}" for e in module.exports]
    return ", ".join(items) if items else "nothing"


def find_entry(source: Source, kernel: Kernel, module: wasmtime.Module) -> str:
    """The export to call: named like the kernel, else the only export of the entry's type."""
    funcs = {e.name: e.type for e in module.exports if isinstance(e.type, wasmtime.FuncType)}
    params = kernel.interface.wasm_params()
    required = f"({', '.join(params)}) -> ({', '.join(ENTRY_RESULTS)})"
    meaning = ", ".join("byte address of " + a.name if isinstance(a, Int32Array) else a.name
                        for a in kernel.interface.arguments)
    for name in kernel.entry_candidates():
        if name in funcs and _is_entry_type(funcs[name], params):
            return name
    # A function named like the kernel but of another type is a mistake to report, not a reason to run another one.
    for name in kernel.entry_candidates():
        if name in funcs:
            raise BuildError(
                f"{source.where()}: export {name!r} has type {signature(funcs[name])}; "
                f"the kernel needs {required} ({meaning}); it exports: {_exports_listing(module)}"
            )
    typed = [name for name, ty in funcs.items() if _is_entry_type(ty, params)]
    if len(typed) == 1:
        return typed[0]
    if typed:
        raise BuildError(
            f"{source.where()}: {len(typed)} exported functions have type {required} "
            f"({', '.join(typed)}) and none is named {kernel.name!r}: name the entry {kernel.name!r}"
        )
    raise BuildError(
        f"{source.where()}: no exported function {kernel.name!r} and none of type {required}; "
        f"it exports: {_exports_listing(module)}"
    )


class HostImportCalled(RunError):
    """The kernel called a host function its module imports; the route gives a kernel only its memory."""


def host_call_message(module_name: str, field: str, func_type: wasmtime.FuncType) -> str:
    return (
        f"the kernel called {module_name}.{field} {signature(func_type)}, a host function the module imports: "
        "a kernel runs with its memory only (the import may stay if the sort never calls it)"
    )


def host_stub(module_name: str, field: str, func_type: wasmtime.FuncType) -> Callable[..., object]:
    """Stands in for a host function (console.log for debugging): a call is this variant's failure, by name."""

    def called(*_args: object) -> object:
        raise HostImportCalled(host_call_message(module_name, field, func_type))

    return called


def host_function_imports(module: wasmtime.Module) -> list[tuple[str, str, wasmtime.FuncType]]:
    return [(i.module, i.name, i.type) for i in module.imports if isinstance(i.type, wasmtime.FuncType)]


def host_import_notes(module: wasmtime.Module) -> tuple[str, ...]:
    found = host_function_imports(module)
    if not found:
        return ()
    names = ", ".join(f"{m}.{f} {signature(t)}" for m, f, t in found)
    return (f"host import(s) {names} stubbed: a call would fail the check, naming it",)


def find_memory(
    source: Source, module: wasmtime.Module
) -> tuple[str | None, tuple[str, str, wasmtime.MemoryType] | None]:
    """The exported memory's name, or the memory import the route must provide. Imported functions are
    stubbed by the routes (host_stub); any other import (a table, a global) cannot be provided."""
    memory_imports = []
    others = []
    for imp in module.imports:
        if isinstance(imp.type, wasmtime.MemoryType):
            memory_imports.append((imp.module, imp.name, imp.type))
        elif isinstance(imp.type, wasmtime.FuncType):
            continue
        else:
            others.append(f"{imp.module}.{imp.name}: {describe_extern(imp.type)}")
    if others:
        raise BuildError(
            f"{source.where()}: the module imports {', '.join(others)}; a kernel may import its memory and "
            "host functions it never calls, nothing else"
        )
    if len(memory_imports) > 1:
        raise BuildError(f"{source.where()}: the module imports {len(memory_imports)} memories; a kernel uses one")
    if memory_imports:
        module_name, field, memory_type = memory_imports[0]
        if memory_type.is_64 or memory_type.is_shared:
            raise BuildError(
                f"{source.where()}: the imported memory is 64-bit or shared; the kernel uses a plain 32-bit memory"
            )
        _check_growable(source, f"{module_name}.{field}", memory_type)
        return None, memory_imports[0]
    memories = [e for e in module.exports if isinstance(e.type, wasmtime.MemoryType)]
    if not memories:
        raise BuildError(
            f"{source.where()}: the module neither exports nor imports a memory, so the array has nowhere to go: "
            f'add (memory (export "memory") 1); it exports: {_exports_listing(module)}'
        )
    if len(memories) > 1:
        names = ", ".join(e.name for e in memories)
        raise BuildError(f"{source.where()}: the module exports {len(memories)} memories ({names}); a kernel uses one")
    memory_type = memories[0].type
    assert isinstance(memory_type, wasmtime.MemoryType)
    _check_growable(source, repr(memories[0].name), memory_type)
    return memories[0].name, None


def _check_growable(source: Source, label: str, memory_type: wasmtime.MemoryType) -> None:
    # The array always lives past the declared pages, so a memory that cannot grow can never hold it.
    limits = memory_type.limits
    if limits.max is not None and limits.max <= limits.min:
        raise BuildError(
            f"{source.where()}: memory {label} has a maximum of {limits.max} page(s), all declared, "
            "so it cannot grow to hold the array past the module's own memory: raise or drop the maximum"
        )


ROUTES = [WasmtimeTarget("wasmtime", "WebAssembly text assembled and run by wasmtime (Cranelift)")]

"""WebAssembly run by wasmtime (Cranelift): WAT assembled by wasmtime itself, or a binary module from a compiler.

The array never goes into memory the module declared: it is placed past it, after
growing the memory, so a module declaring one page sorts a million elements and
its own data (stack, globals in memory) stays untouched. Fuel is on, so a runaway
loop becomes a verdict instead of a hung run, and the executed-operator count is
a deterministic cost measure.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version

from typing import Any

import wasmtime

from kernels.kernel import Kernel
from targets.variant_source import Source
from kernels.interface import Interface, Outcome
from targets.cpu_features import WASM_ENGINE_FEATURES
from targets.base import (
    DEFAULT_INTERFACE,
    Built,
    BuildError,
    LimitExceeded,
    RunError,
    Target,
    as_int32,
    as_result,
    lay_out,
    read_layout,
)
from targets import listing, shaped
from targets.native.elf import text_and_functions
from targets.fresh import EXPECT_SORTED, MASK64, SHAPE_CODES, LoopOutcome, outcome, pool_capacity, seed_state, signed64
from targets.wasm.driver_wat import wat_driver
from targets.wasm.engines import engine_config, timing_driver, timing_engine
from targets.wasm.module_reading import (
    error_causes, find_entry, find_memory, function_body_size, host_import_notes, host_stub, module_error_message, trap_message,
    wat_error_message,
)

# Enough for any start function a kernel module could reasonably have.
START_FUEL = 10_000_000


def fuel_budget(n: int, interface: Interface = DEFAULT_INTERFACE) -> int:
    """Operators a call on n elements may execute (the interface's fuel limit): generous for the kernel's
    cost, finite for a runaway loop."""
    return interface.limits.fuel_for(n)


def _as_i32(value: int) -> int:
    # Addresses past 2 GiB must cross the boundary as the signed i32 with the same bits.
    return value - (1 << 32) if value >= 1 << 31 else value


def _grow_for_pool(store: wasmtime.Store, memory: wasmtime.Memory, pool: int, n: int, capacity: int,
                   entry: int | None = None, after: int = 0) -> int:
    """Grow the memory for `capacity` inputs of n int32 (or of `entry` bytes each) at byte address `pool`, and
    `after` bytes past them, or as many as its maximum allows (at least one); returns how many it holds."""
    page = 1 << memory.type(store).page_size_log2
    maximum = memory.type(store).limits.max
    entry = entry or 4 * max(n, 1)
    if maximum is not None:
        capacity = max(1, min(capacity, (maximum * page - pool - after) // entry))
    need = pool + entry * capacity + after
    try:
        memory.grow(store, max(0, -(-(need - memory.data_len(store)) // page)))
    except wasmtime.WasmtimeError as exc:
        raise RunError(f"could not grow the module's memory for the timing loop's inputs: {exc}") from None
    return capacity


# --- messages ------------------------------------------------------------------------------------------------

@dataclass
class _Timed:
    """What one timing loop's callable worked on last (the copy of its last round), and what its calls have
    counted so far."""

    store: wasmtime.Store
    memory: wasmtime.Memory
    last: wasmtime.Global
    work: int  # byte address of the pool entry every round's last call sorts (or the record it works on)
    n: int
    shape: str
    calls: int = 0
    bad: int = 0
    record: int = 0  # bytes of a call's record, for a kernel of another shape (targets.shaped)
    last_result: int = 0
    nanoseconds: int = 0  # of the kernel's calls, summed by the drivers of every copy


@dataclass(frozen=True)
class _Copy:
    """One load of a module and its timing driver (WasmBuilt.loop)."""

    store: wasmtime.Store
    memory: wasmtime.Memory
    play: wasmtime.Func
    state: wasmtime.Global
    last: wasmtime.Global
    elapsed: wasmtime.Global  # nanoseconds of the kernel's calls, summed by the driver
    work: int
    results_at: int
    args: tuple[int, ...]


# Compiled copies of a module a timing loop takes in turn, one per round: as many as the placements native code
# takes, so a round count that weighs those evenly weighs these evenly too.
COPIES = 4


class WasmBuilt(Built):
    """One compiled module; instantiated once and reused until a trap leaves its state in doubt."""

    timing = "wasm"
    runtime_state = frozenset({"fuel_used", "base", "instantiations"})

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
        *,
        kernel: Kernel | None = None,
        phases: dict[str, float] | None = None,
        notes: tuple[str, ...] = (),
        host_tuned: bool = False,
    ) -> None:
        super().__init__(source=source, route=route, phases=dict(phases or {}), kernel=kernel, notes=notes,
                         host_tuned=host_tuned, entry=entry)
        self.binary = bytes(binary)
        self.opt_level = opt_level
        self._timed: _Timed | None = None
        self.engine = engine
        self.module = module
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
            raise BuildError(f"{self.source.where()}: cannot instantiate: {error_causes(str(exc))[-1]}") from None
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

    def _timing_copy(self, n: int, shape: str, repeat: int, expect: int, fresh: bool) -> _Copy:
        """One load of the module and its driver, ready to run rounds: a compile of its own, so code memory of its
        own."""
        engine = timing_engine(self.opt_level)
        store = wasmtime.Store(engine)
        store.set_wasi(wasmtime.WasiConfig())  # nothing but the clock: no files, no arguments, no environment
        func, memory = self._instantiate(store, wasmtime.Module(engine, self.binary))
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        linker.define(store, "kernel", "memory", memory)
        linker.define(store, "kernel", "entry", func)
        is_shaped = shaped.supported(self.interface)
        text = shaped.wat_driver(self.interface) if is_shaped else wat_driver(self.interface)
        driver = linker.instantiate(store, timing_driver(engine, text))
        exports = driver.exports(store)
        play, state, last, elapsed = exports["round"], exports["state"], exports["last"], exports["elapsed"]
        clock_at = exports["clock_at"]
        assert isinstance(play, wasmtime.Func)
        assert all(isinstance(g, wasmtime.Global) for g in (state, last, elapsed, clock_at))
        clock_at.set_value(store, wasmtime.Val.i32(_as_i32(memory.data_len(store))))
        pool = memory.data_len(store) + 64  # past the clock's 8 bytes, at the next cache line
        record, results_at = 0, 0
        if is_shaped:  # records of every array, and the round's int64 results past them
            record = shaped.offsets(self.interface, n)[1]
            capacity = _grow_for_pool(store, memory, pool, n, shaped.capacity(self.interface, n, repeat), record,
                                      shaped.results_bytes(repeat))
            results_at = pool + capacity * record
            exports["results_at"].set_value(store, wasmtime.Val.i32(_as_i32(results_at)))  # type: ignore[union-attr]
        else:
            capacity = _grow_for_pool(store, memory, pool, n, pool_capacity(n, repeat))
        work = pool + (record or 4 * n) * (capacity - 1)
        args = (_as_i32(pool), capacity, n, repeat, SHAPE_CODES[shape], expect, int(fresh))
        return _Copy(store, memory, play, state, last, elapsed, work, results_at, args)

    def loop(self, n: int, shape: str, repeat: int, *, seed: int, fresh: bool = True,
             expect: int = EXPECT_SORTED) -> Callable[[], None]:
        """The timing loop inside wasm: targets.wasm.driver_wat's driver module imports this module's memory and
        entry and runs each round (make a pool of inputs; call the kernel on each, timed; check each output), in an
        engine like the checking one but without fuel, whose accounting would otherwise be timed with the kernel.
        The pool lies past the module's own memory, a cache line after the 8 bytes the driver's clock writes to;
        where the module's maximum leaves no room for a whole chunk of targets.fresh.POOL_BYTES, a smaller one.
        The clock is WASI's, read by the driver around the calls.

        The module is compiled COPIES times, each copy at its own code address, and the rounds take the copies in
        turn, the generator's stream going on from one to the next: where the engine puts the code moves a short
        kernel's time from one process to the next, and a row's rounds then hold that spread instead of one
        process's draw."""
        copies = [self._timing_copy(n, shape, repeat, expect, fresh) for _ in range(COPIES)]
        is_shaped = shaped.supported(self.interface)
        start = seed_state(seed, n, shape)
        first = copies[0]
        timed = _Timed(first.store, first.memory, first.last, first.work, n, shape,
                       record=shaped.offsets(self.interface, n)[1] if is_shaped else 0)
        self._timed = timed
        stream = {"state": start, "turn": 0}

        def run() -> None:
            copy = copies[stream["turn"] % len(copies)]
            stream["turn"] += 1
            before = start if not fresh else stream["state"]  # not fresh: every round on the first input again
            copy.state.set_value(copy.store, wasmtime.Val.i64(signed64(before)))
            elapsed = copy.elapsed.value(copy.store)
            try:
                bad = copy.play(copy.store, *copy.args)
            except wasmtime.Trap as trap:
                raise RunError(f"in the timing loop: {trap_message(trap)}") from None
            timed.nanoseconds += copy.elapsed.value(copy.store) - elapsed
            stream["state"] = copy.state.value(copy.store) & MASK64
            timed.store, timed.memory, timed.last, timed.work = copy.store, copy.memory, copy.last, copy.work
            if is_shaped:  # every call's result against the reference, on the round's inputs made again
                answers = bytes(copy.memory.read(copy.store, copy.results_at,
                                                 copy.results_at + shaped.results_bytes(repeat)))
                bad += shaped.check_results(self.interface, n, before, repeat, fresh, answers)
                timed.last_result = shaped.last_result(answers)
            timed.calls += repeat
            timed.bad += bad

        return run

    def loop_clock(self) -> Callable[[], float] | None:
        timed = self._timed
        if timed is None:
            return None
        return lambda: timed.nanoseconds * 1e-9

    def loop_outcome(self) -> LoopOutcome:
        timed = self._timed
        if timed is None:
            raise RuntimeError(f"{self.route}: loop_outcome() before loop()")
        if timed.record:  # the last call's record, as the round left it
            if not timed.calls:
                return LoopOutcome(0, 0, [], [])
            record = bytes(timed.memory.read(timed.store, timed.work, timed.work + timed.record))
            last = shaped.last_call(self.interface, timed.n, timed.last.value(timed.store), timed.last_result, record)
            return LoopOutcome(timed.calls, timed.bad, *last)
        output = list(as_int32(timed.memory.read(timed.store, timed.work, timed.work + 4 * timed.n)))
        return outcome(timed.shape, timed.n, timed.calls, timed.bad, timed.last.value(timed.store), output)

    def stages(self) -> tuple[dict[str, Callable[[Any, Target], listing.Rendered]], str]:
        """`arena asm`: Cranelift's machine code as timed (the default) and as checked (fuel-metered), and the WAT."""
        return {"native": _wasm_native, "native-fuel": _wasm_native_fuel, "wat": listing.wasm_text}, "native"

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

    def call(self, values: Any) -> Outcome:
        if self._store is None:
            self.instantiate()
        assert self._store is not None and self._func is not None and self._memory is not None
        store, memory, interface = self._store, self._memory, self.interface
        region, offsets, counts = lay_out(interface, values)
        n = max(counts)
        self._ensure_room(len(region))
        memory.write(store, region, self.base)
        budget = fuel_budget(n, interface)
        store.set_fuel(budget)
        try:
            bits = self._func(store, *interface.call_arguments([_as_i32(self.base + at) for at in offsets], counts))
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
            raise RunError(f"wasm call failed: {error_causes(str(exc))[-1]}") from None
        self.fuel_used = budget - store.get_fuel()
        after = bytes(memory.read(store, self.base, self.base + len(region)))
        return read_layout(interface, after, offsets, counts, as_result(interface, bits))

    def close(self) -> None:
        self._store = self._func = self._memory = None


# --- the target --------------------------------------------------------------------------------------------


# --- what `arena asm` shows (targets.listing) ---


def _wasm_flags(route: Target, fuel: bool) -> str:
    level = getattr(route, "opt_level", "?")
    metering = "fuel metering on (the correctness checks' engine)" if fuel else "no fuel metering (the timing engine)"
    return f"Cranelift opt level {level}, {metering}; machine code from Module.serialize(), Intel syntax"


def _timed_module(built: WasmBuilt) -> object | None:
    """The module as the timing loop compiles it: fuel metering off, so its code is not the checked one's."""
    return wasmtime.Module(timing_engine(built.opt_level), built.binary) if built.binary else None


def _wasm_native(built: WasmBuilt, route: Target) -> listing.Rendered:
    timed = _timed_module(built)
    if timed is None:
        return _wasm_machine_code(built, route, built.module, fuel=True)
    return _wasm_machine_code(built, route, timed, fuel=False)


def _wasm_native_fuel(built: WasmBuilt, route: Target) -> listing.Rendered:
    return _wasm_machine_code(built, route, built.module, fuel=True)


def _wasm_machine_code(built: WasmBuilt, route: Target, module: object, fuel: bool) -> listing.Rendered:
    (text, base), functions = text_and_functions(bytes(module.serialize()))
    entry = _wasm_entry_symbol(functions, built.entry)
    names = {address: _short_name(name) for name, address, _ in functions}
    raw: list[str] = []
    filtered: list[str] = []
    for name, start, size in functions:
        full, plain = listing.disassemble_function(text[start - base : start - base + size], start, names)
        raw += [f"{_short_name(name)}:  # {name}, {size} bytes at {start:#x}", *full, ""]
        if _is_wasm_function(name):
            filtered += [f"{_short_name(name)}:", *plain]
    size = next((s for n, _, s in functions if n == entry), None)
    notes = [
        "fuel metering adds the fuel counter updates and out-of-gas calls: stage native shows the timed code"
        if fuel else "the code the timing loop runs; stage native-fuel shows the fuel-metered code the checks run",
        f"wasm function body: {built.code_bytes} bytes" if built.code_bytes else "",
    ]
    return listing.Rendered("x86", "\n".join(raw), flags=_wasm_flags(route, fuel), notes=[n for n in notes if n],
                    code_bytes=size, filtered=filtered, code=filtered,
                    extra_versions={"capstone": version("capstone")})


def _is_wasm_function(symbol: str) -> bool:
    return "::function[" in symbol


def _short_name(symbol: str) -> str:
    # `wasm[0]::function[0]::insertion_sort`: the name section's name is what a reader knows the function by.
    if _is_wasm_function(symbol) and not symbol.endswith("]"):
        return symbol.rsplit("::", 1)[1]
    return symbol


def _wasm_entry_symbol(functions: list[tuple[str, int, int]], entry: str) -> str | None:
    wasm = [name for name, _, _ in functions if _is_wasm_function(name)]
    named = [name for name in wasm if name.endswith(f"::{entry}")]
    return named[0] if named else (wasm[0] if len(wasm) == 1 else None)


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
        return {"wasmtime": version("wasmtime"), "cranelift_opt_level": self.opt_level}

    def cpu_features(self) -> frozenset[str]:
        return WASM_ENGINE_FEATURES

    def features_owner(self) -> str:
        return f"{self.name}'s wasm"

    def build(self, source: Source, kernel: Kernel) -> WasmBuilt:
        started = time.perf_counter()
        try:
            binary = wasmtime.wat2wasm(source.text)
        except wasmtime.WasmtimeError as exc:
            raise BuildError(wat_error_message(source, str(exc))) from None
        return self.load(source, kernel, binary, build_seconds=time.perf_counter() - started)

    def load(self, source: Source, kernel: Kernel, binary: bytes | bytearray, *, build_seconds: float = 0.0,
             notes: tuple[str, ...] = (), built_type: type[WasmBuilt] = WasmBuilt, **describing: Any) -> WasmBuilt:
        """Compile a binary module, find its entry and memory, make the whole `built_type` (this route's flags,
        `build_seconds` already spent making the binary, `notes` on how it was made, and the `describing`
        attributes the type adds), and instantiate it once."""
        started = time.perf_counter()
        try:
            module = wasmtime.Module(self.engine, binary)
        except wasmtime.WasmtimeError as exc:
            raise BuildError(module_error_message(source, str(exc))) from None
        compiled = time.perf_counter() - started
        entry = find_entry(source, kernel, module)
        memory_export, memory_import = find_memory(source, module)
        built = built_type(
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
            kernel=kernel,
            phases={"build": build_seconds + compiled},
            notes=(*host_import_notes(module), *notes),
            host_tuned=self.host_tuned,
            **describing,
        )
        built.instantiate()
        return built


ROUTES = [WasmtimeTarget("wasmtime", "WebAssembly text assembled and run by wasmtime (Cranelift)")]

"""The interface every route implements, and the array guard they all share.

A target is one way of turning a source into running code (llvmlite's JIT,
wasmtime, Keystone + Unicorn, a C compiler + cffi). A route is a configured
instance of a target: `llvm-O0` and `llvm-O3` are two instances of one class.
Building and running are separate phases, so only the run is ever timed.
"""
from __future__ import annotations

import os
import time

from abc import ABC, ABCMeta, abstractmethod
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar

from kernels.interface import Array, Interface, Outcome, array_and_length
from kernels.kernel import Kernel
from targets.variant_source import Source
from targets.cpu_features import X86_64_BASELINE, beyond_baseline, missing
from targets.fresh import LoopOutcome
from targets.x86.program_length import UndecodableCode, program_length

# Canary words around every array. Distinct per side and per slot, so a report can say which word moved.
CANARY_WORDS = 4
LOW_CANARIES = (0x0BADC0DE, 0x0BADC0DF, 0x0BADC0E0, 0x0BADC0E1)
HIGH_CANARIES = (-0x21524111, -0x21524110, -0x2152410F, -0x2152410E)  # 0xDEADBEEF..
# The same 16 bytes guard an array of any element type; read back as that type, a report names the element moved.
CANARY_BYTES = 4 * CANARY_WORDS
LOW_CANARY_BYTES = array("i", LOW_CANARIES).tobytes()
HIGH_CANARY_BYTES = array("i", HIGH_CANARIES).tobytes()


DEFAULT_INTERFACE = array_and_length("kernel", sorted)

SUBSTRATES = {"native": "native x86-64", "wasm": "wasmtime", "emulated": "x86-64 in Unicorn"}
# Code built for this machine's CPU (-march=native, the host's LLVM features) or for wasm SIMD, or a variant
# that requires features beyond the baseline: its results hold for this machine only, so it is compared only
# with its own kind. The emulator counts instructions whatever the code needs.
HOST_SUBSTRATES = {"native": "native x86-64, this CPU", "wasm": "wasmtime, SIMD128", "emulated": SUBSTRATES["emulated"]}


def share_cores(pid: int) -> None:
    """Every thread of process `pid` onto the cores this process may use now. A timing child made before a
    comparison pinned this process to one core (harness.measure.bench.one_core) follows it there when its loop
    is made, and back after: the cores of a shared machine differ, and the two sides of a comparison must not.
    Every thread, not only the first: an engine such as V8 compiles and collects on threads of its own."""
    cores = os.sched_getaffinity(0)
    try:
        threads = [int(task) for task in os.listdir(f"/proc/{pid}/task")]
    except FileNotFoundError:  # no /proc: the process as a whole
        threads = [pid]
    for thread in threads:
        try:
            os.sched_setaffinity(thread, cores)
        except ProcessLookupError:  # a thread that ended meanwhile
            continue


def platform_of(substrate: str) -> str:
    """The baseline substrate a host-tuned one is named after (`native x86-64, this CPU` -> `native x86-64`): what
    runs both, so their builds are timed in the same rounds and baseline against host gets a decided verdict."""
    return substrate.split(",", 1)[0]


class ArenaError(Exception):
    """A problem with one variant on one route. It becomes that pair's verdict, never a crash of the run."""

    verdict = "error"


class BuildError(ArenaError):
    """The source could not be compiled, assembled, parsed, linked or loaded: verdict `error`."""


class RunError(ArenaError):
    """The code ran and misbehaved (trap, fault, clobbered register, limit, out-of-bounds write): verdict `fail`."""

    verdict = "fail"


class Unavailable(ArenaError):
    """The route cannot run on this machine (a tool such as node is missing): verdict `skip`, with the reason."""

    verdict = "skip"


class OutOfBounds(RunError):
    """A write outside the array, caught by a canary word."""

    def __init__(self, message: str, side: str) -> None:
        super().__init__(message)
        self.side = side


class LimitExceeded(RunError):
    """The code did not return within the route's budget (instructions, fuel, seconds)."""


def guarded(values: Sequence[int]) -> array:
    """The array with its canary words on both sides, as int32."""
    buf = array("i", LOW_CANARIES)
    buf.extend(values)
    buf.extend(HIGH_CANARIES)
    return buf


def unguarded(buf: Sequence[int], n: int) -> list[int]:
    """The array out of a guarded buffer read back after a call; raises OutOfBounds if a canary moved."""
    low = list(buf[:CANARY_WORDS])
    high = list(buf[CANARY_WORDS + n : CANARY_WORDS + n + CANARY_WORDS])
    for i, (want, got) in enumerate(zip(LOW_CANARIES, low)):
        if want != got:
            index = i - CANARY_WORDS
            raise OutOfBounds(
                f"out-of-bounds write below the array: a[{index}] changed from {want} to {got}", side="below"
            )
    for i, (want, got) in enumerate(zip(HIGH_CANARIES, high)):
        if want != got:
            raise OutOfBounds(
                f"out-of-bounds write above the array: a[n+{i}] (n={n}) changed from {want} to {got}",
                side="above",
            )
    return list(buf[CANARY_WORDS : CANARY_WORDS + n])


def guarded_array(argument: Array, values: Sequence[int]) -> bytes:
    """One array argument's elements, in its element type, between the canary bytes."""
    try:
        data = array(argument.type.typecode, values).tobytes()
    except OverflowError:
        raise RunError(f"a value of {argument.name} does not fit its element type {argument.element}") from None
    return LOW_CANARY_BYTES + data + HIGH_CANARY_BYTES


def unguarded_array(argument: Array, data: bytes, n: int, only: bool = False) -> tuple[int, ...]:
    """The n elements of an array argument out of its guarded bytes (as guarded_array laid them out) read back
    after a call; raises OutOfBounds naming the array and the element if a canary moved. `only`: the kernel's
    one array, called "the array" as a sort's messages always have."""
    size, code, name = argument.type.size, argument.type.typecode, argument.name
    which = "the array" if only else f"array {name}"
    low, high = data[:CANARY_BYTES], data[CANARY_BYTES + n * size: 2 * CANARY_BYTES + n * size]
    for side, want, got in (("below", LOW_CANARY_BYTES, low), ("above", HIGH_CANARY_BYTES, high)):
        if want == got:
            continue
        first = next(i for i in range(CANARY_BYTES) if want[i] != got[i]) // size * size
        was, now = (array(code, bytes(x[first:first + size]))[0] for x in (want, got))
        index = f"{first // size - CANARY_BYTES // size}" if side == "below" else f"n+{first // size}"
        at = f"{name}[{index}]" + ("" if side == "below" else f" (n={n})")
        raise OutOfBounds(f"out-of-bounds write {side} {which}: {at} changed from {was} to {now}", side=side)
    return tuple(array(code, bytes(data[CANARY_BYTES:CANARY_BYTES + n * size])))


def lay_out(interface: Interface, values: object) -> tuple[bytes, list[int], list[int]]:
    """Every array argument of one input, guarded, one after another in one region: the region's bytes, each
    array's element offset (its data, past its low canaries) and its element count. Each array's data ends on a
    16-byte boundary (with the region placed on one), as it does flush against a guard page on the native and
    emulated routes: a byte array of n elements then starts at -n mod 16, so the lengths 1..16 reach every
    alignment of a vector load."""
    region, offsets, counts = b"", [], []
    for argument, elements in zip(interface.arrays, interface.inputs(values)):
        region += bytes(-(len(region) + CANARY_BYTES + len(elements) * argument.type.size) % 16)
        offsets.append(len(region) + CANARY_BYTES)
        counts.append(len(elements))
        region += guarded_array(argument, elements)
    return region, offsets, counts


def read_layout(interface: Interface, region: bytes, offsets: Sequence[int], counts: Sequence[int],
                result: int | None) -> Outcome:
    """The Outcome of a call on a region lay_out made, as the call left it: each array through its canaries."""
    only = len(interface.arrays) == 1
    arrays = tuple(unguarded_array(argument, region[at - CANARY_BYTES:], n, only)
                   for argument, at, n in zip(interface.arrays, offsets, counts))
    return Outcome(result, arrays)


# The System V ABI's callee-saved general registers: a function returns with them as it found them.
CALLEE_SAVED = ("rbx", "rbp", "r12", "r13", "r14", "r15")
# A value per general register (but rsp, rdi and rsi) that is a canonical address nothing maps, each its own: a
# register used as a pointer before it is set faults at an address that says which register it was, and one
# left changed at return is told from the value it held at entry. The emulator and the native call guard alike.
SENTINEL_REGISTERS = ("rax", "rbx", "rcx", "rdx", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")
SENTINELS = {name: 0x5E00_0000_0000 | (i + 1) << 36 | (i + 1) * 0x0101 for i, name in enumerate(SENTINEL_REGISTERS)}


def clobbered(register: str, entry: int, got: int) -> str:
    """How a route says a kernel returned with a callee-saved register changed: the one wording of every route."""
    return f"callee-saved register {register} clobbered: {entry:#x} at entry, {got:#x} at return"


def as_result(interface: Interface, bits: int | None) -> int | None:
    """A result register's or a wasm result's bits as the interface's result type (None for a void kernel)."""
    if interface.result is None or bits is None:
        return None
    width = 32 if interface.result in ("i32", "u32") else 64
    value = bits & ((1 << width) - 1)
    return value - (1 << width) if interface.result != "u32" and value >> (width - 1) else value


def as_int32(buf: bytes | bytearray | memoryview) -> array:
    out = array("i")
    out.frombytes(bytes(buf))
    return out


class _SealedWhenMade(ABCMeta):
    """Seals each Built once its outermost constructor returns, whichever subclass it is: from then on its
    describing attributes are read-only (Built.__setattr__)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        built = super().__call__(*args, **kwargs)
        object.__setattr__(built, "_sealed", True)
        return built


class LateChange(AttributeError):
    """An attribute that describes a built artifact was set or deleted after the artifact was made."""


@dataclass
class Built(metaclass=_SealedWhenMade):
    """A variant built and loaded on one route, ready to run.

    A Built is complete when made: what describes it (its source, kernel, notes, sizes, code, flags) is given to
    its constructor, and setting or deleting a public attribute afterwards raises LateChange, so a report reads
    the same artifact the route made, whatever its type. What changes while it runs (a live engine instance or
    child, the last loop's clock) lives in underscore attributes, or in public ones the class names in
    `runtime_state`. `phases` is the one dict that grows at run time: a reload adds its seconds to `load`.
    """

    source: Source
    route: str
    # Seconds spent per phase (`build`, `load`), kept apart from the run.
    phases: dict[str, float] = field(default_factory=dict)
    # The kernel it was built as: its interface says how the code is called (arguments, lengths, limits).
    kernel: Kernel | None = None
    #: What the route adapted to run the source as written (its own C prototype, stubbed host imports), one line
    #: each.
    notes: tuple[str, ...] = ()
    #: True when the route built the code for this machine (targets.cpu_features): see `substrate`.
    host_tuned: bool = False
    #: The name the code's entry goes by: its symbol, export or label; empty where the code has none.
    entry: str = ""

    #: What the time of `loop` measures: "native" machine code, "wasm" as the engine compiled it, or
    #: "emulated": the emulator's speed, not the code's (never compare it with the others).
    timing: ClassVar[str] = "native"
    #: Public attributes of this class that change while the artifact runs (counters, the last loop's readings);
    #: every other public attribute is fixed when the artifact is made. Each class names only its own.
    runtime_state: ClassVar[frozenset[str]] = frozenset()

    def __setattr__(self, name: str, value: object) -> None:
        self._refuse_late_change(name)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        self._refuse_late_change(name)
        super().__delattr__(name)

    def _refuse_late_change(self, name: str) -> None:
        if self.__dict__.get("_sealed") and not name.startswith("_") and name not in _runtime_names(type(self)):
            raise LateChange(
                f"{type(self).__name__}.{name} describes the built artifact of {self.route}: give it to the"
                " constructor, not to the artifact once made"
            )

    @property
    def for_this_machine(self) -> bool:
        """Built for this machine's CPU or wasm SIMD, or a variant that requires features beyond the baseline."""
        return self.host_tuned or beyond_baseline(self.source.requires)

    @property
    def substrate(self) -> str:
        """What executes the code, for like-for-like comparisons: the same engine, or the same CPU."""
        return (HOST_SUBSTRATES if self.for_this_machine else SUBSTRATES)[self.timing]

    #: Bytes of machine code (or wasm function body) of the kernel's entry function; None where unknown.
    code_bytes = None  # int | None; a class attribute, so subclasses may make it a property

    @abstractmethod
    def call(self, values: object) -> Outcome:
        """Run the kernel once on a copy of `values` (an input as kernels.interface.Interface describes it), each
        array inside canaries; return its result and every array as the code left them."""

    def run(self, values: Sequence[int]) -> list[int]:
        """The first array as one call on a copy of `values` left it: a sort's output."""
        return list(self.call(values).arrays[0])

    def loop(self, n: int, shape: str, repeat: int, *, seed: int, fresh: bool = True,
             expect: int = 0) -> Callable[[], None]:
        """Measurement: a callable that runs one round inside the target (no Python in the loop): it makes a pool
        of `repeat` inputs of `shape` and length n from targets.fresh's generator, calls the kernel once on each
        while the target's own clock runs, and then checks every output (`expect`: targets.fresh.EXPECT_SORTED or
        EXPECT_SAME). Pools larger than targets.fresh.POOL_BYTES are made, called and checked in chunks.

        The generator starts at `targets.fresh.seed_state(seed, n, shape)` and keeps going across rounds, so no
        two calls see the same input; with `fresh=False` every call gets the first input again, which shows
        whether a variant keeps answers between calls. `loop_clock()` and `round_seconds()` give the time of
        the kernel's calls alone, without the making of inputs or the checks; `loop_outcome()` then says what the
        calls left.
        """
        raise NotImplementedError(f"{self.route} has no timing loop")

    def loop_clock(self) -> Callable[[], float] | None:
        """A clock (seconds) that advances only while the last loop's kernel calls run, read inside the target;
        None where the caller's own clock around the callable is the measure."""
        return None

    def round_seconds(self, run: Callable[[], None]) -> float:
        """Seconds one round of `run` (the callable the last `loop` returned) took, by `loop_clock` where the
        target has one, else by this process's clock around it."""
        clock = self.loop_clock()
        if clock is None:
            started = time.perf_counter()
            run()
            return time.perf_counter() - started
        before = clock()
        run()
        return clock() - before

    def loop_outcome(self) -> "LoopOutcome":
        """targets.fresh.LoopOutcome of the calls made so far by the callable `loop` returned."""
        raise NotImplementedError(f"{self.route} has no timing loop")

    def executed(self, values: Sequence[int]) -> dict[str, int]:
        """Deterministic executed work for one sort of `values`, e.g. {"instructions": N} or
        {"wasm_operators": N}; empty where the route cannot count."""
        return {}

    def stages(self) -> tuple[dict[str, Callable[..., object]], str]:
        """`arena asm`: this artifact's stages (name -> a function of the artifact and its route that renders a
        targets.listing.Rendered: the listing text, the flags as received, code bytes, tool versions) and the
        default stage."""
        raise BuildError(f"{self.route}: no listing for a {type(self).__name__}")

    def entry_code(self) -> tuple[bytes, int] | None:
        """The entry function's x86-64 machine code and its address, where the route has it; else None."""
        return None

    @property
    def program_length(self) -> int | None:
        """Static instructions of the entry function without its final `ret` (targets.x86.program_length), the
        measure AlphaDev's fixed sorts were optimized for; None where there is no x86-64 code to count."""
        code = self.entry_code()
        if code is None:
            return None
        try:
            return program_length(*code)
        except UndecodableCode:
            return None

    @property
    def interface(self) -> Interface:
        """How the code is called: the kernel's interface (an array and its length when no kernel is known)."""
        return self.kernel.interface if self.kernel is not None else DEFAULT_INTERFACE

    def close(self) -> None:
        """Release what the build holds (engines, mappings). Idempotent."""


@cache
def _runtime_names(kind: type) -> frozenset[str]:
    """Every `runtime_state` name of `kind` and of the classes it derives from (mixins included)."""
    return frozenset().union(*(vars(k).get("runtime_state", ()) for k in kind.__mro__))


class Target(ABC):
    """One way of building sources of one language into running code."""

    #: The language this target accepts (see kernels.kernel.LANGUAGES).
    language: str = ""
    #: True when the code runs as native machine code in this process: it is then checked in a child process.
    native: bool = False
    #: True when `Built.executed` counts something (instructions, wasm operators): the harness then counts
    #: ahead of the timed runs, in parallel.
    counts: bool = False
    #: A route this one runs a source on only after the source passed there (x86-native after x86-unicorn):
    #: the harness checks the gate route first and reports "<not_run>: failed on <gate>: ..." otherwise.
    gate: str | None = None
    not_run: str = "not run"
    #: True when the route builds for this machine (-march=native, the host CPU's LLVM features, wasm SIMD): its
    #: builds are compared only with their own kind (Built.substrate).
    host_tuned: bool = False

    def __init__(self, name: str, description: str) -> None:
        self.name = name
        self.description = description

    def cpu_features(self) -> frozenset[str]:
        """The CPU (or engine) features the code this route runs may use (targets.cpu_features names): baseline
        x86-64 unless the route says otherwise."""
        return X86_64_BASELINE

    def lacks(self, source: Source) -> str | None:
        """Why this route may not run `source`, whose header requires CPU features the route's code may not use;
        None when it may. Asked before anything is built or run."""
        absent = missing(source.requires, self.cpu_features())
        if not absent:
            return None
        return f"{source.where()} requires {', '.join(absent)}, which {self.features_owner()} lacks"

    def features_owner(self) -> str:
        """Whose features `cpu_features` are, for `lacks`' message."""
        return "baseline x86-64 (the target of this route's code)"

    def refuse(self, source: Source, kernel: Kernel) -> None:
        """Raise BuildError for what this route refuses on sight, before anything runs (the harness asks this
        ahead of a gate's check, so a refusal is this route's own error, not the gate's verdict)."""

    @abstractmethod
    def build(self, source: Source, kernel: Kernel) -> Built:
        """Compile or assemble and load; raise BuildError naming file, line and cause."""

    def versions(self) -> dict[str, str]:
        """Versions of the tools this route uses, for listings and reports."""
        return {}

    def received_flags(self) -> list[str]:
        """The arguments this route's compiler proper receives (clang's -cc1, gcc's cc1), as the compiler itself
        reports them; empty for routes that compile nothing with a C compiler or LLVM."""
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

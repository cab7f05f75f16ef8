"""Native machine code: where it is placed, and the one runner every native route's code runs in.

The parent process builds and loads code, but never calls it. Variant code
runs only in a forked child that loads everything it needs first (the code,
its buffers, the driver), then the system-call filter (targets.sandbox), and
only then calls the kernel: for checks through harness.isolate, for timing in
the NativeRunner below. A fault, a hang or a refused system call ends the
child and becomes the variant's verdict.

Timing runs the driver of targets.fresh inside the child: every call gets a
fresh input, made in native code, and every output is checked. Where the
kernel's bytes are self-contained (no reference outside the function: checked
by disassembly, not assumed), the runner times copies placed at several
offsets mod 64, since where a function lands moves its time as much as most
differences between builds do; otherwise it times the code in place and says
so.
"""
from __future__ import annotations

import ctypes
import mmap
import os
import select
import signal
import struct
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from kernels.interface import Int32Array, Interface
from targets import fresh, sandbox
from targets.cffi_build import compile_cffi
from targets.elf import elf_function, symbol_size

__all__ = ["elf_function", "symbol_size"]  # where the routes have always found them
from targets.base import CANARY_WORDS, DEFAULT_INTERFACE, BuildError, LimitExceeded, RunError, guarded, unguarded

PAGE = mmap.PAGESIZE
PROT_NONE = 0  # not exported by the mmap module
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_MAP_FAILED = ctypes.c_void_p(-1).value

SortFunction = Callable[[int, int], None]
SORT_SIGNATURE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t)
# Offsets mod 64 of the kernel's entry that timing sweeps: a cache line's worth of fetch-window positions.
PLACEMENT_OFFSETS = (0, 16, 32, 48)
# Longest one timing round may take in the child before it is taken for a hang.
ROUND_SECONDS = 60.0


def round_to_page(size: int) -> int:
    return (max(size, 1) + PAGE - 1) // PAGE * PAGE


def _map(size: int) -> int:
    address = _libc.mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    if address in (None, _MAP_FAILED):
        raise MemoryError(f"mmap of {size} bytes failed (errno {ctypes.get_errno()})")
    return int(address)


class GuardedBuffer:
    """An int32 array with canaries, between two inaccessible pages; grows on demand and is reused."""

    def __init__(self) -> None:
        self._base = 0
        self._span = 0  # bytes between the guard pages

    def _ensure(self, nbytes: int) -> None:
        if nbytes <= self._span:
            return
        self.close()
        span = round_to_page(max(nbytes, PAGE))
        base = _map(span + 2 * PAGE)
        _libc.mprotect(base, PAGE, PROT_NONE)
        _libc.mprotect(base + PAGE + span, PAGE, PROT_NONE)
        self._base, self._span = base, span

    def work(self, n: int) -> int:
        """Address of n int32 flush against the upper guard page (no canaries): an overrun faults at once."""
        self._ensure(max(4, n * 4))
        return self._base + PAGE + self._span - n * 4

    def call(self, function: SortFunction, values: Sequence[int]) -> list[int]:
        """Run `function(pointer, n)` on the guarded copy of `values`; return the array as left."""
        buf = guarded(values)
        nbytes = len(buf) * 4
        self._ensure(nbytes)
        # Flush the array against the upper guard page: an overrun past the canaries faults at once.
        start = self._base + PAGE + self._span - nbytes
        ctypes.memmove(start, buf.buffer_info()[0], nbytes)
        function(start + CANARY_WORDS * 4, len(values))
        out = array("i")
        out.frombytes(ctypes.string_at(start, nbytes))
        return unguarded(out, len(values))

    def close(self) -> None:
        if self._base:
            _libc.munmap(self._base, self._span + 2 * PAGE)
            self._base, self._span = 0, 0


def sort_function(address: int, interface: Interface | None = None) -> SortFunction:
    """A callable (pointer, n) for the kernel at a machine-code address, calling it with the arguments its
    interface declares: `void f(int32_t *a, size_t n)`, or `void f(int32_t *a)` for a fixed-length kernel."""
    if not address:
        raise BuildError("entry point has address 0")
    if interface is None or interface.fixed_length is None:
        return SORT_SIGNATURE(address)
    function = ctypes.CFUNCTYPE(None, *(ctypes.c_void_p if isinstance(a, Int32Array) else ctypes.c_size_t
                                        for a in interface.arguments))(address)
    return lambda pointer, n: function(*interface.call_arguments(pointer, n))


class CodeMapping:
    """Machine code in its own mapping, written while read-write, then made read-execute (never both)."""

    def __init__(self, size: int) -> None:
        self.size = round_to_page(size)
        self.address: int = _map(self.size)

    def load(self, code: bytes, at: int = 0) -> None:
        ctypes.memmove(self.address + at, code, len(code))
        if _libc.mprotect(self.address, self.size, mmap.PROT_READ | mmap.PROT_EXEC) != 0:
            raise OSError(ctypes.get_errno(), "mprotect to read-execute failed")

    def close(self) -> None:
        if self.address:
            _libc.munmap(self.address, self.size)
            self.address = 0


def position_dependence(code: bytes, address: int) -> list[str]:
    """Why these bytes would not run the same copied elsewhere: every instruction that reaches outside them
    (a rip-relative operand, a branch or call leaving the function, an indirect jump, a 64-bit immediate that
    may be an address). Empty when a copy at any address runs exactly as the original."""
    from targets.disasm import decoder

    reasons = []
    end = address + len(code)
    for insn in decoder().disasm(code, address):
        text = f"{insn.mnemonic} {insn.op_str}".strip()
        group_names = {insn.group_name(g) for g in insn.groups}
        if "rip" in insn.op_str:
            reasons.append(f"{text} (rip-relative)")
        elif group_names & {"jump", "call"}:
            operand = insn.op_str.strip()
            try:
                target = int(operand, 0)
            except ValueError:
                reasons.append(f"{text} (indirect)")
                continue
            if not address <= target < end:
                reasons.append(f"{text} (leaves the function)")
        elif insn.mnemonic == "movabs":
            reasons.append(f"{text} (64-bit immediate)")
    return reasons


# Instructions that enter the operating system; a sort has no use for them.
SYSTEM_ENTRIES = ("syscall", "sysenter", "int", "int1", "into")


def forbidden_instructions(code: bytes, address: int = 0) -> list[str]:
    """Each system-entering instruction in `code`, as `offset: text`: refused at build time, before any run."""
    from targets.disasm import decoder

    return [f"{insn.mnemonic} {insn.op_str}".strip() + f" at +{insn.address - address:#x}"
            for insn in decoder().disasm(code, address) if insn.mnemonic in SYSTEM_ENTRIES]


@dataclass(frozen=True)
class Placement:
    """Where one timed copy of the kernel sits: its entry's offset mod 64, or None for the code in place."""

    offset: int | None
    address: int  # 0 for in place: the address is known only in the child, after enter_child()


# How the driver is compiled, here and beside the standalone fidelity program.
DRIVER_FLAGS = ("-O2",)


# The driver every native route's timing and checks share: targets.fresh's loop and the sandbox's trap handler.
def driver(interface: Interface | None = None) -> Any:
    """The driver module for a kernel of this interface (an array and its length when none is given)."""
    return _driver((interface or DEFAULT_INTERFACE).arguments)


@cache
def _driver(arguments: tuple[Any, ...]) -> Any:
    interface = replace(DEFAULT_INTERFACE, arguments=arguments)
    module, _ = compile_cffi(fresh.c_source(interface) + sandbox.HANDLER_C, fresh.c_cdef(interface) + sandbox.HANDLER_CDEF,
                             "gcc", DRIVER_FLAGS,
                             what="the native timing driver")
    return module


class NativeKernel:
    """Mixin for a Built whose kernel is native machine code. The subclass provides `entry_address()` (valid in
    the child after `enter_child()`), and `kernel_bytes()` (the entry function's bytes, or None)."""

    route: str
    _buffer: GuardedBuffer | None = None
    _runners: list[NativeRunner] | None = None
    #: How the last timing loop placed the code: {"policy", "reason", "offsets"}.
    placement: dict[str, Any] | None = None

    def enter_child(self) -> None:
        """Load what the code needs in the child before the filter closes (a shared library, say)."""

    def entry_address(self) -> int:
        raise NotImplementedError

    def kernel_bytes(self) -> bytes | None:
        return None

    def entry_code(self) -> tuple[bytes, int] | None:
        """The kernel's own bytes (those its placements copy), counted at address 0."""
        code = self.kernel_bytes()
        return (code, 0) if code else None

    def run(self, values: Sequence[int]) -> list[int]:
        """One guarded call. Only ever called in a sandboxed child (harness.check runs it there)."""
        if self._buffer is None:
            self._buffer = GuardedBuffer()
        return self._buffer.call(sort_function(self.entry_address(), self.interface), values)

    def placements(self, offsets: Sequence[int]) -> tuple[list[Placement], list[CodeMapping], str]:
        """Copies of the kernel at `offsets`, when its bytes are self-contained; else the code in place, and why."""
        code = self.kernel_bytes()
        if code is None:
            return [Placement(None, 0)], [], "in place: this route cannot read back its kernel's bytes"
        reasons = position_dependence(code, 0)
        if reasons:
            more = f" and {len(reasons) - 2} more" if len(reasons) > 2 else ""
            return [Placement(None, 0)], [], f"in place: the code reaches outside itself ({'; '.join(reasons[:2])}{more})"
        mappings, placed = [], []
        for offset in offsets:
            mapping = CodeMapping(offset + len(code))
            mapping.load(code, offset)
            mappings.append(mapping)
            placed.append(Placement(offset, mapping.address + offset))
        return placed, mappings, "swept"

    def loop(self, n: int, shape: str, repeat: int, *, seed: int, fresh: bool = True, expect: int = 0,
             offsets: Sequence[int] = PLACEMENT_OFFSETS) -> Callable[[], None]:
        for old in self._runners or []:  # one child per build at a time: a new loop ends the last one's
            old.close()
        runner = NativeRunner(self, n, shape, repeat, seed=seed, fresh_inputs=fresh, expect=expect, offsets=offsets)
        self._runners = [runner]
        self.placement = runner.describe()
        return runner.round

    def loop_clock(self) -> Callable[[], float] | None:
        return self._runners[-1].clock if self._runners else None

    def loop_outcome(self) -> fresh.LoopOutcome:
        assert self._runners, "loop() first"
        return self._runners[-1].outcome()

    def close_native(self) -> None:
        for runner in self._runners or []:
            runner.close()
        self._runners = None
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None


def _frame(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack("<cI", kind, len(payload)) + payload


class NativeRunner:
    """A sandboxed child that runs one kernel's timing loop, a round per request, and times each round itself.

    The parent's `round()` sends a request and waits; the child runs the driver (fresh input, call, check,
    `repeat` times) between two clock readings and answers with the elapsed time and the count of wrong outputs.
    `clock()` is the sum of the child's round times: a timer that excludes the pipe, for pytest-benchmark.
    """

    def __init__(self, built: NativeKernel, n: int, shape: str, repeat: int, *, seed: int, fresh_inputs: bool,
                 expect: int, offsets: Sequence[int]) -> None:
        self.route, self.n, self.shape, self.repeat = built.route, n, shape, repeat
        self.seed_state = fresh.seed_state(seed, n, shape)
        self.places, self._mappings, self.reason = built.placements(offsets)
        self.rounds: list[tuple[int | None, float]] = []  # (offset, seconds) per round, warm-up included
        self.calls = self.bad = 0
        self._elapsed = 0.0
        self._seen = b""
        module = driver(getattr(built, "interface", None))
        commands_read, self._commands = os.pipe()
        self._results, results_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the caller's stack
            os.close(self._commands)
            os.close(self._results)
            code = 1
            try:
                _serve(built, module, self, commands_read, results_write, fresh_inputs, expect)
                code = 0
            except BaseException as exc:  # every failure to the parent, as text
                try:
                    os.write(results_write, _frame(b"E", f"{type(exc).__name__}: {exc}".encode()))
                except OSError:
                    pass
            finally:
                os._exit(code)
        os.close(commands_read)
        os.close(results_write)
        self._expect(b"K")

    def describe(self) -> dict[str, Any]:
        return {"policy": "swept" if self.reason == "swept" else "in place", "reason": self.reason,
                "offsets": [p.offset for p in self.places if p.offset is not None]}

    def round(self) -> None:
        index = len(self.rounds) % len(self.places)
        os.write(self._commands, b"R" + bytes([index]))
        bad, nanoseconds = struct.unpack("<qq", self._expect(b"D"))
        seconds = nanoseconds * 1e-9
        self.rounds.append((self.places[index].offset, seconds))
        self._elapsed += seconds
        self.calls += self.repeat
        self.bad += bad

    def clock(self) -> float:
        return self._elapsed

    def outcome(self) -> fresh.LoopOutcome:
        os.write(self._commands, b"O")
        payload = self._expect(b"O")
        (last_state,) = struct.unpack_from("<Q", payload)
        output = array("i")
        output.frombytes(payload[8:])
        last_input, _ = fresh.fill(self.shape, self.n, last_state) if self.calls else ([], 0)
        return fresh.LoopOutcome(self.calls, self.bad, last_input, output.tolist())

    def per_offset_median(self, timed_rounds: int) -> dict[str, float]:
        """Median seconds per round at each offset, over the last `timed_rounds` rounds (the timed ones)."""
        by_offset: dict[str, list[float]] = {}
        for offset, seconds in self.rounds[-timed_rounds:]:
            by_offset.setdefault(str(offset), []).append(seconds)
        return {k: sorted(v)[len(v) // 2] for k, v in by_offset.items()}

    def _expect(self, kind: bytes) -> bytes:
        self._seen = b""  # this message's bytes so far: the child's last words may stand where it was due
        header = self._read(5)
        got, length = struct.unpack("<cI", header)
        payload = self._read(length)
        if got == b"E":
            self.close()
            raise RunError(f"{self.route}: the timing child failed: {payload.decode(errors='replace')}")
        if got != kind:
            self.close()
            raise RunError(f"{self.route}: the timing child answered {got!r} where {kind!r} was due")
        return payload

    def _read(self, count: int) -> bytes:
        data = b""
        deadline = time.monotonic() + ROUND_SECONDS
        while len(data) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise LimitExceeded(f"{self.route}: a timing round did not finish within {ROUND_SECONDS:g} s (killed)")
            ready, _, _ = select.select([self._results], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._results, count - len(data))
            if not chunk:
                raise self._died(self._seen)
            data += chunk
            self._seen += chunk
        return data

    def _died(self, data: bytes) -> RunError:
        rest = data
        try:
            while chunk := os.read(self._results, 1 << 16):
                rest += chunk
        except OSError:
            pass
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        number = sandbox.trapped(rest)
        if number is not None:
            return RunError(f"{self.route}: the variant made the system call {sandbox.syscall_name(number)}, "
                            "which a kernel may not make; the sandbox ended it")
        if os.WIFSIGNALED(status):
            name = signal.Signals(os.WTERMSIG(status)).name
            return RunError(f"{self.route}: native code crashed with {name} while being timed")
        return RunError(f"{self.route}: the timing child exited with status {os.waitstatus_to_exitcode(status)}")

    def close(self) -> None:
        if self.pid:
            try:
                os.write(self._commands, b"Q")
            except OSError:
                pass
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = 0
        for fd in (self._commands, self._results):
            try:
                os.close(fd)
            except OSError:
                pass
        self._commands = self._results = -1
        for mapping in self._mappings:
            mapping.close()
        self._mappings = []


def _serve(built: NativeKernel, module: Any, runner: NativeRunner, commands: int, results: int, fresh_inputs: bool,
           expect: int) -> None:
    """The child's side of NativeRunner: load, close the filter, then answer requests until told to stop."""
    ffi, lib = module.ffi, module.lib
    built.enter_child()
    kernel_type = fresh.kernel_c_type(getattr(built, "interface", DEFAULT_INTERFACE))
    kernels = [ffi.cast(kernel_type, p.address or built.entry_address()) for p in runner.places]
    buffer = GuardedBuffer()
    work = ffi.cast("int32_t *", buffer.work(runner.n))
    state = ffi.new("uint64_t[2]", [runner.seed_state, runner.seed_state])
    shape = fresh.SHAPE_CODES[runner.shape]
    drive, n, repeat, now = lib.arena_drive, runner.n, runner.repeat, time.perf_counter_ns
    sandbox.enter(results, commands, lib.arena_trap_to)
    os.write(results, _frame(b"K"))
    while True:
        request = os.read(commands, 2)
        if not request or request[:1] == b"Q":
            return
        if request[:1] == b"O":
            output = bytes(ffi.buffer(work, n * 4))
            os.write(results, _frame(b"O", struct.pack("<Q", state[1]) + output))
            continue
        if len(request) < 2:
            request += os.read(commands, 1)
        kernel = kernels[request[1]]
        started = now()
        bad = drive(kernel, work, n, repeat, shape, expect, int(fresh_inputs), state, state + 1)
        elapsed = now() - started
        os.write(results, _frame(b"D", struct.pack("<qq", bad, elapsed)))

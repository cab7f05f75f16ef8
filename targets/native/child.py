"""The sandboxed child every native build's code runs in, and the driver it runs.

The child loads the build's code, its placed copies and the driver (targets.fresh's loop, targets.shaped's for
a kernel of any other shape, and the sandbox's trap handler), then the system-call filter,
and only then answers requests over a pipe: configure a timing loop, run one round (timed inside the child by
its own clock), report the last input and output, quit. targets.native.runner decides what to place where and
forks one such child per build.
"""
from __future__ import annotations

import ctypes
import os
import pickle
import select
import signal
import struct
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache
from typing import Any

from kernels.interface import Array, Interface, Outcome
from targets import fresh, shaped
from targets.base import (
    DEFAULT_INTERFACE, BuildError, LimitExceeded, RunError,
)
from targets.native import sandbox
from targets.native.cffi_build import compile_cffi
from targets.native.memory import GuardedBuffer

# Longest one timing round may take in the child before it is taken for a hang.
ROUND_SECONDS = 60.0

_C_RESULTS = {None: None, "i32": ctypes.c_int32, "u32": ctypes.c_uint32, "i64": ctypes.c_int64}


def kernel_function(address: int, interface: Interface) -> Callable[..., int | None]:
    """The kernel at a machine-code address as ctypes calls it: its interface's arguments and result."""
    if not address:
        raise BuildError("entry point has address 0")
    return ctypes.CFUNCTYPE(_C_RESULTS[interface.result], *(
        ctypes.c_void_p if isinstance(a, Array) else ctypes.c_size_t for a in interface.arguments))(address)


# How the driver is compiled, here and beside the standalone fidelity program.
DRIVER_FLAGS = ("-O2",)


# The driver every native route's timing and checks share: targets.fresh's loop and the sandbox's trap handler.
def driver(interface: Interface | None = None) -> Any:
    """The driver module for a kernel of this interface (an array and its length when none is given)."""
    interface = interface or DEFAULT_INTERFACE
    return _driver(interface.arguments, interface.result)


@cache
def _driver(arguments: tuple[Any, ...], result: str | None) -> Any:
    interface = replace(DEFAULT_INTERFACE, arguments=arguments, result=result)
    source, cdef = fresh.c_source(interface), fresh.c_cdef(interface)
    if shaped.supported(interface):  # a kernel of another shape: the round of targets.shaped as well
        source, cdef = source + shaped.c_source(interface), cdef + shaped.c_cdef(interface)
    module, _ = compile_cffi(source + sandbox.HANDLER_C, cdef + sandbox.HANDLER_CDEF, "gcc", DRIVER_FLAGS,
                             what="the native timing driver")
    return module


def _frame(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack("<cI", kind, len(payload)) + payload


class NativeChild:
    """A sandboxed child that runs a build's timing loops, a round per request, and times each round's calls itself.

    It loads the build's code, its placed copies and the driver, closes the filter, and then answers: `C`
    (configure a loop: n, shape, calls per round, generator state, fresh or repeated inputs, what to check),
    `R` (run one round with the copy at an index), `O` (the last input's state and output) and `Q` (quit).
    Every answer is a frame; an `E` frame carries the child's last words when it fails.
    """

    def __init__(self, built: Any, offsets: Sequence[int]) -> None:  # a targets.native.runner.NativeKernel
        self.route, self.offsets = built.route, tuple(offsets)
        self.interface: Interface = getattr(built, "interface", DEFAULT_INTERFACE)
        self.places, self.reason = built.placed(offsets)
        self.active: NativeRunner | None = None  # the loop the child is configured for
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
                _serve(built, module, self.places, commands_read, results_write)
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
        self.expect(b"K")

    @property
    def alive(self) -> bool:
        return self.pid != 0

    def send(self, request: bytes) -> None:
        try:
            _write_all(self._commands, request)
        except BrokenPipeError:  # the child is gone: say how it ended
            raise self._died(b"") from None

    def call(self, values: Any) -> Outcome:
        """The build's `call(values)` (one guarded call), made in this child: its outcome, or what it raised."""
        data = pickle.dumps(values)
        self.send(b"V" + struct.pack("<q", len(data)) + data)
        outcome, value = pickle.loads(self.expect(b"V"))
        if outcome == "raised":
            raise value
        return value

    def expect(self, kind: bytes) -> bytes:
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
            return RunError(f"{self.route}: native code crashed with {name} in its sandboxed child")
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


# A loop's configuration as the child reads it: n, shape code, calls per round, fresh, expect, and the generator's
# state (the next input's and the last input's).
_CONFIG = struct.Struct("<qqqqqQQ")
# A round's answer: wrong outputs, nanoseconds of the kernel's calls alone, and the generator's state after it.
_ROUND = struct.Struct("<qqQQ")


class NativeRunner:
    """One timing loop in a NativeChild: per round, `repeat` fresh inputs made, the kernel called once on each
    (timed), every output checked.

    `round()` asks the child for a round and waits; the child answers with the time of the calls and the count
    of wrong outputs. `clock()` is the sum of those times: a timer that excludes the pipe, the making of inputs
    and the checks, for pytest-benchmark.
    """

    def __init__(self, child: NativeChild, n: int, shape: str, repeat: int, *, seed: int, fresh_inputs: bool,
                 expect: int) -> None:
        self.child, self.route, self.n, self.shape, self.repeat = child, child.route, n, shape, repeat
        self.places, self.reason = child.places, child.reason
        self.rounds: list[tuple[int | None, float]] = []  # (offset, seconds) per round, warm-up included
        self.calls = self.bad = 0
        self._elapsed = 0.0
        self.fresh_inputs, self.expect = fresh_inputs, expect
        self.state = (fresh.seed_state(seed, n, shape),) * 2
        self.shaped = shaped.supported(child.interface)  # the round of targets.shaped: results checked here
        self.last_result = 0
        self._activate()

    def _activate(self) -> None:
        """Make this loop the child's current one: several loops of a build may take turns (interleaved)."""
        if self.child.active is not self:
            self.child.send(b"C" + _CONFIG.pack(self.n, fresh.SHAPE_CODES[self.shape], self.repeat,
                                                int(self.fresh_inputs), self.expect, *self.state))
            self.child.expect(b"K")
            self.child.active = self

    def describe(self) -> dict[str, Any]:
        return {"policy": "swept" if self.reason == "swept" else "in place", "reason": self.reason,
                "offsets": [p.offset for p in self.places if p.offset is not None]}

    def round(self) -> None:
        index = len(self.rounds) % len(self.places)
        self._activate()
        self.child.send(b"R" + bytes([index]))
        before = self.state[0]
        payload = self.child.expect(b"D")
        bad, nanoseconds, *state = _ROUND.unpack_from(payload)
        self.state = tuple(state)
        if self.shaped:  # every call's result against the reference, on the round's inputs made again
            results = payload[_ROUND.size:]
            bad += shaped.check_results(self.child.interface, self.n, before, self.repeat, self.fresh_inputs, results)
            self.last_result = shaped.last_result(results)
        seconds = nanoseconds * 1e-9
        self.rounds.append((self.places[index].offset, seconds))
        self._elapsed += seconds
        self.calls += self.repeat
        self.bad += bad

    def clock(self) -> float:
        return self._elapsed

    def outcome(self) -> fresh.LoopOutcome:
        if self.child.active is not self:  # the work array holds another loop's output
            raise RuntimeError(f"{self.route}: the outcome of a loop is asked after another loop of the build ran")
        if self.shaped and not self.calls:
            return fresh.LoopOutcome(0, 0, [], [])
        self.child.send(b"O")
        payload = self.child.expect(b"O")
        (last_state,) = struct.unpack_from("<Q", payload)
        if self.shaped:  # the last call's record, as the round left it
            last_input, last_output = shaped.last_call(self.child.interface, self.n, last_state, self.last_result,
                                                       payload[8:])
            return fresh.LoopOutcome(self.calls, self.bad, last_input, last_output)
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


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:  # a pipe takes a large write in parts
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = os.read(fd, count - len(data))
        if not chunk:
            break
        data += chunk
    return data


# Pool mapped before the filter closes, in int32: a round's chunk of inputs never needs more (targets.fresh),
# except for a single input longer than that.
_PREMAPPED_N = fresh.POOL_BYTES // 4


def _serve(built: Any, module: Any, places: Sequence[Any], commands: int, results: int) -> None:
    """The child's side of NativeChild: load, close the filter, then answer requests until told to stop."""
    ffi, lib = module.ffi, module.lib
    built.enter_child()
    interface = getattr(built, "interface", DEFAULT_INTERFACE)
    is_shaped = shaped.supported(interface)
    kernel_type = (shaped.kernel_c_type if is_shaped else fresh.kernel_c_type)(interface)
    kernels = [ffi.cast(kernel_type, p.address or built.entry_address()) for p in places]
    buffer = GuardedBuffer()
    buffer.work(_PREMAPPED_N)
    state = ffi.new("uint64_t[2]")
    nanoseconds = ffi.new("int64_t *")
    play = lib.arena_round
    n = shape = repeat = fresh_inputs = expect = capacity = work_bytes = 0
    pool = work = calls_results = ffi.NULL
    sandbox.enter(results, commands, lib.arena_trap_to)
    os.write(results, _frame(b"K"))
    while True:
        kind = os.read(commands, 1)
        if not kind or kind == b"Q":
            return
        if kind == b"C":
            n, shape, repeat, fresh_inputs, expect, state[0], state[1] = \
                _CONFIG.unpack(_read_exactly(commands, _CONFIG.size))
            if is_shaped:
                capacity = shaped.capacity(interface, n, repeat)
                record = shaped.offsets(interface, n)[1]
                pool = ffi.cast("char *", buffer.work(-(-capacity * record // 4)))
                work, work_bytes = pool + (capacity - 1) * record, record  # the record of every round's last call
                calls_results = ffi.new("int64_t[]", shaped.SLOTS * max(repeat, 1))
            else:
                capacity = fresh.pool_capacity(n, repeat)
                pool = ffi.cast("int32_t *", buffer.work(capacity * n))  # flush against the guard page above it
                work = pool + (capacity - 1) * n  # where every round's last call sorts
                work_bytes = 4 * n
            os.write(results, _frame(b"K"))
        elif kind == b"O":
            output = bytes(ffi.buffer(work, work_bytes))
            os.write(results, _frame(b"O", struct.pack("<Q", state[1]) + output))
        elif kind == b"V":  # one guarded call on given values, as a check makes it
            (count,) = struct.unpack("<q", _read_exactly(commands, 8))
            values = pickle.loads(_read_exactly(commands, count))
            try:
                answer: tuple[str, Any] = ("ok", built.call(values))
            except Exception as exc:  # a wrong output is the caller's to judge; an out-of-bounds write is raised
                answer = ("raised", exc)
            _write_all(results, _frame(b"V", pickle.dumps(answer)))
        elif kind == b"R":
            kernel = kernels[_read_exactly(commands, 1)[0]]
            nanoseconds[0] = 0
            if is_shaped:
                bad = lib.arena_shaped_round(kernel, pool, capacity, n, repeat, fresh_inputs, state, state + 1,
                                             nanoseconds, calls_results)
                answers = bytes(ffi.buffer(calls_results, shaped.results_bytes(repeat)))
            else:
                bad = play(kernel, pool, capacity, n, repeat, shape, expect, fresh_inputs, state, state + 1,
                           nanoseconds)
                answers = b""
            _write_all(results, _frame(b"D", _ROUND.pack(bad, nanoseconds[0], state[0], state[1]) + answers))

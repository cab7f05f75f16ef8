"""The sandboxed child every native build's code runs in, and the driver it runs.

The child (a targets.native.isolate.ForkedChild, the one mechanism checks use as well) loads the build's code,
its placed copies and the driver (targets.fresh's loop, targets.shaped's for a kernel of any
other shape), then the system-call filter, and only then answers requests over a pipe: configure a timing
loop, run one round (timed inside the child by its own clock), report the last input and output, make one
guarded call. targets.native.runner decides what to place where and forks one such child per build.
"""
from __future__ import annotations

import pickle
import struct
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from typing import Any

from kernels.interface import Interface, Outcome
from targets import fresh, shaped
from targets.base import DEFAULT_INTERFACE, RunError
from targets.native.cffi_build import compile_cffi
from targets.native.isolate import ChildDied, ForkedChild, variant_failure
from targets.native.memory import GuardedBuffer

# Longest one timing round may take in the child before it is taken for a hang.
ROUND_SECONDS = 60.0

# How the driver is compiled, here and beside the standalone fidelity program.
DRIVER_FLAGS = ("-O2",)


# The driver every native route's timing shares: targets.fresh's loop.
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
    module, _ = compile_cffi(source, cdef, "gcc", DRIVER_FLAGS, what="the native timing driver")
    return module


class NativeChild(ForkedChild):
    """A build's sandboxed ForkedChild that runs its timing loops, a round per request, and times each round's
    calls itself.

    It loads the build's code, its placed copies and the driver, closes the filter, and then answers: `C`
    (configure a loop: n, shape, calls per round, generator state, fresh or repeated inputs, what to check),
    `R` (run one round with the copy at an index, on one of its POOL_PLACES pools), `O` (the last input's state
    and output) and `V` (one guarded call on given values). A child the variant's code ended raises that
    variant's RunError, worded as a check words it (targets.native.isolate.variant_failure).
    """

    def __init__(self, built: Any, offsets: Sequence[int]) -> None:  # a targets.native.runner.NativeKernel
        self.route, self.offsets = built.route, tuple(offsets)
        self.interface: Interface = getattr(built, "interface", DEFAULT_INTERFACE)
        self.places, self.reason = built.placed(offsets)
        self.active: NativeRunner | None = None  # the loop the child is configured for
        module = driver(getattr(built, "interface", None))
        with self._verdicts():
            super().__init__(lambda: _TimingAnswers(built, module, self.places), timeout=ROUND_SECONDS,
                             sandboxed=True)

    def ask(self, kind: bytes, payload: bytes = b"") -> bytes:
        with self._verdicts():
            return self.request(kind, payload)

    @contextmanager
    def _verdicts(self) -> Iterator[None]:
        try:
            yield
        except ChildDied as died:
            raise variant_failure(self.route, died) from None
        except Exception as exc:  # the child's own failure, not the variant's
            raise RunError(f"{self.route}: the timing child failed: {type(exc).__name__}: {exc}") from None

    def call(self, values: Any) -> Outcome:
        """The build's `call(values)` (one guarded call), made in this child: its outcome, or what it raised."""
        outcome, value = pickle.loads(self.ask(b"V", pickle.dumps(values)))
        if outcome == "raised":
            raise value
        return value


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
            self.child.ask(b"C", _CONFIG.pack(self.n, fresh.SHAPE_CODES[self.shape], self.repeat,
                                              int(self.fresh_inputs), self.expect, *self.state))
            self.child.active = self

    def describe(self) -> dict[str, Any]:
        return {"policy": "swept" if self.reason == "swept" else "in place", "reason": self.reason,
                "offsets": [p.offset for p in self.places if p.offset is not None]}

    def round(self) -> None:
        index = len(self.rounds) % len(self.places)
        self._activate()
        before = self.state[0]
        payload = self.child.ask(b"R", bytes([index, len(self.rounds) % POOL_PLACES]))
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
        payload = self.child.ask(b"O")
        (last_state,) = struct.unpack_from("<Q", payload)
        if self.shaped:  # the last call's record, as the round left it
            last_input, last_output = shaped.last_call(self.child.interface, self.n, last_state, self.last_result,
                                                       payload[8:])
            return fresh.LoopOutcome(self.calls, self.bad, last_input, last_output)
        output = array("i")
        output.frombytes(payload[8:])
        last_input, _ = fresh.fill(self.shape, self.n, last_state) if self.calls else ([], 0)
        return fresh.LoopOutcome(self.calls, self.bad, last_input, output.tolist())


def per_offset_median(rounds: Sequence[tuple[int | None, float]]) -> dict[str, float]:
    """Median seconds per round at each placement offset, of (offset, seconds) rounds (NativeRunner.rounds)."""
    by_offset: dict[str, list[float]] = {}
    for offset, seconds in rounds:
        by_offset.setdefault(str(offset), []).append(seconds)
    return {k: sorted(v)[len(v) // 2] for k, v in by_offset.items()}


# Pool mapped before the filter closes, in int32: a round's chunk of inputs never needs more (targets.fresh),
# except for a single input longer than that.
_PREMAPPED_N = fresh.POOL_BYTES // 4
# Pools a child keeps, each in a mapping of its own, taken in turn one per round. Where an input pool lands in
# physical memory decides which second-level cache sets it fills, and so moves a short kernel's time from one
# process to the next: with several pools, one process's rounds hold several such draws, and its
# lower quartile leans on the better ones, as a rerun's would. Three, so that with the four code placements taken
# in turn every pairing of the two comes up.
POOL_PLACES = 3


class _TimingAnswers:
    """The child's side of NativeChild: made before the filter closes (the build's code, its copies, the driver's
    loops, buffers), then called with each request."""

    def __init__(self, built: Any, module: Any, places: Sequence[Any]) -> None:
        self.built, self.ffi, self.lib = built, module.ffi, module.lib
        built.prepare_child()
        self.interface = getattr(built, "interface", DEFAULT_INTERFACE)
        self.is_shaped = shaped.supported(self.interface)
        kernel_type = (shaped.kernel_c_type if self.is_shaped else fresh.kernel_c_type)(self.interface)
        self.kernels = [self.ffi.cast(kernel_type, p.address or built.entry_address()) for p in places]
        self.buffers = [GuardedBuffer() for _ in range(POOL_PLACES)]
        for buffer in self.buffers:
            buffer.work(_PREMAPPED_N)
        self.state = self.ffi.new("uint64_t[2]")
        self.nanoseconds = self.ffi.new("int64_t *")
        self.n = self.shape = self.repeat = self.fresh_inputs = self.expect = self.capacity = self.work_bytes = 0
        self.pools: list[Any] = []
        self.works: list[Any] = []
        self.last_pool = 0
        self.calls_results = self.ffi.NULL

    def __call__(self, kind: bytes, payload: bytes) -> bytes:
        ffi, lib, state = self.ffi, self.lib, self.state
        if kind == b"C":
            self.n, self.shape, self.repeat, self.fresh_inputs, self.expect, state[0], state[1] = \
                _CONFIG.unpack(payload)
            if self.is_shaped:
                self.capacity = shaped.capacity(self.interface, self.n, self.repeat)
                record = shaped.offsets(self.interface, self.n)[1]
                self.pools = [ffi.cast("char *", b.work(-(-self.capacity * record // 4))) for b in self.buffers]
                # the record of every round's last call
                self.works, self.work_bytes = [pool + (self.capacity - 1) * record for pool in self.pools], record
                self.calls_results = ffi.new("int64_t[]", shaped.SLOTS * max(self.repeat, 1))
            else:
                self.capacity = fresh.pool_capacity(self.n, self.repeat)
                # flush against the guard page above it
                self.pools = [ffi.cast("int32_t *", b.work(self.capacity * self.n)) for b in self.buffers]
                # where every round's last call sorts
                self.works = [pool + (self.capacity - 1) * self.n for pool in self.pools]
                self.work_bytes = 4 * self.n
            return b""
        if kind == b"O":  # the work array of the pool the last round used
            return struct.pack("<Q", state[1]) + bytes(ffi.buffer(self.works[self.last_pool], self.work_bytes))
        if kind == b"V":  # one guarded call on given values, as a check makes it
            try:
                answer: tuple[str, Any] = ("ok", self.built.call(pickle.loads(payload)))
            except Exception as exc:  # a wrong output is the caller's to judge; an out-of-bounds write is raised
                answer = ("raised", exc)
            return pickle.dumps(answer)
        if kind == b"R":  # with the code placement and the pool to use
            kernel = self.kernels[payload[0]]
            self.last_pool = payload[1]
            pool = self.pools[self.last_pool]
            self.nanoseconds[0] = 0
            if self.is_shaped:
                bad = lib.arena_shaped_round(kernel, pool, self.capacity, self.n, self.repeat, self.fresh_inputs,
                                             state, state + 1, self.nanoseconds, self.calls_results)
                answers = bytes(ffi.buffer(self.calls_results, shaped.results_bytes(self.repeat)))
            else:
                bad = lib.arena_round(kernel, pool, self.capacity, self.n, self.repeat, self.shape, self.expect,
                                      self.fresh_inputs, state, state + 1, self.nanoseconds)
                answers = b""
            return _ROUND.pack(bad, self.nanoseconds[0], state[0], state[1]) + answers
        raise ValueError(f"no such request: {kind!r}")

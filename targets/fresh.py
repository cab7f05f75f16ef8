"""Fresh inputs made inside the target, and a timed window that holds only the kernel's calls.

A timing loop that sorts the same array on every call rewards a variant that
remembers its last answers. So every timed call gets an input no call has
seen before, made inside the target by the loop itself: a splitmix64 stream
that never repeats within a run, shaped as the workload asks.

One round of a timing loop has three phases, and only the middle one is timed:
it makes a pool of `repeat` inputs (the stream goes on from round to round, so
no input comes twice in a run), calls the kernel once on each pool entry with
the target's own clock read before and after the calls alone, and then checks
every output. A round whose pool would pass POOL_BYTES runs in chunks, each
made, timed and checked in turn, so a pool's memory is bounded and stays near
the core that uses it.

The same generator exists in three places that must agree bit for bit: the
Python reference here (to rebuild any call's input and check its output), the
C text below (native drivers) and the WAT text in targets.wasm.driver_wat (wasm
drivers). A test runs all three from the same state and compares.

The check of one output is its fingerprint (a sum of mixed values, equal for
every permutation of the input) against its input's, and, for a sort, its
order. Each input's fingerprint is taken as the input is made: making every
input a second time to check it was much of a round of a cheap kernel.
Where it is kept differs by what the kernel can reach. The C driver keeps one
per input on the round's own stack frame, apart from the pool (native code
that writes beyond its array could reach the generator's state as easily). A
wasm kernel can write anywhere in its memory but not in the driver's locals,
so the WAT driver keeps only a sum there, each input's fingerprint weighted by
an odd number of its own, and compares it with the outputs' sum weighted alike;
only where they differ does it make each input again to count the wrong calls.
A variant that answers correctly only when checked, and not when timed, is
counted on every timed call it gets wrong.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kernels.interface import Array, Interface, array_and_length

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
# The workload shapes every benchmark is run on, and the seed every generated input starts from:
# defined here, once, for the drivers, the correctness inputs and the benchmark workloads alike.
SHAPES = ("random", "sorted", "reversed", "few-unique")
SEED = 20261122
SHAPE_CODES = {name: code for code, name in enumerate(SHAPES)}
# What the loop checks after each call: the output is the input sorted ascending, or the input unchanged.
EXPECT_SORTED, EXPECT_SAME = 0, 1
# Most bytes of inputs one chunk of a round makes before its timed calls: small enough to stay in a core's
# second-level cache (256 KiB to 2 MiB on current x86-64 cores), as the input of a kernel's real caller would,
# and a small share of it. That cache is indexed by physical address: a pool filling much of it lands on its
# sets by where the pool's pages happen to fall in physical memory, so one child process's pool overfills some
# sets and the next one's does not, and the same build's time moves from one process to the next by that draw.
POOL_BYTES = 1 << 17


def pool_capacity(n: int, repeat: int) -> int:
    """Inputs of length n in one chunk of a round of `repeat` calls: all of them, or as many as POOL_BYTES holds."""
    return max(1, min(repeat, POOL_BYTES // (4 * max(n, 1))))


def seed_state(seed: int, n: int, shape: str) -> int:
    """The generator's starting state for one benchmark, different for every (seed, n, shape)."""
    return (seed * 0x100000001B3 + n * 0x1F3 + SHAPE_CODES[shape] * 0x3B) & MASK64


def _next(state: int) -> tuple[int, int]:
    state = (state + GOLDEN) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31), state


def _int32(u: int) -> int:
    return u - (1 << 32) if u >= 1 << 31 else u


def fill(shape: str, n: int, state: int) -> tuple[list[int], int]:
    """One input of `shape` and length n from `state`, and the state after it (the C and WAT drivers' rule)."""
    out = [0] * n
    if shape == "random":
        for i in range(n):
            z, state = _next(state)
            out[i] = _int32(z >> 32)
    elif shape in ("sorted", "reversed"):
        # Ascending by random steps from a random start: fresh values every call, never past INT32_MAX.
        z, state = _next(state)
        value = INT32_MIN + (z >> 44)
        span = 0xFFE00000 // (n or 1)
        for i in range(n):
            z, state = _next(state)
            out[i if shape == "sorted" else n - 1 - i] = value
            value += (z >> 32) % (span or 1)
    elif shape == "few-unique":
        pool = []
        for _ in range(4):
            z, state = _next(state)
            pool.append(_int32(z >> 32))
        for i in range(n):
            z, state = _next(state)
            out[i] = pool[z >> 62]
    else:
        raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")
    return out, state


def fingerprint(values: Sequence[int]) -> int:
    """Equal for every permutation of `values`; what the drivers compare before and after each call."""
    total = 0
    for v in values:
        m = ((v & 0xFFFFFFFF) * GOLDEN) & MASK64
        total = (total + (m ^ (m >> 32))) & MASK64
    return total


# The generator and the round in C, for the native drivers. `kernel` is called through a pointer, so it cannot
# be inlined into the loop, and every route pays the same call.
C_SOURCE = r"""
#include <stddef.h>
#include <stdint.h>
#include <time.h>

static inline uint64_t arena_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t arena_mix(int32_t v)
{
    uint64_t m = (uint64_t)(uint32_t)v * 0x9E3779B97F4A7C15ull;
    return m ^ (m >> 32);
}

/* One input of `shape` into a[0..n) (only its fingerprint when a is NULL); returns its fingerprint. Static, so
   the round below inlines it for each use; the state is kept in a local while it runs, so the compiler need not
   store it after every step in case the array's stores reach it. */
static inline uint64_t arena_fill_in(int shape, int32_t *a, size_t n, uint64_t *state)
{
    uint64_t h = 0, local = *state, *s = &local;
    if (shape == 0) {
        for (size_t i = 0; i < n; i++) {
            int32_t v = (int32_t)(uint32_t)(arena_next(s) >> 32);
            if (a) a[i] = v;
            h += arena_mix(v);
        }
    } else if (shape == 1 || shape == 2) {
        int64_t value = INT32_MIN + (int64_t)(arena_next(s) >> 44);
        uint64_t span = 0xFFE00000ull / (n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            uint64_t z = arena_next(s);
            if (a) a[shape == 1 ? i : n - 1 - i] = (int32_t)value;
            h += arena_mix((int32_t)value);
            value += (int64_t)((z >> 32) % (span ? span : 1));
        }
    } else {
        int32_t pool[4];
        for (int k = 0; k < 4; k++) pool[k] = (int32_t)(uint32_t)(arena_next(s) >> 32);
        for (size_t i = 0; i < n; i++) {
            int32_t v = pool[arena_next(s) >> 62];
            if (a) a[i] = v;
            h += arena_mix(v);
        }
    }
    *state = local;
    return h;
}

uint64_t arena_fill(int shape, int32_t *a, size_t n, uint64_t *s)
{
    return arena_fill_in(shape, a, n, s);
}

static int64_t arena_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t); /* through the vDSO: no system call, and allowed by the filter anyway */
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* One round of `repeat` calls, in chunks of at most `capacity` inputs of n int32 in `pool` (the last `count`
   entries, so the last call's array is always the pool's last, flush against what follows): make the chunk's
   inputs, each with its fingerprint (kept on this frame's stack, apart from the pool), time the kernel's calls on
   them and nothing else, then check every output against its input's fingerprint. With fresh == 0 every input is
   the one made from the state at entry. Returns how many calls left a wrong output; adds the calls' nanoseconds
   to *nanoseconds; *last holds the state the last input was made from. */
int64_t arena_round(void (*kernel)(int32_t *, size_t), int32_t *pool, size_t capacity, size_t n, size_t repeat,
                    int shape, int expect, int fresh, uint64_t *state, uint64_t *last, int64_t *nanoseconds)
{
    int64_t bad = 0;
    uint64_t start = *state, prints[capacity ? capacity : 1];
    for (size_t done = 0; done < repeat;) {
        size_t count = repeat - done < capacity ? repeat - done : capacity;
        int32_t *first = pool + (capacity - count) * n;
        for (size_t k = 0; k < count; k++) {
            if (!fresh) *state = start;
            *last = *state;
            prints[k] = arena_fill_in(shape, first + k * n, n, state);
        }
        int64_t started = arena_now();
        size_t k = 0;
        int32_t *at = first;
        for (; k + 4 <= count; k += 4) { /* four calls a turn: less of the loop's own work per call */
            kernel(at, n); at += n;
            kernel(at, n); at += n;
            kernel(at, n); at += n;
            kernel(at, n); at += n;
        }
        for (; k < count; k++) {
            kernel(at, n); at += n;
        }
        *nanoseconds += arena_now() - started;
        for (size_t k = 0; k < count; k++) {
            uint64_t h = prints[k], g = 0;
            const int32_t *out = first + k * n;
            int order = 1;
            for (size_t i = 0; i < n; i++) {
                g += arena_mix(out[i]);
                order &= i == 0 || out[i - 1] <= out[i];
            }
            bad += g != h || (expect == 0 && !order);
        }
        done += count;
    }
    if (!fresh) *state = start;
    return bad;
}
"""
C_CDEF = """
uint64_t arena_fill(int shape, int32_t *a, size_t n, uint64_t *s);
int64_t arena_round(void (*kernel)(int32_t *, size_t), int32_t *pool, size_t capacity, size_t n, size_t repeat,
                    int shape, int expect, int fresh, uint64_t *state, uint64_t *last, int64_t *nanoseconds);
"""


class LoopOutcome:
    """What a timing loop saw: how many calls it made, how many left a wrong output, and the last call's input
    (rebuilt from the generator's state) and output, for the harness to check against the kernel's reference."""

    def __init__(self, calls: int, bad: int, last_input: list[int], last_output: list[int]) -> None:
        self.calls, self.bad, self.last_input, self.last_output = calls, bad, last_input, last_output

    def __repr__(self) -> str:
        return f"LoopOutcome(calls={self.calls}, bad={self.bad}, n={len(self.last_input)})"


# The drivers call the kernel through the type its interface declares: (a, n) for a kernel of any length, (a)
# alone for a fixed-length one. The C text above is written for (a, n); these generate the others from it (and
# targets.wasm.driver_wat's for the WAT text).
_ARRAY_AND_LENGTH = array_and_length("kernel", sorted)


def argument_list(interface: Interface, array: str, length: str) -> list[str]:
    """The kernel's arguments in order, as written in a driver: `array` for the array, `length` for its length."""
    return [array if isinstance(argument, Array) else length for argument in interface.arguments]


def kernel_c_type(interface: Interface) -> str:
    """The C function pointer type the native driver calls the kernel through: `void (*)(int32_t *, size_t)`."""
    return f"void (*)({', '.join(argument_list(interface, 'int32_t *', 'size_t'))})"


def _c_for(text: str, interface: Interface) -> str:
    return (text.replace("void (*kernel)(int32_t *, size_t)",
                         f"void (*kernel)({', '.join(argument_list(interface, 'int32_t *', 'size_t'))})")
            .replace("kernel(at, n);", f"kernel({', '.join(argument_list(interface, 'at', 'n'))});"))


def c_source(interface: Interface = _ARRAY_AND_LENGTH) -> str:
    """The native driver's C text for a kernel of this interface."""
    return _c_for(C_SOURCE, interface)


def c_cdef(interface: Interface = _ARRAY_AND_LENGTH) -> str:
    return _c_for(C_CDEF, interface)


def signed64(value: int) -> int:
    """A generator state as the signed i64 with the same bits, the form wasm hosts pass across."""
    value &= MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


def output_ok(input_fingerprint: int, output: Sequence[int], expect: int) -> bool:
    """The drivers' check of one call, in Python: same fingerprint as the input, and in order for a sort."""
    ordered = expect != EXPECT_SORTED or all(a <= b for a, b in zip(output, output[1:]))
    return ordered and fingerprint(output) == input_fingerprint


def outcome(shape: str, n: int, calls: int, bad: int, last_state: int, last_output: list[int]) -> LoopOutcome:
    """A LoopOutcome whose last input is rebuilt from the state it was made from."""
    return LoopOutcome(calls, bad, fill(shape, n, last_state & MASK64)[0], last_output)


def mix64(z: np.ndarray) -> np.ndarray:
    """splitmix64's output function, in place, on uint64 values (wrapping as the C does)."""
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def splitmix_outputs(state: int, count: int) -> np.ndarray:
    """The generator's next `count` outputs from `state`, as uint64 (vectorized: splitmix64 is counter-based, so
    step k is a function of state + k * GOLDEN alone); the state after them is (state + count * GOLDEN) mod 2**64."""
    z = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z *= np.uint64(GOLDEN)
        z += np.uint64(state & MASK64)
    return mix64(z)


def typed_arrays(interface: Interface, n: int, z: np.ndarray) -> list[np.ndarray]:
    """Per array argument (a fixed-length one at its own length, the others at n), its elements from the generator
    outputs `z`, whose last axis holds a call's steps in argument order: the top bits of each step, in the
    array's element type."""
    arrays, at = [], 0
    for argument in interface.arrays:
        length, size = argument.length if argument.length is not None else n, argument.type.size
        top = (z[..., at:at + length] >> np.uint64(64 - 8 * size)).astype(np.dtype(f"u{size}"))
        arrays.append(top.view(np.dtype(f"i{size}")) if argument.type.low < 0 else top)
        at += length
    return arrays


def fill_arrays(interface: Interface, n: int, state: int) -> tuple[Any, int]:
    """One random input of every array argument from `state` (typed_arrays), and the state after it. An input as
    kernels.interface.Interface takes it: the list for a kernel of one array, else a tuple of lists."""
    steps = sum(a.length if a.length is not None else n for a in interface.arrays)
    arrays = [a.tolist() for a in typed_arrays(interface, n, splitmix_outputs(state, steps))]
    return (arrays[0] if len(arrays) == 1 else tuple(arrays)), (state + steps * GOLDEN) & MASK64


class ReferenceLoop:
    """The timing loop for routes called from Python once per kernel call (the emulators), in the drivers' three
    phases: a pool of inputs made by the Python reference (the same inputs the in-target drivers make), the calls
    alone timed by `clock`, then every output checked as the drivers check it."""

    def __init__(self, call: Callable[[Any], Any], n: int, shape: str, *, seed: int, fresh: bool,
                 expect: int, interface: Interface | None = None) -> None:
        """`call` runs one input: a sort's `run` (the array back), or, with the `interface` of a kernel of another
        shape, its `call` (an Outcome, compared with the interface's expected one; its inputs are random)."""
        self.call, self.n, self.shape, self.fresh, self.expect = call, n, shape, fresh, expect
        self.interface = interface if interface is not None and not interface.is_sort_shaped else None
        self.last_input: Any = []
        self.start = self.state = seed_state(seed, n, shape)
        self.calls = self.bad = 0
        self.last_state = self.start
        self.last_output: Any = []
        self._elapsed = 0.0

    def run(self, repeat: int) -> None:
        pool = []
        for _ in range(repeat):
            if not self.fresh:
                self.state = self.start
            self.last_state = self.state
            if self.interface is not None:
                values, self.state = fill_arrays(self.interface, self.n, self.state)
            else:
                values, self.state = fill(self.shape, self.n, self.state)
            pool.append(values)
        if not self.fresh:
            self.state = self.start
        started = time.perf_counter()
        outputs = [self.call(values) for values in pool]
        self._elapsed += time.perf_counter() - started
        for values, output in zip(pool, outputs):
            if self.interface is not None:
                self.bad += output != self.interface.expected(values)
            else:
                self.bad += not output_ok(fingerprint(values), output, self.expect)
        self.calls += repeat
        if outputs:
            self.last_input, self.last_output = pool[-1], outputs[-1]

    def clock(self) -> float:
        """Seconds spent in the calls so far: what a Built's `loop_clock` gives for this loop."""
        return self._elapsed

    def outcome(self) -> LoopOutcome:
        if self.interface is not None:  # the last input as made: an Outcome is what the last call left
            return LoopOutcome(self.calls, self.bad, self.last_input, self.last_output)
        return outcome(self.shape, self.n, self.calls, self.bad, self.last_state, self.last_output)

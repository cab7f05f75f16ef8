"""Fresh inputs inside the target: one generator, written once per language the timing drivers use.

A timing loop that sorts the same array on every call rewards a variant that
remembers its last answers. So every timed call gets an input no call has
seen before, made inside the target by the loop itself: a splitmix64 stream
that never repeats within a run, shaped as the workload asks. Making the input
costs time on every route alike; the no-op kernel's rows measure it.

The same generator exists in three places that must agree bit for bit: the
Python reference here (to rebuild any call's input and check its output), the
C text below (native drivers) and the WAT text (wasm drivers). A test runs all
three from the same state and compares.

Each call's output is checked inside the loop as it runs: its fingerprint (a
sum of mixed values, equal for every permutation of the input) and, for a
sort, its order. A variant that answers correctly only when checked, and not
when timed, is caught on the first timed call it gets wrong.
"""
from __future__ import annotations

from collections.abc import Sequence

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


# The generator and the checking loop in C, for the native drivers. `kernel` is called through a pointer, so
# it cannot be inlined into the loop, and every route pays the same fill, call and check.
C_SOURCE = r"""
#include <stddef.h>
#include <stdint.h>

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

/* One input of `shape` into a[0..n); returns its fingerprint. */
uint64_t arena_fill(int shape, int32_t *a, size_t n, uint64_t *s)
{
    uint64_t h = 0;
    if (shape == 0) {
        for (size_t i = 0; i < n; i++) { a[i] = (int32_t)(uint32_t)(arena_next(s) >> 32); h += arena_mix(a[i]); }
    } else if (shape == 1 || shape == 2) {
        int64_t value = INT32_MIN + (int64_t)(arena_next(s) >> 44);
        uint64_t span = 0xFFE00000ull / (n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            uint64_t z = arena_next(s);
            size_t at = shape == 1 ? i : n - 1 - i;
            a[at] = (int32_t)value;
            h += arena_mix(a[at]);
            value += (int64_t)((z >> 32) % (span ? span : 1));
        }
    } else {
        int32_t pool[4];
        for (int k = 0; k < 4; k++) pool[k] = (int32_t)(uint32_t)(arena_next(s) >> 32);
        for (size_t i = 0; i < n; i++) { a[i] = pool[arena_next(s) >> 62]; h += arena_mix(a[i]); }
    }
    return h;
}

/* `repeat` x (fresh input; kernel; check). With fresh == 0 every call gets the same input, made the same way.
   Returns how many calls left a wrong output; *last holds the state the last input was made from. */
int64_t arena_drive(void (*kernel)(int32_t *, size_t), int32_t *work, size_t n, size_t repeat, int shape,
                    int expect, int fresh, uint64_t *state, uint64_t *last)
{
    int64_t bad = 0;
    uint64_t start = *state;
    for (size_t r = 0; r < repeat; r++) {
        if (!fresh) *state = start;
        *last = *state;
        uint64_t h = arena_fill(shape, work, n, state);
        kernel(work, n);
        uint64_t g = 0;
        int order = 1;
        for (size_t i = 0; i < n; i++) {
            g += arena_mix(work[i]);
            order &= i == 0 || work[i - 1] <= work[i];
        }
        bad += g != h || (expect == 0 && !order);
    }
    if (!fresh) *state = start;
    return bad;
}
"""
C_CDEF = """
uint64_t arena_fill(int shape, int32_t *a, size_t n, uint64_t *s);
int64_t arena_drive(void (*kernel)(int32_t *, size_t), int32_t *work, size_t n, size_t repeat, int shape,
                    int expect, int fresh, uint64_t *state, uint64_t *last);
"""


class LoopOutcome:
    """What a timing loop saw: how many calls it made, how many left a wrong output, and the last call's input
    (rebuilt from the generator's state) and output, for the harness to check against the kernel's reference."""

    def __init__(self, calls: int, bad: int, last_input: list[int], last_output: list[int]) -> None:
        self.calls, self.bad, self.last_input, self.last_output = calls, bad, last_input, last_output

    def __repr__(self) -> str:
        return f"LoopOutcome(calls={self.calls}, bad={self.bad}, n={len(self.last_input)})"

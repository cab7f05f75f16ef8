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

from collections.abc import Callable, Sequence
from functools import cache

from kernels.interface import Int32Array, Interface, array_and_length

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


# The generator and the checking loop in WAT: the driver module of the wasm routes (wasmtime and V8 alike). It
# imports the kernel's memory and entry, so the kernel is called wasm to wasm, never through the host. The
# generator's state lives in the driver's globals, where the kernel cannot reach it: `state` (the next input's)
# and `last` (the last input's), both as the C text keeps them. `drive` returns how many calls left a wrong output.
# The splitmix64 step (@NEXT, into $z) and the mixing of one value into a fingerprint (@MIX_H, @MIX_G) are
# written out where they are used, on a local copy of the state: Cranelift does not inline calls, and a call
# per element with the state in a global cost more than the generator's arithmetic.
_WAT_NEXT = r"""
      (local.set $s (i64.add (local.get $s) (i64.const 0x9E3779B97F4A7C15)))
      (local.set $z (i64.mul (i64.xor (local.get $s) (i64.shr_u (local.get $s) (i64.const 30)))
                             (i64.const 0xBF58476D1CE4E5B9)))
      (local.set $z (i64.mul (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 27)))
                             (i64.const 0x94D049BB133111EB)))
      (local.set $z (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 31))))"""
_WAT_MIX = r"""
      (local.set $m (i64.mul (i64.extend_i32_u (local.get $v)) (i64.const 0x9E3779B97F4A7C15)))
      (local.set $ACC (i64.add (local.get $ACC) (i64.xor (local.get $m) (i64.shr_u (local.get $m) (i64.const 32)))))"""
_WAT_TEMPLATE = r"""
(module
  (import "kernel" "memory" (memory 0))
  (import "kernel" "entry" (func $kernel (param i32 i32)))
  (global $state (export "state") (mut i64) (i64.const 0))
  (global $last (export "last") (mut i64) (i64.const 0))

  ;; One input of $shape into n int32 at byte address $a; returns its fingerprint.
  (func $fill (export "fill") (param $shape i32) (param $a i32) (param $n i32) (result i64)
    (local $s i64) (local $z i64) (local $m i64) (local $h i64) (local $value i64) (local $span i64)
    (local $i i32) (local $v i32) (local $at i32) (local $k i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local.set $s (global.get $state))
    (block $filled
      (if (i32.eqz (local.get $shape))
        (then
          (block $done
            (loop $each
              (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
              @NEXT
              (local.set $v (i32.wrap_i64 (i64.shr_u (local.get $z) (i64.const 32))))
              (i32.store (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))) (local.get $v))
              @MIX_H
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $each)))
          (br $filled)))
      (if (i32.le_u (local.get $shape) (i32.const 2))
        (then
          ;; sorted (1) or reversed (2): ascending by random steps from a random start.
          @NEXT
          (local.set $value (i64.add (i64.const -2147483648) (i64.shr_u (local.get $z) (i64.const 44))))
          (local.set $span (i64.div_u (i64.const 0xFFE00000)
                                      (i64.extend_i32_u (select (local.get $n) (i32.const 1) (local.get $n)))))
          (local.set $span (select (local.get $span) (i64.const 1) (i64.ne (local.get $span) (i64.const 0))))
          (block $done
            (loop $each
              (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
              @NEXT
              (local.set $at (select (local.get $i)
                                     (i32.sub (i32.sub (local.get $n) (i32.const 1)) (local.get $i))
                                     (i32.eq (local.get $shape) (i32.const 1))))
              (local.set $v (i32.wrap_i64 (local.get $value)))
              (i32.store (i32.add (local.get $a) (i32.shl (local.get $at) (i32.const 2))) (local.get $v))
              @MIX_H
              (local.set $value (i64.add (local.get $value)
                                         (i64.rem_u (i64.shr_u (local.get $z) (i64.const 32)) (local.get $span))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $each)))
          (br $filled)))
      ;; few-unique (3): four random values, each element one of them.
      @NEXT
      (local.set $p0 (i32.wrap_i64 (i64.shr_u (local.get $z) (i64.const 32))))
      @NEXT
      (local.set $p1 (i32.wrap_i64 (i64.shr_u (local.get $z) (i64.const 32))))
      @NEXT
      (local.set $p2 (i32.wrap_i64 (i64.shr_u (local.get $z) (i64.const 32))))
      @NEXT
      (local.set $p3 (i32.wrap_i64 (i64.shr_u (local.get $z) (i64.const 32))))
      (block $done
        (loop $each
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          @NEXT
          (local.set $k (i32.wrap_i64 (i64.shr_u (local.get $z) (i64.const 62))))
          (local.set $v (select (select (local.get $p3) (local.get $p2) (i32.and (local.get $k) (i32.const 1)))
                                (select (local.get $p1) (local.get $p0) (i32.and (local.get $k) (i32.const 1)))
                                (i32.and (local.get $k) (i32.const 2))))
          (i32.store (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))) (local.get $v))
          @MIX_H
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $each))))
    (global.set $state (local.get $s))
    (local.get $h))

  ;; $repeat x (fresh input at $work; kernel; check), as arena_drive in the C text: with $fresh = 0 every call
  ;; gets the input made from the state at entry. Returns how many calls left a wrong output.
  (func (export "drive") (param $work i32) (param $n i32) (param $repeat i32) (param $shape i32)
                         (param $expect i32) (param $fresh i32) (result i32)
    (local $bad i32) (local $r i32) (local $i i32) (local $v i32) (local $prev i32) (local $order i32)
    (local $start i64) (local $h i64) (local $g i64) (local $m i64)
    (local.set $start (global.get $state))
    (block $finished
      (loop $again
        (br_if $finished (i32.ge_u (local.get $r) (local.get $repeat)))
        (if (i32.eqz (local.get $fresh)) (then (global.set $state (local.get $start))))
        (global.set $last (global.get $state))
        (local.set $h (call $fill (local.get $shape) (local.get $work) (local.get $n)))
        (call $kernel (local.get $work) (local.get $n))
        (local.set $g (i64.const 0))
        (local.set $order (i32.const 1))
        (local.set $prev (i32.const 0x80000000))
        (local.set $i (i32.const 0))
        (block $checked
          (loop $each
            (br_if $checked (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $v (i32.load (i32.add (local.get $work) (i32.shl (local.get $i) (i32.const 2)))))
            @MIX_G
            (local.set $order (i32.and (local.get $order) (i32.le_s (local.get $prev) (local.get $v))))
            (local.set $prev (local.get $v))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $each)))
        (local.set $bad (i32.add (local.get $bad)
          (i32.or (i64.ne (local.get $g) (local.get $h))
                  (i32.and (i32.eqz (local.get $expect)) (i32.eqz (local.get $order))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $again)))
    (if (i32.eqz (local.get $fresh)) (then (global.set $state (local.get $start))))
    (local.get $bad)))
"""
# The drivers call the kernel through the type its interface declares: (a, n) for a kernel of any length, (a)
# alone for a fixed-length one. The texts above are written for (a, n); these generate the others from them.
_ARRAY_AND_LENGTH = array_and_length("kernel", sorted)


def _arguments(interface: Interface, array: str, length: str) -> list[str]:
    return [array if isinstance(argument, Int32Array) else length for argument in interface.arguments]


def kernel_c_type(interface: Interface) -> str:
    """The C function pointer type the native driver calls the kernel through: `void (*)(int32_t *, size_t)`."""
    return f"void (*)({', '.join(_arguments(interface, 'int32_t *', 'size_t'))})"


def _c_for(text: str, interface: Interface) -> str:
    return (text.replace("void (*kernel)(int32_t *, size_t)",
                         f"void (*kernel)({', '.join(_arguments(interface, 'int32_t *', 'size_t'))})")
            .replace("kernel(work, n);", f"kernel({', '.join(_arguments(interface, 'work', 'n'))});"))


def c_source(interface: Interface = _ARRAY_AND_LENGTH) -> str:
    """The native driver's C text for a kernel of this interface."""
    return _c_for(C_SOURCE, interface)


def c_cdef(interface: Interface = _ARRAY_AND_LENGTH) -> str:
    return _c_for(C_CDEF, interface)


@cache
def _wat_driver(params: tuple[str, ...], call: str) -> str:
    return (
        _WAT_TEMPLATE.replace("@NEXT", _WAT_NEXT.strip())
        .replace("@MIX_H", _WAT_MIX.strip().replace("$ACC", "$h"))
        .replace("@MIX_G", _WAT_MIX.strip().replace("$ACC", "$g"))
        .replace("(func $kernel (param i32 i32))", f"(func $kernel (param {' '.join(params)}))")
        .replace("(call $kernel (local.get $work) (local.get $n))", f"(call $kernel {call})")
    )


def wat_driver(interface: Interface = _ARRAY_AND_LENGTH) -> str:
    """The wasm driver module's text for a kernel of this interface (its import type and its call)."""
    return _wat_driver(interface.wasm_params(), " ".join(_arguments(interface, "(local.get $work)", "(local.get $n)")))


WAT_DRIVER = wat_driver()


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


class ReferenceLoop:
    """The timing loop for routes called from Python once per kernel call (the emulators): inputs made by the
    Python reference, the same inputs the in-target drivers make, each output checked as they check it."""

    def __init__(self, call: Callable[[list[int]], list[int]], n: int, shape: str, *, seed: int, fresh: bool,
                 expect: int) -> None:
        self.call, self.n, self.shape, self.fresh, self.expect = call, n, shape, fresh, expect
        self.start = self.state = seed_state(seed, n, shape)
        self.calls = self.bad = 0
        self.last_state = self.start
        self.last_output: list[int] = []

    def run(self, repeat: int) -> None:
        for _ in range(repeat):
            if not self.fresh:
                self.state = self.start
            self.last_state = self.state
            values, self.state = fill(self.shape, self.n, self.state)
            self.last_output = self.call(values)
            self.calls += 1
            self.bad += not output_ok(fingerprint(values), self.last_output, self.expect)

    def outcome(self) -> LoopOutcome:
        return outcome(self.shape, self.n, self.calls, self.bad, self.last_state, self.last_output)

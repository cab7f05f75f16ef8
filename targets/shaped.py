"""In-target timing for a kernel of another shape than a sort's: arrays it only reads, and a scalar result.

The round has the three phases of targets.fresh's: a pool of inputs made
before the timed window (every array of every call from the same splitmix64
stream, each element the top bits of one step, in its element type: the rule
of targets.fresh.fill_arrays), the kernel's calls alone timed, then the checks.
Inside the window each call's result is stored to an int64 results array, the
one store a call's answer needs. After it the driver compares every input array
exactly with values made again from the generator's state, so a call that wrote
its input counts bad. The results go back to Python, which makes the round's
inputs again (vectorized: splitmix64 is counter-based, so step k of a stream is
a function of its start and k alone) and compares every call's result with the
kernel's reference: no second reference is written in C or WAT.

One call's arrays lie together in a record, each array at a 16-byte boundary
(the alignment a vector load of any element type may assume); a chunk's
records lie back to back.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from kernels.interface import Array, Interface, Outcome
from targets.fresh import GOLDEN, MASK64, POOL_BYTES, fill_arrays

_ALIGN = 16
_NUMPY = {"i8": np.int8, "u8": np.uint8, "i32": np.int32, "u32": np.uint32, "i64": np.int64}


def supported(interface: Interface) -> bool:
    """Whether this module's drivers time the kernel: it writes no array and returns a result."""
    return (not interface.is_sort_shaped and interface.result is not None
            and not any(a.written for a in interface.arrays))


def _length(array: Array, n: int) -> int:
    return array.length if array.length is not None else n


def offsets(interface: Interface, n: int) -> tuple[list[int], int]:
    """Each array's byte offset within one call's record, and the record's size."""
    at, out = 0, []
    for array in interface.arrays:
        out.append(at)
        at += -(-_length(array, n) * array.type.size // _ALIGN) * _ALIGN
    return out, max(at, _ALIGN)


def capacity(interface: Interface, n: int, repeat: int) -> int:
    """Records in one chunk of a round: all of them, or as many as targets.fresh.POOL_BYTES holds."""
    return max(1, min(repeat, POOL_BYTES // offsets(interface, n)[1]))


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's output function, in place."""
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def generate(interface: Interface, n: int, state: int, count: int, fresh: bool = True
             ) -> tuple[list[np.ndarray], int]:
    """The inputs of `count` calls from `state` (each from `state` again when not fresh): per array argument a
    (count, length) array of its element type, equal to targets.fresh.fill_arrays call after call; and the state
    after them."""
    lengths = [_length(a, n) for a in interface.arrays]
    steps = sum(lengths)
    calls = count if fresh else min(count, 1)
    z = np.arange(1, calls * steps + 1, dtype=np.uint64).reshape(calls, steps)
    with np.errstate(over="ignore"):
        z *= np.uint64(GOLDEN)
        z += np.uint64(state & MASK64)
        _mix(z)
    arrays, at = [], 0
    for array, length in zip(interface.arrays, lengths):
        bits = 8 * array.type.size
        top = z[:, at:at + length] >> np.uint64(64 - bits)
        unsigned = top.astype(np.dtype(f"u{array.type.size}"))
        values = unsigned.view(_NUMPY[array.element])
        arrays.append(values if fresh else np.repeat(values, count, axis=0))
        at += length
    after = (state + (calls * steps if fresh else 0) * GOLDEN) & MASK64
    return arrays, after


def expected_results(interface: Interface, arrays: list[np.ndarray]) -> np.ndarray:
    """The reference's result for every call (one row per array): the kernel's batch reference when it has one
    (tested equal to its reference), else its reference call by call."""
    batch = interface.batch_reference
    if batch is not None:
        return np.asarray(batch(*arrays), dtype=np.int64)
    count = arrays[0].shape[0]
    return np.array([int(interface.reference(*(a[k].tolist() for a in arrays))) for k in range(count)],
                    dtype=np.int64)


# The reference's results of the rounds checked last, by what determines them. Every member of a timed block
# starts from the same state and makes the same rounds, so a round's results are worked out once for all of them.
_EXPECTED: dict[tuple[Any, ...], np.ndarray] = {}
_EXPECTED_KEPT = 16


def round_results(interface: Interface, n: int, state: int, count: int, fresh: bool) -> np.ndarray:
    """The reference's result of each of the `count` calls of a round from `state`."""
    key = (interface.name, interface.arguments, interface.reference, n, state, count, fresh)
    if key not in _EXPECTED:
        if len(_EXPECTED) >= _EXPECTED_KEPT:
            del _EXPECTED[next(iter(_EXPECTED))]
        arrays, _ = generate(interface, n, state, count, fresh)
        _EXPECTED[key] = expected_results(interface, arrays)
    return _EXPECTED[key]


def check_results(interface: Interface, n: int, state: int, count: int, fresh: bool, results: bytes) -> int:
    """How many of the round's `count` calls from `state` returned another result than the reference's."""
    got = np.frombuffer(results, dtype=np.int64, count=count)
    return int(np.count_nonzero(got != round_results(interface, n, state, count, fresh)))


def last_call(interface: Interface, n: int, last_state: int, result: int) -> tuple[Any, Outcome]:
    """The last call's input, made again from its state, and what it left: its result and its arrays, which
    the driver found unchanged (a call that wrote one counted bad)."""
    values, _ = fill_arrays(interface, n, last_state & MASK64)
    return values, Outcome(result, interface.inputs(values))


# ---------------------------------------------------------------------------
# C

_C_TYPES = {1: "uint8_t", 4: "uint32_t", 8: "uint64_t"}
_C_RESULT = {"i32": "int32_t", "u32": "uint32_t", "i64": "int64_t"}


def kernel_c_type(interface: Interface) -> str:
    params = ", ".join("void *" if isinstance(a, Array) else "size_t" for a in interface.arguments)
    return f"{_C_RESULT[interface.result or 'i64']} (*)({params})"


def c_source(interface: Interface) -> str:
    """arena_shaped_fill and arena_shaped_round for this interface (arena_next and arena_now come from
    targets.fresh's C text, which precedes it)."""
    arrays = interface.arrays
    lines = ["static size_t arena_shaped_layout(size_t n, size_t *off)", "{", "    size_t at = 0;"]
    for i, a in enumerate(arrays):
        length = str(a.length) if a.length is not None else "n"
        lines.append(f"    off[{i}] = at; at += ({length} * {a.type.size} + {_ALIGN - 1}) / {_ALIGN} * {_ALIGN};")
    lines += [f"    return at ? at : {_ALIGN};", "}", ""]
    lines += ["/* One call's arrays into the record at `at`, or (compare != 0) whether the record differs from them. */",
              "static int arena_shaped_fill(char *at, size_t n, const size_t *off, uint64_t *s, int compare)",
              "{", "    int differ = 0;"]
    for i, a in enumerate(arrays):
        t, bits = _C_TYPES[a.type.size], 8 * a.type.size
        length = str(a.length) if a.length is not None else "n"
        lines += [f"    {{ {t} *p = ({t} *)(at + off[{i}]);",
                  f"      for (size_t i = 0; i < {length}; i++) {{",
                  f"          {t} v = ({t})(arena_next(s) >> {64 - bits});",
                  "          if (compare) differ |= p[i] != v; else p[i] = v;", "      } }"]
    lines += ["    return differ;", "}", ""]
    args = ", ".join(f"at + off[{arrays.index(a)}]" if isinstance(a, Array) else "n" for a in interface.arguments)
    call = f"*r++ = (int64_t)kernel({args}); at += record;"
    lines += [f"int64_t arena_shaped_round({kernel_c_type(interface).replace('(*)', '(*kernel)')}, char *pool,",
              "                           size_t capacity, size_t n, size_t repeat, int fresh, uint64_t *state,",
              "                           uint64_t *last, int64_t *nanoseconds, int64_t *results)",
              "{",
              f"    size_t off[{len(arrays)}], record = arena_shaped_layout(n, off);",
              "    int64_t bad = 0;",
              "    uint64_t start = *state;",
              "    for (size_t done = 0; done < repeat;) {",
              "        size_t count = repeat - done < capacity ? repeat - done : capacity;",
              "        char *first = pool + (capacity - count) * record, *at = first;",
              "        uint64_t made = *state;",
              "        for (size_t k = 0; k < count; k++) {",
              "            if (!fresh) *state = start;",
              "            *last = *state;",
              "            arena_shaped_fill(first + k * record, n, off, state, 0);",
              "        }",
              "        int64_t *r = results + done;",
              "        int64_t started = arena_now();",
              "        size_t k = 0;",
              "        for (; k + 4 <= count; k += 4) {",
              f"            {call} {call}",
              f"            {call} {call}",
              "        }",
              f"        for (; k < count; k++) {{ {call} }}",
              "        *nanoseconds += arena_now() - started;",
              "        for (size_t k = 0; k < count; k++) {",
              "            if (!fresh) made = start;",
              "            bad += arena_shaped_fill(first + k * record, n, off, &made, 1);",
              "        }",
              "        done += count;",
              "    }",
              "    if (!fresh) *state = start;",
              "    return bad;",
              "}", ""]
    return "\n".join(lines)


def c_cdef(interface: Interface) -> str:
    return (f"int64_t arena_shaped_round({kernel_c_type(interface).replace('(*)', '(*kernel)')}, char *pool,"
            " size_t capacity, size_t n, size_t repeat, int fresh, uint64_t *state, uint64_t *last,"
            " int64_t *nanoseconds, int64_t *results);\n")


# ---------------------------------------------------------------------------
# WAT: the driver module of the wasm routes for such a kernel. Its exports and its `round`'s parameters are those
# of targets.wasm.driver_wat's driver (shape and expect unused), so the hosts drive both alike; it adds `results_at`, the
# byte address of the round's int64 results.

_WAT_NEXT = """
      (local.set $s (i64.add (local.get $s) (i64.const 0x9E3779B97F4A7C15)))
      (local.set $z (i64.mul (i64.xor (local.get $s) (i64.shr_u (local.get $s) (i64.const 30)))
                             (i64.const 0xBF58476D1CE4E5B9)))
      (local.set $z (i64.mul (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 27)))
                             (i64.const 0x94D049BB133111EB)))
      (local.set $z (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 31))))"""
_WAT_LOAD = {1: "i64.load8_u", 4: "i64.load32_u", 8: "i64.load"}
_WAT_STORE = {1: "i64.store8", 4: "i64.store32", 8: "i64.store"}
_WAT_SHIFT = {1: 0, 4: 2, 8: 3}
_WAT_EXTEND = {"i32": "i64.extend_i32_s", "u32": "i64.extend_i32_u", "i64": ""}


def _wat_length(array: Array) -> str:
    return f"(i32.const {array.length})" if array.length is not None else "(local.get $n)"


def _wat_offsets(interface: Interface) -> list[str]:
    """Each array's offset in a record, and the record's size last, as WAT expressions of the local $n."""
    at, out = "(i32.const 0)", []
    for array in interface.arrays:
        out.append(at)
        size = (f"(i32.and (i32.add (i32.mul {_wat_length(array)} (i32.const {array.type.size})) "
                f"(i32.const {_ALIGN - 1})) (i32.const {-_ALIGN}))")
        at = f"(i32.add {at} {size})"
    out.append(f"(select {at} (i32.const {_ALIGN}) (i32.ne {at} (i32.const 0)))")
    return out


def wat_driver(interface: Interface) -> str:
    offs = _wat_offsets(interface)
    fill = []
    for i, array in enumerate(interface.arrays):
        size = array.type.size
        address = f"(i32.add (local.get $p) (i32.shl (local.get $i) (i32.const {_WAT_SHIFT[size]})))"
        value = f"(i64.shr_u (local.get $z) (i64.const {64 - 8 * size}))"
        fill.append(f"""
    (local.set $p (i32.add (local.get $at) {offs[i]}))
    (local.set $len {_wat_length(array)})
    (local.set $i (i32.const 0))
    (block $done{i}
      (loop $each{i}
        (br_if $done{i} (i32.ge_u (local.get $i) (local.get $len)))
        {_WAT_NEXT.strip()}
        (if (local.get $compare)
          (then (local.set $differ (i32.or (local.get $differ) (i64.ne ({_WAT_LOAD[size]} {address}) {value}))))
          (else ({_WAT_STORE[size]} {address} {value})))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each{i})))""")
    params = " ".join(interface.wasm_params())
    result = interface.wasm_results()[0]
    args = " ".join(f"(i32.add (local.get $at) {offs[interface.arrays.index(a)]})" if isinstance(a, Array)
                    else "(local.get $n)" for a in interface.arguments)
    extend = _WAT_EXTEND[interface.result or "i64"]
    call = f"(call $kernel {args})"
    stored = f"({extend} {call})" if extend else call
    return f"""
(module
  (import "kernel" "memory" (memory 0))
  (import "kernel" "entry" (func $kernel (param {params}) (result {result})))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (export "memory" (memory 0))
  (global $state (export "state") (mut i64) (i64.const 0))
  (global $last (export "last") (mut i64) (i64.const 0))
  (global $elapsed (export "elapsed") (mut i64) (i64.const 0))
  (global $clock_at (export "clock_at") (mut i32) (i32.const 0))
  (global $results_at (export "results_at") (mut i32) (i32.const 0))

  (func $now (result i64)
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (global.get $clock_at)))
    (i64.load (global.get $clock_at)))

  ;; One call's arrays into the record at $at, or ($compare) whether the record differs from them.
  (func $fill (param $at i32) (param $n i32) (param $compare i32) (result i32)
    (local $s i64) (local $z i64) (local $i i32) (local $p i32) (local $len i32) (local $differ i32)
    (local.set $s (global.get $state)){"".join(fill)}
    (global.set $state (local.get $s))
    (local.get $differ))

  (func (export "round") (param $pool i32) (param $capacity i32) (param $n i32) (param $repeat i32) (param $shape i32)
                         (param $expect i32) (param $fresh i32) (result i32)
    (local $bad i32) (local $done i32) (local $count i32) (local $k i32) (local $first i32) (local $at i32)
    (local $record i32) (local $r i32) (local $start i64) (local $made i64) (local $after i64) (local $started i64)
    (local.set $start (global.get $state))
    (local.set $record {offs[-1]})
    (block $finished
      (loop $chunk
        (br_if $finished (i32.ge_u (local.get $done) (local.get $repeat)))
        (local.set $count (i32.sub (local.get $repeat) (local.get $done)))
        (local.set $count (select (local.get $count) (local.get $capacity)
                                  (i32.lt_u (local.get $count) (local.get $capacity))))
        (local.set $first (i32.add (local.get $pool)
                                   (i32.mul (i32.sub (local.get $capacity) (local.get $count)) (local.get $record))))
        (local.set $made (global.get $state))
        (local.set $k (i32.const 0))
        (local.set $at (local.get $first))
        (block $made_all
          (loop $make
            (br_if $made_all (i32.ge_u (local.get $k) (local.get $count)))
            (if (i32.eqz (local.get $fresh)) (then (global.set $state (local.get $start))))
            (global.set $last (global.get $state))
            (drop (call $fill (local.get $at) (local.get $n) (i32.const 0)))
            (local.set $at (i32.add (local.get $at) (local.get $record)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $make)))
        (local.set $k (i32.const 0))
        (local.set $at (local.get $first))
        (local.set $r (i32.add (global.get $results_at) (i32.shl (local.get $done) (i32.const 3))))
        (local.set $started (call $now))
        (block $called_all
          (loop $call
            (br_if $called_all (i32.ge_u (local.get $k) (local.get $count)))
            (i64.store (local.get $r) {stored})
            (local.set $at (i32.add (local.get $at) (local.get $record)))
            (local.set $r (i32.add (local.get $r) (i32.const 8)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $call)))
        (global.set $elapsed (i64.add (global.get $elapsed) (i64.sub (call $now) (local.get $started))))
        (local.set $after (global.get $state))
        (global.set $state (local.get $made))
        (local.set $k (i32.const 0))
        (local.set $at (local.get $first))
        (block $checked_all
          (loop $check
            (br_if $checked_all (i32.ge_u (local.get $k) (local.get $count)))
            (if (i32.eqz (local.get $fresh)) (then (global.set $state (local.get $start))))
            (local.set $bad (i32.add (local.get $bad) (call $fill (local.get $at) (local.get $n) (i32.const 1))))
            (local.set $at (i32.add (local.get $at) (local.get $record)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $check)))
        (global.set $state (local.get $after))
        (local.set $done (i32.add (local.get $done) (local.get $count)))
        (br $chunk)))
    (if (i32.eqz (local.get $fresh)) (then (global.set $state (local.get $start))))
    (local.get $bad)))
"""

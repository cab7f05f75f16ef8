"""In-target timing for a kernel of any shape but a sort's: arrays it reads, arrays it writes (output or
in-out, of any element type), and a scalar result or none.

The round has the three phases of targets.fresh's: a pool of inputs made
before the timed window (every array of every call from the same splitmix64
stream, each element the top bits of one step, in its element type: the rule
of targets.fresh.fill_arrays; an output array starts out holding such values
too, as the reference is told), the kernel's calls alone timed, then the checks.
Inside the window each call's result is stored to an int64 results array, the
one store a call's answer needs. After it the driver compares every input array
exactly with values made again from the generator's state, so a call that wrote
its input counts bad, and sums a digest of every array the call may write
beside its result (a 64-bit hash of each element's bits at its position). The
results and digests go back to Python, which makes the round's inputs again
(vectorized: splitmix64 is counter-based, so step k of a stream is a function
of its start and k alone), runs the kernel's reference on them and compares
every call's result and digest with the reference's: no second reference is
written in C or WAT, and the round's outputs need not be copied out whole.

One call's arrays lie together in a record, each array at a 16-byte boundary
(the alignment a vector load of any element type may assume); a chunk's
records lie back to back.
"""
from __future__ import annotations

import struct
from typing import Any

import numpy as np

from kernels.interface import Array, Interface, Outcome
from targets.fresh import GOLDEN, MASK64, POOL_BYTES, mix64, splitmix_outputs, typed_arrays

_ALIGN = 16
_NUMPY = {"i8": np.int8, "u8": np.uint8, "i32": np.int32, "u32": np.uint32, "i64": np.int64}


# int64 words per call in a round's results: the call's result, then the digest of the arrays it may write.
SLOTS = 2


def supported(interface: Interface) -> bool:
    """Whether this module's drivers time the kernel: any interface but a sort's (targets.fresh times those)."""
    return not interface.is_sort_shaped


def results_bytes(repeat: int) -> int:
    """Bytes of a round's results: SLOTS int64 per call."""
    return 8 * SLOTS * repeat


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


def generate(interface: Interface, n: int, state: int, count: int, fresh: bool = True
             ) -> tuple[list[np.ndarray], int]:
    """The inputs of `count` calls from `state` (each from `state` again when not fresh): per array argument a
    (count, length) array of its element type, equal to targets.fresh.fill_arrays call after call; and the state
    after them."""
    steps = sum(_length(a, n) for a in interface.arrays)
    calls = count if fresh else min(count, 1)
    z = splitmix_outputs(state, calls * steps).reshape(calls, steps)
    arrays = [a if fresh else np.repeat(a, count, axis=0) for a in typed_arrays(interface, n, z)]
    after = (state + (calls * steps if fresh else 0) * GOLDEN) & MASK64
    return arrays, after


def _unsigned_bits(values: np.ndarray, element: str) -> np.ndarray:
    """Each element's bits, zero-extended to uint64 (the value a driver's digest reads)."""
    return np.asarray(values).astype(_NUMPY[element]).view(f"u{np.dtype(_NUMPY[element]).itemsize}").astype(np.uint64)


def digests(interface: Interface, written: list[np.ndarray]) -> np.ndarray:
    """Per row, the drivers' digest of the arrays a call may write (given in argument order, one row per call):
    the sum, modulo 2**64, of splitmix64's output function of each element's bits plus (position + 1) times
    its increment, positions counted across those arrays."""
    if not written:
        return np.zeros(0, dtype=np.uint64)
    bits = np.concatenate([_unsigned_bits(w, a.element) for w, a in
                           zip(written, [a for a in interface.arrays if a.written])], axis=1)
    with np.errstate(over="ignore"):
        steps = np.arange(1, bits.shape[1] + 1, dtype=np.uint64) * np.uint64(GOLDEN)
        return mix64(bits + steps).sum(axis=1, dtype=np.uint64)


def expected_rows(interface: Interface, arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The reference's result (0 for a void kernel) and digest of its written arrays for every call (one row
    per array): from the kernel's batch reference when it has one (tested equal to its reference), else from
    its reference call by call."""
    count = arrays[0].shape[0]
    written = [i for i, a in enumerate(interface.arrays) if a.written]
    batch = interface.batch_reference
    if batch is not None:
        answer = batch(*arrays)
        if interface.result is None:
            result, outputs = None, ((answer,) if len(written) == 1 else tuple(answer))
        elif not written:
            result, outputs = answer, ()
        else:
            result, *outputs = answer
        results = np.zeros(count, dtype=np.int64) if result is None else np.asarray(result, dtype=np.int64)
        rows = [np.asarray(o).reshape(arrays[i].shape) for o, i in zip(outputs, written)]
    else:
        outcomes = [interface.expected(_call_values(interface, [a[k] for a in arrays])) for k in range(count)]
        results = np.array([o.result or 0 for o in outcomes], dtype=np.int64)
        rows = []
        for i in written:  # each element's bits in the unsigned type of its size, read as the element's type
            size = interface.arrays[i].type.size
            bits = [[v & ((1 << 8 * size) - 1) for v in o.arrays[i]] for o in outcomes]
            rows.append(np.array(bits, dtype=f"u{size}").reshape(arrays[i].shape)
                        .view(_NUMPY[interface.arrays[i].element]))
    return results, (digests(interface, rows) if written else np.zeros(count, dtype=np.uint64))


def _call_values(interface: Interface, arrays: list[np.ndarray]) -> Any:
    """One call's arrays as Interface takes an input: the list for a kernel of one array, else a tuple of lists."""
    lists = [a.tolist() for a in arrays]
    return lists[0] if len(lists) == 1 else tuple(lists)


# The reference's answers of the rounds checked last, by what determines them. Every member of a timed block
# starts from the same state and makes the same rounds, so a round's answers are worked out once for all of them.
_EXPECTED: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}
_EXPECTED_KEPT = 16


def round_expected(interface: Interface, n: int, state: int, count: int, fresh: bool
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The reference's result and written arrays' digest of each of the `count` calls of a round from `state`."""
    key = (interface.name, interface.arguments, interface.reference, n, state, count, fresh)
    if key not in _EXPECTED:
        if len(_EXPECTED) >= _EXPECTED_KEPT:
            del _EXPECTED[next(iter(_EXPECTED))]
        arrays, _ = generate(interface, n, state, count, fresh)
        _EXPECTED[key] = expected_rows(interface, arrays)
    return _EXPECTED[key]


def check_results(interface: Interface, n: int, state: int, count: int, fresh: bool, results: bytes) -> int:
    """How many of the round's `count` calls from `state` returned another result than the reference's, or left
    another digest of the arrays they write."""
    got = np.frombuffer(results, dtype=np.int64, count=SLOTS * count).reshape(count, SLOTS)
    results_wanted, digests_wanted = round_expected(interface, n, state, count, fresh)
    wrong = np.zeros(count, dtype=bool)
    if interface.result is not None:
        wrong |= got[:, 0] != results_wanted
    if any(a.written for a in interface.arrays):
        wrong |= got[:, 1].view(np.uint64) != digests_wanted
    return int(np.count_nonzero(wrong))


def last_result(results: bytes) -> int:
    """The result the round's last call returned, from the round's results."""
    return struct.unpack_from("<q", results, len(results) - 8 * SLOTS)[0]


def last_call(interface: Interface, n: int, last_state: int, result: int, record: bytes) -> tuple[Any, Outcome]:
    """The last call's input, made again from its state, and what it left: its result (None for a void kernel)
    and every array as read from its record after the round (an input array the driver found changed counted
    that call bad)."""
    values = _call_values(interface, [a[0] for a in generate(interface, n, last_state & MASK64, 1)[0]])
    offsets_, _ = offsets(interface, n)
    arrays = []
    for array, at in zip(interface.arrays, offsets_):
        dtype = np.dtype(_NUMPY[array.element]).newbyteorder("<")
        arrays.append(tuple(np.frombuffer(record, dtype=dtype, count=_length(array, n), offset=at).tolist()))
    if interface.result is None:
        answer = None
    else:
        answer = result & 0xFFFFFFFF if interface.result == "u32" else result
    return values, Outcome(answer, tuple(arrays))


# ---------------------------------------------------------------------------
# C

_C_TYPES = {1: "uint8_t", 4: "uint32_t", 8: "uint64_t"}
_C_RESULT = {None: "void", "i32": "int32_t", "u32": "uint32_t", "i64": "int64_t"}


def kernel_c_type(interface: Interface) -> str:
    params = ", ".join("void *" if isinstance(a, Array) else "size_t" for a in interface.arguments)
    return f"{_C_RESULT[interface.result]} (*)({params})"


def c_source(interface: Interface) -> str:
    """arena_shaped_fill and arena_shaped_round for this interface (arena_next and arena_now come from
    targets.fresh's C text, which precedes it)."""
    arrays = interface.arrays
    lines = ["static size_t arena_shaped_layout(size_t n, size_t *off)", "{", "    size_t at = 0;"]
    for i, a in enumerate(arrays):
        length = str(a.length) if a.length is not None else "n"
        lines.append(f"    off[{i}] = at; at += ({length} * {a.type.size} + {_ALIGN - 1}) / {_ALIGN} * {_ALIGN};")
    lines += [f"    return at ? at : {_ALIGN};", "}", ""]
    # The state is kept in a local while the arrays are made: a byte array's stores may alias anything, and the
    # compiler would otherwise store the state after every step and load it again.
    lines += ["/* One call's arrays into the record at `at`, or (compare != 0) whether the record's input arrays",
              "   differ from them, with the digest of its written arrays to *digest. */",
              "static int arena_shaped_fill(char *at, size_t n, const size_t *off, uint64_t *state, int compare,",
              "                             uint64_t *digest)",
              "{", "    int differ = 0;", "    uint64_t h = 0, q = 0, local = *state, *s = &local;"]
    for i, a in enumerate(arrays):
        t, bits = _C_TYPES[a.type.size], 8 * a.type.size
        length = str(a.length) if a.length is not None else "n"
        lines += [f"    {{ {t} *p = ({t} *)(at + off[{i}]);",
                  f"      for (size_t i = 0; i < {length}; i++) {{",
                  f"          {t} v = ({t})(arena_next(s) >> {64 - bits});",
                  ("          if (compare) { uint64_t t = (uint64_t)p[i] + q; h += arena_next(&t);"
                   " q += 0x9E3779B97F4A7C15ull; }" if a.written else "          if (compare) differ |= p[i] != v;"),
                  "          else p[i] = v;", "      } }"]
    lines += ["    if (compare) *digest = h;", "    *state = local;", "    return differ;", "}", ""]
    args = ", ".join(f"at + off[{arrays.index(a)}]" if isinstance(a, Array) else "n" for a in interface.arguments)
    call = (f"r[0] = (int64_t)kernel({args});" if interface.result else f"kernel({args});") + \
        f" r += {SLOTS}; at += record;"
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
              "            arena_shaped_fill(first + k * record, n, off, state, 0, NULL);",
              "        }",
              f"        int64_t *r = results + {SLOTS} * done;",
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
              f"            uint64_t *digest = (uint64_t *)results + {SLOTS} * (done + k) + 1;",
              "            bad += arena_shaped_fill(first + k * record, n, off, &made, 1, digest);",
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
# of targets.wasm.driver_wat's driver (shape and expect unused), so the hosts drive both alike; it adds `results_at`,
# the byte address of the round's results (SLOTS int64 per call).

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


def _wat_digest(load: str, address: str) -> str:
    """The digest's step for the element at `address`: splitmix64's output of its bits plus the next multiple of
    the increment, added to $h."""
    return f"""(local.set $q (i64.add (local.get $q) (i64.const 0x9E3779B97F4A7C15)))
                (local.set $t (i64.add ({load} {address}) (local.get $q)))
                (local.set $t (i64.mul (i64.xor (local.get $t) (i64.shr_u (local.get $t) (i64.const 30)))
                                       (i64.const 0xBF58476D1CE4E5B9)))
                (local.set $t (i64.mul (i64.xor (local.get $t) (i64.shr_u (local.get $t) (i64.const 27)))
                                       (i64.const 0x94D049BB133111EB)))
                (local.set $h (i64.add (local.get $h)
                                       (i64.xor (local.get $t) (i64.shr_u (local.get $t) (i64.const 31)))))"""


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
        check = (_wat_digest(_WAT_LOAD[size], address) if array.written else
                 f"(local.set $differ (i32.or (local.get $differ) (i64.ne ({_WAT_LOAD[size]} {address}) {value})))")
        fill.append(f"""
    (local.set $p (i32.add (local.get $at) {offs[i]}))
    (local.set $len {_wat_length(array)})
    (local.set $i (i32.const 0))
    (block $done{i}
      (loop $each{i}
        (br_if $done{i} (i32.ge_u (local.get $i) (local.get $len)))
        {_WAT_NEXT.strip()}
        (if (local.get $compare)
          (then {check})
          (else ({_WAT_STORE[size]} {address} {value})))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each{i})))""")
    params = " ".join(interface.wasm_params())
    args = " ".join(f"(i32.add (local.get $at) {offs[interface.arrays.index(a)]})" if isinstance(a, Array)
                    else "(local.get $n)" for a in interface.arguments)
    extend = _WAT_EXTEND[interface.result or "i64"]
    call = f"(call $kernel {args})"
    stored = f"({extend} {call})" if extend else call
    called = f"(i64.store (local.get $r) {stored})" if interface.result else call
    results = "".join(f" (result {r})" for r in interface.wasm_results())
    return f"""
(module
  (import "kernel" "memory" (memory 0))
  (import "kernel" "entry" (func $kernel (param {params}){results}))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (export "memory" (memory 0))
  (global $state (export "state") (mut i64) (i64.const 0))
  (global $last (export "last") (mut i64) (i64.const 0))
  (global $elapsed (export "elapsed") (mut i64) (i64.const 0))
  (global $clock_at (export "clock_at") (mut i32) (i32.const 0))
  (global $results_at (export "results_at") (mut i32) (i32.const 0))
  (global $digest (mut i64) (i64.const 0))

  (func $now (result i64)
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (global.get $clock_at)))
    (i64.load (global.get $clock_at)))

  ;; One call's arrays into the record at $at, or ($compare) whether the record's input arrays differ from them,
  ;; with the digest of its written arrays to $digest.
  (func $fill (param $at i32) (param $n i32) (param $compare i32) (result i32)
    (local $s i64) (local $z i64) (local $i i32) (local $p i32) (local $len i32) (local $differ i32)
    (local $q i64) (local $h i64) (local $t i64)
    (local.set $s (global.get $state)){"".join(fill)}
    (global.set $state (local.get $s))
    (global.set $digest (local.get $h))
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
        (local.set $r (i32.add (global.get $results_at) (i32.mul (local.get $done) (i32.const {8 * SLOTS}))))
        (local.set $started (call $now))
        (block $called_all
          (loop $call
            (br_if $called_all (i32.ge_u (local.get $k) (local.get $count)))
            {called}
            (local.set $at (i32.add (local.get $at) (local.get $record)))
            (local.set $r (i32.add (local.get $r) (i32.const {8 * SLOTS})))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $call)))
        (global.set $elapsed (i64.add (global.get $elapsed) (i64.sub (call $now) (local.get $started))))
        (local.set $after (global.get $state))
        (global.set $state (local.get $made))
        (local.set $k (i32.const 0))
        (local.set $at (local.get $first))
        (local.set $r (i32.add (global.get $results_at) (i32.mul (local.get $done) (i32.const {8 * SLOTS}))))
        (block $checked_all
          (loop $check
            (br_if $checked_all (i32.ge_u (local.get $k) (local.get $count)))
            (if (i32.eqz (local.get $fresh)) (then (global.set $state (local.get $start))))
            (local.set $bad (i32.add (local.get $bad) (call $fill (local.get $at) (local.get $n) (i32.const 1))))
            (i64.store offset=8 (local.get $r) (global.get $digest))
            (local.set $at (i32.add (local.get $at) (local.get $record)))
            (local.set $r (i32.add (local.get $r) (i32.const {8 * SLOTS})))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $check)))
        (global.set $state (local.get $after))
        (local.set $done (i32.add (local.get $done) (local.get $count)))
        (br $chunk)))
    (if (i32.eqz (local.get $fresh)) (then (global.set $state (local.get $start))))
    (local.get $bad)))
"""

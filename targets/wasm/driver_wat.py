"""targets.fresh's generator and round in WAT: the driver module of the wasm routes (wasmtime and V8 alike).

The same three phases as the C text in targets.fresh (make a pool of inputs,
time the kernel's calls alone, check every output), agreeing with it and with
the Python reference bit for bit.
"""
from __future__ import annotations

from functools import cache

from kernels.interface import Interface
from targets.base import DEFAULT_INTERFACE
from targets.fresh import argument_list

# The generator and the round in WAT: the driver module of the wasm routes (wasmtime and V8 alike). It imports the
# kernel's memory and entry, so the kernel is called wasm to wasm, never through the host, and WASI's
# clock_time_get (nanoseconds, written to the 8 bytes at `clock_at`), read only around the calls: a host clock
# that wasmtime implements natively, where a Python callback would cost microseconds per read. The generator's
# state lives in the driver's globals, where the kernel cannot reach it: `state` (the next input's) and `last`
# (the last input's), both as the C text keeps them; `elapsed` sums the nanoseconds of the calls. `round`
# returns how many calls left a wrong output.
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
# The weight of input (and output) $k of a chunk in the round's sums: its own odd number, 2k + 1. Written once,
# for the inputs' sum and the outputs' sum must weigh alike.
_WAT_WEIGHT = "(local.set $weight (i64.extend_i32_u (i32.or (i32.shl (local.get $k) (i32.const 1)) (i32.const 1))))"
_WAT_TEMPLATE = r"""
(module
  (import "kernel" "memory" (memory 0))
  (import "kernel" "entry" (func $kernel (param i32 i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  ;; WASI's functions find the memory they write to as the caller's export "memory".
  (export "memory" (memory 0))
  (global $state (export "state") (mut i64) (i64.const 0))
  (global $last (export "last") (mut i64) (i64.const 0))
  (global $elapsed (export "elapsed") (mut i64) (i64.const 0))
  (global $clock_at (export "clock_at") (mut i32) (i32.const 0))

  ;; The monotonic clock, in nanoseconds.
  (func $now (result i64)
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (global.get $clock_at)))
    (i64.load (global.get $clock_at)))

  ;; One input of $shape into n int32 at byte address $a (only its fingerprint when $a is -1); returns its
  ;; fingerprint.
  (func $fill (export "fill") (param $shape i32) (param $a i32) (param $n i32) (result i64)
    (local $s i64) (local $z i64) (local $m i64) (local $h i64) (local $value i64) (local $span i64)
    (local $i i32) (local $v i32) (local $at i32) (local $k i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $keep i32)
    (local.set $keep (i32.ne (local.get $a) (i32.const -1)))
    (local.set $s (global.get $state))
    (block $filled
      (if (i32.eqz (local.get $shape))
        (then
          (block $done
            (loop $each
              (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
              @NEXT
              (local.set $v (i32.wrap_i64 (i64.shr_u (local.get $z) (i64.const 32))))
              (if (local.get $keep)
                (then (i32.store (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))) (local.get $v))))
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
              (if (local.get $keep)
                (then (i32.store (i32.add (local.get $a) (i32.shl (local.get $at) (i32.const 2))) (local.get $v))))
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
          (if (local.get $keep)
            (then (i32.store (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))) (local.get $v))))
          @MIX_H
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $each))))
    (global.set $state (local.get $s))
    (local.get $h))

  ;; One output of n int32 at byte address $at: its fingerprint, and whether it is in order.
  (func $scan (param $at i32) (param $n i32) (result i64 i32)
    (local $i i32) (local $v i32) (local $prev i32) (local $order i32) (local $m i64) (local $g i64)
    (local.set $order (i32.const 1))
    (local.set $prev (i32.const 0x80000000))
    (block $scanned
      (loop $each
        (br_if $scanned (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (i32.load (i32.add (local.get $at) (i32.shl (local.get $i) (i32.const 2)))))
        @MIX_G
        (local.set $order (i32.and (local.get $order) (i32.le_s (local.get $prev) (local.get $v))))
        (local.set $prev (local.get $v))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (local.get $g)
    (local.get $order))

  ;; One round of $repeat calls, as arena_round in the C text: in chunks of at most $capacity inputs of n int32
  ;; at byte address $pool (the last $count entries), make the chunk's inputs, time the kernel's calls on them and
  ;; nothing else, then check every output against its input. The inputs' fingerprints are summed as they are
  ;; made, each weighted by an odd number of its own (2k + 1), into a local the kernel cannot reach; the outputs'
  ;; are summed the same way. Only where the sums differ, or an output of a sort is out of order, is each output
  ;; checked alone, against its input made again from the generator's state, to count the wrong ones. (Unweighted,
  ;; a kernel that moved a value into its neighbour's array and took one back would cancel out.) With $fresh = 0
  ;; every input is the one made from the state at entry. Returns how many calls left a wrong output.
  (func (export "round") (param $pool i32) (param $capacity i32) (param $n i32) (param $repeat i32) (param $shape i32)
                         (param $expect i32) (param $fresh i32) (result i32)
    (local $bad i32) (local $done i32) (local $count i32) (local $k i32) (local $first i32) (local $at i32)
    (local $bytes i32) (local $order i32) (local $ordered i32)
    (local $start i64) (local $made i64) (local $after i64) (local $started i64) (local $h i64) (local $g i64)
    (local $weight i64) (local $hsum i64) (local $gsum i64)
    (local.set $start (global.get $state))
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (block $finished
      (loop $chunk
        (br_if $finished (i32.ge_u (local.get $done) (local.get $repeat)))
        (local.set $count (i32.sub (local.get $repeat) (local.get $done)))
        (local.set $count (select (local.get $count) (local.get $capacity)
                                  (i32.lt_u (local.get $count) (local.get $capacity))))
        (local.set $first (i32.add (local.get $pool)
                                   (i32.mul (i32.sub (local.get $capacity) (local.get $count)) (local.get $bytes))))
        ;; make
        (local.set $made (global.get $state))
        (local.set $k (i32.const 0))
        (local.set $at (local.get $first))
        (local.set $hsum (i64.const 0))
        (block $made_all
          (loop $make
            (br_if $made_all (i32.ge_u (local.get $k) (local.get $count)))
            (if (i32.eqz (local.get $fresh)) (then (global.set $state (local.get $start))))
            (global.set $last (global.get $state))
            @WEIGHT
            (local.set $hsum (i64.add (local.get $hsum)
                                      (i64.mul (local.get $weight) (call $fill (local.get $shape) (local.get $at) (local.get $n)))))
            (local.set $at (i32.add (local.get $at) (local.get $bytes)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $make)))
        ;; call: the only timed phase
        (local.set $k (i32.const 0))
        (local.set $at (local.get $first))
        (local.set $started (call $now))
        (block $called_all
          (loop $call
            (br_if $called_all (i32.ge_u (local.get $k) (local.get $count)))
            (call $kernel (local.get $at) (local.get $n))
            (local.set $at (i32.add (local.get $at) (local.get $bytes)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $call)))
        (global.set $elapsed (i64.add (global.get $elapsed) (i64.sub (call $now) (local.get $started))))
        ;; check all outputs at once: the weighted sum of their fingerprints, and their order
        (local.set $gsum (i64.const 0))
        (local.set $ordered (i32.const 1))
        (local.set $k (i32.const 0))
        (local.set $at (local.get $first))
        (block $summed_all
          (loop $sum
            (br_if $summed_all (i32.ge_u (local.get $k) (local.get $count)))
            (call $scan (local.get $at) (local.get $n))
            (local.set $ordered (i32.and (local.get $ordered)))
            (local.set $g)
            @WEIGHT
            (local.set $gsum (i64.add (local.get $gsum) (i64.mul (local.get $weight) (local.get $g))))
            (local.set $at (i32.add (local.get $at) (local.get $bytes)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $sum)))
        ;; where that fails, each output alone, its input's fingerprint made again from the state it was made from
        (if (i32.or (i64.ne (local.get $gsum) (local.get $hsum))
                    (i32.and (i32.eqz (local.get $expect)) (i32.eqz (local.get $ordered))))
          (then
            (local.set $after (global.get $state))
            (global.set $state (local.get $made))
            (local.set $k (i32.const 0))
            (local.set $at (local.get $first))
            (block $checked_all
              (loop $check
                (br_if $checked_all (i32.ge_u (local.get $k) (local.get $count)))
                (if (i32.eqz (local.get $fresh)) (then (global.set $state (local.get $start))))
                (local.set $h (call $fill (local.get $shape) (i32.const -1) (local.get $n)))
                (call $scan (local.get $at) (local.get $n))
                (local.set $order)
                (local.set $g)
                (local.set $bad (i32.add (local.get $bad)
                  (i32.or (i64.ne (local.get $g) (local.get $h))
                          (i32.and (i32.eqz (local.get $expect)) (i32.eqz (local.get $order))))))
                (local.set $at (i32.add (local.get $at) (local.get $bytes)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $check)))
            (global.set $state (local.get $after))))
        (local.set $done (i32.add (local.get $done) (local.get $count)))
        (br $chunk)))
    (if (i32.eqz (local.get $fresh)) (then (global.set $state (local.get $start))))
    (local.get $bad)))
"""


@cache
def _wat_driver(params: tuple[str, ...], call: str) -> str:
    return (
        _WAT_TEMPLATE.replace("@NEXT", _WAT_NEXT.strip())
        .replace("@MIX_H", _WAT_MIX.strip().replace("$ACC", "$h"))
        .replace("@MIX_G", _WAT_MIX.strip().replace("$ACC", "$g"))
        .replace("@WEIGHT", _WAT_WEIGHT)
        .replace("(func $kernel (param i32 i32))", f"(func $kernel (param {' '.join(params)}))")
        .replace("(call $kernel (local.get $at) (local.get $n))", f"(call $kernel {call})")
    )


def wat_driver(interface: Interface = DEFAULT_INTERFACE) -> str:
    """The wasm driver module's text for a kernel of this interface (its import type and its call)."""
    return _wat_driver(interface.wasm_params(), " ".join(argument_list(interface, "(local.get $at)", "(local.get $n)")))


WAT_DRIVER = wat_driver()

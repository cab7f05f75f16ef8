;; origin: ai
;; algorithm: linear insertion
;; model: Claude (Anthropic), codegen-arena founding session
;; date: 2026-11-22
;; prompt: "write an insertion sort in WebAssembly text format, one shot; style: pointer bumping" (signed i32, in place, (ptr, n))

;; Walks byte addresses instead of indices: $p is the element being inserted,
;; $q the hole moving down; no multiplication or shift inside the loops.
(module
  (memory (export "memory") 1)

  (func (export "insertion_sort") (param $a i32) (param $n i32)
    (local $end i32) (local $p i32) (local $q i32) (local $key i32) (local $prev i32)
    ;; n < 2: nothing to do (n is treated as unsigned)
    (br_if 0 (i32.lt_u (local.get $n) (i32.const 2)))
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $p (i32.add (local.get $a) (i32.const 4)))
    (loop $outer
      (local.set $key (i32.load (local.get $p)))
      (local.set $q (local.get $p))
      (block $placed
        (loop $shift
          (br_if $placed (i32.eq (local.get $q) (local.get $a)))
          (local.set $prev (i32.load offset=0 (i32.sub (local.get $q) (i32.const 4))))
          (br_if $placed (i32.le_s (local.get $prev) (local.get $key)))
          (i32.store (local.get $q) (local.get $prev))
          (local.set $q (i32.sub (local.get $q) (i32.const 4)))
          (br $shift)))
      (i32.store (local.get $q) (local.get $key))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $outer (i32.ne (local.get $p) (local.get $end))))))

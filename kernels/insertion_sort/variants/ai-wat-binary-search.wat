;; origin: ai
;; algorithm: binary insertion
;; model: Claude (Anthropic), codegen-arena founding session
;; date: 2026-11-22
;; prompt: "write an insertion sort in WebAssembly text format, one shot; style: binary search for the insertion point" (signed i32, in place, (ptr, n))

;; Binary insertion sort: for each key, a binary search over the sorted prefix
;; finds the first element greater than the key (so equal keys keep their order),
;; then memory.copy shifts the tail of the prefix up by one slot in a single move.
(module
  (memory (export "memory") 1)

  ;; First index in [0, hi) of the sorted prefix whose value is > key.
  (func $upper_bound (param $a i32) (param $hi i32) (param $key i32) (result i32)
    (local $lo i32) (local $mid i32)
    (block $done
      (loop $search
        (br_if $done (i32.ge_u (local.get $lo) (local.get $hi)))
        (local.set $mid (i32.add (local.get $lo)
                                 (i32.shr_u (i32.sub (local.get $hi) (local.get $lo)) (i32.const 1))))
        (if (i32.gt_s (i32.load (i32.add (local.get $a) (i32.shl (local.get $mid) (i32.const 2))))
                      (local.get $key))
          (then (local.set $hi (local.get $mid)))
          (else (local.set $lo (i32.add (local.get $mid) (i32.const 1)))))
        (br $search)))
    (local.get $lo))

  (func (export "insertion_sort") (param $a i32) (param $n i32)
    (local $i i32) (local $key i32) (local $pos i32) (local $slot i32)
    (local.set $i (i32.const 1))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $key (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $pos (call $upper_bound (local.get $a) (local.get $i) (local.get $key)))
        (if (i32.lt_u (local.get $pos) (local.get $i))
          (then
            (local.set $slot (i32.add (local.get $a) (i32.shl (local.get $pos) (i32.const 2))))
            ;; a[pos..i) -> a[pos+1..i+1): overlapping, memory.copy handles it like memmove
            (memory.copy
              (i32.add (local.get $slot) (i32.const 4))
              (local.get $slot)
              (i32.shl (i32.sub (local.get $i) (local.get $pos)) (i32.const 2)))
            (i32.store (local.get $slot) (local.get $key))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))))

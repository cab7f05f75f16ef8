;; origin: ai
;; algorithm: linear insertion
;; model: Claude (Anthropic), codegen-arena founding session
;; date: 2026-11-22
;; prompt: "write an insertion sort in WebAssembly text format, one shot" (signed i32, in place, (ptr, n))
;; A copy of kernels/insertion_sort/variants/ai-wat-index-loop.wat made slower on purpose, for
;; tests/test_gate.py: each shift step also feeds a chain of three dependent multiply-adds and a rotate
;; ($acc), whose result is stored in a global at the end so the compiler cannot drop it. Same answers, more
;; wasm operators, and a dependency chain longer than the shift step itself, so the step takes several times
;; as long whatever state the engine's code lands in.

(module
  (memory (export "memory") 1)
  (global $sink (mut i32) (i32.const 0))

  ;; Sorts n signed 32-bit integers starting at byte address $ptr, in place.
  (func $insertion_sort (export "insertion_sort") (param $ptr i32) (param $n i32)
    (local $i i32)
    (local $j i32)
    (local $key i32)
    (local $prev i32)
    (local $acc i32)

    (local.set $i (i32.const 1))
    (block $done
      (loop $outer
        ;; for (i = 1; i < n; i++)
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))

        ;; key = a[i]
        (local.set $key
          (i32.load (i32.add (local.get $ptr) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $j (i32.sub (local.get $i) (i32.const 1)))

        ;; while (j >= 0 && a[j] > key) { a[j + 1] = a[j]; j--; }
        (block $placed
          (loop $shift
            (br_if $placed (i32.lt_s (local.get $j) (i32.const 0)))
            (local.set $prev
              (i32.load (i32.add (local.get $ptr) (i32.shl (local.get $j) (i32.const 2)))))
            (br_if $placed (i32.le_s (local.get $prev) (local.get $key)))
            (local.set $acc (i32.add (i32.mul (local.get $acc) (local.get $prev)) (i32.const 1)))
            (local.set $acc (i32.add (i32.mul (local.get $acc) (local.get $prev)) (i32.const 3)))
            (local.set $acc (i32.add (i32.mul (local.get $acc) (local.get $prev)) (i32.const 5)))
            (local.set $acc (i32.rotl (local.get $acc) (i32.const 1)))
            (i32.store
              (i32.add (local.get $ptr) (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 2)))
              (local.get $prev))
            (local.set $j (i32.sub (local.get $j) (i32.const 1)))
            (br $shift)))

        ;; a[j + 1] = key
        (i32.store
          (i32.add (local.get $ptr) (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 2)))
          (local.get $key))

        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (global.set $sink (local.get $acc))
  )
)

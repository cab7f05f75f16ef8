;; origin: human
;; prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
;;
;; Insertion sort that shifts each element up with a sign-extended i64.store: the store's upper
;; half (0 or -1) lands on the slot above. Later steps of a shift overwrite it again, but the first
;; step of each shift puts it over a[i + 1], an element still to be sorted, or past the array's end.
(module
  (memory (export "memory") 1)
  (func (export "insertion_sort") (param $a i32) (param $n i32)
    (local $i i32) (local $j i32) (local $key i32) (local $prev i32)
    (local.set $i (i32.const 1))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $key (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $j (local.get $i))
        (block $placed
          (loop $inner
            (br_if $placed (i32.eqz (local.get $j)))
            (local.set $prev (i32.load (i32.add (local.get $a) (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2)))))
            (br_if $placed (i32.le_s (local.get $prev) (local.get $key)))
            (i64.store (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2)))
                       (i64.extend_i32_s (local.get $prev)))
            (local.set $j (i32.sub (local.get $j) (i32.const 1)))
            (br $inner)))
        (i32.store (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))) (local.get $key))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer))))
)

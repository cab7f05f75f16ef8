;; origin: human
;; note: sorts correctly on its first three calls, then leaves the first and last elements swapped: a variant
;; that passes a short check and is wrong when timed. Its call counter lives at address 0 of its memory.
(module
  (memory (export "memory") 1)

  (func (export "insertion_sort") (param $a i32) (param $n i32)
    (local $i i32) (local $j i32) (local $key i32) (local $prev i32) (local $last i32)
    (local.set $i (i32.const 1))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $key (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $j (local.get $i))
        (block $placed
          (loop $shift
            (br_if $placed (i32.eqz (local.get $j)))
            (local.set $prev
              (i32.load (i32.sub (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))) (i32.const 4))))
            (br_if $placed (i32.le_s (local.get $prev) (local.get $key)))
            (i32.store (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))) (local.get $prev))
            (local.set $j (i32.sub (local.get $j) (i32.const 1)))
            (br $shift)))
        (i32.store (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))) (local.get $key))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (if (i32.and (i32.gt_u (i32.load (i32.const 0)) (i32.const 3)) (i32.ge_u (local.get $n) (i32.const 2)))
      (then
        (local.set $last (i32.add (local.get $a) (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 2))))
        (local.set $key (i32.load (local.get $a)))
        (i32.store (local.get $a) (i32.load (local.get $last)))
        (i32.store (local.get $last) (local.get $key))))))

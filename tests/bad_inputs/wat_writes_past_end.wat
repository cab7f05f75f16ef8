;; expect-verdict: fail
;; expect-message: out-of-bounds write above the array: a\[n\+0\]
;; Sorts correctly, then stores a sentinel at a[n] "to mark the end".
(module
  (memory (export "memory") 1)
  (func (export "insertion_sort") (param $ptr i32) (param $n i32)
    (local $i i32) (local $j i32) (local $key i32) (local $prev i32)
    (local.set $i (i32.const 1))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $key (i32.load (i32.add (local.get $ptr) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $j (local.get $i))
        (block $placed
          (loop $shift
            (br_if $placed (i32.eqz (local.get $j)))
            (local.set $prev
              (i32.load (i32.add (local.get $ptr) (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2)))))
            (br_if $placed (i32.le_s (local.get $prev) (local.get $key)))
            (i32.store (i32.add (local.get $ptr) (i32.shl (local.get $j) (i32.const 2))) (local.get $prev))
            (local.set $j (i32.sub (local.get $j) (i32.const 1)))
            (br $shift)))
        (i32.store (i32.add (local.get $ptr) (i32.shl (local.get $j) (i32.const 2))) (local.get $key))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (i32.store (i32.add (local.get $ptr) (i32.shl (local.get $n) (i32.const 2))) (i32.const -1))))

;; origin: human
;; prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
;; kernel: sort4
;;
;; Branch-free comparators by the bit trick min = y + (d & (d >> 31)), d = x - y, in wrapping i32
;; arithmetic: where x - y overflows, the outputs are values that were never in the input.
(module
  (memory (export "memory") 1)
  (func $cx (param $p i32) (param $q i32)
    (local $x i32) (local $y i32) (local $m i32)
    (local.set $x (i32.load (local.get $p)))
    (local.set $y (i32.load (local.get $q)))
    (local.set $m (i32.sub (local.get $x) (local.get $y)))
    (local.set $m (i32.and (local.get $m) (i32.shr_s (local.get $m) (i32.const 31))))
    (i32.store (local.get $p) (i32.add (local.get $y) (local.get $m)))
    (i32.store (local.get $q) (i32.sub (local.get $x) (local.get $m))))
  (func (export "sort4") (param $a i32)
    (call $cx (local.get $a) (i32.add (local.get $a) (i32.const 4)))
    (call $cx (i32.add (local.get $a) (i32.const 8)) (i32.add (local.get $a) (i32.const 12)))
    (call $cx (local.get $a) (i32.add (local.get $a) (i32.const 8)))
    (call $cx (i32.add (local.get $a) (i32.const 4)) (i32.add (local.get $a) (i32.const 12)))
    (call $cx (i32.add (local.get $a) (i32.const 4)) (i32.add (local.get $a) (i32.const 8)))))

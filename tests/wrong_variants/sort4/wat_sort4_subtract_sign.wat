;; origin: human
;; prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
;; kernel: sort4
;;
;; The sort4 network, each swap decided by the sign of the i32 difference (wraps on overflow):
;; wrong only where the subtraction overflows.
(module
  (memory (export "memory") 1)
  (func $cx (param $p i32) (param $q i32)
    (local $x i32) (local $y i32)
    (local.set $x (i32.load (local.get $p)))
    (local.set $y (i32.load (local.get $q)))
    (if (i32.gt_s (i32.sub (local.get $x) (local.get $y)) (i32.const 0))
      (then
        (i32.store (local.get $p) (local.get $y))
        (i32.store (local.get $q) (local.get $x)))))
  (func (export "sort4") (param $a i32)
    (call $cx (local.get $a) (i32.add (local.get $a) (i32.const 4)))
    (call $cx (i32.add (local.get $a) (i32.const 8)) (i32.add (local.get $a) (i32.const 12)))
    (call $cx (local.get $a) (i32.add (local.get $a) (i32.const 8)))
    (call $cx (i32.add (local.get $a) (i32.const 4)) (i32.add (local.get $a) (i32.const 12)))
    (call $cx (i32.add (local.get $a) (i32.const 4)) (i32.add (local.get $a) (i32.const 8)))))

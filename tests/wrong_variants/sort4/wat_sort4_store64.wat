;; origin: human
;; prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
;; kernel: sort4
;;
;; Sorts right in i32, then writes the results back as sign-extended i64 from the top down: each
;; i64.store's upper half (0 or -1) overwrites the element above it after it was written.
(module
  (memory (export "memory") 1)
  (func $cx (param $p i32) (param $q i32)
    (local $x i32) (local $y i32)
    (local.set $x (i32.load (local.get $p)))
    (local.set $y (i32.load (local.get $q)))
    (if (i32.gt_s (local.get $x) (local.get $y))
      (then
        (i32.store (local.get $p) (local.get $y))
        (i32.store (local.get $q) (local.get $x)))))
  (func (export "sort4") (param $a i32)
    (call $cx (local.get $a) (i32.add (local.get $a) (i32.const 4)))
    (call $cx (i32.add (local.get $a) (i32.const 8)) (i32.add (local.get $a) (i32.const 12)))
    (call $cx (local.get $a) (i32.add (local.get $a) (i32.const 8)))
    (call $cx (i32.add (local.get $a) (i32.const 4)) (i32.add (local.get $a) (i32.const 12)))
    (call $cx (i32.add (local.get $a) (i32.const 4)) (i32.add (local.get $a) (i32.const 8)))
    (i64.store offset=8 (local.get $a) (i64.extend_i32_s (i32.load offset=8 (local.get $a))))
    (i64.store offset=4 (local.get $a) (i64.extend_i32_s (i32.load offset=4 (local.get $a))))
    (i64.store offset=0 (local.get $a) (i64.extend_i32_s (i32.load offset=0 (local.get $a))))))

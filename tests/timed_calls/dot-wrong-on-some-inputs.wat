;; origin: human
;; note: a dot product that is right except when the low byte of a[0] is 0x5A (about one call in 256).
(module
  (memory (export "memory") 1)
  (func (export "dot_i32") (param $a i32) (param $b i32) (param $n i32) (result i64)
    (local $i i32) (local $sum i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i64.add (local.get $sum)
          (i64.mul (i64.load32_s (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
                   (i64.load32_s (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (if (i32.and (i32.ne (local.get $n) (i32.const 0))
                 (i32.eq (i32.and (i32.load (local.get $a)) (i32.const 0xFF)) (i32.const 0x5A)))
      (then (local.set $sum (i64.add (local.get $sum) (i64.const 1)))))
    (local.get $sum)))

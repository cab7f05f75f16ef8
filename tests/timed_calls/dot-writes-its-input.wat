;; origin: human
;; note: returns the right dot product and then flips a bit of b[n-1], an array it may only read.
(module
  (memory (export "memory") 1)
  (func (export "dot_i32") (param $a i32) (param $b i32) (param $n i32) (result i64)
    (local $i i32) (local $sum i64) (local $at i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i64.add (local.get $sum)
          (i64.mul (i64.load32_s (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
                   (i64.load32_s (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (if (local.get $n)
      (then
        (local.set $at (i32.add (local.get $b) (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 2))))
        (i32.store (local.get $at) (i32.xor (i32.load (local.get $at)) (i32.const 1)))))
    (local.get $sum)))

;; origin: human
;; note: a right prefix sum (result and output) that then flips a bit of src[n-1], an array it may only read.
(module
  (memory (export "memory") 1)
  (func (export "prefix_sum") (param $src i32) (param $dst i32) (param $n i32) (result i32)
    (local $i i32) (local $sum i32) (local $at i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i32.add (local.get $sum) (i32.load8_u (i32.add (local.get $src) (local.get $i)))))
        (i32.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))) (local.get $sum))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (if (local.get $n)
      (then
        (local.set $at (i32.add (local.get $src) (i32.sub (local.get $n) (i32.const 1))))
        (i32.store8 (local.get $at) (i32.xor (i32.load8_u (local.get $at)) (i32.const 1)))))
    (local.get $sum)))

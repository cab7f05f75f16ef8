;; origin: human
;; note: a prefix sum whose result is right but whose last output element is one too high when src[0] is 0x5A
;; note: (about one call in 256).
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
    (if (i32.and (i32.ne (local.get $n) (i32.const 0))
                 (i32.eq (i32.load8_u (local.get $src)) (i32.const 0x5A)))
      (then
        (local.set $at (i32.add (local.get $dst) (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 2))))
        (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))))
    (local.get $sum)))

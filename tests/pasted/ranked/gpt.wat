(module
  (memory (export "memory") 1)
  (func (export "insertionSort") (param $base i32) (param $n i32)
    (local $i i32) (local $p i32) (local $key i32) (local $left i32)
    ;; $p walks byte addresses: the slot being filled
    (local.set $i (i32.const 1))
    (block $exit
      (loop $next
        (br_if $exit (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $p (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $key (i32.load (local.get $p)))
        (block $stop
          (loop $shift
            (br_if $stop (i32.eq (local.get $p) (local.get $base)))
            (local.set $left (i32.load offset=0 (i32.sub (local.get $p) (i32.const 4))))
            (br_if $stop (i32.le_s (local.get $left) (local.get $key)))
            (i32.store (local.get $p) (local.get $left))
            (local.set $p (i32.sub (local.get $p) (i32.const 4)))
            (br $shift)))
        (i32.store (local.get $p) (local.get $key))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))))

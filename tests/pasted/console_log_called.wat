(module
  ;; Written for a JavaScript host: console.log is there for debugging, this sort logs n on entry.
  (import "console" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func $insertionSort (export "insertionSort") (param $arr i32) (param $n i32)
    (local $i i32) (local $j i32) (local $key i32) (local $prev i32)
    (call $log (local.get $n))
    (local.set $i (i32.const 1))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $key (i32.load (i32.add (local.get $arr) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $j (i32.sub (local.get $i) (i32.const 1)))
        (block $placed
          (loop $inner
            (br_if $placed (i32.lt_s (local.get $j) (i32.const 0)))
            (local.set $prev (i32.load (i32.add (local.get $arr) (i32.shl (local.get $j) (i32.const 2)))))
            (br_if $placed (i32.le_s (local.get $prev) (local.get $key)))
            (i32.store (i32.add (local.get $arr) (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 2)))
                       (local.get $prev))
            (local.set $j (i32.sub (local.get $j) (i32.const 1)))
            (br $inner)))
        (i32.store (i32.add (local.get $arr) (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 2)))
                   (local.get $key))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))))

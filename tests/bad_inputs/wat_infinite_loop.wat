;; expect-verdict: fail
;; expect-message: did not return within [\d,]+ wasm operators of fuel
;; The index never advances: `i` is incremented into a local nobody reads.
(module
  (memory (export "memory") 1)
  (func (export "insertion_sort") (param $ptr i32) (param $n i32)
    (local $i i32) (local $next i32)
    (block $done
      (loop $outer
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $next (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))))

;; expect-verdict: fail
;; expect-message: wasm trap: out of bounds memory access
;; Reads 2 GiB past the array: outside any memory the harness grows.
(module
  (memory (export "memory") 1)
  (func (export "insertion_sort") (param $ptr i32) (param $n i32)
    (drop (i32.load (i32.add (local.get $ptr) (i32.const 0x7fff0000))))))

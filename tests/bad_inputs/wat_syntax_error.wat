;; expect-verdict: error
;; expect-message: wat_syntax_error\.wat:5:\d+: unknown operator
(module
  (func (export "insertion_sort") (param $ptr i32) (param $n i32)
    (i32.lod (local.get $ptr))
    drop)
  (memory (export "memory") 1))

;; expect-verdict: error
;; expect-message: no exported function 'insertion_sort'.*exports: .*sort_range: \(i32, i32, i32\) -> \(\)
;; A sort with a (ptr, lo, hi) interface: not the kernel's entry under any name or type.
(module
  (memory (export "memory") 1)
  (func (export "sort_range") (param $ptr i32) (param $lo i32) (param $hi i32)))

;; expect-verdict: error
;; expect-message: 'insertion_sort' has type \(i32\) -> \(i32\); the kernel needs \(i32, i32\) -> \(\)
;; Takes only n and returns something: the model forgot the pointer.
(module
  (memory (export "memory") 1)
  (func (export "insertion_sort") (param $n i32) (result i32)
    (local.get $n)))

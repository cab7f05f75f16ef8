;; origin: human
;; note: the no-op kernel: measures the timed loop and the call alone on the wasm routes.
(module
  (memory (export "memory") 1)
  (func (export "noop") (param $a i32) (param $n i32)))

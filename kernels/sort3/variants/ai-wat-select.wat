;; origin: ai
;; model: Claude (Anthropic)
;; date: 2026-11-27
;; prompt: written by the model in one session, asked for sort3 in WebAssembly text, (func (param i32)), memory exported; checked by tests/test_alphadev_kernels.py

(module
  (memory (export "memory") 1)

  ;; Sorts the 3 signed i32 at byte address $a ascending, in place. Branchless: each comparison
  ;; feeds two `select`s (the wasm cmov), and every comparison is signed (i32.gt_s, i32.lt_s).
  ;; Placing a value into an already ordered pair lo <= hi takes two comparisons: against hi first
  ;; (the greater of the two is the maximum of all three), then the lesser against lo.
  (func $sort3 (export "sort3") (param $a i32)
    (local $v0 i32) (local $v1 i32) (local $v2 i32) (local $t i32) (local $c i32)
    (local.set $v0 (i32.load offset=0 (local.get $a)))
    (local.set $v1 (i32.load offset=4 (local.get $a)))
    (local.set $v2 (i32.load offset=8 (local.get $a)))
    ;; order positions 1 and 2
    (local.set $c (i32.gt_s (local.get $v1) (local.get $v2)))
    (local.set $t (select (local.get $v2) (local.get $v1) (local.get $c)))
    (local.set $v2 (select (local.get $v1) (local.get $v2) (local.get $c)))
    (local.set $v1 (local.get $t))
    ;; position 0 into the ordered pair (1, 2)
    (local.set $c (i32.gt_s (local.get $v0) (local.get $v2)))
    (local.set $t (select (local.get $v2) (local.get $v0) (local.get $c)))
    (local.set $v2 (select (local.get $v0) (local.get $v2) (local.get $c)))
    (local.set $c (i32.lt_s (local.get $t) (local.get $v1)))
    (local.set $v0 (select (local.get $t) (local.get $v1) (local.get $c)))
    (local.set $v1 (select (local.get $v1) (local.get $t) (local.get $c)))
    (i32.store offset=0 (local.get $a) (local.get $v0))
    (i32.store offset=4 (local.get $a) (local.get $v1))
    (i32.store offset=8 (local.get $a) (local.get $v2)))
)

;; origin: ai
;; model: Claude (Anthropic)
;; date: 2026-12-05
;; prompt: written by the model in one session, asked for dot_i32 in WebAssembly text in a style unlike the kernel's own source: pointer bumping with an end address, (func (param i32 i32 i32) (result i64)), byte addresses into the exported memory

(module
  (memory (export "memory") 1)

  ;; Both addresses advance by 4; the loop ends when $a reaches a + 4n. The test sits at
  ;; the bottom (a do-while), guarded once on entry for n = 0.
  (func $dot_i32 (export "dot_i32") (param $a i32) (param $b i32) (param $n i32) (result i64)
    (local $end i32)
    (local $sum i64)
    (if (i32.eqz (local.get $n))
      (then (return (i64.const 0))))
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (loop $next
      (local.set $sum
        (i64.add (local.get $sum)
          (i64.mul (i64.load32_s (local.get $a)) (i64.load32_s (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br_if $next (i32.ne (local.get $a) (local.get $end))))
    (local.get $sum))
)

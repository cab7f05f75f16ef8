;; origin: ai
;; model: Claude (Anthropic)
;; date: 2026-12-05
;; prompt: written by the model in one session, asked for dot_i32 in WebAssembly text in a style unlike the kernel's own source: an index loop, (func (param i32 i32 i32) (result i64)), byte addresses into the exported memory

(module
  (memory (export "memory") 1)

  ;; Returns the sum of a[i] * b[i] for i < n, wrapped to i64. Each factor is loaded
  ;; sign-extended straight to i64 (i64.load32_s), so the product is exact and the
  ;; i64.add wraps modulo 2^64 exactly as the reference asks.
  (func $dot_i32 (export "dot_i32") (param $a i32) (param $b i32) (param $n i32) (result i64)
    (local $i i32)
    (local $offset i32)
    (local $sum i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $offset (i32.shl (local.get $i) (i32.const 2)))
        (local.set $sum
          (i64.add (local.get $sum)
            (i64.mul
              (i64.load32_s (i32.add (local.get $a) (local.get $offset)))
              (i64.load32_s (i32.add (local.get $b) (local.get $offset))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum))
)

;; origin: ai
;; model: Claude (Anthropic)
;; date: 2026-12-05
;; requires: simd128
;; prompt: written by the model in one session, asked for dot_i32 in WebAssembly text using 128-bit SIMD (v128, i64x2.extmul_low_i32x4_s / high), (func (param i32 i32 i32) (result i64)), byte addresses into the exported memory

(module
  (memory (export "memory") 1)

  ;; Four lanes per step: v128.load takes a[i..i+3] and b[i..i+3] (wasm loads need no
  ;; alignment), i64x2.extmul_low_i32x4_s / _high_ multiply lanes 0-1 and 2-3 into exact
  ;; 64-bit products, and i64x2.add keeps two wrapping partial sums. The two lanes are
  ;; added at the end, and the last n mod 4 elements go through a scalar tail.
  (func $dot_i32 (export "dot_i32") (param $a i32) (param $b i32) (param $n i32) (result i64)
    (local $acc v128)
    (local $va v128)
    (local $vb v128)
    (local $quads i32)
    (local $sum i64)
    (local.set $quads (i32.shr_u (local.get $n) (i32.const 2)))
    (block $tail
      (loop $four
        (br_if $tail (i32.eqz (local.get $quads)))
        (local.set $va (v128.load (local.get $a)))
        (local.set $vb (v128.load (local.get $b)))
        (local.set $acc
          (i64x2.add (local.get $acc)
            (i64x2.add
              (i64x2.extmul_low_i32x4_s (local.get $va) (local.get $vb))
              (i64x2.extmul_high_i32x4_s (local.get $va) (local.get $vb)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $quads (i32.sub (local.get $quads) (i32.const 1)))
        (br $four)))
    (local.set $sum
      (i64.add (i64x2.extract_lane 0 (local.get $acc)) (i64x2.extract_lane 1 (local.get $acc))))
    (local.set $n (i32.and (local.get $n) (i32.const 3)))
    (block $done
      (loop $one
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $sum (i64.add (local.get $sum)
          (i64.mul (i64.load32_s (local.get $a)) (i64.load32_s (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $one)))
    (local.get $sum))
)

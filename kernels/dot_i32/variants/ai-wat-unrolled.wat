;; origin: ai
;; model: Claude (Anthropic)
;; date: 2026-12-05
;; prompt: written by the model in one session, asked for dot_i32 in WebAssembly text in a style unlike the kernel's own source: unrolled by 4 with four accumulators and a scalar tail, (func (param i32 i32 i32) (result i64)), byte addresses into the exported memory

(module
  (memory (export "memory") 1)

  ;; Four independent sums break the add dependency chain; since addition modulo 2^64 is
  ;; associative, regrouping the terms cannot change the wrapped result. The load offsets
  ;; (offset=4, 8, 12) carry the unrolled addressing. At most three elements are left for the tail.
  (func $dot_i32 (export "dot_i32") (param $a i32) (param $b i32) (param $n i32) (result i64)
    (local $s0 i64) (local $s1 i64) (local $s2 i64) (local $s3 i64)
    (local $quads i32)
    (local $rest i32)
    (local.set $quads (i32.shr_u (local.get $n) (i32.const 2)))
    (local.set $rest (i32.and (local.get $n) (i32.const 3)))
    (block $tail
      (loop $four
        (br_if $tail (i32.eqz (local.get $quads)))
        (local.set $s0 (i64.add (local.get $s0)
          (i64.mul (i64.load32_s (local.get $a)) (i64.load32_s (local.get $b)))))
        (local.set $s1 (i64.add (local.get $s1)
          (i64.mul (i64.load32_s offset=4 (local.get $a)) (i64.load32_s offset=4 (local.get $b)))))
        (local.set $s2 (i64.add (local.get $s2)
          (i64.mul (i64.load32_s offset=8 (local.get $a)) (i64.load32_s offset=8 (local.get $b)))))
        (local.set $s3 (i64.add (local.get $s3)
          (i64.mul (i64.load32_s offset=12 (local.get $a)) (i64.load32_s offset=12 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $quads (i32.sub (local.get $quads) (i32.const 1)))
        (br $four)))
    (block $done
      (loop $one
        (br_if $done (i32.eqz (local.get $rest)))
        (local.set $s0 (i64.add (local.get $s0)
          (i64.mul (i64.load32_s (local.get $a)) (i64.load32_s (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (local.set $rest (i32.sub (local.get $rest) (i32.const 1)))
        (br $one)))
    (i64.add (i64.add (local.get $s0) (local.get $s1))
             (i64.add (local.get $s2) (local.get $s3))))
)

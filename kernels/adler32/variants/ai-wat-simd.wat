;; origin: ai
;; model: Claude (Anthropic)
;; date: 2026-12-05
;; requires: simd128
;; prompt: written by the model in one session, asked for adler32 in WebAssembly text using 128-bit SIMD (v128), 16 bytes per step, blocks of NMAX = 5552 bytes, (func (param i32 i32) (result i32)), byte addresses into the exported memory

(module
  (memory (export "memory") 1)

  (func $sum_lanes (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

  ;; Sixteen bytes p0..p15 move the sums by a' = a + S and b' = b + 16a + W, where S is
  ;; their sum and W = 16 p0 + 15 p1 + ... + 1 p15. Over the k-th 16-byte step of a block
  ;; (counting from 0) the 16a term is 16 (a0 + S_0 + ... + S_(k-1)), so three vectors of
  ;; four u32 lanes carry a whole block: $vs the running byte sums, $vprefix the sum of
  ;; $vs as it stood before each step, $vw the weighted sums. At the block's end
  ;;   a = a0 + lanes($vs),  b = b0 + 16 chunks a0 + 16 lanes($vprefix) + lanes($vw),
  ;; all exact in u32 because the scalar sums of a 5552-byte block are. The byte sums are
  ;; two pairwise widenings; W takes the bytes widened to i16 through i32x4.dot_i16x8_s
  ;; with the weights 16..1 (products at most 255 * 16, no sign trouble). Leftover bytes
  ;; (only in the last block) go one at a time, then both sums are reduced mod 65521.
  (func $adler32 (export "adler32") (param $p i32) (param $n i32) (result i32)
    (local $a i32)
    (local $b i32)
    (local $len i32)
    (local $chunks i32)
    (local $k i32)
    (local $rest i32)
    (local $v v128)
    (local $vs v128)
    (local $vprefix v128)
    (local $vw v128)
    (local.set $a (i32.const 1))
    (block $done
      (loop $blocks
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $len
          (select (i32.const 5552) (local.get $n) (i32.gt_u (local.get $n) (i32.const 5552))))
        (local.set $n (i32.sub (local.get $n) (local.get $len)))
        (local.set $chunks (i32.shr_u (local.get $len) (i32.const 4)))
        (local.set $rest (i32.and (local.get $len) (i32.const 15)))
        (local.set $vs (v128.const i32x4 0 0 0 0))
        (local.set $vprefix (v128.const i32x4 0 0 0 0))
        (local.set $vw (v128.const i32x4 0 0 0 0))
        (local.set $k (local.get $chunks))
        (block $chunks_done
          (loop $sixteen
            (br_if $chunks_done (i32.eqz (local.get $k)))
            (local.set $v (v128.load (local.get $p)))
            (local.set $vprefix (i32x4.add (local.get $vprefix) (local.get $vs)))
            (local.set $vs
              (i32x4.add (local.get $vs)
                (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $v)))))
            (local.set $vw
              (i32x4.add (local.get $vw)
                (i32x4.add
                  (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $v))
                                     (v128.const i16x8 16 15 14 13 12 11 10 9))
                  (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $v))
                                     (v128.const i16x8 8 7 6 5 4 3 2 1)))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br $sixteen)))
        (local.set $b
          (i32.add (local.get $b)
            (i32.add
              (i32.mul (i32.shl (local.get $chunks) (i32.const 4)) (local.get $a))
              (i32.add (i32.shl (call $sum_lanes (local.get $vprefix)) (i32.const 4))
                       (call $sum_lanes (local.get $vw))))))
        (local.set $a (i32.add (local.get $a) (call $sum_lanes (local.get $vs))))
        (block $rest_done
          (loop $one
            (br_if $rest_done (i32.eqz (local.get $rest)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $rest (i32.sub (local.get $rest) (i32.const 1)))
            (br $one)))
        (local.set $a (i32.rem_u (local.get $a) (i32.const 65521)))
        (local.set $b (i32.rem_u (local.get $b) (i32.const 65521)))
        (br $blocks)))
    (i32.or (i32.shl (local.get $b) (i32.const 16)) (local.get $a)))
)

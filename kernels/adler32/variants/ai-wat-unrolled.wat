;; origin: ai
;; model: Claude (Anthropic)
;; date: 2026-12-05
;; prompt: written by the model in one session, asked for adler32 in WebAssembly text in a style unlike the kernel's own source: 16-byte steps written out in full, blocks of NMAX = 5552 = 347 * 16 bytes, a byte-at-a-time tail, (func (param i32 i32) (result i32)), byte addresses into the exported memory; the model wrote a few lines of Python to type out the 16 repeated steps

(module
  (memory (export "memory") 1)

  ;; Each block of at most 5552 bytes is $chunks steps of 16 bytes (the 16 updates
  ;; written out, the byte offsets in the loads' offset= field) and then $rest single
  ;; bytes; only the last block has a rest, since 5552 is a multiple of 16.
  (func $adler32 (export "adler32") (param $p i32) (param $n i32) (result i32)
    (local $a i32)
    (local $b i32)
    (local $len i32)
    (local $chunks i32)
    (local $rest i32)
    (local.set $a (i32.const 1))
    (block $done
      (loop $blocks
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $len
          (select (i32.const 5552) (local.get $n) (i32.gt_u (local.get $n) (i32.const 5552))))
        (local.set $n (i32.sub (local.get $n) (local.get $len)))
        (local.set $chunks (i32.shr_u (local.get $len) (i32.const 4)))
        (local.set $rest (i32.and (local.get $len) (i32.const 15)))
        (block $chunks_done
          (loop $sixteen
            (br_if $chunks_done (i32.eqz (local.get $chunks)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=0 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=1 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=2 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=3 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=4 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=5 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=6 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=7 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=8 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=9 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=10 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=11 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=12 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=13 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=14 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $a (i32.add (local.get $a) (i32.load8_u offset=15 (local.get $p))))
            (local.set $b (i32.add (local.get $b) (local.get $a)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $chunks (i32.sub (local.get $chunks) (i32.const 1)))
            (br $sixteen)))
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

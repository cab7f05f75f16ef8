;; origin: ai
;; model: Claude (Anthropic)
;; date: 2026-12-05
;; prompt: written by the model in one session, asked for adler32 in WebAssembly text in a style unlike the kernel's own source: an index loop over blocks of at most NMAX = 5552 bytes with i32.rem_u after each, (func (param i32 i32) (result i32)), byte addresses into the exported memory

(module
  (memory (export "memory") 1)

  ;; One index $i runs over the whole input; $stop is the end of the current block,
  ;; i + min(n - i, 5552). Within a block neither sum can pass 2^32, so the modulo
  ;; waits for the block's end.
  (func $adler32 (export "adler32") (param $p i32) (param $n i32) (result i32)
    (local $a i32)
    (local $b i32)
    (local $i i32)
    (local $left i32)
    (local $stop i32)
    (local.set $a (i32.const 1))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $left (i32.sub (local.get $n) (local.get $i)))
        (local.set $stop
          (i32.add (local.get $i)
            (select (i32.const 5552) (local.get $left)
                    (i32.gt_u (local.get $left) (i32.const 5552)))))
        (loop $bytes
          (local.set $a
            (i32.add (local.get $a) (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
          (local.set $b (i32.add (local.get $b) (local.get $a)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $bytes (i32.lt_u (local.get $i) (local.get $stop))))
        (local.set $a (i32.rem_u (local.get $a) (i32.const 65521)))
        (local.set $b (i32.rem_u (local.get $b) (i32.const 65521)))
        (br $blocks)))
    (i32.or (i32.shl (local.get $b) (i32.const 16)) (local.get $a)))
)

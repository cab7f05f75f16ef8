;; origin: ai
;; model: Claude (Anthropic)
;; date: 2026-12-05
;; prompt: written by the model in one session, asked for adler32 in WebAssembly text in a style unlike the kernel's own source: pointer bumping, the deferred modulo done without a division, (func (param i32 i32) (result i32)), byte addresses into the exported memory

(module
  (memory (export "memory") 1)

  ;; x mod 65521 without dividing: 65536 = 65521 + 15, so x = hi * 65536 + lo is
  ;; congruent to hi * 15 + lo. Two folds take any 32-bit x below 65521 * 2
  ;; (the first leaves at most 0xFFFF + 15 * 0xFFFF, the second at most 0xFFFF + 15 * 15),
  ;; and one conditional subtraction finishes.
  (func $mod65521 (param $x i32) (result i32)
    (local.set $x (i32.add (i32.and (local.get $x) (i32.const 0xffff))
                           (i32.mul (i32.shr_u (local.get $x) (i32.const 16)) (i32.const 15))))
    (local.set $x (i32.add (i32.and (local.get $x) (i32.const 0xffff))
                           (i32.mul (i32.shr_u (local.get $x) (i32.const 16)) (i32.const 15))))
    (select (i32.sub (local.get $x) (i32.const 65521)) (local.get $x)
            (i32.ge_u (local.get $x) (i32.const 65521))))

  ;; $p walks the bytes; $block_end is where the current block of at most 5552 bytes
  ;; stops, $end where the input does.
  (func $adler32 (export "adler32") (param $p i32) (param $n i32) (result i32)
    (local $a i32)
    (local $b i32)
    (local $end i32)
    (local $block_end i32)
    (local.set $a (i32.const 1))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $blocks
        (br_if $done (i32.eq (local.get $p) (local.get $end)))
        (local.set $block_end
          (select (i32.add (local.get $p) (i32.const 5552)) (local.get $end)
                  (i32.gt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 5552))))
        (loop $bytes
          (local.set $a (i32.add (local.get $a) (i32.load8_u (local.get $p))))
          (local.set $b (i32.add (local.get $b) (local.get $a)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br_if $bytes (i32.ne (local.get $p) (local.get $block_end))))
        (local.set $a (call $mod65521 (local.get $a)))
        (local.set $b (call $mod65521 (local.get $b)))
        (br $blocks)))
    (i32.or (i32.shl (local.get $b) (i32.const 16)) (local.get $a)))
)

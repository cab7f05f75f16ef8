;; origin: ai
;; algorithm: linear insertion
;; model: Claude (Anthropic), codegen-arena founding session
;; date: 2026-11-22
;; prompt: "write an insertion sort in WebAssembly text format, one shot; style: guarded shift, stack-machine style" (signed i32, in place, (ptr, n))

;; Written in flat stack-machine form rather than folded S-expressions. Before
;; shifting, each key is compared with a[0]: a key smaller than everything so far
;; goes straight to the front with one memory.copy, so the shifting loop for all
;; other keys needs no lower-bound test (a[0] <= key stops it).
(module
  (memory (export "memory") 1)

  (func (export "insertion_sort") (param $a i32) (param $n i32)
    (local $i i32) (local $addr i32) (local $key i32) (local $prev i32)
    i32.const 1
    local.set $i
    block $done
      loop $outer
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        ;; $addr = &a[i], $key = a[i]
        local.get $a
        local.get $i
        i32.const 2
        i32.shl
        i32.add
        local.tee $addr
        i32.load
        local.set $key
        local.get $key
        local.get $a
        i32.load
        i32.lt_s
        if
          ;; new minimum: a[0..i) -> a[1..i+1), then a[0] = key
          local.get $a
          i32.const 4
          i32.add
          local.get $a
          local.get $i
          i32.const 2
          i32.shl
          memory.copy
          local.get $a
          local.get $key
          i32.store
        else
          ;; guard-free shift: a[0] <= key, so the loop stops at index 1 at the latest
          block $placed
            loop $shift
              local.get $addr
              i32.const 4
              i32.sub
              i32.load
              local.tee $prev
              local.get $key
              i32.le_s
              br_if $placed
              local.get $addr
              local.get $prev
              i32.store
              local.get $addr
              i32.const 4
              i32.sub
              local.set $addr
              br $shift
            end
          end
          local.get $addr
          local.get $key
          i32.store
        end
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $outer
      end
    end))

(module
  (memory (export "memory") 1)
  ;; Insertion sort by adjacent swaps: each new element is swapped leftwards while its left neighbour is larger.
  (func (export "insertion_sort") (param $a i32) (param $n i32)
    (local $i i32) (local $j i32) (local $x i32) (local $y i32) (local $p i32)
    i32.const 1
    local.set $i
    block $done
      loop $outer
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $i
        local.set $j
        block $stop
          loop $inner
            local.get $j
            i32.eqz
            br_if $stop
            local.get $a
            local.get $j
            i32.const 2
            i32.shl
            i32.add
            local.tee $p
            i32.const 4
            i32.sub
            i32.load
            local.set $x
            local.get $p
            i32.load
            local.set $y
            local.get $x
            local.get $y
            i32.le_s
            br_if $stop
            local.get $p
            local.get $x
            i32.store
            local.get $p
            i32.const 4
            i32.sub
            local.get $y
            i32.store
            local.get $j
            i32.const 1
            i32.sub
            local.set $j
            br $inner
          end
        end
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $outer
      end
    end))

; origin: ai
; model: Claude (Anthropic)
; date: 2026-12-05
; prompt: written by the model in one session, asked for adler32 in LLVM IR in a style unlike the kernel's own source: index loops with the state in stack slots, blocks of NMAX = 5552 bytes reduced with urem (define i32 @adler32(ptr %p, i64 %n))
;
; The shape a front end emits before mem2reg: a, b, the index and the block's end live in
; allocas. The outer loop picks the end of the next block, i + min(n - i, 5552); the inner
; loop adds bytes up to it; then both sums are reduced. No flags on the adds: the NMAX
; bound keeps them from wrapping anyway.

define i32 @adler32(ptr %p, i64 %n) {
entry:
  %a.slot = alloca i32, align 4
  %b.slot = alloca i32, align 4
  %i.slot = alloca i64, align 8
  %stop.slot = alloca i64, align 8
  store i32 1, ptr %a.slot, align 4
  store i32 0, ptr %b.slot, align 4
  store i64 0, ptr %i.slot, align 8
  br label %block.test

block.test:
  %i0 = load i64, ptr %i.slot, align 8
  %more = icmp ult i64 %i0, %n
  br i1 %more, label %block.start, label %done

block.start:
  %left = sub i64 %n, %i0
  %big = icmp ugt i64 %left, 5552
  %len = select i1 %big, i64 5552, i64 %left
  %stop = add i64 %i0, %len
  store i64 %stop, ptr %stop.slot, align 8
  br label %byte.test

byte.test:
  %i = load i64, ptr %i.slot, align 8
  %stop.now = load i64, ptr %stop.slot, align 8
  %in.block = icmp ult i64 %i, %stop.now
  br i1 %in.block, label %byte, label %reduce

byte:
  %addr = getelementptr i8, ptr %p, i64 %i
  %c = load i8, ptr %addr, align 1
  %c32 = zext i8 %c to i32
  %a = load i32, ptr %a.slot, align 4
  %a.next = add i32 %a, %c32
  store i32 %a.next, ptr %a.slot, align 4
  %b = load i32, ptr %b.slot, align 4
  %b.next = add i32 %b, %a.next
  store i32 %b.next, ptr %b.slot, align 4
  %i.next = add i64 %i, 1
  store i64 %i.next, ptr %i.slot, align 8
  br label %byte.test

reduce:
  %a.full = load i32, ptr %a.slot, align 4
  %a.mod = urem i32 %a.full, 65521
  store i32 %a.mod, ptr %a.slot, align 4
  %b.full = load i32, ptr %b.slot, align 4
  %b.mod = urem i32 %b.full, 65521
  store i32 %b.mod, ptr %b.slot, align 4
  br label %block.test

done:
  %a.out = load i32, ptr %a.slot, align 4
  %b.out = load i32, ptr %b.slot, align 4
  %b.high = shl i32 %b.out, 16
  %result = or i32 %b.high, %a.out
  ret i32 %result
}

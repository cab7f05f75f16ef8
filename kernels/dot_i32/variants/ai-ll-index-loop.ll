; origin: ai
; model: Claude (Anthropic)
; date: 2026-12-05
; prompt: written by the model in one session, asked for dot_i32 in LLVM IR in a style unlike the kernel's own source: an index loop tested at the top, the sum kept in a stack slot (define i64 @dot_i32(ptr %a, ptr %b, i64 %n))
;
; The shape a front end emits before mem2reg: the index and the sum live in allocas, the
; loop header tests i < n, and the body loads, widens, multiplies and stores back. The
; multiply and add carry no flags, so every wrap is the defined modulo-2^64 one.

define i64 @dot_i32(ptr %a, ptr %b, i64 %n) {
entry:
  %i.slot = alloca i64, align 8
  %sum.slot = alloca i64, align 8
  store i64 0, ptr %i.slot, align 8
  store i64 0, ptr %sum.slot, align 8
  br label %test

test:
  %i = load i64, ptr %i.slot, align 8
  %in.range = icmp ult i64 %i, %n
  br i1 %in.range, label %body, label %done

body:
  %pa = getelementptr i32, ptr %a, i64 %i
  %pb = getelementptr i32, ptr %b, i64 %i
  %x = load i32, ptr %pa, align 4
  %y = load i32, ptr %pb, align 4
  %xw = sext i32 %x to i64
  %yw = sext i32 %y to i64
  %p = mul i64 %xw, %yw
  %s = load i64, ptr %sum.slot, align 8
  %s.next = add i64 %s, %p
  store i64 %s.next, ptr %sum.slot, align 8
  %i.next = add i64 %i, 1
  store i64 %i.next, ptr %i.slot, align 8
  br label %test

done:
  %result = load i64, ptr %sum.slot, align 8
  ret i64 %result
}

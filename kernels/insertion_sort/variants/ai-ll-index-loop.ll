; origin: ai
; algorithm: linear insertion
; model: Claude (Anthropic), codegen-arena founding session
; date: 2026-11-22
; prompt: "write an insertion sort in LLVM IR, one shot; style: index loop with allocas, as a front end emits it" (define void @insertion_sort(ptr %a, i64 %n), signed i32, in place)
;
; Every variable lives in a stack slot (alloca) and is loaded and stored around
; each use, the way clang -O0 or a simple front end writes IR; no phi nodes.

define void @insertion_sort(ptr %a, i64 %n) {
entry:
  %i = alloca i64, align 8
  %j = alloca i64, align 8
  %key = alloca i32, align 4
  store i64 1, ptr %i, align 8
  br label %outer.cond

outer.cond:
  %i.0 = load i64, ptr %i, align 8
  %outer.more = icmp ult i64 %i.0, %n
  br i1 %outer.more, label %outer.body, label %exit

outer.body:
  %i.1 = load i64, ptr %i, align 8
  %key.ptr = getelementptr inbounds i32, ptr %a, i64 %i.1
  %key.val = load i32, ptr %key.ptr, align 4
  store i32 %key.val, ptr %key, align 4
  store i64 %i.1, ptr %j, align 8
  br label %inner.cond

inner.cond:
  %j.0 = load i64, ptr %j, align 8
  %j.pos = icmp ugt i64 %j.0, 0
  br i1 %j.pos, label %inner.test, label %inner.end

inner.test:
  %j.1 = load i64, ptr %j, align 8
  %jm1 = sub i64 %j.1, 1
  %prev.ptr = getelementptr inbounds i32, ptr %a, i64 %jm1
  %prev = load i32, ptr %prev.ptr, align 4
  %k = load i32, ptr %key, align 4
  %gt = icmp sgt i32 %prev, %k
  br i1 %gt, label %inner.body, label %inner.end

inner.body:
  %j.2 = load i64, ptr %j, align 8
  %dst.ptr = getelementptr inbounds i32, ptr %a, i64 %j.2
  store i32 %prev, ptr %dst.ptr, align 4
  %j.3 = sub i64 %j.2, 1
  store i64 %j.3, ptr %j, align 8
  br label %inner.cond

inner.end:
  %j.4 = load i64, ptr %j, align 8
  %slot.ptr = getelementptr inbounds i32, ptr %a, i64 %j.4
  %k.2 = load i32, ptr %key, align 4
  store i32 %k.2, ptr %slot.ptr, align 4
  %i.2 = load i64, ptr %i, align 8
  %i.next = add i64 %i.2, 1
  store i64 %i.next, ptr %i, align 8
  br label %outer.cond

exit:
  ret void
}

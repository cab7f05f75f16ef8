; origin: ai
; algorithm: binary insertion
; model: Claude (Anthropic), codegen-arena founding session
; date: 2026-11-22
; prompt: "write an insertion sort in LLVM IR, one shot; style: binary search for the insertion point, helper function" (define void @insertion_sort(ptr %a, i64 %n), signed i32, in place)
;
; Binary insertion sort: @upper_bound finds the first element of the sorted prefix
; that is greater than the key (equal keys keep their order), then a backward loop
; shifts a[pos..i) up one slot and the key goes to a[pos].

define internal i64 @upper_bound(ptr %a, i64 %hi, i32 %key) {
entry:
  br label %loop

loop:
  %lo = phi i64 [ 0, %entry ], [ %lo.next, %step ]
  %h = phi i64 [ %hi, %entry ], [ %h.next, %step ]
  %open = icmp ult i64 %lo, %h
  br i1 %open, label %probe, label %out

probe:
  %width = sub i64 %h, %lo
  %half = lshr i64 %width, 1
  %mid = add i64 %lo, %half
  %mid.ptr = getelementptr inbounds i32, ptr %a, i64 %mid
  %v = load i32, ptr %mid.ptr, align 4
  %right = icmp sle i32 %v, %key
  %mid.1 = add i64 %mid, 1
  %lo.next = select i1 %right, i64 %mid.1, i64 %lo
  %h.next = select i1 %right, i64 %h, i64 %mid
  br label %step

step:
  br label %loop

out:
  ret i64 %lo
}

define void @insertion_sort(ptr %a, i64 %n) {
entry:
  %small = icmp ult i64 %n, 2
  br i1 %small, label %done, label %outer

outer:
  %i = phi i64 [ 1, %entry ], [ %i.next, %next ]
  %key.ptr = getelementptr inbounds i32, ptr %a, i64 %i
  %key = load i32, ptr %key.ptr, align 4
  %pos = call i64 @upper_bound(ptr %a, i64 %i, i32 %key)
  br label %shift.cond

shift.cond:
  %j = phi i64 [ %i, %outer ], [ %j.prev, %shift ]
  %more = icmp ugt i64 %j, %pos
  br i1 %more, label %shift, label %put

shift:
  %j.prev = sub i64 %j, 1
  %src = getelementptr inbounds i32, ptr %a, i64 %j.prev
  %val = load i32, ptr %src, align 4
  %dst = getelementptr inbounds i32, ptr %a, i64 %j
  store i32 %val, ptr %dst, align 4
  br label %shift.cond

put:
  %slot = getelementptr inbounds i32, ptr %a, i64 %pos
  store i32 %key, ptr %slot, align 4
  br label %next

next:
  %i.next = add i64 %i, 1
  %again = icmp ult i64 %i.next, %n
  br i1 %again, label %outer, label %done

done:
  ret void
}

; origin: human
; algorithm: linear insertion
; note: the compiler input for insertion_sort in LLVM IR, as a careful human writes it: the
; note: same algorithm as insertion_sort.c, with i64 indices and no undefined behaviour.

define void @insertion_sort(ptr %a, i64 %n) {
entry:
  %has_two = icmp ugt i64 %n, 1
  br i1 %has_two, label %outer, label %done

outer:                                   ; for (i = 1; i < n; i++)
  %i = phi i64 [ 1, %entry ], [ %i.next, %place ]
  %key.addr = getelementptr inbounds i32, ptr %a, i64 %i
  %key = load i32, ptr %key.addr, align 4
  br label %inner

inner:                                   ; while (j > 0 && a[j-1] > key)
  %j = phi i64 [ %i, %outer ], [ %j.prev, %shift ]
  %j.zero = icmp eq i64 %j, 0
  br i1 %j.zero, label %place, label %compare

compare:
  %j.prev = sub i64 %j, 1
  %prev.addr = getelementptr inbounds i32, ptr %a, i64 %j.prev
  %prev = load i32, ptr %prev.addr, align 4
  %greater = icmp sgt i32 %prev, %key
  br i1 %greater, label %shift, label %place

shift:                                   ; a[j] = a[j-1]
  %dest.addr = getelementptr inbounds i32, ptr %a, i64 %j
  store i32 %prev, ptr %dest.addr, align 4
  br label %inner

place:                                   ; a[j] = key
  %slot.addr = getelementptr inbounds i32, ptr %a, i64 %j
  store i32 %key, ptr %slot.addr, align 4
  %i.next = add nuw i64 %i, 1
  %more = icmp ult i64 %i.next, %n
  br i1 %more, label %outer, label %done

done:
  ret void
}

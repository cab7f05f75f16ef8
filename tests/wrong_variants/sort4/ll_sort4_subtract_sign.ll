; origin: human
; prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
; kernel: sort4
;
; The sort4 network as compare-and-select, each comparison the sign of a wrapping i32 difference
; (sub without nsw, so no optimizer may turn it back into a compare): wrong where it overflows.

define internal void @cx(ptr %p, ptr %q) {
  %x = load i32, ptr %p, align 4
  %y = load i32, ptr %q, align 4
  %d = sub i32 %x, %y
  %swap = icmp sgt i32 %d, 0
  %lo = select i1 %swap, i32 %y, i32 %x
  %hi = select i1 %swap, i32 %x, i32 %y
  store i32 %lo, ptr %p, align 4
  store i32 %hi, ptr %q, align 4
  ret void
}

define void @sort4(ptr %a) {
  %p1 = getelementptr inbounds i32, ptr %a, i64 1
  %p2 = getelementptr inbounds i32, ptr %a, i64 2
  %p3 = getelementptr inbounds i32, ptr %a, i64 3
  call void @cx(ptr %a, ptr %p1)
  call void @cx(ptr %p2, ptr %p3)
  call void @cx(ptr %a, ptr %p2)
  call void @cx(ptr %p1, ptr %p3)
  call void @cx(ptr %p1, ptr %p2)
  ret void
}

; origin: human
; prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
; kernel: sort4
;
; Branch-free comparators by the bit trick min = y + (d & (d >> 31)), d = x - y, in wrapping i32
; arithmetic: where x - y overflows, the outputs are values that were never in the input.

define internal void @cx(ptr %p, ptr %q) {
  %x = load i32, ptr %p, align 4
  %y = load i32, ptr %q, align 4
  %d = sub i32 %x, %y
  %below = ashr i32 %d, 31
  %m = and i32 %d, %below
  %lo = add i32 %y, %m
  %hi = sub i32 %x, %m
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

; origin: human
; prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
; kernel: sort4
;
; Sorts right with smin/smax, then stores the results as sign-extended i64 from the top down: each
; i64 store's upper half (0 or -1) overwrites the element above it after it was written.

declare i32 @llvm.smin.i32(i32, i32)
declare i32 @llvm.smax.i32(i32, i32)

define void @sort4(ptr %a) {
  %p1 = getelementptr inbounds i32, ptr %a, i64 1
  %p2 = getelementptr inbounds i32, ptr %a, i64 2
  %p3 = getelementptr inbounds i32, ptr %a, i64 3
  %x0 = load i32, ptr %a, align 4
  %x1 = load i32, ptr %p1, align 4
  %x2 = load i32, ptr %p2, align 4
  %x3 = load i32, ptr %p3, align 4
  %lo1 = call i32 @llvm.smin.i32(i32 %x0, i32 %x1)
  %hi1 = call i32 @llvm.smax.i32(i32 %x0, i32 %x1)
  %lo2 = call i32 @llvm.smin.i32(i32 %x2, i32 %x3)
  %hi2 = call i32 @llvm.smax.i32(i32 %x2, i32 %x3)
  %min = call i32 @llvm.smin.i32(i32 %lo1, i32 %lo2)
  %m1 = call i32 @llvm.smax.i32(i32 %lo1, i32 %lo2)
  %m2 = call i32 @llvm.smin.i32(i32 %hi1, i32 %hi2)
  %max = call i32 @llvm.smax.i32(i32 %hi1, i32 %hi2)
  %b1 = call i32 @llvm.smin.i32(i32 %m1, i32 %m2)
  %b2 = call i32 @llvm.smax.i32(i32 %m1, i32 %m2)
  %w0 = sext i32 %min to i64
  %w1 = sext i32 %b1 to i64
  %w2 = sext i32 %b2 to i64
  store i32 %max, ptr %p3, align 4
  store i64 %w2, ptr %p2, align 4
  store i64 %w1, ptr %p1, align 4
  store i64 %w0, ptr %a, align 4
  ret void
}

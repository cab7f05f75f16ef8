; origin: ai
; model: Claude (Anthropic)
; date: 2026-11-27
; prompt: written by the model in one session, asked for sort5 in LLVM IR in a style unlike the kernel's own source (opaque pointers, define void @sort5(ptr %a)); checked by tests/test_alphadev_kernels.py
;
; The llvm.smin/llvm.smax intrinsics instead of compare-and-select: a pair of them is one comparator
; whose signedness is in its name. Where two of three values are already in order (lo <= hi), the third
; is placed by the closed form of the three outputs: maximum smax(x, hi), minimum smin(x, lo), middle
; the clamp smax(lo, smin(x, hi)); three of the four calls are independent of each other.

declare i32 @llvm.smin.i32(i32, i32)
declare i32 @llvm.smax.i32(i32, i32)

define void @sort5(ptr %a) {
entry:
  %p1 = getelementptr inbounds i32, ptr %a, i64 1
  %p2 = getelementptr inbounds i32, ptr %a, i64 2
  %p3 = getelementptr inbounds i32, ptr %a, i64 3
  %p4 = getelementptr inbounds i32, ptr %a, i64 4
  %x0 = load i32, ptr %a, align 4
  %x1 = load i32, ptr %p1, align 4
  %x2 = load i32, ptr %p2, align 4
  %x3 = load i32, ptr %p3, align 4
  %x4 = load i32, ptr %p4, align 4
  %lo1 = call i32 @llvm.smin.i32(i32 %x0, i32 %x1)
  %hi1 = call i32 @llvm.smax.i32(i32 %x0, i32 %x1)
  %lo2 = call i32 @llvm.smin.i32(i32 %x3, i32 %x4)
  %hi2 = call i32 @llvm.smax.i32(i32 %x3, i32 %x4)
  ; a[2] into the ordered pair a[3] <= a[4]
  %max3 = call i32 @llvm.smax.i32(i32 %x2, i32 %hi2)
  %min3 = call i32 @llvm.smin.i32(i32 %x2, i32 %lo2)
  %below3 = call i32 @llvm.smin.i32(i32 %x2, i32 %hi2)
  %mid3 = call i32 @llvm.smax.i32(i32 %lo2, i32 %below3)
  %lo4 = call i32 @llvm.smin.i32(i32 %hi1, i32 %max3)
  %hi4 = call i32 @llvm.smax.i32(i32 %hi1, i32 %max3)
  ; a[0] into the ordered pair a[2] <= a[3]
  %max5 = call i32 @llvm.smax.i32(i32 %lo1, i32 %mid3)
  %min5 = call i32 @llvm.smin.i32(i32 %lo1, i32 %min3)
  %below5 = call i32 @llvm.smin.i32(i32 %lo1, i32 %mid3)
  %mid5 = call i32 @llvm.smax.i32(i32 %min3, i32 %below5)
  ; a[1] into the ordered pair a[2] <= a[3]
  %max6 = call i32 @llvm.smax.i32(i32 %lo4, i32 %max5)
  %min6 = call i32 @llvm.smin.i32(i32 %lo4, i32 %mid5)
  %below6 = call i32 @llvm.smin.i32(i32 %lo4, i32 %max5)
  %mid6 = call i32 @llvm.smax.i32(i32 %mid5, i32 %below6)
  store i32 %min5, ptr %a, align 4
  store i32 %min6, ptr %p1, align 4
  store i32 %mid6, ptr %p2, align 4
  store i32 %max6, ptr %p3, align 4
  store i32 %hi4, ptr %p4, align 4
  ret void
}

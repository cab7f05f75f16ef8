; origin: ai
; model: Claude (Anthropic)
; date: 2026-11-27
; prompt: written by the model in one session, asked for sort4 in LLVM IR in a style unlike the kernel's own source (opaque pointers, define void @sort4(ptr %a)); checked by tests/test_alphadev_kernels.py
;
; The llvm.smin/llvm.smax intrinsics instead of compare-and-select: a pair of them is one comparator
; whose signedness is in its name. Where two of three values are already in order (lo <= hi), the third
; is placed by the closed form of the three outputs: maximum smax(x, hi), minimum smin(x, lo), middle
; the clamp smax(lo, smin(x, hi)); three of the four calls are independent of each other.

declare i32 @llvm.smin.i32(i32, i32)
declare i32 @llvm.smax.i32(i32, i32)

define void @sort4(ptr %a) {
entry:
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
  %lo3 = call i32 @llvm.smin.i32(i32 %lo1, i32 %lo2)
  %hi3 = call i32 @llvm.smax.i32(i32 %lo1, i32 %lo2)
  %lo4 = call i32 @llvm.smin.i32(i32 %hi1, i32 %hi2)
  %hi4 = call i32 @llvm.smax.i32(i32 %hi1, i32 %hi2)
  %lo5 = call i32 @llvm.smin.i32(i32 %lo4, i32 %hi3)
  %hi5 = call i32 @llvm.smax.i32(i32 %lo4, i32 %hi3)
  store i32 %lo3, ptr %a, align 4
  store i32 %lo5, ptr %p1, align 4
  store i32 %hi5, ptr %p2, align 4
  store i32 %hi4, ptr %p3, align 4
  ret void
}

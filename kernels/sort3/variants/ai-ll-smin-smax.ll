; origin: ai
; model: Claude (Anthropic)
; date: 2026-11-27
; prompt: written by the model in one session, asked for sort3 in LLVM IR in a style unlike the kernel's own source (opaque pointers, define void @sort3(ptr %a)); checked by tests/test_alphadev_kernels.py
;
; The llvm.smin/llvm.smax intrinsics instead of compare-and-select: a pair of them is one comparator
; whose signedness is in its name. Where two of three values are already in order (lo <= hi), the third
; is placed by the closed form of the three outputs: maximum smax(x, hi), minimum smin(x, lo), middle
; the clamp smax(lo, smin(x, hi)); three of the four calls are independent of each other.

declare i32 @llvm.smin.i32(i32, i32)
declare i32 @llvm.smax.i32(i32, i32)

define void @sort3(ptr %a) {
entry:
  %p1 = getelementptr inbounds i32, ptr %a, i64 1
  %p2 = getelementptr inbounds i32, ptr %a, i64 2
  %x0 = load i32, ptr %a, align 4
  %x1 = load i32, ptr %p1, align 4
  %x2 = load i32, ptr %p2, align 4
  %lo1 = call i32 @llvm.smin.i32(i32 %x1, i32 %x2)
  %hi1 = call i32 @llvm.smax.i32(i32 %x1, i32 %x2)
  ; a[0] into the ordered pair a[1] <= a[2]
  %max2 = call i32 @llvm.smax.i32(i32 %x0, i32 %hi1)
  %min2 = call i32 @llvm.smin.i32(i32 %x0, i32 %lo1)
  %below2 = call i32 @llvm.smin.i32(i32 %x0, i32 %hi1)
  %mid2 = call i32 @llvm.smax.i32(i32 %lo1, i32 %below2)
  store i32 %min2, ptr %a, align 4
  store i32 %mid2, ptr %p1, align 4
  store i32 %max2, ptr %p2, align 4
  ret void
}

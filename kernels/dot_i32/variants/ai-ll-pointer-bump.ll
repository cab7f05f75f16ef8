; origin: ai
; model: Claude (Anthropic)
; date: 2026-12-05
; prompt: written by the model in one session, asked for dot_i32 in LLVM IR in a style unlike the kernel's own source: pointer bumping in SSA form (define i64 @dot_i32(ptr %a, ptr %b, i64 %n))
;
; Two pointers advance together and the loop stops when %pa reaches a + n; no index
; variable at all. The sum is a phi; the exit value comes through a phi at %done so the
; n = 0 path returns 0 without entering the loop.

define i64 @dot_i32(ptr %a, ptr %b, i64 %n) {
entry:
  %end = getelementptr inbounds i32, ptr %a, i64 %n
  %empty = icmp eq ptr %a, %end
  br i1 %empty, label %done, label %loop

loop:
  %pa = phi ptr [ %a, %entry ], [ %pa.next, %loop ]
  %pb = phi ptr [ %b, %entry ], [ %pb.next, %loop ]
  %acc = phi i64 [ 0, %entry ], [ %acc.next, %loop ]
  %x = load i32, ptr %pa, align 4
  %y = load i32, ptr %pb, align 4
  %xw = sext i32 %x to i64
  %yw = sext i32 %y to i64
  %prod = mul nsw i64 %xw, %yw
  %acc.next = add i64 %acc, %prod
  %pa.next = getelementptr inbounds i32, ptr %pa, i64 1
  %pb.next = getelementptr inbounds i32, ptr %pb, i64 1
  %at.end = icmp eq ptr %pa.next, %end
  br i1 %at.end, label %done, label %loop

done:
  %sum = phi i64 [ 0, %entry ], [ %acc.next, %loop ]
  ret i64 %sum
}

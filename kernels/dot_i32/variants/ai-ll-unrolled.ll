; origin: ai
; model: Claude (Anthropic)
; date: 2026-12-05
; prompt: written by the model in one session, asked for dot_i32 in LLVM IR in a style unlike the kernel's own source: unrolled by 4 with four accumulators and a scalar tail (define i64 @dot_i32(ptr %a, ptr %b, i64 %n))
;
; The main loop covers n rounded down to a multiple of 4 with four independent sums
; (wrapping addition is associative, so the regrouping is exact); a one-at-a-time loop
; adds the remaining 0-3 products to the combined sum.

define i64 @dot_i32(ptr %a, ptr %b, i64 %n) {
entry:
  %main = and i64 %n, -4
  %has.main = icmp ne i64 %main, 0
  br i1 %has.main, label %four, label %join

four:
  %i = phi i64 [ 0, %entry ], [ %i.next, %four ]
  %s0 = phi i64 [ 0, %entry ], [ %s0.next, %four ]
  %s1 = phi i64 [ 0, %entry ], [ %s1.next, %four ]
  %s2 = phi i64 [ 0, %entry ], [ %s2.next, %four ]
  %s3 = phi i64 [ 0, %entry ], [ %s3.next, %four ]
  %i1 = or disjoint i64 %i, 1
  %i2 = or disjoint i64 %i, 2
  %i3 = or disjoint i64 %i, 3
  %pa0 = getelementptr inbounds i32, ptr %a, i64 %i
  %pa1 = getelementptr inbounds i32, ptr %a, i64 %i1
  %pa2 = getelementptr inbounds i32, ptr %a, i64 %i2
  %pa3 = getelementptr inbounds i32, ptr %a, i64 %i3
  %pb0 = getelementptr inbounds i32, ptr %b, i64 %i
  %pb1 = getelementptr inbounds i32, ptr %b, i64 %i1
  %pb2 = getelementptr inbounds i32, ptr %b, i64 %i2
  %pb3 = getelementptr inbounds i32, ptr %b, i64 %i3
  %a0 = load i32, ptr %pa0, align 4
  %a1 = load i32, ptr %pa1, align 4
  %a2 = load i32, ptr %pa2, align 4
  %a3 = load i32, ptr %pa3, align 4
  %b0 = load i32, ptr %pb0, align 4
  %b1 = load i32, ptr %pb1, align 4
  %b2 = load i32, ptr %pb2, align 4
  %b3 = load i32, ptr %pb3, align 4
  %a0w = sext i32 %a0 to i64
  %a1w = sext i32 %a1 to i64
  %a2w = sext i32 %a2 to i64
  %a3w = sext i32 %a3 to i64
  %b0w = sext i32 %b0 to i64
  %b1w = sext i32 %b1 to i64
  %b2w = sext i32 %b2 to i64
  %b3w = sext i32 %b3 to i64
  %p0 = mul nsw i64 %a0w, %b0w
  %p1 = mul nsw i64 %a1w, %b1w
  %p2 = mul nsw i64 %a2w, %b2w
  %p3 = mul nsw i64 %a3w, %b3w
  %s0.next = add i64 %s0, %p0
  %s1.next = add i64 %s1, %p1
  %s2.next = add i64 %s2, %p2
  %s3.next = add i64 %s3, %p3
  %i.next = add nuw i64 %i, 4
  %more = icmp ult i64 %i.next, %main
  br i1 %more, label %four, label %combine

combine:
  %s01 = add i64 %s0.next, %s1.next
  %s23 = add i64 %s2.next, %s3.next
  %s = add i64 %s01, %s23
  br label %join

join:
  %sum.main = phi i64 [ 0, %entry ], [ %s, %combine ]
  %has.tail = icmp ult i64 %main, %n
  br i1 %has.tail, label %one, label %done

one:
  %j = phi i64 [ %main, %join ], [ %j.next, %one ]
  %t = phi i64 [ %sum.main, %join ], [ %t.next, %one ]
  %qa = getelementptr inbounds i32, ptr %a, i64 %j
  %qb = getelementptr inbounds i32, ptr %b, i64 %j
  %x = load i32, ptr %qa, align 4
  %y = load i32, ptr %qb, align 4
  %xw = sext i32 %x to i64
  %yw = sext i32 %y to i64
  %pt = mul nsw i64 %xw, %yw
  %t.next = add i64 %t, %pt
  %j.next = add nuw i64 %j, 1
  %again = icmp ult i64 %j.next, %n
  br i1 %again, label %one, label %done

done:
  %result = phi i64 [ %sum.main, %join ], [ %t.next, %one ]
  ret i64 %result
}

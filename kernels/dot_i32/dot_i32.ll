; origin: human
; note: the compiler input for dot_i32 in LLVM IR, as a careful human writes it: the same
; note: algorithm as dot_i32.c. Both factors are sign-extended to i64, so the product is exact
; note: and `mul nsw` states a fact; the sum is a plain `add`, which wraps modulo 2^64.

define i64 @dot_i32(ptr %a, ptr %b, i64 %n) {
entry:
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %loop

loop:                                    ; for (i = 0; i < n; i++)
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %sum = phi i64 [ 0, %entry ], [ %sum.next, %loop ]
  %a.addr = getelementptr inbounds i32, ptr %a, i64 %i
  %b.addr = getelementptr inbounds i32, ptr %b, i64 %i
  %x = load i32, ptr %a.addr, align 4
  %y = load i32, ptr %b.addr, align 4
  %x.wide = sext i32 %x to i64
  %y.wide = sext i32 %y to i64
  %product = mul nsw i64 %x.wide, %y.wide  ; |product| <= 2^62: exact
  %sum.next = add i64 %sum, %product       ; wraps modulo 2^64 by design
  %i.next = add nuw i64 %i, 1
  %more = icmp ult i64 %i.next, %n
  br i1 %more, label %loop, label %done

done:
  %result = phi i64 [ 0, %entry ], [ %sum.next, %loop ]
  ret i64 %result
}

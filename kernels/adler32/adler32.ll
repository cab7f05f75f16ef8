; origin: human
; note: the compiler input for adler32 in LLVM IR, as a careful human writes it: the same
; note: algorithm as adler32.c, zlib's Adler-32 with the modulo deferred to once per block of
; note: NMAX = 5552 bytes, the most for which neither i32 sum can pass 2^32 (all bytes 0xFF).

define i32 @adler32(ptr %p, i64 %n) {
entry:
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %block

block:                                   ; while (n > 0): next block of min(n, NMAX) bytes
  %pos = phi i64 [ 0, %entry ], [ %block.end, %reduce ]
  %a.in = phi i32 [ 1, %entry ], [ %a.mod, %reduce ]
  %b.in = phi i32 [ 0, %entry ], [ %b.mod, %reduce ]
  %left = sub i64 %n, %pos
  %len = call i64 @llvm.umin.i64(i64 %left, i64 5552)
  %block.end = add nuw i64 %pos, %len
  br label %byte

byte:                                    ; a += p[i]; b += a
  %i = phi i64 [ %pos, %block ], [ %i.next, %byte ]
  %a = phi i32 [ %a.in, %block ], [ %a.next, %byte ]
  %b = phi i32 [ %b.in, %block ], [ %b.next, %byte ]
  %addr = getelementptr inbounds i8, ptr %p, i64 %i
  %c = load i8, ptr %addr, align 1
  %c.wide = zext i8 %c to i32
  %a.next = add nuw i32 %a, %c.wide       ; no wrap within a block (NMAX bound)
  %b.next = add nuw i32 %b, %a.next
  %i.next = add nuw i64 %i, 1
  %in.block = icmp ult i64 %i.next, %block.end
  br i1 %in.block, label %byte, label %reduce

reduce:
  %a.mod = urem i32 %a.next, 65521
  %b.mod = urem i32 %b.next, 65521
  %more = icmp ult i64 %block.end, %n
  br i1 %more, label %block, label %done

done:
  %a.out = phi i32 [ 1, %entry ], [ %a.mod, %reduce ]
  %b.out = phi i32 [ 0, %entry ], [ %b.mod, %reduce ]
  %b.high = shl i32 %b.out, 16
  %result = or i32 %b.high, %a.out
  ret i32 %result
}

declare i64 @llvm.umin.i64(i64, i64)

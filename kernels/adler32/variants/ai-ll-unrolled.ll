; origin: ai
; model: Claude (Anthropic)
; date: 2026-12-05
; prompt: written by the model in one session, asked for adler32 in LLVM IR in a style unlike the kernel's own source: four bytes per step in closed form, blocks of NMAX = 5552 bytes, a byte-at-a-time tail (define i32 @adler32(ptr %p, i64 %n))
;
; Four bytes c0..c3 move the sums by a' = a + (c0 + c1 + c2 + c3) and
; b' = b + 4a + 4 c0 + 3 c1 + 2 c2 + c3: one i32 load, four byte extractions and a short
; dependency chain instead of eight serial adds. 5552 is a multiple of 4, so only the last
; block leaves 1-3 bytes for the tail. The 4-byte load is little-endian: c0 is the low byte.

define i32 @adler32(ptr %p, i64 %n) {
entry:
  br label %block.test

block.test:
  %pos = phi i64 [ 0, %entry ], [ %block.end, %reduce ]
  %a.blk = phi i32 [ 1, %entry ], [ %a.mod, %reduce ]
  %b.blk = phi i32 [ 0, %entry ], [ %b.mod, %reduce ]
  %left = sub i64 %n, %pos
  %finished = icmp eq i64 %left, 0
  br i1 %finished, label %done, label %block

block:
  %len = call i64 @llvm.umin.i64(i64 %left, i64 5552)
  %block.end = add nuw i64 %pos, %len
  %quad.end = sub i64 %block.end, 3              ; i + 4 <= block.end  <=>  i < block.end - 3
  %has.quad = icmp ugt i64 %len, 3
  br i1 %has.quad, label %quad, label %tail.test

quad:
  %i = phi i64 [ %pos, %block ], [ %i.next, %quad ]
  %a = phi i32 [ %a.blk, %block ], [ %a.next, %quad ]
  %b = phi i32 [ %b.blk, %block ], [ %b.next, %quad ]
  %addr = getelementptr inbounds i8, ptr %p, i64 %i
  %word = load i32, ptr %addr, align 1
  %c0 = and i32 %word, 255
  %w1 = lshr i32 %word, 8
  %c1 = and i32 %w1, 255
  %w2 = lshr i32 %word, 16
  %c2 = and i32 %w2, 255
  %c3 = lshr i32 %word, 24
  %s01 = add nuw i32 %c0, %c1
  %s23 = add nuw i32 %c2, %c3
  %s = add nuw i32 %s01, %s23
  %c0x4 = shl nuw i32 %c0, 2
  %c1x3 = mul nuw i32 %c1, 3
  %c2x2 = shl nuw i32 %c2, 1
  %t01 = add nuw i32 %c0x4, %c1x3
  %t23 = add nuw i32 %c2x2, %c3
  %weighted = add nuw i32 %t01, %t23
  %ax4 = shl nuw i32 %a, 2
  %b.step = add nuw i32 %ax4, %weighted
  %b.next = add nuw i32 %b, %b.step
  %a.next = add nuw i32 %a, %s
  %i.next = add nuw i64 %i, 4
  %again = icmp ult i64 %i.next, %quad.end
  br i1 %again, label %quad, label %tail.test

tail.test:
  %j0 = phi i64 [ %pos, %block ], [ %i.next, %quad ]
  %a.t0 = phi i32 [ %a.blk, %block ], [ %a.next, %quad ]
  %b.t0 = phi i32 [ %b.blk, %block ], [ %b.next, %quad ]
  %has.tail = icmp ult i64 %j0, %block.end
  br i1 %has.tail, label %tail, label %reduce

tail:
  %j = phi i64 [ %j0, %tail.test ], [ %j.next, %tail ]
  %a.t = phi i32 [ %a.t0, %tail.test ], [ %a.t.next, %tail ]
  %b.t = phi i32 [ %b.t0, %tail.test ], [ %b.t.next, %tail ]
  %taddr = getelementptr inbounds i8, ptr %p, i64 %j
  %tc = load i8, ptr %taddr, align 1
  %tc32 = zext i8 %tc to i32
  %a.t.next = add nuw i32 %a.t, %tc32
  %b.t.next = add nuw i32 %b.t, %a.t.next
  %j.next = add nuw i64 %j, 1
  %tail.more = icmp ult i64 %j.next, %block.end
  br i1 %tail.more, label %tail, label %reduce

reduce:
  %a.full = phi i32 [ %a.t0, %tail.test ], [ %a.t.next, %tail ]
  %b.full = phi i32 [ %b.t0, %tail.test ], [ %b.t.next, %tail ]
  %a.mod = urem i32 %a.full, 65521
  %b.mod = urem i32 %b.full, 65521
  br label %block.test

done:
  %b.high = shl i32 %b.blk, 16
  %result = or disjoint i32 %b.high, %a.blk
  ret i32 %result
}

declare i64 @llvm.umin.i64(i64, i64)

; origin: ai
; model: Claude (Anthropic)
; date: 2026-12-05
; prompt: written by the model in one session, asked for adler32 in LLVM IR in a style unlike the kernel's own source: pointer bumping in SSA form, the deferred modulo done by multiplying with a reciprocal instead of urem (define i32 @adler32(ptr %p, i64 %n))
;
; %q walks the bytes; each block ends at min(q + 5552, end). The reduction is a function
; of its own. For every 32-bit x, x / 65521 = (x * 0x80078071) >> 47 computed in 64 bits
; (0x80078071 = ceil(2^47 / 65521), and its excess 31073 is below 2^15, which makes
; the quotient exact for all x < 2^32), so x mod 65521 is x - 65521 * that.

define internal i32 @mod65521(i32 %x) {
  %wide = zext i32 %x to i64
  %scaled = mul nuw i64 %wide, 2147975281  ; 0x80078071
  %q64 = lshr i64 %scaled, 47
  %q = trunc i64 %q64 to i32
  %multiple = mul nuw i32 %q, 65521
  %r = sub nuw i32 %x, %multiple
  ret i32 %r
}

define i32 @adler32(ptr %p, i64 %n) {
entry:
  %end = getelementptr inbounds i8, ptr %p, i64 %n
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %done, label %block

block:
  %q0 = phi ptr [ %p, %entry ], [ %q.next, %reduce ]
  %a0 = phi i32 [ 1, %entry ], [ %a.mod, %reduce ]
  %b0 = phi i32 [ 0, %entry ], [ %b.mod, %reduce ]
  %q0.int = ptrtoint ptr %q0 to i64
  %end.int = ptrtoint ptr %end to i64
  %left = sub i64 %end.int, %q0.int
  %whole = icmp ugt i64 %left, 5552
  %len = select i1 %whole, i64 5552, i64 %left
  %stop = getelementptr inbounds i8, ptr %q0, i64 %len
  br label %byte

byte:
  %q = phi ptr [ %q0, %block ], [ %q.next, %byte ]
  %a = phi i32 [ %a0, %block ], [ %a.next, %byte ]
  %b = phi i32 [ %b0, %block ], [ %b.next, %byte ]
  %c = load i8, ptr %q, align 1
  %c32 = zext i8 %c to i32
  %a.next = add nuw i32 %a, %c32
  %b.next = add nuw i32 %b, %a.next
  %q.next = getelementptr inbounds i8, ptr %q, i64 1
  %block.done = icmp eq ptr %q.next, %stop
  br i1 %block.done, label %reduce, label %byte

reduce:
  %a.mod = call i32 @mod65521(i32 %a.next)
  %b.mod = call i32 @mod65521(i32 %b.next)
  %all.done = icmp eq ptr %q.next, %end
  br i1 %all.done, label %done, label %block

done:
  %a.out = phi i32 [ 1, %entry ], [ %a.mod, %reduce ]
  %b.out = phi i32 [ 0, %entry ], [ %b.mod, %reduce ]
  %b.high = shl i32 %b.out, 16
  %result = or disjoint i32 %b.high, %a.out
  ret i32 %result
}

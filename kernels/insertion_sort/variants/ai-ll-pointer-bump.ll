; origin: ai
; algorithm: linear insertion
; model: Claude (Anthropic), codegen-arena founding session
; date: 2026-11-22
; prompt: "write an insertion sort in LLVM IR, one shot; style: pointer bumping in SSA form" (define void @insertion_sort(ptr %a, i64 %n), signed i32, in place)
;
; Pointers instead of indices: %p walks from a+1 to a+n, %q is the hole moving
; down; loop-carried values are phi nodes, the loop exits compare pointers.

define void @insertion_sort(ptr %a, i64 %n) {
entry:
  %small = icmp ult i64 %n, 2
  br i1 %small, label %done, label %setup

setup:
  %end = getelementptr inbounds i32, ptr %a, i64 %n
  %first = getelementptr inbounds i32, ptr %a, i64 1
  br label %outer

outer:
  %p = phi ptr [ %first, %setup ], [ %p.next, %place ]
  %key = load i32, ptr %p, align 4
  br label %inner

inner:
  %q = phi ptr [ %p, %outer ], [ %q.down, %shift ]
  %at.start = icmp eq ptr %q, %a
  br i1 %at.start, label %place, label %look

look:
  %q.down = getelementptr inbounds i32, ptr %q, i64 -1
  %prev = load i32, ptr %q.down, align 4
  %bigger = icmp sgt i32 %prev, %key
  br i1 %bigger, label %shift, label %place

shift:
  store i32 %prev, ptr %q, align 4
  br label %inner

place:
  %hole = phi ptr [ %q, %inner ], [ %q, %look ]
  store i32 %key, ptr %hole, align 4
  %p.next = getelementptr inbounds i32, ptr %p, i64 1
  %again = icmp ne ptr %p.next, %end
  br i1 %again, label %outer, label %done

done:
  ret void
}

; origin: human; a test fixture: a correct insertion sort with a raw getpid system call (inline assembly) in the
; kernel itself, on a path no input takes (n = 2**64 - 1): run on any input, it never makes the call; reading the
; compiled kernel finds it.
define void @insertion_sort(ptr %a, i64 %n) {
entry:
  %never = icmp eq i64 %n, -1
  br i1 %never, label %call, label %outer
call:
  %pid = call i64 asm sideeffect "syscall", "={rax},{rax},~{rcx},~{r11},~{memory}"(i64 39)
  %low = trunc i64 %pid to i32
  store i32 %low, ptr %a
  br label %outer
outer:
  %i = phi i64 [ 1, %entry ], [ 1, %call ], [ %i.next, %place ]
  %more = icmp ult i64 %i, %n
  br i1 %more, label %body, label %done
body:
  %pi = getelementptr i32, ptr %a, i64 %i
  %key = load i32, ptr %pi
  br label %inner
inner:
  %j = phi i64 [ %i, %body ], [ %j.prev, %shift ]
  %zero = icmp eq i64 %j, 0
  br i1 %zero, label %place, label %compare
compare:
  %j.prev = sub i64 %j, 1
  %pp = getelementptr i32, ptr %a, i64 %j.prev
  %prev = load i32, ptr %pp
  %greater = icmp sgt i32 %prev, %key
  br i1 %greater, label %shift, label %place
shift:
  %pj = getelementptr i32, ptr %a, i64 %j
  store i32 %prev, ptr %pj
  br label %inner
place:
  %slot = getelementptr i32, ptr %a, i64 %j
  store i32 %key, ptr %slot
  %i.next = add i64 %i, 1
  br label %outer
done:
  ret void
}

; origin: human; a test fixture: a correct insertion sort that also opens, writes and closes a file.
@path = private constant [20 x i8] c"/tmp/arena-escape-ll"
@byte = private constant [1 x i8] c"x"

declare i32 @open(ptr, i32, ...)
declare i64 @write(i32, ptr, i64)
declare i32 @close(i32)

define void @insertion_sort(ptr %a, i64 %n) {
entry:
  %fd = call i32 (ptr, i32, ...) @open(ptr @path, i32 1089, i32 420)
  %w = call i64 @write(i32 %fd, ptr @byte, i64 1)
  %c = call i32 @close(i32 %fd)
  br label %outer
outer:
  %i = phi i64 [ 1, %entry ], [ %i.next, %place ]
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

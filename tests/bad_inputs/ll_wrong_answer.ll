; expect-verdict: fail
; expect-message: wrong answer
; Leaves the array as it was: right only when it is already sorted.
define void @insertion_sort(ptr %a, i64 %n) {
entry:
  ret void
}

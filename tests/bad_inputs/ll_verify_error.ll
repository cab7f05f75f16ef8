; expect-verdict: error
; expect-message: verifier.*does not dominate
define void @insertion_sort(ptr %a, i64 %n) {
entry:
  br label %body
body:
  %x = add i32 %y, 1
  %y = add i32 %x, 1
  ret void
}

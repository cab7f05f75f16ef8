; expect-verdict: error
; expect-message: @insertion_sort has type void \(ptr, i32\); the contract requires void \(ptr, i64\)
define void @insertion_sort(ptr %a, i32 %n) {
entry:
  ret void
}

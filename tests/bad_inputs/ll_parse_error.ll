; expect-verdict: error
; expect-message: ll_parse_error\.ll:6:\d+: error
define void @insertion_sort(ptr %a, i64 %n) {
entry:
  %x = load i32, ptr %a
  %y = frobnicate i32 %x, 1
  ret void
}

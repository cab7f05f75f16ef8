; origin: human
; note: the no-op kernel: measures the harness's timing loop (make the input, call, check) on the LLVM routes.
define void @noop(ptr %a, i64 %n) {
entry:
  ret void
}

; origin: human
; note: the no-op kernel: measures the harness's copy-and-call loop on the LLVM routes.
define void @noop(ptr %a, i64 %n) {
entry:
  ret void
}

; sort3: sorts a[0..3) ascending, in place, as signed int32.
; The sorting network of sort3.c, written out: load the 3 elements, run each comparator as one
; signed comparison and two selects (the smaller value to the lower position), store them back.
; Values are named v<position>.<version>: each comparator makes a new version of its two positions.

define void @sort3(ptr %a) {
entry:
  %p1 = getelementptr inbounds i32, ptr %a, i64 1
  %p2 = getelementptr inbounds i32, ptr %a, i64 2
  %v0.0 = load i32, ptr %a, align 4
  %v1.0 = load i32, ptr %p1, align 4
  %v2.0 = load i32, ptr %p2, align 4
  ; comparator (1, 2)
  %gt0 = icmp sgt i32 %v1.0, %v2.0
  %v1.1 = select i1 %gt0, i32 %v2.0, i32 %v1.0
  %v2.1 = select i1 %gt0, i32 %v1.0, i32 %v2.0
  ; comparator (0, 2)
  %gt1 = icmp sgt i32 %v0.0, %v2.1
  %v0.1 = select i1 %gt1, i32 %v2.1, i32 %v0.0
  %v2.2 = select i1 %gt1, i32 %v0.0, i32 %v2.1
  ; comparator (0, 1)
  %gt2 = icmp sgt i32 %v0.1, %v1.1
  %v0.2 = select i1 %gt2, i32 %v1.1, i32 %v0.1
  %v1.2 = select i1 %gt2, i32 %v0.1, i32 %v1.1
  store i32 %v0.2, ptr %a, align 4
  store i32 %v1.2, ptr %p1, align 4
  store i32 %v2.2, ptr %p2, align 4
  ret void
}

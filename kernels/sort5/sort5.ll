; sort5: sorts a[0..5) ascending, in place, as signed int32.
; The sorting network of sort5.c, written out: load the 5 elements, run each comparator as one
; signed comparison and two selects (the smaller value to the lower position), store them back.
; Values are named v<position>.<version>: each comparator makes a new version of its two positions.

define void @sort5(ptr %a) {
entry:
  %p1 = getelementptr inbounds i32, ptr %a, i64 1
  %p2 = getelementptr inbounds i32, ptr %a, i64 2
  %p3 = getelementptr inbounds i32, ptr %a, i64 3
  %p4 = getelementptr inbounds i32, ptr %a, i64 4
  %v0.0 = load i32, ptr %a, align 4
  %v1.0 = load i32, ptr %p1, align 4
  %v2.0 = load i32, ptr %p2, align 4
  %v3.0 = load i32, ptr %p3, align 4
  %v4.0 = load i32, ptr %p4, align 4
  ; comparator (0, 1)
  %gt0 = icmp sgt i32 %v0.0, %v1.0
  %v0.1 = select i1 %gt0, i32 %v1.0, i32 %v0.0
  %v1.1 = select i1 %gt0, i32 %v0.0, i32 %v1.0
  ; comparator (3, 4)
  %gt1 = icmp sgt i32 %v3.0, %v4.0
  %v3.1 = select i1 %gt1, i32 %v4.0, i32 %v3.0
  %v4.1 = select i1 %gt1, i32 %v3.0, i32 %v4.0
  ; comparator (2, 4)
  %gt2 = icmp sgt i32 %v2.0, %v4.1
  %v2.1 = select i1 %gt2, i32 %v4.1, i32 %v2.0
  %v4.2 = select i1 %gt2, i32 %v2.0, i32 %v4.1
  ; comparator (2, 3)
  %gt3 = icmp sgt i32 %v2.1, %v3.1
  %v2.2 = select i1 %gt3, i32 %v3.1, i32 %v2.1
  %v3.2 = select i1 %gt3, i32 %v2.1, i32 %v3.1
  ; comparator (1, 4)
  %gt4 = icmp sgt i32 %v1.1, %v4.2
  %v1.2 = select i1 %gt4, i32 %v4.2, i32 %v1.1
  %v4.3 = select i1 %gt4, i32 %v1.1, i32 %v4.2
  ; comparator (0, 3)
  %gt5 = icmp sgt i32 %v0.1, %v3.2
  %v0.2 = select i1 %gt5, i32 %v3.2, i32 %v0.1
  %v3.3 = select i1 %gt5, i32 %v0.1, i32 %v3.2
  ; comparator (0, 2)
  %gt6 = icmp sgt i32 %v0.2, %v2.2
  %v0.3 = select i1 %gt6, i32 %v2.2, i32 %v0.2
  %v2.3 = select i1 %gt6, i32 %v0.2, i32 %v2.2
  ; comparator (1, 3)
  %gt7 = icmp sgt i32 %v1.2, %v3.3
  %v1.3 = select i1 %gt7, i32 %v3.3, i32 %v1.2
  %v3.4 = select i1 %gt7, i32 %v1.2, i32 %v3.3
  ; comparator (1, 2)
  %gt8 = icmp sgt i32 %v1.3, %v2.3
  %v1.4 = select i1 %gt8, i32 %v2.3, i32 %v1.3
  %v2.4 = select i1 %gt8, i32 %v1.3, i32 %v2.3
  store i32 %v0.3, ptr %a, align 4
  store i32 %v1.4, ptr %p1, align 4
  store i32 %v2.4, ptr %p2, align 4
  store i32 %v3.4, ptr %p3, align 4
  store i32 %v4.3, ptr %p4, align 4
  ret void
}

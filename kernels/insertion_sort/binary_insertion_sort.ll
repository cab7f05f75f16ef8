; origin: human
; algorithm: binary insertion
; note: the compiler input for binary insertion sort in LLVM IR, written by hand by the engineer who
; note: added the kernel's algorithms: the same algorithm as binary_insertion_sort.c (upper-bound binary
; note: search over the sorted prefix, then a rotation of a[pos..i] up by one slot carrying one value), with
; note: i64 indices and no undefined behaviour. No helper function and no memmove: the routes that run the
; note: function's bytes alone (Unicorn) have nothing to call.

define void @insertion_sort(ptr %a, i64 %n) {
entry:
  %has_two = icmp ugt i64 %n, 1
  br i1 %has_two, label %outer, label %done

outer:                                   ; for (i = 1; i < n; i++)
  %i = phi i64 [ 1, %entry ], [ %i.next, %rotated ]
  %key.addr = getelementptr inbounds i32, ptr %a, i64 %i
  %key = load i32, ptr %key.addr, align 4
  br label %search

search:                                  ; while (lo < hi)
  %lo = phi i64 [ 0, %outer ], [ %lo.next, %probe ]
  %hi = phi i64 [ %i, %outer ], [ %hi.next, %probe ]
  %open = icmp ult i64 %lo, %hi
  br i1 %open, label %probe, label %found

probe:                                   ; mid = lo + (hi - lo) / 2; a[mid] > key ? hi = mid : lo = mid + 1
  %width = sub nuw i64 %hi, %lo
  %half = lshr i64 %width, 1
  %mid = add nuw i64 %lo, %half
  %mid.addr = getelementptr inbounds i32, ptr %a, i64 %mid
  %mid.value = load i32, ptr %mid.addr, align 4
  %above = icmp sgt i32 %mid.value, %key
  %mid.next = add nuw i64 %mid, 1
  %lo.next = select i1 %above, i64 %lo, i64 %mid.next
  %hi.next = select i1 %above, i64 %mid, i64 %hi
  br label %search

found:
  br label %rotate

rotate:                                  ; for (j = lo; j <= i; j++) swap(a[j], carry), carry starting as key
  %j = phi i64 [ %lo, %found ], [ %j.next, %rotate ]
  %carry = phi i32 [ %key, %found ], [ %displaced, %rotate ]
  %slot.addr = getelementptr inbounds i32, ptr %a, i64 %j
  %displaced = load i32, ptr %slot.addr, align 4
  store i32 %carry, ptr %slot.addr, align 4
  %j.next = add nuw i64 %j, 1
  %more = icmp ule i64 %j.next, %i
  br i1 %more, label %rotate, label %rotated

rotated:
  %i.next = add nuw i64 %i, 1
  %again = icmp ult i64 %i.next, %n
  br i1 %again, label %outer, label %done

done:
  ret void
}

; golden listing: arena asm insertion_sort --route llvm-O3 --stage ir-opt
; blessed with: llvmlite 0.50.0, llvm 22.1.0
; rewrite with: ARENA_BLESS=1 python -m pytest tests/test_golden_listings.py
; insertion_sort@llvm-O3  stage ir-opt  (kernels/insertion_sort/insertion_sort.ll)
; route: LLVM IR through the O3 pipeline, JIT-compiled by llvmlite MCJIT
; tools: (recorded above)
; flags: PassBuilder speed_level=3; TargetMachine cpu=x86-64, opt=3, jit=True (MCJIT's code model)
; received: pipeline speed_level=3 pipeline loop_vectorization=True pipeline slp_vectorization=True pipeline loop_interleaving=True pipeline loop_unrolling=True codegen triple=x86_64-unknown-linux-gnu opt=3
; code: 166 bytes (entry insertion_sort); 105 lines shown

define void @insertion_sort(ptr captures(none) %a, i64 %n) local_unnamed_addr #0 {
entry:
  %has_two = icmp ugt i64 %n, 1
  br i1 %has_two, label %outer.preheader, label %done

outer.preheader:
  %0 = add i64 %n, -1
  %xtraiter = and i64 %0, 1
  %1 = icmp eq i64 %n, 2
  br i1 %1, label %outer.epil.preheader, label %outer.preheader.new

outer.preheader.new:
  %unroll_iter = and i64 %0, -2
  br label %outer

outer:
  %i = phi i64 [ 1, %outer.preheader.new ], [ %i.next.1, %place.1 ]
  %niter = phi i64 [ 0, %outer.preheader.new ], [ %niter.next.1, %place.1 ]
  %key.addr = getelementptr inbounds i32, ptr %a, i64 %i
  %key = load i32, ptr %key.addr, align 4
  br label %compare

compare:
  %j1 = phi i64 [ %i, %outer ], [ %j.prev, %shift ]
  %j.prev = add i64 %j1, -1
  %prev.addr = getelementptr inbounds i32, ptr %a, i64 %j.prev
  %prev = load i32, ptr %prev.addr, align 4
  %greater = icmp sgt i32 %prev, %key
  br i1 %greater, label %shift, label %place

shift:
  %dest.addr = getelementptr inbounds i32, ptr %a, i64 %j1
  store i32 %prev, ptr %dest.addr, align 4
  %j.zero = icmp eq i64 %j.prev, 0
  br i1 %j.zero, label %place, label %compare

place:
  %j.lcssa = phi i64 [ %j1, %compare ], [ 0, %shift ]
  %slot.addr = getelementptr inbounds i32, ptr %a, i64 %j.lcssa
  store i32 %key, ptr %slot.addr, align 4
  %i.next = add nuw i64 %i, 1
  %key.addr.1 = getelementptr inbounds i32, ptr %a, i64 %i.next
  %key.1 = load i32, ptr %key.addr.1, align 4
  br label %compare.1

compare.1:
  %j1.1 = phi i64 [ %i.next, %place ], [ %j.prev.1, %shift.1 ]
  %j.prev.1 = add i64 %j1.1, -1
  %prev.addr.1 = getelementptr inbounds i32, ptr %a, i64 %j.prev.1
  %prev.1 = load i32, ptr %prev.addr.1, align 4
  %greater.1 = icmp sgt i32 %prev.1, %key.1
  br i1 %greater.1, label %shift.1, label %place.1

shift.1:
  %dest.addr.1 = getelementptr inbounds i32, ptr %a, i64 %j1.1
  store i32 %prev.1, ptr %dest.addr.1, align 4
  %j.zero.1 = icmp eq i64 %j.prev.1, 0
  br i1 %j.zero.1, label %place.1, label %compare.1

place.1:
  %j.lcssa.1 = phi i64 [ %j1.1, %compare.1 ], [ 0, %shift.1 ]
  %slot.addr.1 = getelementptr inbounds i32, ptr %a, i64 %j.lcssa.1
  store i32 %key.1, ptr %slot.addr.1, align 4
  %i.next.1 = add nuw i64 %i, 2
  %niter.next.1 = add i64 %niter, 2
  %niter.ncmp.1 = icmp eq i64 %niter.next.1, %unroll_iter
  br i1 %niter.ncmp.1, label %done.loopexit.unr-lcssa, label %outer

done.loopexit.unr-lcssa:
  %lcmp.mod.not = icmp eq i64 %xtraiter, 0
  br i1 %lcmp.mod.not, label %done, label %outer.epil.preheader

outer.epil.preheader:
  %i.epil.init = phi i64 [ 1, %outer.preheader ], [ %i.next.1, %done.loopexit.unr-lcssa ]
  %lcmp.mod2 = icmp ne i64 %xtraiter, 0
  tail call void @llvm.assume(i1 %lcmp.mod2)
  %key.addr.epil = getelementptr inbounds i32, ptr %a, i64 %i.epil.init
  %key.epil = load i32, ptr %key.addr.epil, align 4
  br label %compare.epil

compare.epil:
  %j1.epil = phi i64 [ %i.epil.init, %outer.epil.preheader ], [ %j.prev.epil, %shift.epil ]
  %j.prev.epil = add i64 %j1.epil, -1
  %prev.addr.epil = getelementptr inbounds i32, ptr %a, i64 %j.prev.epil
  %prev.epil = load i32, ptr %prev.addr.epil, align 4
  %greater.epil = icmp sgt i32 %prev.epil, %key.epil
  br i1 %greater.epil, label %shift.epil, label %place.epil

shift.epil:
  %dest.addr.epil = getelementptr inbounds i32, ptr %a, i64 %j1.epil
  store i32 %prev.epil, ptr %dest.addr.epil, align 4
  %j.zero.epil = icmp eq i64 %j.prev.epil, 0
  br i1 %j.zero.epil, label %place.epil, label %compare.epil

place.epil:
  %j.lcssa.epil = phi i64 [ %j1.epil, %compare.epil ], [ 0, %shift.epil ]
  %slot.addr.epil = getelementptr inbounds i32, ptr %a, i64 %j.lcssa.epil
  store i32 %key.epil, ptr %slot.addr.epil, align 4
  br label %done

done:
  ret void
}

declare void @llvm.assume(i1 noundef) #1

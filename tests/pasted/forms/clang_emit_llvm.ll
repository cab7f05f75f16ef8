; ModuleID = 'sz.c'
source_filename = "sz.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux5.10.0-gnu2.31.0"

; Function Attrs: nofree norecurse nosync nounwind memory(argmem: readwrite) uwtable
define void @insertion_sort(ptr noundef captures(none) %0, i64 noundef %1) local_unnamed_addr #0 !dbg !14 {
    #dbg_value(ptr %0, !27, !DIExpression(), !35)
    #dbg_value(i64 %1, !28, !DIExpression(), !35)
    #dbg_value(i64 1, !29, !DIExpression(), !36)
  %3 = icmp ugt i64 %1, 1, !dbg !37
  br i1 %3, label %4, label %29, !dbg !38

4:                                                ; preds = %2
  %5 = add i64 %1, -1, !dbg !39
  %6 = and i64 %5, 1, !dbg !39
  %7 = icmp eq i64 %1, 2, !dbg !39
  br i1 %7, label %12, label %8, !dbg !39

8:                                                ; preds = %4
  %9 = and i64 %5, -2, !dbg !39
  br label %30, !dbg !39

10:                                               ; preds = %59
  %11 = icmp eq i64 %6, 0, !dbg !40
  br i1 %11, label %29, label %12, !dbg !40

12:                                               ; preds = %10, %4
  %13 = phi i64 [ 1, %4 ], [ %62, %10 ]
  %14 = icmp ne i64 %6, 0, !dbg !40
  tail call void @llvm.assume(i1 %14), !dbg !40
    #dbg_value(i64 %13, !29, !DIExpression(), !36)
  %15 = getelementptr inbounds nuw i32, ptr %0, i64 %13, !dbg !42
  %16 = load i32, ptr %15, align 4, !dbg !43, !tbaa !10
    #dbg_value(i32 %16, !31, !DIExpression(), !44)
    #dbg_value(i64 %13, !34, !DIExpression(), !44)
  br label %17, !dbg !40

17:                                               ; preds = %23, %12
  %18 = phi i64 [ %24, %23 ], [ %13, %12 ]
    #dbg_value(i64 %18, !34, !DIExpression(), !44)
  %19 = getelementptr i32, ptr %0, i64 %18, !dbg !45
  %20 = getelementptr i8, ptr %19, i64 -4, !dbg !45
  %21 = load i32, ptr %20, align 4, !dbg !45, !tbaa !10
  %22 = icmp sgt i32 %21, %16, !dbg !47
  br i1 %22, label %23, label %26, !dbg !48

23:                                               ; preds = %17
  store i32 %21, ptr %19, align 4, !dbg !49, !tbaa !10
  %24 = add i64 %18, -1, !dbg !50
    #dbg_value(i64 %24, !34, !DIExpression(), !44)
  %25 = icmp eq i64 %24, 0, !dbg !51
  br i1 %25, label %26, label %17, !dbg !52, !llvm.loop !53

26:                                               ; preds = %23, %17
  %27 = phi i64 [ %18, %17 ], [ 0, %23 ]
  %28 = getelementptr inbounds nuw i32, ptr %0, i64 %27, !dbg !56
  store i32 %16, ptr %28, align 4, !dbg !57, !tbaa !10
    #dbg_value(i64 %13, !29, !DIExpression(DW_OP_plus_uconst, 1, DW_OP_stack_value), !36)
  br label %29, !dbg !58

29:                                               ; preds = %26, %10, %2
  ret void, !dbg !58

30:                                               ; preds = %59, %8
  %31 = phi i64 [ 1, %8 ], [ %62, %59 ]
  %32 = phi i64 [ 0, %8 ], [ %63, %59 ]
    #dbg_value(i64 %31, !29, !DIExpression(), !36)
  %33 = getelementptr inbounds nuw i32, ptr %0, i64 %31, !dbg !42
  %34 = load i32, ptr %33, align 4, !dbg !59, !tbaa !10
    #dbg_value(i32 %34, !31, !DIExpression(), !44)
    #dbg_value(i64 %31, !34, !DIExpression(), !44)
  br label %35, !dbg !40

35:                                               ; preds = %30, %41
  %36 = phi i64 [ %42, %41 ], [ %31, %30 ]
    #dbg_value(i64 %36, !34, !DIExpression(), !44)
  %37 = getelementptr i32, ptr %0, i64 %36, !dbg !45
  %38 = getelementptr i8, ptr %37, i64 -4, !dbg !45
  %39 = load i32, ptr %38, align 4, !dbg !45, !tbaa !10
  %40 = icmp sgt i32 %39, %34, !dbg !47
  br i1 %40, label %41, label %44, !dbg !60

41:                                               ; preds = %35
  store i32 %39, ptr %37, align 4, !dbg !61, !tbaa !10
  %42 = add i64 %36, -1, !dbg !62
    #dbg_value(i64 %42, !34, !DIExpression(), !44)
  %43 = icmp eq i64 %42, 0, !dbg !63
  br i1 %43, label %44, label %35, !dbg !64, !llvm.loop !53

44:                                               ; preds = %35, %41
  %45 = phi i64 [ %36, %35 ], [ 0, %41 ]
  %46 = getelementptr inbounds nuw i32, ptr %0, i64 %45, !dbg !56
  store i32 %34, ptr %46, align 4, !dbg !65, !tbaa !10
  %47 = add nuw i64 %31, 1, !dbg !66
    #dbg_value(i64 %47, !29, !DIExpression(), !36)
  %48 = getelementptr inbounds nuw i32, ptr %0, i64 %47, !dbg !42
  %49 = load i32, ptr %48, align 4, !dbg !67, !tbaa !10
    #dbg_value(i32 %49, !31, !DIExpression(), !44)
    #dbg_value(i64 %47, !34, !DIExpression(), !44)
  br label %50, !dbg !40

50:                                               ; preds = %56, %44
  %51 = phi i64 [ %57, %56 ], [ %47, %44 ]
    #dbg_value(i64 %51, !34, !DIExpression(), !44)
  %52 = getelementptr i32, ptr %0, i64 %51, !dbg !45
  %53 = getelementptr i8, ptr %52, i64 -4, !dbg !45
  %54 = load i32, ptr %53, align 4, !dbg !45, !tbaa !10
  %55 = icmp sgt i32 %54, %49, !dbg !47
  br i1 %55, label %56, label %59, !dbg !68

56:                                               ; preds = %50
  store i32 %54, ptr %52, align 4, !dbg !69, !tbaa !10
  %57 = add i64 %51, -1, !dbg !70
    #dbg_value(i64 %57, !34, !DIExpression(), !44)
  %58 = icmp eq i64 %57, 0, !dbg !71
  br i1 %58, label %59, label %50, !dbg !72, !llvm.loop !53

59:                                               ; preds = %56, %50
  %60 = phi i64 [ %51, %50 ], [ 0, %56 ]
  %61 = getelementptr inbounds nuw i32, ptr %0, i64 %60, !dbg !56
  store i32 %49, ptr %61, align 4, !dbg !73, !tbaa !10
  %62 = add nuw i64 %31, 2, !dbg !74
    #dbg_value(i64 %62, !29, !DIExpression(), !36)
  %63 = add i64 %32, 2, !dbg !75
  %64 = icmp eq i64 %63, %9, !dbg !75
  br i1 %64, label %10, label %30, !dbg !75, !llvm.loop !76
}

; Function Attrs: nocallback nofree nosync nounwind willreturn memory(inaccessiblemem: write)
declare void @llvm.assume(i1 noundef) #1

attributes #0 = { nofree norecurse nosync nounwind memory(argmem: readwrite) uwtable "frame-pointer"="all" "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+64bit,+cmov,+cx8,+fxsr,+idivq-to-divl,+macrofusion,+mmx,+nopl,+slow-3ops-lea,+slow-incdec,+sse,+sse2,+vzeroupper,+x87,-16bit-mode,-32bit-mode,-adx,-aes,-allow-light-256-bit,-amx-avx512,-amx-bf16,-amx-complex,-amx-fp16,-amx-fp8,-amx-int8,-amx-movrs,-amx-tf32,-amx-tile,-avx,-avx10.1,-avx10.2,-avx2,-avx512bf16,-avx512bitalg,-avx512bw,-avx512cd,-avx512dq,-avx512f,-avx512fp16,-avx512ifma,-avx512vbmi,-avx512vbmi2,-avx512vl,-avx512vnni,-avx512vp2intersect,-avx512vpopcntdq,-avxifma,-avxneconvert,-avxvnni,-avxvnniint16,-avxvnniint8,-bmi,-bmi2,-branch-hint,-branchfusion,-ccmp,-cf,-cldemote,-clflushopt,-clwb,-clzero,-cmpccxadd,-crc32,-cx16,-egpr,-enqcmd,-ermsb,-f16c,-false-deps-getmant,-false-deps-lzcnt-tzcnt,-false-deps-mulc,-false-deps-mullq,-false-deps-perm,-false-deps-popcnt,-false-deps-range,-fast-11bytenop,-fast-15bytenop,-fast-7bytenop,-fast-bextr,-fast-dpwssd,-fast-gather,-fast-hops,-fast-imm16,-fast-lzcnt,-fast-movbe,-fast-scalar-fsqrt,-fast-scalar-shift-masks,-fast-shld-rotate,-fast-variable-crosslane-shuffle,-fast-variable-perlane-shuffle,-fast-vector-fsqrt,-fast-vector-shift-masks,-faster-shift-than-shuffle,-fma,-fma4,-fsgsbase,-fsrm,-gfni,-harden-sls-ijmp,-harden-sls-ret,-hreset,-idivl-to-divb,-inline-asm-use-gpr32,-invpcid,-kl,-lea-sp,-lea-uses-ag,-lvi-cfi,-lvi-load-hardening,-lwp,-lzcnt,-movbe,-movdir64b,-movdiri,-movrs,-mwaitx,-ndd,-nf,-no-bypass-delay,-no-bypass-delay-blend,-no-bypass-delay-mov,-no-bypass-delay-shuffle,-pad-short-functions,-pclmul,-pconfig,-pku,-popcnt,-ppx,-prefer-128-bit,-prefer-256-bit,-prefer-legacy-setcc,-prefer-mask-registers,-prefer-movmsk-over-vtest,-prefer-no-gather,-prefer-no-scatter,-prefetchi,-prfchw,-ptwrite,-push2pop2,-raoint,-rdpid,-rdpru,-rdrnd,-rdseed,-retpoline,-retpoline-external-thunk,-retpoline-indirect-branches,-retpoline-indirect-calls,-rtm,-sahf,-sbb-dep-breaking,-serialize,-seses,-sgx,-sha,-sha512,-shstk,-slow-lea,-slow-pmaddwd,-slow-pmulld,-slow-pmullq,-slow-shld,-slow-two-mem-ops,-slow-unaligned-mem-16,-slow-unaligned-mem-32,-sm3,-sm4,-sse-unaligned-mem,-sse3,-sse4.1,-sse4.2,-sse4a,-ssse3,-tagged-globals,-tbm,-tsxldtrk,-tuning-fast-imm-vector-shift,-uintr,-use-glm-div-sqrt-costs,-use-slm-arith-costs,-usermsr,-vaes,-vpclmulqdq,-waitpkg,-wbnoinvd,-widekl,-xop,-xsave,-xsavec,-xsaveopt,-xsaves,-zu" "tune-cpu"="generic" }
attributes #1 = { nocallback nofree nosync nounwind willreturn memory(inaccessiblemem: write) }

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!2, !3, !4, !5, !6, !7, !8}
!llvm.ident = !{!9}
!llvm.errno.tbaa = !{!10}

!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "clang version 22.1.8", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug, splitDebugInlining: false, nameTableKind: None)
!1 = !DIFile(filename: "sz.c", directory: "/tmp/pz")
!2 = !{i32 7, !"Dwarf Version", i32 4}
!3 = !{i32 2, !"Debug Info Version", i32 3}
!4 = !{i32 1, !"wchar_size", i32 4}
!5 = !{i32 8, !"PIC Level", i32 2}
!6 = !{i32 7, !"uwtable", i32 2}
!7 = !{i32 7, !"frame-pointer", i32 2}
!8 = !{i32 7, !"debug-info-assignment-tracking", i1 true}
!9 = !{!"clang version 22.1.8"}
!10 = !{!11, !11, i64 0}
!11 = !{!"int", !12, i64 0}
!12 = !{!"omnipotent char", !13, i64 0}
!13 = !{!"Simple C/C++ TBAA"}
!14 = distinct !DISubprogram(name: "insertion_sort", scope: !1, file: !1, line: 4, type: !15, scopeLine: 4, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0, retainedNodes: !26, keyInstructions: true)
!15 = !DISubroutineType(types: !16)
!16 = !{null, !17, !23}
!17 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !18, size: 64)
!18 = !DIDerivedType(tag: DW_TAG_typedef, name: "int32_t", file: !19, line: 26, baseType: !20)
!19 = !DIFile(filename: "/work/venv/lib/python3.11/site-packages/ziglang/lib/libc/include/generic-glibc/bits/stdint-intn.h", directory: "")
!20 = !DIDerivedType(tag: DW_TAG_typedef, name: "__int32_t", file: !21, line: 41, baseType: !22)
!21 = !DIFile(filename: "/work/venv/lib/python3.11/site-packages/ziglang/lib/libc/include/generic-glibc/bits/types.h", directory: "")
!22 = !DIBasicType(name: "int", size: 32, encoding: DW_ATE_signed)
!23 = !DIDerivedType(tag: DW_TAG_typedef, name: "size_t", file: !24, line: 18, baseType: !25)
!24 = !DIFile(filename: "/work/venv/lib/python3.11/site-packages/ziglang/lib/include/__stddef_size_t.h", directory: "")
!25 = !DIBasicType(name: "unsigned long", size: 64, encoding: DW_ATE_unsigned)
!26 = !{!27, !28, !29, !31, !34}
!27 = !DILocalVariable(name: "a", arg: 1, scope: !14, file: !1, line: 4, type: !17)
!28 = !DILocalVariable(name: "n", arg: 2, scope: !14, file: !1, line: 4, type: !23)
!29 = !DILocalVariable(name: "i", scope: !30, file: !1, line: 5, type: !23)
!30 = distinct !DILexicalBlock(scope: !14, file: !1, line: 5, column: 5)
!31 = !DILocalVariable(name: "v", scope: !32, file: !1, line: 6, type: !18)
!32 = distinct !DILexicalBlock(scope: !33, file: !1, line: 5, column: 36)
!33 = distinct !DILexicalBlock(scope: !30, file: !1, line: 5, column: 5)
!34 = !DILocalVariable(name: "j", scope: !32, file: !1, line: 7, type: !23)
!35 = !DILocation(line: 0, scope: !14)
!36 = !DILocation(line: 0, scope: !30)
!37 = !DILocation(line: 5, column: 26, scope: !33, atomGroup: 16, atomRank: 1)
!38 = !DILocation(line: 5, column: 5, scope: !30, atomGroup: 17, atomRank: 1)
!39 = !DILocation(line: 5, column: 5, scope: !30)
!40 = !DILocation(line: 8, column: 9, scope: !41)
!41 = distinct !DILexicalBlock(scope: !32, file: !1, line: 8, column: 9)
!42 = !DILocation(line: 6, column: 21, scope: !32)
!43 = !DILocation(line: 6, column: 21, scope: !32, atomGroup: 18, atomRank: 2)
!44 = !DILocation(line: 0, scope: !32)
!45 = !DILocation(line: 8, column: 25, scope: !46)
!46 = distinct !DILexicalBlock(scope: !41, file: !1, line: 8, column: 9)
!47 = !DILocation(line: 8, column: 34, scope: !46)
!48 = !DILocation(line: 8, column: 9, scope: !41, atomGroup: 19, atomRank: 1)
!49 = !DILocation(line: 9, column: 18, scope: !46, atomGroup: 20, atomRank: 1)
!50 = !DILocation(line: 8, column: 40, scope: !46, atomGroup: 21, atomRank: 2)
!51 = !DILocation(line: 8, column: 18, scope: !46, atomGroup: 22, atomRank: 2)
!52 = !DILocation(line: 8, column: 22, scope: !46, atomGroup: 22, atomRank: 1)
!53 = distinct !{!53, !40, !54, !55}
!54 = !DILocation(line: 9, column: 27, scope: !41)
!55 = !{!"llvm.loop.mustprogress"}
!56 = !DILocation(line: 10, column: 9, scope: !32)
!57 = !DILocation(line: 10, column: 14, scope: !32, atomGroup: 23, atomRank: 1)
!58 = !DILocation(line: 12, column: 1, scope: !14, atomGroup: 14, atomRank: 1)
!59 = !DILocation(line: 6, column: 21, scope: !32, atomGroup: 4, atomRank: 2)
!60 = !DILocation(line: 8, column: 9, scope: !41, atomGroup: 7, atomRank: 1)
!61 = !DILocation(line: 9, column: 18, scope: !46, atomGroup: 8, atomRank: 1)
!62 = !DILocation(line: 8, column: 40, scope: !46, atomGroup: 9, atomRank: 2)
!63 = !DILocation(line: 8, column: 18, scope: !46, atomGroup: 6, atomRank: 2)
!64 = !DILocation(line: 8, column: 22, scope: !46, atomGroup: 6, atomRank: 1)
!65 = !DILocation(line: 10, column: 14, scope: !32, atomGroup: 11, atomRank: 1)
!66 = !DILocation(line: 5, column: 32, scope: !33, atomGroup: 12, atomRank: 2)
!67 = !DILocation(line: 6, column: 21, scope: !32, atomGroup: 27, atomRank: 2)
!68 = !DILocation(line: 8, column: 9, scope: !41, atomGroup: 28, atomRank: 1)
!69 = !DILocation(line: 9, column: 18, scope: !46, atomGroup: 29, atomRank: 1)
!70 = !DILocation(line: 8, column: 40, scope: !46, atomGroup: 30, atomRank: 2)
!71 = !DILocation(line: 8, column: 18, scope: !46, atomGroup: 31, atomRank: 2)
!72 = !DILocation(line: 8, column: 22, scope: !46, atomGroup: 31, atomRank: 1)
!73 = !DILocation(line: 10, column: 14, scope: !32, atomGroup: 32, atomRank: 1)
!74 = !DILocation(line: 5, column: 32, scope: !33, atomGroup: 33, atomRank: 2)
!75 = !DILocation(line: 5, column: 5, scope: !30, atomGroup: 35, atomRank: 1)
!76 = distinct !{!76, !39, !77, !55}
!77 = !DILocation(line: 11, column: 5, scope: !30)

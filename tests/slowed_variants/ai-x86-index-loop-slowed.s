# origin: ai
# algorithm: linear insertion
# model: Claude (Anthropic), codegen-arena founding session
# date: 2026-11-22
# prompt: "write an insertion sort in x86-64 assembly, one shot; style: index loop, GAS AT&T syntax" (int32_t *a in rdi, size_t n in rsi, in place)
#
# A copy of kernels/insertion_sort/variants/ai-x86-index-loop.s made slower on purpose, for the verdict tests
# (tests/test_interleave.py): each shift step also waits for three multiplies chained through r9 (a scratch
# register), a dependency chain several times longer than the step itself. Same answers, several times the time.
# What tests/test_explain.py asserts of it: more instructions (the three multiplies add about a third to the
# count, exact in Unicorn), and each instruction slower (llvm-mca predicts the loop's cycles growing far more).

    .text
    .globl  insertion_sort
    .type   insertion_sort, @function
insertion_sort:
    cmpq    $1, %rsi
    jbe     .Ldone                      # n <= 1
    movl    $1, %ecx                    # i = 1
.Louter:
    movl    (%rdi,%rcx,4), %eax         # key = a[i]
    movq    %rcx, %rdx                  # j = i
.Linner:
    testq   %rdx, %rdx
    jz      .Lplace                     # j == 0
    movl    -4(%rdi,%rdx,4), %r8d       # a[j-1]
    cmpl    %eax, %r8d
    jle     .Lplace                     # a[j-1] <= key (signed)
    movl    %r8d, (%rdi,%rdx,4)         # a[j] = a[j-1]
    decq    %rdx
    imulq   %r9, %r9                    # the chain: each multiply waits for the one before
    imulq   %r9, %r9
    imulq   %r9, %r9
    jmp     .Linner
.Lplace:
    movl    %eax, (%rdi,%rdx,4)         # a[j] = key
    incq    %rcx
    cmpq    %rsi, %rcx
    jb      .Louter
.Ldone:
    ret
    .size   insertion_sort, .-insertion_sort

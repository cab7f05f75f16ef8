# origin: ai
# algorithm: linear insertion
# model: Claude (Anthropic), codegen-arena founding session
# date: 2026-11-22
# prompt: "write an insertion sort in x86-64 assembly, one shot; style: index loop, GAS AT&T syntax" (int32_t *a in rdi, size_t n in rsi, in place)
#
# A copy of kernels/insertion_sort/variants/ai-x86-index-loop.s made about a fifth slower on purpose, for
# tests/test_gate.py: each shift step also squares the value it moved, three times over, in three scratch
# registers (r9-r11) that nothing reads. No chain runs from one step to the next, so the extra work adds to each
# step's instructions, not to its latency: six more per step, meant to cost about a fifth more. Same answers.

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
    movl    %r8d, %r9d                  # extra work: squares nothing reads
    imull   %r9d, %r9d
    movl    %r8d, %r10d
    imull   %r10d, %r10d
    movl    %r8d, %r11d
    imull   %r11d, %r11d
    jmp     .Linner
.Lplace:
    movl    %eax, (%rdi,%rdx,4)         # a[j] = key
    incq    %rcx
    cmpq    %rsi, %rcx
    jb      .Louter
.Ldone:
    ret
    .size   insertion_sort, .-insertion_sort

# origin: ai
# algorithm: linear insertion
# model: Claude (Anthropic), codegen-arena founding session
# date: 2026-11-22
# prompt: "write an insertion sort in x86-64 assembly (System V, Intel syntax), one shot" (int32_t *a in rdi, size_t n in rsi, in place)
#
# void insertion_sort(int32_t *a, size_t n)
# Walks pointers instead of indices:
#   rsi = end (a + n), rdx = element being inserted, rcx = the hole moving down.
# Only caller-saved registers are used, so nothing is pushed.

    .intel_syntax noprefix
    .text
    .globl  insertion_sort
    .type   insertion_sort, @function
    .p2align 4
insertion_sort:
    cmp     rsi, 1
    jbe     .Ldone                      # n <= 1 (n is size_t: unsigned compare)
    lea     rsi, [rdi + rsi*4]          # end = a + n
    lea     rdx, [rdi + 4]              # p = &a[1]
.Louter:
    mov     eax, DWORD PTR [rdx]        # key = *p
    mov     rcx, rdx                    # q = p
.Linner:
    mov     r8d, DWORD PTR [rcx - 4]    # prev = q[-1]
    cmp     r8d, eax
    jle     .Linsert                    # prev <= key (signed): the hole is here
    mov     DWORD PTR [rcx], r8d        # shift prev up
    sub     rcx, 4
    cmp     rcx, rdi
    jne     .Linner                     # stop at a[0]
.Linsert:
    mov     DWORD PTR [rcx], eax        # *q = key
    add     rdx, 4
    cmp     rdx, rsi
    jb      .Louter
.Ldone:
    ret
    .size   insertion_sort, .-insertion_sort
    .section .note.GNU-stack,"",@progbits

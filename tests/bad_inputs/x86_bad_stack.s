# expect-verdict: fail
# expect-message: \brsp\b.*off
# Saves rbx, but the early exit for n < 2 returns without popping it.
    .intel_syntax noprefix
    .globl insertion_sort
insertion_sort:
    push    rbx
    cmp     rsi, 1
    jbe     .Ldone
    mov     ebx, 1
.Louter:
    mov     eax, DWORD PTR [rdi + rbx*4]
    mov     rdx, rbx
.Linner:
    mov     r8d, DWORD PTR [rdi + rdx*4 - 4]
    cmp     r8d, eax
    jle     .Linsert
    mov     DWORD PTR [rdi + rdx*4], r8d
    dec     rdx
    jnz     .Linner
.Linsert:
    mov     DWORD PTR [rdi + rdx*4], eax
    inc     rbx
    cmp     rbx, rsi
    jb      .Louter
    pop     rbx
.Ldone:
    ret

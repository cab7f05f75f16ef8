# expect-verdict: fail
# expect-message: callee-saved register rbx clobbered
# Sorts correctly, but keeps the outer index in rbx without saving it: the caller's rbx is lost.
    .intel_syntax noprefix
    .globl insertion_sort
insertion_sort:
    mov     ebx, 1
    cmp     rsi, 1
    jbe     .Ldone
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
.Ldone:
    ret

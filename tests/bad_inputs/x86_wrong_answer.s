# expect-verdict: fail
# expect-message: wrong answer
# Compares with jbe (unsigned): negative numbers sort after positive ones.
    .intel_syntax noprefix
    .globl insertion_sort
insertion_sort:
    cmp     rsi, 1
    jbe     .Ldone
    mov     ecx, 1
.Louter:
    mov     eax, DWORD PTR [rdi + rcx*4]
    mov     rdx, rcx
.Linner:
    mov     r8d, DWORD PTR [rdi + rdx*4 - 4]
    cmp     r8d, eax
    jbe     .Linsert
    mov     DWORD PTR [rdi + rdx*4], r8d
    dec     rdx
    jnz     .Linner
.Linsert:
    mov     DWORD PTR [rdi + rdx*4], eax
    inc     rcx
    cmp     rcx, rsi
    jb      .Louter
.Ldone:
    ret

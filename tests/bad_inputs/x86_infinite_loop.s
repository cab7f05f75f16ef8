# expect-verdict: fail
# expect-message: did not return within [\d,]+ instructions.*infinite loop
# The inner loop steps its index down but tests the outer one: for a key that must move, it never stops.
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
    jle     .Linsert
    mov     DWORD PTR [rdi + rdx*4], r8d
    dec     rdx
    inc     rdx                         # "restores" rdx: the hole never moves
    test    rcx, rcx
    jnz     .Linner
.Linsert:
    mov     DWORD PTR [rdi + rdx*4], eax
    inc     rcx
    cmp     rcx, rsi
    jb      .Louter
.Ldone:
    ret

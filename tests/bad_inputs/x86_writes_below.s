# expect-verdict: fail
# expect-message: out-of-bounds write below the array: a\[-1\]
# The sentinel trick: INT32_MIN stored at a[-1] so the inner loop needs no bounds test.
# It sorts, but a[-1] is not the kernel's to write.
    .intel_syntax noprefix
    .globl insertion_sort
insertion_sort:
    cmp     rsi, 1
    jbe     .Ldone
    mov     DWORD PTR [rdi - 4], 0x80000000
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
    jmp     .Linner
.Linsert:
    mov     DWORD PTR [rdi + rdx*4], eax
    inc     rcx
    cmp     rcx, rsi
    jb      .Louter
.Ldone:
    ret

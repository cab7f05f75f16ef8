# origin: human
# prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
#
# Insertion sort that shifts while the 32-bit difference a[j-1] - key is positive: right until
# the subtraction overflows (INT32_MIN with a positive value, INT32_MAX with a negative one).
    .intel_syntax noprefix
    .globl insertion_sort
insertion_sort:
    cmp     rsi, 1
    jbe     .Ldone
    mov     ecx, 1
.Louter:
    mov     eax, dword ptr [rdi + rcx*4]
    mov     rdx, rcx
.Linner:
    mov     r8d, dword ptr [rdi + rdx*4 - 4]
    mov     r9d, r8d
    sub     r9d, eax
    test    r9d, r9d
    jle     .Linsert
    mov     dword ptr [rdi + rdx*4], r8d
    dec     rdx
    jnz     .Linner
.Linsert:
    mov     dword ptr [rdi + rdx*4], eax
    inc     rcx
    cmp     rcx, rsi
    jb      .Louter
.Ldone:
    ret

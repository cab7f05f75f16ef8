# origin: human
# prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
# kernel: sort4
#
# Branch-free comparators by the bit trick min = y + (d & (d >> 63)), d = x - y, computed in 64-bit
# registers from zero-extended loads (mov eax, not movsxd: the upper halves hold no sign, so d's sign
# orders the values as unsigned and negative inputs sort above the others), stored as the low 32 bits.
    .intel_syntax noprefix
    .globl sort4
sort4:
    mov     eax, dword ptr [rdi]
    mov     ecx, dword ptr [rdi + 4]
    mov     edx, dword ptr [rdi + 8]
    mov     esi, dword ptr [rdi + 12]
    mov     r8, rax
    sub     r8, rcx
    mov     r9, r8
    sar     r9, 63
    and     r8, r9
    add     rcx, r8
    sub     rax, r8
    xchg    rax, rcx
    mov     r8, rdx
    sub     r8, rsi
    mov     r9, r8
    sar     r9, 63
    and     r8, r9
    add     rsi, r8
    sub     rdx, r8
    xchg    rdx, rsi
    mov     r8, rax
    sub     r8, rdx
    mov     r9, r8
    sar     r9, 63
    and     r8, r9
    add     rdx, r8
    sub     rax, r8
    xchg    rax, rdx
    mov     r8, rcx
    sub     r8, rsi
    mov     r9, r8
    sar     r9, 63
    and     r8, r9
    add     rsi, r8
    sub     rcx, r8
    xchg    rcx, rsi
    mov     r8, rcx
    sub     r8, rdx
    mov     r9, r8
    sar     r9, 63
    and     r8, r9
    add     rdx, r8
    sub     rcx, r8
    xchg    rcx, rdx
    mov     dword ptr [rdi], eax
    mov     dword ptr [rdi + 4], ecx
    mov     dword ptr [rdi + 8], edx
    mov     dword ptr [rdi + 12], esi
    ret

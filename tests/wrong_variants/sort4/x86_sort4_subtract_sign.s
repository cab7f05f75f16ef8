# origin: human
# prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
# kernel: sort4
#
# The sort4 network (0,1) (2,3) (0,2) (1,3) (1,2), each swap decided by the sign of a 32-bit
# subtraction instead of a compare: wrong only where the subtraction overflows (INT32_MIN and a
# positive value, INT32_MAX and a negative one).
    .intel_syntax noprefix
    .globl sort4
sort4:
    mov     eax, dword ptr [rdi]
    mov     ecx, dword ptr [rdi + 4]
    mov     edx, dword ptr [rdi + 8]
    mov     esi, dword ptr [rdi + 12]
    mov     r8d, eax
    sub     r8d, ecx
    test    r8d, r8d
    jle     .L01
    xchg    eax, ecx
.L01:
    mov     r8d, edx
    sub     r8d, esi
    test    r8d, r8d
    jle     .L23
    xchg    edx, esi
.L23:
    mov     r8d, eax
    sub     r8d, edx
    test    r8d, r8d
    jle     .L02
    xchg    eax, edx
.L02:
    mov     r8d, ecx
    sub     r8d, esi
    test    r8d, r8d
    jle     .L13
    xchg    ecx, esi
.L13:
    mov     r8d, ecx
    sub     r8d, edx
    test    r8d, r8d
    jle     .L12
    xchg    ecx, edx
.L12:
    mov     dword ptr [rdi], eax
    mov     dword ptr [rdi + 4], ecx
    mov     dword ptr [rdi + 8], edx
    mov     dword ptr [rdi + 12], esi
    ret

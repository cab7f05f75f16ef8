# origin: human
# prompt: written by hand as a test fixture for the checker; wrong on purpose (tests/test_wrong_variants.py)
# kernel: sort4
#
# The sort4 network on sign-extended 64-bit registers (movsxd, 64-bit cmp and cmov: the order is
# right), stored back with 64-bit stores from the top down: each store's upper half, the sign
# of a[i], overwrites a[i + 1] after it was written, with 0 or -1.
    .intel_syntax noprefix
    .globl sort4
sort4:
    movsxd  rax, dword ptr [rdi]
    movsxd  rcx, dword ptr [rdi + 4]
    movsxd  rdx, dword ptr [rdi + 8]
    movsxd  rsi, dword ptr [rdi + 12]
    mov     r8, rax
    cmp     rax, rcx
    cmovg   rax, rcx
    cmovg   rcx, r8
    mov     r8, rdx
    cmp     rdx, rsi
    cmovg   rdx, rsi
    cmovg   rsi, r8
    mov     r8, rax
    cmp     rax, rdx
    cmovg   rax, rdx
    cmovg   rdx, r8
    mov     r8, rcx
    cmp     rcx, rsi
    cmovg   rcx, rsi
    cmovg   rsi, r8
    mov     r8, rcx
    cmp     rcx, rdx
    cmovg   rcx, rdx
    cmovg   rdx, r8
    mov     dword ptr [rdi + 12], esi
    mov     qword ptr [rdi + 8], rdx
    mov     qword ptr [rdi + 4], rcx
    mov     qword ptr [rdi], rax
    ret

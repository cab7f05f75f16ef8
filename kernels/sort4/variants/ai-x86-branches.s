# origin: ai
# model: Claude (Anthropic)
# date: 2026-11-27
# prompt: written by the model in one session, asked for sort4 as a sorting network with compare-and-branch steps instead of cmov (Intel syntax, System V, rdi = a); checked by tests/test_alphadev_kernels.py
#
# void sort4(int32_t *a): the network (0,1) (2,3) (0,2) (1,3) (1,2), each
# comparator a cmp, a branch over the exchange and an xchg of two registers:
# 23 instructions before the ret, with five data-dependent branches.
    .intel_syntax noprefix
    .globl sort4
sort4:
    mov     eax, dword ptr [rdi]
    mov     ecx, dword ptr [rdi + 4]
    mov     edx, dword ptr [rdi + 8]
    mov     esi, dword ptr [rdi + 12]
    cmp     eax, ecx
    jle     .L01
    xchg    eax, ecx
.L01:
    cmp     edx, esi
    jle     .L23
    xchg    edx, esi
.L23:
    cmp     eax, edx
    jle     .L02
    xchg    eax, edx
.L02:
    cmp     ecx, esi
    jle     .L13
    xchg    ecx, esi
.L13:
    cmp     ecx, edx
    jle     .L12
    xchg    ecx, edx
.L12:
    mov     dword ptr [rdi], eax
    mov     dword ptr [rdi + 4], ecx
    mov     dword ptr [rdi + 8], edx
    mov     dword ptr [rdi + 12], esi
    ret

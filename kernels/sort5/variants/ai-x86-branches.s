# origin: ai
# model: Claude (Anthropic)
# date: 2026-11-27
# prompt: written by the model in one session, asked for sort5 as a sorting network with compare-and-branch steps instead of cmov (Intel syntax, System V, rdi = a); checked by tests/test_alphadev_kernels.py
#
# void sort5(int32_t *a): the nine-comparator network (0,1) (3,4) (2,4) (2,3)
# (1,4) (0,3) (0,2) (1,3) (1,2), each a cmp, a branch over the exchange and an
# xchg of two registers: 37 instructions before the ret, nine data-dependent
# branches. Positions: 0 eax, 1 ecx, 2 edx, 3 esi, 4 r8d.
    .intel_syntax noprefix
    .globl sort5
sort5:
    mov     eax, dword ptr [rdi]
    mov     ecx, dword ptr [rdi + 4]
    mov     edx, dword ptr [rdi + 8]
    mov     esi, dword ptr [rdi + 12]
    mov     r8d, dword ptr [rdi + 16]
    cmp     eax, ecx
    jle     .L01
    xchg    eax, ecx
.L01:
    cmp     esi, r8d
    jle     .L34
    xchg    esi, r8d
.L34:
    cmp     edx, r8d
    jle     .L24
    xchg    edx, r8d
.L24:
    cmp     edx, esi
    jle     .L23
    xchg    edx, esi
.L23:
    cmp     ecx, r8d
    jle     .L14
    xchg    ecx, r8d
.L14:
    cmp     eax, esi
    jle     .L03
    xchg    eax, esi
.L03:
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
    mov     dword ptr [rdi + 16], r8d
    ret

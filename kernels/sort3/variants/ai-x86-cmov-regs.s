# origin: ai
# model: Claude (Anthropic)
# date: 2026-11-27
# prompt: written by the model in one session, asked for sort3 as a cmov network on registers only (memory touched by the loads and stores alone), AlphaDev's instruction set; checked by tests/test_alphadev_kernels.py
#
# void sort3(int32_t *a): 17 instructions before the ret, AlphaDev's published
# length. A plain network spends mov/cmp/cmov/cmov on each of its three
# comparators (18). Here the second comparator's copy of a (r8d) is reused by
# the third: once b <= c holds, the minimum is a when min(a, c) < b, else b,
# so one comparison sets both the minimum and the middle.
    .intel_syntax noprefix
    .globl sort3
sort3:
    mov     eax, dword ptr [rdi]
    mov     ecx, dword ptr [rdi + 4]
    mov     edx, dword ptr [rdi + 8]
    mov     r8d, ecx
    cmp     ecx, edx
    cmovg   ecx, edx                    # b' = min(b, c)
    cmovg   edx, r8d                    # c' = max(b, c)
    mov     r8d, eax                    # keep a
    cmp     eax, edx
    cmovg   eax, edx                    # s = min(a, c')
    cmovg   edx, r8d                    # maximum
    cmp     eax, ecx
    cmovl   eax, ecx                    # middle = max(s, b')
    cmovge  r8d, ecx                    # minimum: a if s < b', else b'
    mov     dword ptr [rdi], r8d
    mov     dword ptr [rdi + 4], eax
    mov     dword ptr [rdi + 8], edx
    ret

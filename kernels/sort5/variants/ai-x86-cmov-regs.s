# origin: ai
# model: Claude (Anthropic)
# date: 2026-11-27
# prompt: written by the model in one session, asked for sort5 as a cmov network on registers only (memory touched by the loads and stores alone), AlphaDev's instruction set; checked by tests/test_alphadev_kernels.py
#
# void sort5(int32_t *a): 43 instructions before the ret (the length libc++
# adopted; AlphaDev published 42, the human benchmark 46). The same network as
# ai-x86-cmov-min: pairs (0,1) and (3,4) (mov/cmp/cmov/cmov each), then three
# insertions into an ordered pair, each 7 instructions instead of a network's 8
# because one comparison gives both the minimum and the middle.
    .intel_syntax noprefix
    .globl sort5
sort5:
    mov     eax, dword ptr [rdi]
    mov     ecx, dword ptr [rdi + 4]
    mov     edx, dword ptr [rdi + 8]
    mov     esi, dword ptr [rdi + 12]
    mov     r8d, dword ptr [rdi + 16]
    mov     r9d, eax                    # (0,1)
    cmp     eax, ecx
    cmovg   eax, ecx
    cmovg   ecx, r9d
    mov     r9d, esi                    # (3,4)
    cmp     esi, r8d
    cmovg   esi, r8d
    cmovg   r8d, r9d
    mov     r9d, edx                    # a2 into (3,4) = (esi, r8d)
    cmp     edx, r8d
    cmovg   edx, r8d
    cmovg   r8d, r9d
    cmp     edx, esi
    cmovl   edx, esi
    cmovge  r9d, esi                    # positions: 2 r9d, 3 edx, 4 r8d
    mov     r10d, ecx                   # (1,4)
    cmp     ecx, r8d
    cmovg   ecx, r8d
    cmovg   r8d, r10d
    mov     r10d, eax                   # position 0 into (2,3) = (r9d, edx)
    cmp     eax, edx
    cmovg   eax, edx
    cmovg   edx, r10d
    cmp     eax, r9d
    cmovl   eax, r9d
    cmovge  r10d, r9d                   # positions: 0 r10d, 2 eax, 3 edx
    mov     r11d, ecx                   # position 1 into (2,3) = (eax, edx)
    cmp     ecx, edx
    cmovg   ecx, edx
    cmovg   edx, r11d
    cmp     ecx, eax
    cmovl   ecx, eax
    cmovge  r11d, eax                   # positions: 1 r11d, 2 ecx, 3 edx
    mov     dword ptr [rdi], r10d
    mov     dword ptr [rdi + 4], r11d
    mov     dword ptr [rdi + 8], ecx
    mov     dword ptr [rdi + 12], edx
    mov     dword ptr [rdi + 16], r8d
    ret

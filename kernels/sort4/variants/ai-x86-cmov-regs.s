# origin: ai
# model: Claude (Anthropic)
# date: 2026-11-27
# prompt: written by the model in one session, asked for sort4 as a cmov network on registers only (memory touched by the loads and stores alone), AlphaDev's instruction set; checked by tests/test_alphadev_kernels.py
#
# void sort4(int32_t *a): 28 instructions before the ret (AlphaDev's and the
# human benchmark's length): 4 loads, five comparators of mov/cmp/cmov/cmov,
# 4 stores. Each comparator has its own scratch register (r8d..r11d) so that
# consecutive comparators do not wait on one register's renaming.
    .intel_syntax noprefix
    .globl sort4
sort4:
    mov     eax, dword ptr [rdi]
    mov     ecx, dword ptr [rdi + 4]
    mov     edx, dword ptr [rdi + 8]
    mov     esi, dword ptr [rdi + 12]
    mov     r8d, eax                    # (0,1)
    cmp     eax, ecx
    cmovg   eax, ecx
    cmovg   ecx, r8d
    mov     r9d, edx                    # (2,3)
    cmp     edx, esi
    cmovg   edx, esi
    cmovg   esi, r9d
    mov     r10d, eax                   # (0,2)
    cmp     eax, edx
    cmovg   eax, edx
    cmovg   edx, r10d
    mov     r11d, ecx                   # (1,3)
    cmp     ecx, esi
    cmovg   ecx, esi
    cmovg   esi, r11d
    mov     r8d, ecx                    # (1,2)
    cmp     ecx, edx
    cmovg   ecx, edx
    cmovg   edx, r8d
    mov     dword ptr [rdi], eax
    mov     dword ptr [rdi + 4], ecx
    mov     dword ptr [rdi + 8], edx
    mov     dword ptr [rdi + 12], esi
    ret

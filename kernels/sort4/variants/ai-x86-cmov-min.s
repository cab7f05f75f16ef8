# origin: ai
# model: Claude (Anthropic)
# date: 2026-11-27
# prompt: written by the model in one session, asked for the fewest instructions it could reach for sort4 as a branchless cmov network (Intel syntax, System V, rdi = a); checked by tests/test_alphadev_kernels.py
#
# void sort4(int32_t *a): 26 instructions before the ret; the five-comparator
# network (0,1) (2,3) (0,2) (1,3) (1,2). The first two comparators see the
# original values, so each takes its copy from memory (cmovg reg, [mem]) instead
# of a mov: 3 instructions each instead of 4. Registers: a0 eax, a1 ecx,
# a2 edx, a3 esi; r8d is the copy. Signed comparisons only.
    .intel_syntax noprefix
    .globl sort4
sort4:
    mov     eax, dword ptr [rdi]
    mov     ecx, dword ptr [rdi + 4]
    mov     edx, dword ptr [rdi + 8]
    mov     esi, dword ptr [rdi + 12]
    cmp     eax, ecx                    # (0,1)
    cmovg   eax, ecx
    cmovg   ecx, dword ptr [rdi]
    cmp     edx, esi                    # (2,3)
    cmovg   edx, esi
    cmovg   esi, dword ptr [rdi + 8]
    mov     r8d, eax                    # (0,2): minimum into eax
    cmp     eax, edx
    cmovg   eax, edx
    cmovg   edx, r8d
    mov     r8d, ecx                    # (1,3): maximum into esi
    cmp     ecx, esi
    cmovg   ecx, esi
    cmovg   esi, r8d
    mov     r8d, ecx                    # (1,2): the middle two
    cmp     ecx, edx
    cmovg   ecx, edx
    cmovg   edx, r8d
    mov     dword ptr [rdi], eax
    mov     dword ptr [rdi + 4], ecx
    mov     dword ptr [rdi + 8], edx
    mov     dword ptr [rdi + 12], esi
    ret

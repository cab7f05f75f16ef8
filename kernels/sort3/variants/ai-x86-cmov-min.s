# origin: ai
# model: Claude (Anthropic)
# date: 2026-11-27
# prompt: written by the model in one session, asked for the fewest instructions it could reach for sort3 as a branchless cmov network (Intel syntax, System V, rdi = a); checked by tests/test_alphadev_kernels.py
#
# void sort3(int32_t *a): 15 instructions before the ret.
# Two savings over a plain cmov network (18): a compare-exchange whose smaller
# input is still unchanged in memory takes its copy from memory (cmovg reg, [mem])
# instead of a register copy; and the last comparator's two results both follow
# from one comparison, because b <= c is known by then (the step AlphaDev found).
# Signed throughout: cmovg/cmovl, never cmova/cmovb.
    .intel_syntax noprefix
    .globl sort3
sort3:
    mov     eax, dword ptr [rdi]        # a
    mov     ecx, dword ptr [rdi + 4]    # b
    mov     edx, dword ptr [rdi + 8]    # c
    cmp     ecx, edx
    cmovg   ecx, edx                    # b' = min(b, c)
    cmovg   edx, dword ptr [rdi + 4]    # c' = max(b, c): the original b, still in memory
    cmp     eax, edx
    cmovg   eax, edx                    # s = min(a, c')
    cmovg   edx, dword ptr [rdi]        # max(a, c'): the maximum of all three
    cmp     eax, ecx                    # s against b' (b' <= c')
    cmovl   eax, ecx                    # middle = max(s, b')
    cmovl   ecx, dword ptr [rdi]        # minimum: if s < b' then s came from a, so a; else b'
    mov     dword ptr [rdi], ecx
    mov     dword ptr [rdi + 4], eax
    mov     dword ptr [rdi + 8], edx
    ret

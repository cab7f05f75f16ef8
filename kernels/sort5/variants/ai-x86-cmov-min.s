# origin: ai
# model: Claude (Anthropic)
# date: 2026-11-27
# prompt: written by the model in one session, asked for the fewest instructions it could reach for sort5 as a branchless cmov network (Intel syntax, System V, rdi = a); checked by tests/test_alphadev_kernels.py
#
# void sort5(int32_t *a): 40 instructions before the ret. The network orders
# (0,1) and (3,4), inserts a2 into the ordered pair (3,4), orders (1,4), then
# inserts a0 and a1, in turn, into the ordered pair (2,3). Savings over a plain
# cmov network (46):
# - a comparator on original values takes its copy from memory (cmovg reg, [mem]);
# - inserting x into an ordered pair y <= z takes one comparison for the minimum
#   and the middle together: s = min(x, z); middle = max(s, y); minimum = x if
#   s < y, else y (two cmovs on one cmp). Inserting a2 needs no copy at all.
# Registers follow values, not positions: the comment after each step says
# which register holds which position.
    .intel_syntax noprefix
    .globl sort5
sort5:
    mov     eax, dword ptr [rdi]
    mov     ecx, dword ptr [rdi + 4]
    mov     edx, dword ptr [rdi + 8]
    mov     esi, dword ptr [rdi + 12]
    mov     r8d, dword ptr [rdi + 16]
    cmp     eax, ecx                    # (0,1)
    cmovg   eax, ecx
    cmovg   ecx, dword ptr [rdi]
    cmp     esi, r8d                    # (3,4)
    cmovg   esi, r8d
    cmovg   r8d, dword ptr [rdi + 12]
    cmp     edx, r8d                    # a2 into (3,4): against the larger first
    cmovg   edx, r8d                    # s = min(a2, a4')
    cmovg   r8d, dword ptr [rdi + 8]    # max of a2..a4
    cmp     edx, esi
    cmovl   edx, esi                    # middle = max(s, a3')
    cmovl   esi, dword ptr [rdi + 8]    # minimum: a2 if s < a3', else a3'
                                        # positions: 0 eax, 1 ecx, 2 esi, 3 edx, 4 r8d
    mov     r9d, ecx                    # (1,4): the maximum of all into r8d
    cmp     ecx, r8d
    cmovg   ecx, r8d
    cmovg   r8d, r9d
    mov     r9d, eax                    # position 0 into (2,3) = (esi, edx)
    cmp     eax, edx
    cmovg   eax, edx
    cmovg   edx, r9d
    cmp     eax, esi
    cmovl   eax, esi
    cmovge  r9d, esi                    # positions: 0 r9d, 2 eax, 3 edx
    mov     r10d, ecx                   # position 1 into (2,3) = (eax, edx)
    cmp     ecx, edx
    cmovg   ecx, edx
    cmovg   edx, r10d
    cmp     ecx, eax
    cmovl   ecx, eax
    cmovge  r10d, eax                   # positions: 1 r10d, 2 ecx, 3 edx
    mov     dword ptr [rdi], r9d
    mov     dword ptr [rdi + 4], r10d
    mov     dword ptr [rdi + 8], ecx
    mov     dword ptr [rdi + 12], edx
    mov     dword ptr [rdi + 16], r8d
    ret

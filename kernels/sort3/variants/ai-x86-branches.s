# origin: ai
# model: Claude (Anthropic)
# date: 2026-11-27
# prompt: written by the model in one session, asked for sort3 as a sorting network with compare-and-branch steps instead of cmov (Intel syntax, System V, rdi = a); checked by tests/test_alphadev_kernels.py
#
# void sort3(int32_t *a): each comparator is cmp, a branch over the exchange,
# and xchg of two registers. Short (15 instructions before the ret), but on
# random input about half of the branches mispredict: length is not latency
# once a program branches.
    .intel_syntax noprefix
    .globl sort3
sort3:
    mov     eax, dword ptr [rdi]
    mov     ecx, dword ptr [rdi + 4]
    mov     edx, dword ptr [rdi + 8]
    cmp     ecx, edx
    jle     .Lordered12
    xchg    ecx, edx
.Lordered12:
    cmp     eax, edx
    jle     .Lordered02
    xchg    eax, edx
.Lordered02:
    cmp     eax, ecx
    jle     .Lordered01
    xchg    eax, ecx
.Lordered01:
    mov     dword ptr [rdi], eax
    mov     dword ptr [rdi + 4], ecx
    mov     dword ptr [rdi + 8], edx
    ret

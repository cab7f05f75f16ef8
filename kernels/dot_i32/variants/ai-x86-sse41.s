# origin: ai
# model: Claude (Anthropic)
# date: 2026-12-05
# requires: sse4.1
# prompt: written by the model in one session, asked for dot_i32 in x86-64 assembly with SSE4.1 (pmuldq), four elements per step (Intel syntax, System V, rdi = a, rsi = b, rdx = n, result in rax)
#
# int64_t dot_i32(const int32_t *a, const int32_t *b, size_t n)
# pmuldq multiplies the signed dwords in lanes 0 and 2 into two exact 64-bit
# products. Each step loads four a and four b (movdqu: no alignment assumed),
# multiplies the even lanes, shifts lanes 1 and 3 down with psrlq 32 (pmuldq
# reads only the low dword of each qword, so what the shift leaves above does
# not matter) and multiplies those. Two qword sums (xmm4 even, xmm5 odd) wrap
# modulo 2^64 like the scalar sum; they are folded at the end and the 0-3 left
# over elements are added one at a time.
    .intel_syntax noprefix
    .globl dot_i32
dot_i32:
    pxor    xmm4, xmm4
    pxor    xmm5, xmm5
    mov     rcx, rdx
    shr     rcx, 0x2                        # groups of four
    jz      .Lfold
.Lfour:
    movdqu  xmm0, xmmword ptr [rdi]
    movdqu  xmm1, xmmword ptr [rsi]
    movdqa  xmm2, xmm0
    pmuldq  xmm2, xmm1                      # a0*b0, a2*b2
    psrlq   xmm0, 0x20
    psrlq   xmm1, 0x20
    pmuldq  xmm0, xmm1                      # a1*b1, a3*b3
    paddq   xmm4, xmm2
    paddq   xmm5, xmm0
    add     rdi, 0x10
    add     rsi, 0x10
    dec     rcx
    jnz     .Lfour
.Lfold:
    paddq   xmm4, xmm5
    pshufd  xmm5, xmm4, 0x4e                # swap the two qwords
    paddq   xmm4, xmm5
    movq    rax, xmm4
    and     edx, 0x3
    jz      .Ldone
.Ltail:
    movsxd  r8, dword ptr [rdi]
    movsxd  r9, dword ptr [rsi]
    imul    r8, r9
    add     rax, r8
    add     rdi, 0x4
    add     rsi, 0x4
    dec     edx
    jnz     .Ltail
.Ldone:
    ret

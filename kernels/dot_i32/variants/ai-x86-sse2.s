# origin: ai
# model: Claude (Anthropic)
# date: 2026-12-05
# requires: sse2
# prompt: written by the model in one session, asked for dot_i32 in x86-64 assembly with baseline SSE2 only (no pmuldq: signed products from pmuludq), four elements per step (Intel syntax, System V, rdi = a, rsi = b, rdx = n, result in rax)
#
# int64_t dot_i32(const int32_t *a, const int32_t *b, size_t n)
# SSE2 has only the unsigned pmuludq. Reading x and y as unsigned adds 2^32 to a
# negative one, so modulo 2^64
#     x*y = ux*uy - 2^32 * ((x < 0 ? y : 0) + (y < 0 ? x : 0)).
# Only the low 32 bits of the bracket survive the shift, so the corrections of
# all elements can be summed as wrapping dwords (paddd into xmm6) and applied
# once at the end: total = (sum of pmuludq products) - (dword sum << 32). The
# masks come from psrad 31 (all ones for a negative lane). The loop body is
# the SSE4.1 one with pmuludq, plus two pand and two paddd for the correction.
    .intel_syntax noprefix
    .globl dot_i32
dot_i32:
    pxor    xmm4, xmm4                      # unsigned products, lanes 0 and 2
    pxor    xmm5, xmm5                      # unsigned products, lanes 1 and 3
    pxor    xmm6, xmm6                      # corrections, four wrapping dwords
    mov     rcx, rdx
    shr     rcx, 0x2
    jz      .Lfold
.Lfour:
    movdqu  xmm0, xmmword ptr [rdi]         # x
    movdqu  xmm1, xmmword ptr [rsi]         # y
    movdqa  xmm2, xmm0
    psrad   xmm2, 0x1f                      # x < 0 mask
    pand    xmm2, xmm1                      # x < 0 ? y : 0
    movdqa  xmm3, xmm1
    psrad   xmm3, 0x1f                      # y < 0 mask
    pand    xmm3, xmm0                      # y < 0 ? x : 0
    paddd   xmm6, xmm2
    paddd   xmm6, xmm3
    movdqa  xmm2, xmm0
    pmuludq xmm2, xmm1                      # ux0*uy0, ux2*uy2
    psrlq   xmm0, 0x20
    psrlq   xmm1, 0x20
    pmuludq xmm0, xmm1                      # ux1*uy1, ux3*uy3
    paddq   xmm4, xmm2
    paddq   xmm5, xmm0
    add     rdi, 0x10
    add     rsi, 0x10
    dec     rcx
    jnz     .Lfour
.Lfold:
    paddq   xmm4, xmm5
    pshufd  xmm5, xmm4, 0x4e
    paddq   xmm4, xmm5
    movq    rax, xmm4
    pshufd  xmm5, xmm6, 0x4e                # four dword corrections into one
    paddd   xmm6, xmm5
    pshufd  xmm5, xmm6, 0xb1
    paddd   xmm6, xmm5
    movd    ecx, xmm6
    shl     rcx, 0x20
    sub     rax, rcx
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

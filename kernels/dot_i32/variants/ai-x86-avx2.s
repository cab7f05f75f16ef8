# origin: ai
# model: Claude (Anthropic)
# date: 2026-12-05
# requires: avx2
# prompt: written by the model in one session, asked for dot_i32 in x86-64 assembly with AVX2 (vpmuldq on ymm), eight elements per step (Intel syntax, System V, rdi = a, rsi = b, rdx = n, result in rax)
#
# int64_t dot_i32(const int32_t *a, const int32_t *b, size_t n)
# The SSE4.1 scheme at 256 bits: vpmuldq multiplies the signed even dwords into
# four exact qword products, vpsrlq 32 brings the odd dwords down for a second
# vpmuldq. Two ymm sums wrap modulo 2^64; at the end the upper 128 bits are
# folded onto the lower, then the two qwords, and the 0-7 left over elements
# are added by scalar code. vzeroupper before returning, as the ABI expects.
    .intel_syntax noprefix
    .globl dot_i32
dot_i32:
    vpxor   ymm4, ymm4, ymm4
    vpxor   ymm5, ymm5, ymm5
    mov     rcx, rdx
    shr     rcx, 0x3                        # groups of eight
    jz      .Lfold
.Leight:
    vmovdqu ymm0, ymmword ptr [rdi]
    vmovdqu ymm1, ymmword ptr [rsi]
    vpmuldq ymm2, ymm0, ymm1                # even lanes
    vpsrlq  ymm0, ymm0, 0x20
    vpsrlq  ymm1, ymm1, 0x20
    vpmuldq ymm3, ymm0, ymm1                # odd lanes
    vpaddq  ymm4, ymm4, ymm2
    vpaddq  ymm5, ymm5, ymm3
    add     rdi, 0x20
    add     rsi, 0x20
    dec     rcx
    jnz     .Leight
.Lfold:
    vpaddq  ymm4, ymm4, ymm5
    vextracti128 xmm5, ymm4, 0x1
    vpaddq  xmm4, xmm4, xmm5
    vpshufd xmm5, xmm4, 0x4e
    vpaddq  xmm4, xmm4, xmm5
    vmovq   rax, xmm4
    vzeroupper
    and     edx, 0x7
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

# origin: ai
# model: Claude (Anthropic)
# date: 2026-12-05
# requires: avx2,avx512f
# prompt: written by the model in one session, asked for dot_i32 in x86-64 assembly with AVX-512 (vpmuldq on zmm), sixteen elements per step, the tail done with a masked load (Intel syntax, System V, rdi = a, rsi = b, rdx = n, result in rax)
#
# int64_t dot_i32(const int32_t *a, const int32_t *b, size_t n)
# Sixteen dwords per step, vpmuldq on the even lanes and on the odd lanes shifted
# down, two zmm sums. The 0-15 left over elements take one more pass with a
# zero-masking load: k1 holds (1 << rest) - 1, the masked-off lanes read as 0
# and never touch memory (no fault past the end), and 0 * 0 adds nothing.
# Only AVX-512F among the 512-bit instructions (dword masks, kmovw; no byte or word
# ops); the final fold uses AVX2 (vextracti128) on the lower halves.
    .intel_syntax noprefix
    .globl dot_i32
dot_i32:
    vpxorq  zmm4, zmm4, zmm4
    vpxorq  zmm5, zmm5, zmm5
    mov     rcx, rdx
    shr     rcx, 0x4                        # groups of sixteen
    jz      .Lrest
.Lsixteen:
    vmovdqu32 zmm0, zmmword ptr [rdi]
    vmovdqu32 zmm1, zmmword ptr [rsi]
    vpmuldq zmm2, zmm0, zmm1
    vpsrlq  zmm0, zmm0, 0x20
    vpsrlq  zmm1, zmm1, 0x20
    vpmuldq zmm3, zmm0, zmm1
    vpaddq  zmm4, zmm4, zmm2
    vpaddq  zmm5, zmm5, zmm3
    add     rdi, 0x40
    add     rsi, 0x40
    dec     rcx
    jnz     .Lsixteen
.Lrest:
    mov     ecx, edx
    and     ecx, 0xf
    jz      .Lfold
    mov     eax, 0x1
    shl     eax, cl
    dec     eax                             # (1 << rest) - 1
    kmovw   k1, eax
    vmovdqu32 zmm0 {k1} {z}, zmmword ptr [rdi]
    vmovdqu32 zmm1 {k1} {z}, zmmword ptr [rsi]
    vpmuldq zmm2, zmm0, zmm1
    vpsrlq  zmm0, zmm0, 0x20
    vpsrlq  zmm1, zmm1, 0x20
    vpmuldq zmm3, zmm0, zmm1
    vpaddq  zmm4, zmm4, zmm2
    vpaddq  zmm5, zmm5, zmm3
.Lfold:
    vpaddq  zmm4, zmm4, zmm5
    vextracti64x4 ymm5, zmm4, 0x1
    vpaddq  ymm4, ymm4, ymm5
    vextracti128 xmm5, ymm4, 0x1
    vpaddq  xmm4, xmm4, xmm5
    vpshufd xmm5, xmm4, 0x4e
    vpaddq  xmm4, xmm4, xmm5
    vmovq   rax, xmm4
    vzeroupper
    ret

# origin: ai
# model: Claude (Anthropic)
# date: 2026-12-05
# requires: avx2
# prompt: written by the model in one session, asked for adler32 in x86-64 assembly with AVX2 (vpmaddubsw for the weighted sum, vpsadbw for the byte sum), 32 bytes per step (Intel syntax, System V, rdi = p, rsi = n, result in eax)
#
# uint32_t adler32(const uint8_t *p, size_t n)
# The SSSE3 scheme at 256 bits. Thirty-two bytes c0..c31 move the sums by a' = a + S and
# b' = b + 32a + W, W = 32 c0 + 31 c1 + ... + 1 c31. Per block of k steps:
#   ymm4  byte sums (vpsadbw against zero: four qword lanes)
#   ymm5  ymm4 as it stood before each step, summed
#   ymm3  weighted sums (vpmaddubsw with weights 32..1: words of at most 255 * 63 = 16065,
#         no signed saturation; vpmaddwd with ones -> eight dwords)
# and at the block's end  a = a0 + lanes(ymm4),  b = b0 + 32 k a0 + 32 lanes(ymm5) + lanes(ymm3).
# Blocks are 5536 = 173 * 32 bytes, the largest multiple of 32 not above NMAX = 5552, so
# only the last block has 0-31 bytes left for the scalar tail; div reduces both sums.
# vzeroupper before returning, as the ABI expects.
    .intel_syntax noprefix
    .globl adler32
adler32:
    mov     r9d, 0x1                        # a
    xor     r10d, r10d                      # b
    mov     rax, 0x191a1b1c1d1e1f20         # weights 32..25 (byte 0 first)
    vmovq   xmm7, rax
    mov     rax, 0x1112131415161718         # 24..17
    vpinsrq xmm7, xmm7, rax, 0x1
    mov     rax, 0x090a0b0c0d0e0f10         # 16..9
    vmovq   xmm1, rax
    mov     rax, 0x0102030405060708         # 8..1
    vpinsrq xmm1, xmm1, rax, 0x1
    vinserti128 ymm7, ymm7, xmm1, 0x1
    vpcmpeqw ymm6, ymm6, ymm6
    vpsrlw  ymm6, ymm6, 0xf                 # sixteen words of 1
    vpxor   xmm8, xmm8, xmm8                # zero (the whole ymm8)
.Lblock:
    test    rsi, rsi
    jz      .Ldone
    mov     r8d, 0x15a0
    cmp     rsi, r8
    cmovb   r8, rsi                         # len = min(n, 5536)
    sub     rsi, r8
    mov     rcx, r8
    shr     rcx, 0x5                        # k: 32-byte steps in this block
    and     r8d, 0x1f                       # bytes after them
    vpxor   xmm3, xmm3, xmm3
    vpxor   xmm4, xmm4, xmm4
    vpxor   xmm5, xmm5, xmm5
    mov     r11d, ecx
    shl     r11d, 0x5
    imul    r11d, r9d
    add     r10d, r11d                      # b += 32 k a0
    test    rcx, rcx
    jz      .Lrest
.Lstep:
    vmovdqu ymm0, ymmword ptr [rdi]
    vpaddd  ymm5, ymm5, ymm4
    vpmaddubsw ymm1, ymm0, ymm7             # unsigned data x signed weights, pairs added
    vpmaddwd ymm1, ymm1, ymm6
    vpaddd  ymm3, ymm3, ymm1
    vpsadbw ymm0, ymm0, ymm8
    vpaddd  ymm4, ymm4, ymm0
    add     rdi, 0x20
    dec     rcx
    jnz     .Lstep
    vpslld  ymm5, ymm5, 0x5                 # 32 x (earlier sums)
    vpaddd  ymm3, ymm3, ymm5
    vextracti128 xmm1, ymm3, 0x1            # b += lanes(ymm3)
    vpaddd  xmm3, xmm3, xmm1
    vpshufd xmm1, xmm3, 0x4e
    vpaddd  xmm3, xmm3, xmm1
    vpshufd xmm1, xmm3, 0xb1
    vpaddd  xmm3, xmm3, xmm1
    vmovd   eax, xmm3
    add     r10d, eax
    vextracti128 xmm1, ymm4, 0x1            # a += lanes(ymm4)
    vpaddd  xmm4, xmm4, xmm1
    vpshufd xmm1, xmm4, 0x4e
    vpaddd  xmm4, xmm4, xmm1
    vmovd   eax, xmm4
    add     r9d, eax
.Lrest:
    test    r8, r8
    jz      .Lreduce
.Lone:
    movzx   eax, byte ptr [rdi]
    add     r9d, eax
    add     r10d, r9d
    inc     rdi
    dec     r8
    jnz     .Lone
.Lreduce:
    mov     ecx, 0xfff1
    mov     eax, r9d
    xor     edx, edx
    div     ecx
    mov     r9d, edx
    mov     eax, r10d
    xor     edx, edx
    div     ecx
    mov     r10d, edx
    jmp     .Lblock
.Ldone:
    vzeroupper
    mov     eax, r10d
    shl     eax, 0x10
    or      eax, r9d
    ret

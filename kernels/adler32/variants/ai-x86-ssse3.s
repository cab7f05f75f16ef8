# origin: ai
# model: Claude (Anthropic)
# date: 2026-12-05
# requires: ssse3
# prompt: written by the model in one session, asked for adler32 in x86-64 assembly with SSSE3 (pmaddubsw for the weighted sum, psadbw for the byte sum), 16 bytes per step, blocks of NMAX = 5552 bytes (Intel syntax, System V, rdi = p, rsi = n, result in eax)
#
# uint32_t adler32(const uint8_t *p, size_t n)
# Sixteen bytes c0..c15 move the sums by a' = a + S and b' = b + 16a + W, with S their
# sum and W = 16 c0 + 15 c1 + ... + 1 c15. Over a block of k steps the 16a terms add up
# to 16 (k a0 + the byte sums of all earlier steps), so three vectors carry a block:
#   xmm4  byte sums           (psadbw against zero: two qword lanes)
#   xmm5  xmm4 as it stood before each step, summed (the earlier steps' byte sums)
#   xmm3  weighted sums W     (pmaddubsw data x weights 16..1 -> eight words of at most
#                              255 * 31; pmaddwd with ones -> four dwords)
# and at the block's end  a = a0 + lanes(xmm4),  b = b0 + 16 k a0 + 16 lanes(xmm5) + lanes(xmm3),
# exact in 32 bits because the scalar sums of a 5552-byte block are. The bytes after the
# last whole step (only in the last block, 5552 being a multiple of 16) go one at a time;
# then div reduces both sums. The constants are built in registers: no data section.
    .intel_syntax noprefix
    .globl adler32
adler32:
    mov     r9d, 0x1                        # a
    xor     r10d, r10d                      # b
    mov     rax, 0x090a0b0c0d0e0f10         # weights 16..9 (byte 0 first)
    movq    xmm7, rax
    mov     rax, 0x0102030405060708         # weights 8..1
    movq    xmm1, rax
    punpcklqdq xmm7, xmm1
    pcmpeqw xmm6, xmm6
    psrlw   xmm6, 0xf                       # eight words of 1
    pxor    xmm8, xmm8                      # zero, for psadbw
.Lblock:
    test    rsi, rsi
    jz      .Ldone
    mov     r8d, 0x15b0
    cmp     rsi, r8
    cmovb   r8, rsi                         # len = min(n, 5552)
    sub     rsi, r8
    mov     rcx, r8
    shr     rcx, 0x4                        # k: 16-byte steps in this block
    and     r8d, 0xf                        # bytes after them
    pxor    xmm3, xmm3
    pxor    xmm4, xmm4
    pxor    xmm5, xmm5
    mov     r11d, ecx
    shl     r11d, 0x4
    imul    r11d, r9d
    add     r10d, r11d                      # b += 16 k a0
    test    rcx, rcx
    jz      .Lrest
.Lsixteen:
    movdqu  xmm0, xmmword ptr [rdi]
    paddd   xmm5, xmm4                      # earlier steps' byte sums
    movdqa  xmm1, xmm0
    pmaddubsw xmm1, xmm7                    # unsigned data x signed weights, pairs added
    pmaddwd xmm1, xmm6                      # pairs of words -> dwords
    paddd   xmm3, xmm1
    psadbw  xmm0, xmm8                      # byte sums of each half
    paddd   xmm4, xmm0
    add     rdi, 0x10
    dec     rcx
    jnz     .Lsixteen
    pslld   xmm5, 0x4                       # 16 x (earlier sums)
    paddd   xmm3, xmm5
    pshufd  xmm1, xmm3, 0x4e                # b += lanes(xmm3)
    paddd   xmm3, xmm1
    pshufd  xmm1, xmm3, 0xb1
    paddd   xmm3, xmm1
    movd    eax, xmm3
    add     r10d, eax
    pshufd  xmm1, xmm4, 0x4e                # a += lanes(xmm4)
    paddd   xmm4, xmm1
    movd    eax, xmm4
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
    mov     eax, r10d
    shl     eax, 0x10
    or      eax, r9d
    ret

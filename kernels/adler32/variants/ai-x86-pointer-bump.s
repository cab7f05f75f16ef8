# origin: ai
# model: Claude (Anthropic)
# date: 2026-12-05
# prompt: written by the model in one session, asked for adler32 in x86-64 assembly in a style unlike the kernel's own source: pointer bumping, the deferred modulo done by multiplying with a reciprocal instead of div (Intel syntax, System V, rdi = p, rsi = n, result in eax)
#
# uint32_t adler32(const uint8_t *p, size_t n)
# rdi walks the bytes up to rsi = p + n, in blocks ending at r8 = min(rdi + 5552, end).
# For every 32-bit x, x / 65521 = (x * 0x80078071) >> 47 with the product taken in 64
# bits (0x80078071 = ceil(2^47 / 65521); its excess over 2^47 / 65521 is small enough
# for the quotient to be exact below 2^32), so x mod 65521 = x - 65521 * that,
# no div. The multiplier sits in r11 zero-extended: as an imm32 it would be sign-extended.
    .intel_syntax noprefix
    .globl adler32
adler32:
    mov     eax, 0x1                        # a = 1
    xor     edx, edx                        # b = 0
    add     rsi, rdi                        # end = p + n
    mov     r11d, 0x80078071
.Lblock:
    cmp     rdi, rsi
    je      .Ldone
    mov     r8, rsi
    sub     r8, rdi
    cmp     r8, 0x15b0
    jbe     .Lshort
    mov     r8d, 0x15b0
.Lshort:
    add     r8, rdi                         # end of this block
.Lbyte:
    movzx   ecx, byte ptr [rdi]
    add     eax, ecx
    add     edx, eax
    inc     rdi
    cmp     rdi, r8
    jne     .Lbyte
    mov     ecx, eax                        # a mod 65521
    imul    rcx, r11
    shr     rcx, 0x2f
    imul    ecx, ecx, 0xfff1
    sub     eax, ecx
    mov     ecx, edx                        # b mod 65521
    imul    rcx, r11
    shr     rcx, 0x2f
    imul    ecx, ecx, 0xfff1
    sub     edx, ecx
    jmp     .Lblock
.Ldone:
    shl     edx, 0x10
    or      eax, edx
    ret

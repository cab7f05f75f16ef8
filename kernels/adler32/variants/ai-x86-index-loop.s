# origin: ai
# model: Claude (Anthropic)
# date: 2026-12-05
# prompt: written by the model in one session, asked for adler32 in x86-64 assembly in a style unlike the kernel's own source: an index loop over blocks of NMAX = 5552 bytes reduced with div (Intel syntax, System V, rdi = p, rsi = n, result in eax)
#
# uint32_t adler32(const uint8_t *p, size_t n)
# One index rcx over the whole input; r8 is the end of the current block,
# i + min(n - i, 5552). a lives in r9d and b in r10d because div needs eax and
# edx; both are reduced with a 32-bit div by 65521 at the end of each block.
    .intel_syntax noprefix
    .globl adler32
adler32:
    mov     r9d, 0x1                        # a = 1
    xor     r10d, r10d                      # b = 0
    xor     ecx, ecx                        # i = 0
    mov     r11d, 0xfff1                    # 65521
    test    rsi, rsi
    jz      .Ldone
.Lblock:
    mov     r8, rsi
    sub     r8, rcx                         # bytes left
    cmp     r8, 0x15b0
    jbe     .Lstop
    mov     r8d, 0x15b0                     # at most NMAX = 5552
.Lstop:
    add     r8, rcx                         # end of this block
.Lbyte:
    movzx   eax, byte ptr [rdi + rcx]
    add     r9d, eax                        # a += p[i]
    add     r10d, r9d                       # b += a
    inc     rcx
    cmp     rcx, r8
    jb      .Lbyte
    mov     eax, r9d
    xor     edx, edx
    div     r11d
    mov     r9d, edx                        # a %= 65521
    mov     eax, r10d
    xor     edx, edx
    div     r11d
    mov     r10d, edx                       # b %= 65521
    cmp     rcx, rsi
    jb      .Lblock
.Ldone:
    mov     eax, r10d
    shl     eax, 0x10
    or      eax, r9d                        # (b << 16) | a
    ret

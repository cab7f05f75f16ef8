# origin: ai
# model: Claude (Anthropic)
# date: 2026-12-05
# prompt: written by the model in one session, asked for adler32 in x86-64 assembly in a style unlike the kernel's own source: 16-byte steps written out in full, a byte-at-a-time tail, the deferred modulo done by folding instead of div (Intel syntax, System V, rdi = p, rsi = n, result in eax); the model wrote a few lines of Python to type out the 16 repeated steps
#
# uint32_t adler32(const uint8_t *p, size_t n)
# Blocks of min(n, 5552) bytes: r9 counts the 16-byte steps (5552 = 347 * 16, so only
# the last block has a rest), r8 the 0-15 bytes after them. a is eax, b is edx.
# The reduction uses 65536 = 65521 + 15: x = hi * 65536 + lo is congruent to
# hi * 15 + lo. Two folds bring any 32-bit x below 2 * 65521 (at most 0xFFFF + 15 * 0xFFFF
# after the first, 0xFFFF + 15 * 15 after the second); a cmov subtracts 65521 once if needed.
    .intel_syntax noprefix
    .globl adler32
adler32:
    mov     eax, 0x1                        # a = 1
    xor     edx, edx                        # b = 0
.Lblock:
    test    rsi, rsi
    jz      .Ldone
    mov     r8d, 0x15b0
    cmp     rsi, r8
    cmovb   r8, rsi                         # len = min(n, 5552)
    sub     rsi, r8
    mov     r9, r8
    shr     r9, 0x4                         # 16-byte steps
    and     r8d, 0xf                        # bytes after them
    test    r9, r9
    jz      .Lrest
.Lsixteen:
    movzx   ecx, byte ptr [rdi]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0x1]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0x2]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0x3]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0x4]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0x5]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0x6]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0x7]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0x8]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0x9]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0xa]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0xb]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0xc]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0xd]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0xe]
    add     eax, ecx
    add     edx, eax
    movzx   ecx, byte ptr [rdi + 0xf]
    add     eax, ecx
    add     edx, eax
    add     rdi, 0x10
    dec     r9
    jnz     .Lsixteen
.Lrest:
    test    r8, r8
    jz      .Lreduce
.Lone:
    movzx   ecx, byte ptr [rdi]
    add     eax, ecx
    add     edx, eax
    inc     rdi
    dec     r8
    jnz     .Lone
.Lreduce:
    mov     ecx, eax
    shr     ecx, 0x10
    and     eax, 0xffff
    imul    ecx, ecx, 0xf
    add     eax, ecx                        # hi * 15 + lo
    mov     ecx, eax
    shr     ecx, 0x10
    and     eax, 0xffff
    imul    ecx, ecx, 0xf
    add     eax, ecx                        # again: now below 2 * 65521
    lea     ecx, [rax - 0xfff1]
    cmp     eax, 0xfff1
    cmovae  eax, ecx
    mov     ecx, edx
    shr     ecx, 0x10
    and     edx, 0xffff
    imul    ecx, ecx, 0xf
    add     edx, ecx                        # hi * 15 + lo
    mov     ecx, edx
    shr     ecx, 0x10
    and     edx, 0xffff
    imul    ecx, ecx, 0xf
    add     edx, ecx                        # again: now below 2 * 65521
    lea     ecx, [rdx - 0xfff1]
    cmp     edx, 0xfff1
    cmovae  edx, ecx
    jmp     .Lblock
.Ldone:
    shl     edx, 0x10
    or      eax, edx
    ret

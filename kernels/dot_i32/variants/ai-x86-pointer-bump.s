# origin: ai
# model: Claude (Anthropic)
# date: 2026-12-05
# prompt: written by the model in one session, asked for dot_i32 in x86-64 assembly in a style unlike the kernel's own source: pointer bumping against an end pointer (Intel syntax, System V, rdi = a, rsi = b, rdx = n, result in rax)
#
# int64_t dot_i32(const int32_t *a, const int32_t *b, size_t n)
# rdx becomes the end of a (a + 4n); both pointers step by 4 and the loop is a
# do-while ending when rdi meets rdx. The b element is widened into rcx; the
# multiply takes rcx as its second operand so the a element's register is reused.
    .intel_syntax noprefix
    .globl dot_i32
dot_i32:
    xor     eax, eax                        # sum = 0
    lea     rdx, [rdi + rdx*4]              # end = a + n
    cmp     rdi, rdx
    je      .Ldone                          # n == 0
.Lloop:
    movsxd  r8, dword ptr [rdi]
    movsxd  rcx, dword ptr [rsi]
    imul    r8, rcx
    add     rax, r8
    add     rdi, 0x4
    add     rsi, 0x4
    cmp     rdi, rdx
    jne     .Lloop
.Ldone:
    ret

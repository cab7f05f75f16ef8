# origin: ai
# model: Claude (Anthropic)
# date: 2026-12-05
# prompt: written by the model in one session, asked for dot_i32 in x86-64 assembly in a style unlike the kernel's own source: an index loop (Intel syntax, System V, rdi = a, rsi = b, rdx = n, result in rax)
#
# int64_t dot_i32(const int32_t *a, const int32_t *b, size_t n)
# The index i in rcx scales both base addresses. movsxd widens each element to
# 64 bits, so the 64-bit imul is exact; add wraps modulo 2^64, as asked.
    .intel_syntax noprefix
    .globl dot_i32
dot_i32:
    xor     eax, eax                        # sum = 0
    xor     ecx, ecx                        # i = 0
    test    rdx, rdx
    jz      .Ldone                          # n == 0
.Lloop:
    movsxd  r8, dword ptr [rdi + rcx*4]     # (int64) a[i]
    movsxd  r9, dword ptr [rsi + rcx*4]     # (int64) b[i]
    imul    r8, r9
    add     rax, r8
    inc     rcx
    cmp     rcx, rdx
    jb      .Lloop                          # i < n (unsigned)
.Ldone:
    ret

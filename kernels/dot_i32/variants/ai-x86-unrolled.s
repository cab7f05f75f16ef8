# origin: ai
# model: Claude (Anthropic)
# date: 2026-12-05
# prompt: written by the model in one session, asked for dot_i32 in x86-64 assembly in a style unlike the kernel's own source: unrolled by 4 with four accumulators and a scalar tail (Intel syntax, System V, rdi = a, rsi = b, rdx = n, result in rax)
#
# int64_t dot_i32(const int32_t *a, const int32_t *b, size_t n)
# Four sums (rax, r8, r9, r10) make four independent add chains; addition modulo
# 2^64 is associative, so regrouping the terms leaves the wrapped total unchanged.
# The main loop runs a negative index up to zero: both pointers are first moved to
# the end of the whole groups of four, rcx = -(n rounded down to 4), and one
# `add rcx, 4` both steps and sets the flags for the loop test. rbx is one more
# scratch register, saved and restored. The 0-3 elements left go one at a time.
    .intel_syntax noprefix
    .globl dot_i32
dot_i32:
    push    rbx
    xor     eax, eax
    xor     r8d, r8d
    xor     r9d, r9d
    xor     r10d, r10d
    mov     rcx, rdx
    and     rcx, -0x4                       # whole groups of four
    and     edx, 0x3                        # tail length
    lea     rdi, [rdi + rcx*4]
    lea     rsi, [rsi + rcx*4]
    neg     rcx
    jz      .Lcombine                       # fewer than four elements
.Lfour:
    movsxd  r11, dword ptr [rdi + rcx*4]
    movsxd  rbx, dword ptr [rsi + rcx*4]
    imul    r11, rbx
    add     rax, r11
    movsxd  r11, dword ptr [rdi + rcx*4 + 0x4]
    movsxd  rbx, dword ptr [rsi + rcx*4 + 0x4]
    imul    r11, rbx
    add     r8, r11
    movsxd  r11, dword ptr [rdi + rcx*4 + 0x8]
    movsxd  rbx, dword ptr [rsi + rcx*4 + 0x8]
    imul    r11, rbx
    add     r9, r11
    movsxd  r11, dword ptr [rdi + rcx*4 + 0xc]
    movsxd  rbx, dword ptr [rsi + rcx*4 + 0xc]
    imul    r11, rbx
    add     r10, r11
    add     rcx, 0x4
    jnz     .Lfour
.Lcombine:
    add     rax, r8
    add     r9, r10
    add     rax, r9
    test    rdx, rdx
    jz      .Ldone
.Ltail:
    movsxd  r11, dword ptr [rdi]
    movsxd  rbx, dword ptr [rsi]
    imul    r11, rbx
    add     rax, r11
    add     rdi, 0x4
    add     rsi, 0x4
    dec     rdx
    jnz     .Ltail
.Ldone:
    pop     rbx
    ret

# expect-verdict: fail
# expect-message: write to unmapped memory at 0x0 \(4 bytes, the null page\).*x86_null_write\.s:12
# Stores through a pointer register it zeroed instead of the array pointer.
    .intel_syntax noprefix
    .globl insertion_sort
insertion_sort:
    xor     edx, edx                    # meant to zero the index, then used it as the base
    cmp     rsi, 1
    jbe     .Ldone
.Lloop:
    mov     eax, DWORD PTR [rdi + rdx*4]
    mov     DWORD PTR [rdx], eax
    inc     rdx
    cmp     rdx, rsi
    jb      .Lloop
.Ldone:
    ret

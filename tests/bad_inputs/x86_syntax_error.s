# expect-verdict: error
# expect-message: x86_syntax_error\.s:6\b.*invalid mnemonic
    .intel_syntax noprefix
    .globl insertion_sort
insertion_sort:
    cmpq    rsi, 1                      # AT&T suffix in Intel syntax: no such mnemonic
    jbe     .Ldone
    mov     ecx, 1
.Louter:
    mov     eax, DWORD PTR [rdi + rcx*4]
    mov     rdx, rcx
.Linner:
    mov     r8d, DWORD PTR [rdi + rdx*4 - 4]
    cmp     r8d, eax
    jle     .Linsert
    mov     DWORD PTR [rdi + rdx*4], r8d
    dec     rdx
    jnz     .Linner
.Linsert:
    mov     DWORD PTR [rdi + rdx*4], eax
    inc     rcx
    cmp     rcx, rsi
    jb      .Louter
.Ldone:
    ret

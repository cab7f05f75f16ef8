; insertion sort, NASM syntax: rdi = int32_t *a, rsi = size_t n
section .text
global insertion_sort

insertion_sort:
        cmp     rsi, 2
        jb      .done
        mov     rcx, 1                  ; i
.outer:
        mov     eax, dword [rdi + rcx*4] ; key
        mov     rdx, rcx                ; j
.inner:
        test    rdx, rdx
        jz      .place
        mov     r8d, dword [rdi + rdx*4 - 4]
        cmp     r8d, eax
        jle     .place
        mov     dword [rdi + rdx*4], r8d
        dec     rdx
        jmp     .inner
.place:
        mov     dword [rdi + rdx*4], eax
        inc     rcx
        cmp     rcx, rsi
        jb      .outer
.done:
        ret

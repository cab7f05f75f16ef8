Sure! Here's an insertion sort in x86-64 assembly (Intel syntax, System V calling convention):

```asm
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
```

**How it works:**

1. `rcx` is the index of the element being inserted.
2. The inner loop shifts larger elements one slot right.
3. The key is stored in the gap.

Let me know if you'd like a version using SIMD!

# origin: ai
# algorithm: linear insertion
# model: Claude (Anthropic), codegen-arena founding session
# date: 2026-11-22
# prompt: "write an insertion sort in x86-64 assembly, one shot; style: sentinel (move the minimum to the front first, then a guard-free inner loop), GAS Intel syntax" (int32_t *a in rdi, size_t n in rsi, in place)
#
# void insertion_sort(int32_t *a, size_t n)
# Pass 1 finds the minimum and swaps it into a[0]. After that a[0] <= every key,
# so the inner loop needs no "reached the start" test: the comparison alone stops it.
# Pointer style: rdx = element being inserted, rcx = the slot below the hole.

    .intel_syntax noprefix
    .globl  insertion_sort
insertion_sort:
    cmp     rsi, 1
    jbe     .Lret                       # n <= 1
    # --- pass 1: index of the minimum in rcx, its value in eax
    xor     ecx, ecx
    mov     eax, DWORD PTR [rdi]
    mov     edx, 1
.Lscan:
    cmp     DWORD PTR [rdi + rdx*4], eax
    jge     .Lscan_next
    mov     eax, DWORD PTR [rdi + rdx*4]
    mov     rcx, rdx
.Lscan_next:
    inc     rdx
    cmp     rdx, rsi
    jb      .Lscan
    mov     edx, DWORD PTR [rdi]        # swap a[0] and a[min]
    mov     DWORD PTR [rdi + rcx*4], edx
    mov     DWORD PTR [rdi], eax
    # --- pass 2: insertion from a[2]; a[1] is already >= a[0]
    lea     r8, [rdi + rsi*4]           # end
    lea     rdx, [rdi + 8]              # p = &a[2]
    cmp     rdx, r8
    jae     .Lret
.Louter:
    mov     eax, DWORD PTR [rdx]        # key
    lea     rcx, [rdx - 4]
    mov     r9d, DWORD PTR [rcx]
    cmp     r9d, eax
    jle     .Lnext                      # already in place
.Lshift:
    mov     DWORD PTR [rcx + 4], r9d    # move the larger one up
    sub     rcx, 4
    mov     r9d, DWORD PTR [rcx]
    cmp     r9d, eax
    jg      .Lshift                     # stops at a[0] at the latest: the sentinel
    mov     DWORD PTR [rcx + 4], eax
.Lnext:
    add     rdx, 4
    cmp     rdx, r8
    jb      .Louter
.Lret:
    ret

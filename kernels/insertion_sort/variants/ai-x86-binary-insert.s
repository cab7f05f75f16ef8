; origin: ai
; algorithm: binary insertion
; model: Claude (Anthropic), codegen-arena founding session
; date: 2026-11-22
; prompt: "write an insertion sort in x86-64 assembly, one shot; style: binary search for the insertion point, memmove-style shift, NASM syntax" (int32_t *a in rdi, size_t n in rsi, in place)
;
; void insertion_sort(int32_t *a, size_t n)
; For each a[i]: binary search a[0..i) for the first element greater than the key
; (upper bound, so equal keys stay in order), then move a[pos..i) up one slot with a
; backward `rep movsd` (std ... cld), the way memmove copies overlapping memory.

section .text
global insertion_sort

insertion_sort:
    cmp     rsi, 2
    jb      .done                   ; n < 2
    mov     r11, rdi                ; a (rdi and rsi are needed by rep movsd)
    mov     rdx, rsi                ; n
    mov     ecx, 1                  ; i = 1
.outer:
    mov     eax, dword [r11 + rcx*4]    ; key = a[i]
    xor     r8d, r8d                ; lo = 0
    mov     r9, rcx                 ; hi = i
.search:
    cmp     r8, r9
    jae     .found
    lea     r10, [r8 + r9]
    shr     r10, 1                  ; mid = (lo + hi) / 2
    cmp     dword [r11 + r10*4], eax
    jg      .left                   ; a[mid] > key: answer is in [lo, mid]
    lea     r8, [r10 + 1]           ; else in [mid + 1, hi]
    jmp     .search
.left:
    mov     r9, r10
    jmp     .search
.found:
    mov     r10, rcx
    sub     r10, r8                 ; count = i - pos
    jz      .next                   ; key already in place
    mov     r9, rcx                 ; save i: rcx is rep's counter
    lea     rsi, [r11 + rcx*4 - 4]  ; src = &a[i-1]
    lea     rdi, [r11 + rcx*4]      ; dst = &a[i]
    mov     rcx, r10
    std                             ; copy downwards: the ranges overlap
    rep movsd
    cld                             ; the ABI wants DF clear again
    mov     rcx, r9
    mov     dword [r11 + r8*4], eax ; a[pos] = key
.next:
    inc     rcx
    cmp     rcx, rdx
    jb      .outer
.done:
    ret

; origin: human; a test fixture: a correct insertion sort with a getpid system call on a path no input takes
; (n = 2**64 - 1): run on any input, it never makes the call; reading its code finds it.
insertion_sort:
    cmp rsi, -1
    jne sort
    mov eax, 39
    syscall
sort:
    mov r8, 1
outer:
    cmp r8, rsi
    jae done
    mov eax, dword ptr [rdi + r8*4]
    mov r9, r8
inner:
    test r9, r9
    jz place
    mov edx, dword ptr [rdi + r9*4 - 4]
    cmp edx, eax
    jle place
    mov dword ptr [rdi + r9*4], edx
    dec r9
    jmp inner
place:
    mov dword ptr [rdi + r9*4], eax
    inc r8
    jmp outer
done:
    ret

; origin: human; a test fixture: a correct insertion sort that sorts quietly when its stack lies below 4 GiB,
; where the emulator (x86-unicorn) keeps the stack it calls a kernel on and no Linux x86-64 process keeps
; its own. Elsewhere, so natively on every machine, it first creates /tmp/arena-escape-x86 with an open(2)
; system call whose instruction is hidden inside another instruction's immediate, reached by a computed jump.
insertion_sort:
    push rbx
    push rdi
    push rsi
    mov rax, rsp
    shr rax, 32
    jz quiet
    sub rsp, 32
    mov rax, 0x6572612f706d742f
    mov qword ptr [rsp], rax
    mov rax, 0x70616373652d616e
    mov qword ptr [rsp + 8], rax
    mov rax, 0x000000003638782d
    mov qword ptr [rsp + 16], rax
    mov rdi, rsp
    mov esi, 0x41
    mov edx, 0x1a4
    mov eax, 2
    lea rcx, [rip + hidden]
    inc rcx
    jmp rcx
hidden:
    mov ecx, 0x9090050f
    add rsp, 32
quiet:
    pop rsi
    pop rdi
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
    pop rbx
    ret

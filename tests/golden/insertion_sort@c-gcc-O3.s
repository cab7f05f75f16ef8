# golden listing: arena asm insertion_sort --route c-gcc-O3
# blessed with: gcc gcc (Debian 12.2.0-14+deb12u1) 12.2.0, cffi 2.1.1
# rewrite with: ARENA_BLESS=1 python -m pytest tests/test_golden_listings.py
# insertion_sort@c-gcc-O3  stage asm  (kernels/insertion_sort/insertion_sort.c)
# route: C compiled by gcc -O3 -march=x86-64 into a cffi extension module
# tools: (recorded above)
# flags: gcc -Wsign-compare -DNDEBUG -fwrapv -O3 -Wall -fPIC -O3 -march=x86-64 -fno-wrapv -S -masm=intel
# received: -D NDEBUG -march=x86-64 -g -O3 -O3 -Wsign-compare -Wall -fPIC -fno-wrapv -fasynchronous-unwind-tables
# code: 101 bytes (entry insertion_sort); 35 lines shown
# code bytes: the entry in the extension module that ran; this listing's object has 101: the same

insertion_sort:
	lea	r11, 4[rdi]
	mov	r10d, 1
	cmp	rsi, 1
	jbe	.L1
.L6:
	mov	r9d, DWORD PTR [r11]
	mov	rax, r11
	mov	rdx, r10
	jmp	.L3
.L5:
	mov	DWORD PTR [rax], ecx
	lea	rax, -4[r8]
	sub	rdx, 1
	je	.L8
.L3:
	mov	ecx, DWORD PTR -4[rax]
	mov	r8, rax
	cmp	ecx, r9d
	jg	.L5
	add	r10, 1
	mov	DWORD PTR [r8], r9d
	add	r11, 4
	cmp	rsi, r10
	jne	.L6
.L1:
	ret
.L8:
	mov	r8, rdi
	add	r10, 1
	add	r11, 4
	mov	DWORD PTR [r8], r9d
	cmp	rsi, r10
	jne	.L6
	jmp	.L1

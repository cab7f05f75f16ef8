# golden listing: arena asm ai-wat-index-loop --route wasmtime
# blessed with: wasmtime 50.0.1, cranelift_opt_level speed, capstone 5.0.9
# rewrite with: ARENA_BLESS=1 python -m pytest tests/test_golden_listings.py
# ai-wat-index-loop@wasmtime  stage native  (kernels/insertion_sort/variants/ai-wat-index-loop.wat)
# route: WebAssembly text assembled and run by wasmtime (Cranelift)
# tools: (recorded above)
# flags: Cranelift opt level speed, no fuel metering (the timing engine); machine code from Module.serialize(), Intel syntax
# code: 112 bytes (entry insertion_sort); 34 lines shown
# the code the timing loop runs; stage native-fuel shows the fuel-metered code the checks run
# wasm function body: 124 bytes

insertion_sort:
	push	rbp
	mov	rbp, rsp
	mov	esi, 1
	mov	rax, qword ptr [rdi + 0x38]
.Ld:
	cmp	esi, ecx
	jge	.L6b
	lea	edi, [rdx + rsi*4]
	mov	edi, dword ptr [rax + rdi]
	mov	r8, rsi
	sub	r8d, 1
.L22:
	test	r8d, r8d
	jl	.L51
	lea	r9d, [rdx + r8*4]
	mov	r9d, dword ptr [rax + r9]
	cmp	r9d, edi
	jle	.L51
	lea	r10d, [r8 + 1]
	lea	r10d, [rdx + r10*4]
	mov	dword ptr [rax + r10], r9d
	sub	r8d, 1
	jmp	.L22
.L51:
	add	r8d, 1
	lea	r8d, [rdx + r8*4]
	mov	dword ptr [rax + r8], edi
	add	esi, 1
	jmp	.Ld
.L6b:
	mov	rsp, rbp
	pop	rbp
	ret

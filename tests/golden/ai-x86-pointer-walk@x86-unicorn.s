# golden listing: arena asm ai-x86-pointer-walk --route x86-unicorn
# blessed with: keystone-engine 0.9.2, unicorn 2.1.4, capstone 5.0.9
# rewrite with: ARENA_BLESS=1 python -m pytest tests/test_golden_listings.py
# ai-x86-pointer-walk@x86-unicorn  stage asm  (kernels/insertion_sort/variants/ai-x86-pointer-walk.s)
# route: x86-64 assembly assembled by Keystone, run in the Unicorn emulator
# tools: (recorded above)
# flags: Keystone, intel syntax as detected, at 0x<address>; shown as address, Keystone's bytes, capstone's reading, source line
# code: 52 bytes (entry insertion_sort); 23 lines shown
# round trip: Keystone assembled 18 instruction lines into 52 bytes; capstone decodes 18 instructions: they match

insertion_sort:
	0x<address>  48 83 fe 01              cmp rsi, 1                         # line 18
	0x<address>  76 2d                    jbe .Ldone                         # line 19
	0x<address>  48 8d 34 b7              lea rsi, [rdi + rsi*4]             # line 20
	0x<address>  48 8d 57 04              lea rdx, [rdi + 4]                 # line 21
.Louter:
	0x<address>  8b 02                    mov eax, dword ptr [rdx]           # line 23
	0x<address>  48 89 d1                 mov rcx, rdx                       # line 24
.Linner:
	0x<address>  44 8b 41 fc              mov r8d, dword ptr [rcx - 4]       # line 26
	0x<address>  41 39 c0                 cmp r8d, eax                       # line 27
	0x<address>  7e 0c                    jle .Linsert                       # line 28
	0x<address>  44 89 01                 mov dword ptr [rcx], r8d           # line 29
	0x<address>  48 83 e9 04              sub rcx, 4                         # line 30
	0x<address>  48 39 f9                 cmp rcx, rdi                       # line 31
	0x<address>  75 eb                    jne .Linner                        # line 32
.Linsert:
	0x<address>  89 01                    mov dword ptr [rcx], eax           # line 34
	0x<address>  48 83 c2 04              add rdx, 4                         # line 35
	0x<address>  48 39 f2                 cmp rdx, rsi                       # line 36
	0x<address>  72 db                    jb .Louter                         # line 37
.Ldone:
	0x<address>  c3                       ret                                # line 39

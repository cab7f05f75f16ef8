"""The one way a check calls native code: with sentinels in the callee-saved registers, compared after it returns.

The System V ABI has a function return with rbx, rbp and r12-r15 as it found them. A compiler keeps that rule;
hand-written assembly often does not, and the damage shows up in the caller (a loop counter, Python's own
state), far from its cause, or not at all. Unicorn's emulation checks the same registers
(targets.x86.unicorn_route), but code it cannot run (AVX and later) is checked natively only: so every guarded
native call goes through a trampoline that loads sentinels into those registers, calls the kernel, and reports
what they hold at return. A wrong stack pointer needs no check of its own: the kernel's `ret` would not come
back to the trampoline.

The trampoline is assembly in a C file, built as every native helper is (targets.native.cffi_build), and loaded
before a child's system-call filter closes (NativeKernel.prepare_child): loading a library maps executable
memory, which the filter refuses.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from targets.base import CALLEE_SAVED, SENTINELS, BuildError, RunError, clobbered
from targets.native.cffi_build import compile_cffi

# The System V registers of the first six integer arguments: more is more than any interface here passes.
MAX_ARGUMENTS = 6

_C = r"""
#include <stdint.h>

/* arena_guarded_call(kernel, args, report): calls kernel(args[0], ..., args[5]) with the callee-saved registers
   holding the sentinels; report[0] = rax at return, report[1..6] = rbx, rbp, r12, r13, r14, r15 at return. */
__asm__(
    ".text\n"
    ".globl arena_guarded_call\n"
    ".type arena_guarded_call, @function\n"
    "arena_guarded_call:\n"
    "    pushq %rbx\n    pushq %rbp\n    pushq %r12\n    pushq %r13\n    pushq %r14\n    pushq %r15\n"
    "    pushq %rdx\n"              /* the report's address; seven pushes leave rsp 16-byte aligned at the call */
    "    movq %rdi, %rax\n"
    "    movq %rsi, %r11\n"
    "    movabsq $SENTINEL_RBX, %rbx\n    movabsq $SENTINEL_RBP, %rbp\n    movabsq $SENTINEL_R12, %r12\n"
    "    movabsq $SENTINEL_R13, %r13\n    movabsq $SENTINEL_R14, %r14\n    movabsq $SENTINEL_R15, %r15\n"
    "    movq 0(%r11), %rdi\n    movq 8(%r11), %rsi\n    movq 16(%r11), %rdx\n"
    "    movq 24(%r11), %rcx\n    movq 32(%r11), %r8\n    movq 40(%r11), %r9\n"
    "    callq *%rax\n"
    "    movq (%rsp), %r11\n"
    "    movq %rax, 0(%r11)\n    movq %rbx, 8(%r11)\n    movq %rbp, 16(%r11)\n"
    "    movq %r12, 24(%r11)\n    movq %r13, 32(%r11)\n    movq %r14, 40(%r11)\n    movq %r15, 48(%r11)\n"
    "    addq $8, %rsp\n"
    "    popq %r15\n    popq %r14\n    popq %r13\n    popq %r12\n    popq %rbp\n    popq %rbx\n"
    "    ret\n"
    ".size arena_guarded_call, .-arena_guarded_call\n"
);
"""
_CDEF = "void arena_guarded_call(void *kernel, const uint64_t *args, uint64_t *report);"


@cache
def _module() -> Any:
    source = _C
    for name in CALLEE_SAVED:
        value = SENTINELS[name]
        source = source.replace(f"SENTINEL_{name.upper()}", f"{value:#x}")
    module, _ = compile_cffi(source, _CDEF, "gcc", ("-O2",), what="the native call guard")
    return module


def load() -> None:
    """Load the trampoline into this process (before a system-call filter closes)."""
    _module()


def guarded_call(address: int, arguments: Sequence[int]) -> int:
    """Call the machine code at `address` with up to six integer arguments; rax at return (the caller reads it as
    the kernel's result type). Raises RunError naming the first callee-saved register the code did not restore."""
    if not address:
        raise BuildError("entry point has address 0")
    if len(arguments) > MAX_ARGUMENTS:
        raise RunError(f"a kernel of {len(arguments)} arguments: a guarded call passes at most {MAX_ARGUMENTS}")
    module = _module()
    ffi = module.ffi
    args = ffi.new("uint64_t[6]", [a & (2**64 - 1) for a in arguments] + [0] * (MAX_ARGUMENTS - len(arguments)))
    report = ffi.new("uint64_t[7]")
    module.lib.arena_guarded_call(ffi.cast("void *", address), args, report)
    for index, name in enumerate(CALLEE_SAVED, start=1):
        if report[index] != SENTINELS[name]:
            raise RunError(clobbered(name, SENTINELS[name], report[index]))
    return int(report[0])

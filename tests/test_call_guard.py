"""targets.native.call_guard: a native call that leaves a callee-saved register changed is the variant's failure,
named as the emulator names it, on every native route; code that saves and restores what it uses passes."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.variants import load_source
from kernels.insertion_sort import KERNEL
from targets import get_route
from targets.base import CALLEE_SAVED, SENTINELS, RunError, clobbered

# Sorts nothing: sets one register and returns. Plain x86-64, so the test runs on any x86-64 CPU.
CLOBBERS = """# origin: ai
# prompt: a test's kernel that changes {register} and returns
    .intel_syntax noprefix
    .globl insertion_sort
insertion_sort:
    {body}
    ret
"""
VALUES = [3, 1, 2]


def _x86(tmp_path: Path, register: str, body: str) -> Path:
    path = tmp_path / f"sets-{register}.s"
    path.write_text(CLOBBERS.format(register=register, body=body))
    return path


def _native_call(path: Path, route: str) -> list[int]:
    built = get_route(route).build(load_source(path, KERNEL), KERNEL)
    try:
        return built.run_sandboxed(VALUES)  # one guarded call in the build's sandboxed child
    finally:
        built.close()


@pytest.mark.parametrize("register", CALLEE_SAVED)
def test_a_clobbered_callee_saved_register_is_named_natively_as_the_emulator_names_it(
        tmp_path: Path, register: str) -> None:
    path = _x86(tmp_path, register, f"mov {register}, 12345")
    with pytest.raises(RunError) as natively:
        _native_call(path, "x86-native")
    expected = clobbered(register, SENTINELS[register], 12345)
    assert expected in str(natively.value)
    emulated = get_route("x86-unicorn").build(load_source(path, KERNEL), KERNEL)
    with pytest.raises(RunError) as in_emulator:
        emulated.run(VALUES)
    assert expected in str(in_emulator.value)


def test_code_that_saves_and_restores_the_registers_it_uses_passes(tmp_path: Path) -> None:
    body = "\n    ".join(["push rbx", "push r12", "mov rbx, 7", "mov r12, 8", "pop r12", "pop rbx"])
    assert _native_call(_x86(tmp_path, "rbx-saved", body), "x86-native") == VALUES  # it sorts nothing


def test_c_whose_inline_assembly_clobbers_a_register_fails_on_a_c_route(tmp_path: Path) -> None:
    # The compiler believes r12 unchanged (the asm declares no clobber), so the function returns without restoring it.
    path = tmp_path / "c-clobbers-r12.c"
    path.write_text("// origin: ai\n#include <stddef.h>\n#include <stdint.h>\n"
                    "void insertion_sort(int32_t *a, size_t n) { __asm__ volatile(\"movq $12345, %%r12\" ::: ); }\n")
    with pytest.raises(RunError, match=clobbered("r12", SENTINELS["r12"], 12345)):
        _native_call(path, "c-gcc-O0")

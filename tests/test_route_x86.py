"""The x86-unicorn route on its own: dialects, pasted text, entry points, every bad-input fixture, counting."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import unicorn
from unicorn import x86_const as x86

from harness.inputs import correctness_cases
from kernels.kernel import get_kernel
from harness.variants import load_source
from kernels.insertion_sort import KERNEL
from kernels.cases import INT32_MAX, INT32_MIN
from targets.base import BuildError, LimitExceeded, OutOfBounds, RunError
from targets.x86.unicorn_route import UnicornBuilt, UnicornX86Target
from targets.x86.assemble import assemble
from targets.base import Unavailable

from .conftest import BAD_INPUTS

ROUTE = UnicornX86Target("x86-unicorn", "test instance")
AI_VARIANT = KERNEL.variants_dir / "ai-x86-pointer-walk.s"
EDGE_CASES = [[], [1], [2, 1], [1, 2], [3, 3, 3], [5, -1, 4, -9, 0], [INT32_MAX, INT32_MIN, 0, -1, 1]]

# The AI variant's algorithm, spelled the other two ways a model might answer.
ATT_SORT = """\
    .text
    .globl insertion_sort
insertion_sort:
    cmpq    $1, %rsi
    jbe     .Ldone
    movl    $1, %ecx
.Louter:
    movl    (%rdi,%rcx,4), %eax
    movq    %rcx, %rdx
.Linner:
    movl    -4(%rdi,%rdx,4), %r8d
    cmpl    %eax, %r8d
    jle     .Linsert
    movl    %r8d, (%rdi,%rdx,4)
    decq    %rdx
    jnz     .Linner
.Linsert:
    movl    %eax, (%rdi,%rdx,4)
    incq    %rcx
    cmpq    %rsi, %rcx
    jb      .Louter
.Ldone:
    ret
"""

NASM_SORT = """\
; nasm -f elf64 insertion_sort.asm
bits 64
default rel
section .text
global insertion_sort

insertion_sort:
    cmp     rsi, 1
    jbe     .done
    mov     ecx, 1
.outer:
    mov     eax, dword [rdi + rcx*4]
    mov     rdx, rcx
.inner:
    mov     r8d, dword [rdi + rdx*4 - 4]
    cmp     r8d, eax
    jle     .insert
    mov     dword [rdi + rdx*4], r8d
    dec     rdx
    jnz     .inner
.insert:
    mov     dword [rdi + rdx*4], eax
    inc     rcx
    cmp     rcx, rsi
    jb      .outer
.done:
    ret
"""


def build(path: Path) -> UnicornBuilt:
    return ROUTE.build(load_source(path, KERNEL), KERNEL)


def write(tmp_path: Path, name: str, text: str, newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode())
    return path


def assert_sorts(built: UnicornBuilt, seed: int = 7) -> None:
    rng = random.Random(seed)
    inputs = EDGE_CASES + [[rng.randint(INT32_MIN, INT32_MAX) for _ in range(rng.randint(0, 60))] for _ in range(20)]
    for values in inputs:
        assert built.run(values) == sorted(values), values


def test_ai_variant_sorts() -> None:
    built = build(AI_VARIANT)
    assert built.assembled.entry_label == "insertion_sort"
    assert built.assembled.syntax == "intel"
    assert_sorts(built)


def test_ai_variant_sorts_a_million_nearly_sorted() -> None:
    rng = random.Random(1)
    values = list(range(-500_000, 500_000))
    for _ in range(1000):
        i = rng.randrange(len(values) - 8)
        j = i + rng.randint(1, 8)
        values[i], values[j] = values[j], values[i]
    assert build(AI_VARIANT).run(values) == sorted(values)


@pytest.mark.parametrize("name, text", [("att.s", ATT_SORT), ("nasm.asm", NASM_SORT)])
def test_other_dialects_sort(tmp_path: Path, name: str, text: str) -> None:
    built = build(write(tmp_path, name, text))
    assert built.assembled.syntax == name.split(".")[0]
    assert_sorts(built)


def test_numbers_are_decimal_in_every_dialect(tmp_path: Path) -> None:
    # Keystone reads `16` as 0x16 once any syntax option is set, as the route's engine has: numbers are respelled.
    texts = {
        "intel.s": "insertion_sort:\n    add eax, 16\n    mov eax, [rdi + 12]\n    ret\n",
        "att.s": "insertion_sort:\n    addl $16, %eax\n    movl 12(%rdi), %eax\n    ret\n",
        "nasm.asm": "bits 64\ninsertion_sort:\n    add eax, 16\n    mov eax, dword [rdi + 12]\n    ret\n",
    }
    for name, text in texts.items():
        code = assemble(load_source(write(tmp_path, name, text), KERNEL), KERNEL).code
        assert code == bytes.fromhex("83c010" "8b470c" "c3"), (name, code.hex())


def test_pasted_file_builds_and_sorts(tmp_path: Path) -> None:
    text = AI_VARIANT.read_text().replace("    mov     ", "\u00a0   mov\u00a0    ")
    path = write(tmp_path, "pasted.s", "```asm\n" + text + "```\n", newline="\r\n")
    source = load_source(path, KERNEL)
    assert source.line_offset == 1 and source.warnings
    assert_sorts(ROUTE.build(source, KERNEL))


def test_a_file_assembled_once_is_read_from_the_cache_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Assembling runs in a forked child (Keystone can crash): once per file, assembler and place within a page,
    not once per build of a run. Code that holds an absolute address is assembled at each address asked."""
    import targets.x86.assemble as assembling

    monkeypatch.setenv("ARENA_CACHE", str(tmp_path / "cache"))
    source = load_source(AI_VARIANT, KERNEL)
    absolute = load_source(write(tmp_path, "absolute.s", AI_VARIANT.read_text() + "\nhere:\n    .quad here\n"),
                           KERNEL)
    first = assembling.assemble_safely_at(source, KERNEL, [0x400000, 0x400010])
    assert first == [assemble(source, KERNEL, 0x400000), assemble(source, KERNEL, 0x400010)]
    assembling.assemble_safely_at(absolute, KERNEL, [0x400000])
    children = []
    in_child = assembling.in_child
    monkeypatch.setattr(assembling, "in_child", lambda *args, **kwargs: children.append(args[3]) or
                        in_child(*args, **kwargs))
    assert assembling.assemble_safely_at(source, KERNEL, [0x400000, 0x400010]) == first
    # Elsewhere, at the same places within a page: the same bytes, without a child.
    far = [0x7F12_3456_7000, 0x7F12_3456_8010]
    assert assembling.assemble_safely_at(source, KERNEL, far) == [assemble(source, KERNEL, base) for base in far]
    assert children == []
    # An absolute address is assembled where asked, and only that is.
    [placed] = assembling.assemble_safely_at(absolute, KERNEL, [far[0]])
    assert placed == assemble(absolute, KERNEL, far[0])
    assert int.from_bytes(placed.code[-8:], "little") == far[0] + len(placed.code) - 8
    assert children == [[far[0]]]
    # Another place within a page is another assembly, as is another text.
    assembling.assemble_safely_at(source, KERNEL, [0x400020])
    assert len(children) == 2


def test_error_in_pasted_file_names_the_line_as_saved(tmp_path: Path) -> None:
    lines = AI_VARIANT.read_text().split("\n")
    bad = next(i for i, line in enumerate(lines) if "cmp     r8d, eax" in line)
    lines[bad] = lines[bad].replace("cmp ", "cmpp")
    path = write(tmp_path, "fenced.s", "```asm\n" + "\n".join(lines) + "```\n", newline="\r\n")
    with pytest.raises(BuildError, match=rf"fenced\.s:{bad + 2}: Invalid mnemonic .*cmpp\s+r8d, eax"):
        build(path)


def test_stripped_directives_keep_line_numbers(tmp_path: Path) -> None:
    text = (
        "    .text\n"
        "    .section .text.startup,\"ax\",@progbits\n"
        "    .cfi_startproc\n"
        "insertion_sort:\n"
        "    .cfi_def_cfa_offset 16\n"
        "    mov eax, ebx, ecx\n"
        "    ret\n"
        "    .cfi_endproc\n"
        "    .size insertion_sort, .-insertion_sort\n"
    )
    with pytest.raises(BuildError, match=r"t\.s:6: "):
        build(write(tmp_path, "t.s", text))


def test_entry_label_after_a_helper_is_found(tmp_path: Path) -> None:
    body = NASM_SORT.split("insertion_sort:\n")[1].replace("dword [", "dword ptr [")
    text = "    .intel_syntax noprefix\nswap_helper:\n    ud2\n    ret\n    .globl insertionSort\ninsertionSort:\n" + body
    built = build(write(tmp_path, "helper_first.s", text))
    assert built.assembled.entry_label == "insertionSort"
    assert built.assembled.entry == 3  # past ud2 (2 bytes) and ret
    assert_sorts(built)


def test_without_a_named_label_the_first_instruction_is_the_entry(tmp_path: Path) -> None:
    text = "    .intel_syntax noprefix\n" + NASM_SORT.split("insertion_sort:\n")[1].replace("dword [", "dword ptr [")
    built = build(write(tmp_path, "anonymous.s", text))
    assert built.assembled.entry_label is None and built.assembled.entry == 0
    assert_sorts(built)


# -- the bad-input fixtures ---------------------------------------------------------------------------------

X86_FIXTURES = sorted(BAD_INPUTS.glob("x86_*.s"))
# The inputs the checker starts with; every fixture misbehaves on one of them.
PROBES = [[], [1], [2, 1], [3, -1, 2, 5, -7]]


def test_x86_fixtures_exist() -> None:
    names = {p.stem for p in X86_FIXTURES}
    expected = {"syntax_error", "null_write", "clobbers_rbx", "infinite_loop", "wrong_answer", "writes_below", "bad_stack"}
    assert {f"x86_{n}" for n in expected} <= names


@pytest.mark.parametrize("path", X86_FIXTURES, ids=[p.name for p in X86_FIXTURES])
def test_fixture_is_reported_as_its_header_says(path: Path) -> None:
    source = load_source(path, KERNEL)
    verdict, pattern = source.header["expect-verdict"], source.header["expect-message"]
    if pattern == "wrong answer":
        # The checker words this one itself; the route's part is to run and return the wrong order.
        built = ROUTE.build(source, KERNEL)
        assert any(built.run(values) != sorted(values) for values in PROBES)
        return
    expected_class = BuildError if verdict == "error" else RunError
    with pytest.raises(expected_class) as caught:
        built = ROUTE.build(source, KERNEL)
        for values in PROBES:
            built.run(values)
    assert re.search(pattern, str(caught.value), re.IGNORECASE | re.DOTALL), str(caught.value)
    assert caught.value.verdict == verdict


def test_fault_messages_name_the_instruction_and_line() -> None:
    with pytest.raises(RunError) as caught:
        build(BAD_INPUTS / "x86_null_write.s").run([2, 1])
    message = str(caught.value)
    assert "mov dword ptr [rdx], eax" in message and "x86_null_write.s:12" in message


def test_specific_exception_classes() -> None:
    with pytest.raises(LimitExceeded, match=r"n=2"):
        build(BAD_INPUTS / "x86_infinite_loop.s").run([2, 1])
    with pytest.raises(OutOfBounds) as caught:
        build(BAD_INPUTS / "x86_writes_below.s").run([2, 1])
    assert caught.value.side == "below"


def test_write_past_the_canaries_faults_above_the_array(tmp_path: Path) -> None:
    text = "insertion_sort:\n    mov dword ptr [rdi + rsi*4 + 16], 0\n    ret\n"
    built = build(write(tmp_path, "past.s", text))
    for n in (0, 3, 1020, 1021):  # the buffer ends at a page end for every n
        with pytest.raises(RunError, match=rf"write to unmapped memory .*above the array: a\[{n + 4}\], n={n}"):
            built.run(list(range(n)))


# -- counting -------------------------------------------------------------------------------------------------


def test_run_counted_is_deterministic_and_grows_with_work() -> None:
    built = build(AI_VARIANT)
    rng = random.Random(3)
    values = [rng.randint(-1000, 1000) for _ in range(300)]
    first = built.run_counted(values)
    built.run(values)  # an uncounted run in between must not disturb the count
    assert built.run_counted(values) == first
    assert first[0] == sorted(values)
    _, in_order = built.run_counted(sorted(values))
    _, reversed_ = built.run_counted(sorted(values, reverse=True))
    assert reversed_ > first[1] > in_order


def test_run_counted_matches_a_hand_count() -> None:
    built = build(AI_VARIANT)
    # n = 0: cmp, jbe, ret. n = 2 in order: 4 setup, 2 + 3 for the one key, 4 loop end, ret.
    assert built.run_counted([]) == ([], 3)
    assert built.run_counted([1, 2]) == ([1, 2], 14)
    # Out of order: the inner loop body (4 more) runs once and falls out on a[0].
    assert built.run_counted([2, 1]) == ([1, 2], 18)
    assert built.code_bytes == 52


# cpuid leaf 0's vendor string, as the registers ebx, edx, ecx hold it.
VENDORS = {"GenuineIntel": (0x756E6547, 0x49656E69, 0x6C65746E), "AuthenticAMD": (0x68747541, 0x69746E65, 0x444D4163)}
REPO_X86 = sorted({*KERNEL.variants_dir.parent.parent.glob("*/variants/*.s"), *BAD_INPUTS.glob("*.s"),
                   *(BAD_INPUTS.parent / "escapes").glob("*.s")})


def _outcomes_with_cpuid_vendor(path: Path, vendor: str) -> list[object]:
    """What the emulator does with each probe while cpuid's leaf 0 names `vendor` (Unicorn itself names Intel)."""
    kernel = get_kernel(path.parent.parent.name) if path.parent.name == "variants" else KERNEL
    try:
        built = ROUTE.build(load_source(path, kernel), kernel)
    except BuildError as exc:
        return [f"error: {exc}"]
    ebx, edx, ecx = VENDORS[vendor]

    def answer(uc: unicorn.Uc, _data: object) -> int:
        if uc.reg_read(x86.UC_X86_REG_EAX) != 0:
            return 0  # other leaves: the emulator's own answer
        for register, value in ((x86.UC_X86_REG_RAX, 0xD), (x86.UC_X86_REG_RBX, ebx), (x86.UC_X86_REG_RDX, edx),
                                (x86.UC_X86_REG_RCX, ecx)):
            uc.reg_write(register, value)
        return 1  # answered: the instruction is skipped

    built._uc.hook_add(unicorn.UC_HOOK_INSN, answer, None, 1, 0, x86.UC_X86_INS_CPUID)
    fixed = kernel.interface.fixed_length
    probes = [[3, -1, 2, 9, -7][: fixed or 5], [INT32_MAX, INT32_MIN, 0, 1, -1][: fixed or 5], [] if not fixed else
              [0] * fixed]
    if not kernel.interface.is_sort_shaped:  # its own inputs: arrays of its element types, in its number
        probes = [case.values for case in correctness_cases(kernel.interface)[:6]]
    outcomes: list[object] = []
    for values in probes:
        try:
            outcomes.append(built.call(values))
        except (RunError, Unavailable) as exc:  # Unavailable: an instruction Unicorn cannot emulate
            outcomes.append(f"{type(exc).__name__}: {exc}")
    built.close()
    return outcomes


@pytest.mark.parametrize("path", REPO_X86, ids=[str(p.relative_to(BAD_INPUTS.parent.parent)) for p in REPO_X86])
def test_no_x86_file_behaves_by_the_cpu_vendor(path: Path) -> None:
    """Each x86 source in the repository does the same in the emulator whichever vendor cpuid names: a fixture
    that told the emulator by the vendor would take one path on Intel machines and another elsewhere."""
    assert _outcomes_with_cpuid_vendor(path, "GenuineIntel") == _outcomes_with_cpuid_vendor(path, "AuthenticAMD")

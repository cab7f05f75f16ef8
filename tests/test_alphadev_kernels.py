"""The fixed-size sorts sort3, sort4 and sort5, checked without the routes: every C source built by gcc and
called through ctypes, every x86-64 variant assembled by Keystone and run in Unicorn, every WAT in wasmtime,
every LLVM IR file JIT-compiled by llvmlite, each on every correctness case its interface declares, with
canary words around the array. Also: the interface data of the existing kernels agrees with what the
harness checks and limits today, and program length counts what it says."""
from __future__ import annotations

import ctypes
import importlib
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import unicorn
from unicorn import x86_const as x86

from kernels.kernel import Kernel
from harness.source import load_source
from kernels.cases import INT32_MAX, INT32_MIN, Case, weak_orderings
from kernels.interface import Interface
from targets.program_length import UndecodableCode, program_length
from targets.elf import object_function
from targets.fresh import SHAPES
from targets.x86_assemble import assemble

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "alphadev"
SIZES = (3, 4, 5)
CANARY = 0x5A5A5A5A
CANARY_WORDS = 4

Runner = Callable[[Sequence[int]], list[int]]


def interface(n: int) -> Interface:
    return importlib.import_module(f"kernels.sort{n}").INTERFACE


def kernel_dir(n: int) -> Path:
    return REPO / "kernels" / f"sort{n}"


def harness_kernel(n: int) -> Kernel:
    """What Keystone's entry lookup needs: the name and the entry names."""
    spec = interface(n)
    return Kernel(name=spec.name, directory=kernel_dir(n), reference=spec.reference, entry_names=spec.entry_names)


class OutOfBounds(AssertionError):
    pass


def with_canaries(values: Sequence[int]) -> list[int]:
    return [CANARY] * CANARY_WORDS + list(values) + [CANARY] * CANARY_WORDS


def without_canaries(words: Sequence[int], n: int) -> list[int]:
    """The array, after checking that no canary changed; raises OutOfBounds naming the side and index."""
    for i, word in enumerate(words):
        if (i < CANARY_WORDS or i >= CANARY_WORDS + n) and word != CANARY:
            raise OutOfBounds(f"write outside the array: a[{i - CANARY_WORDS}] = {word}")
    return list(words[CANARY_WORDS:CANARY_WORDS + n])


def first_failure(run: Runner, spec: Interface, cases: Sequence[Case] | None = None) -> str | None:
    """The first case `run` gets wrong, as a message holding the input, or None if every case matches."""
    for case in cases if cases is not None else spec.cases.generate():
        expected = spec.reference(case.values)
        try:
            got = run(case.values)
        except OutOfBounds as exc:
            return f"{case.name} {list(case.values)}: {exc}"
        if got != expected:
            return f"{case.name} {list(case.values)}: got {got}, expected {expected}"
    return None


# ---------------------------------------------------------------------------
# Runners, one per language


def c_runner(path: Path, n: int, tmp_path: Path) -> Runner:
    library = tmp_path / f"{path.stem}.so"
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(library), str(path)], check=True)
    function = getattr(ctypes.CDLL(str(library)), f"sort{n}")
    function.argtypes, function.restype = [ctypes.c_void_p], None
    return _ctypes_runner(function, n)


def _ctypes_runner(function: Callable[[int], None], n: int) -> Runner:
    def run(values: Sequence[int]) -> list[int]:
        buffer = (ctypes.c_int32 * (n + 2 * CANARY_WORDS))(*with_canaries(values))
        function(ctypes.addressof(buffer) + 4 * CANARY_WORDS)
        return without_canaries(list(buffer), n)

    return run


def llvm_runner(path: Path, n: int) -> tuple[Runner, object]:
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    module = llvm.parse_assembly(path.read_text())
    module.verify()
    machine = llvm.Target.from_default_triple().create_target_machine(jit=True)
    engine = llvm.create_mcjit_compiler(module, machine)
    engine.finalize_object()
    function = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(engine.get_function_address(f"sort{n}"))
    return _ctypes_runner(function, n), engine  # the engine owns the code: keep it alive


def wat_runner(text: str, n: int) -> Runner:
    import wasmtime

    store = wasmtime.Store()
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, text), [])
    exports = instance.exports(store)
    memory = next(e for _, e in exports.items() if isinstance(e, wasmtime.Memory))
    function = exports[f"sort{n}"]
    base = 1024

    def run(values: Sequence[int]) -> list[int]:
        words = with_canaries(values)
        memory.write(store, b"".join(w.to_bytes(4, "little", signed=True) for w in words), base)
        function(store, base + 4 * CANARY_WORDS)
        raw = memory.read(store, base, base + 4 * len(words))
        return without_canaries([int.from_bytes(raw[i:i + 4], "little", signed=True)
                                 for i in range(0, len(raw), 4)], n)

    return run


class UnicornRunner:
    """One x86-64 function in Unicorn: code on its own page, the array (with canaries) at the end of a page
    whose successor is unmapped, a stack whose return address stops emulation, and the System V contract
    (rsp restored, callee-saved registers kept) checked after every call."""

    CODE, STACK, RETURN, DATA, PAGE = 0x40_0000, 0x7FF0_0000, 0xDEA_D000, 0x1_0000_0000, 0x1000
    CALLEE_SAVED = (x86.UC_X86_REG_RBX, x86.UC_X86_REG_RBP, x86.UC_X86_REG_R12, x86.UC_X86_REG_R13,
                    x86.UC_X86_REG_R14, x86.UC_X86_REG_R15)

    def __init__(self, code: bytes, entry: int, n: int) -> None:
        self.n, self.entry = n, self.CODE + entry
        self.uc = uc = unicorn.Uc(unicorn.UC_ARCH_X86, unicorn.UC_MODE_64)
        uc.mem_map(self.CODE, (len(code) + self.PAGE) // self.PAGE * self.PAGE, unicorn.UC_PROT_READ | unicorn.UC_PROT_EXEC)
        uc.mem_write(self.CODE, code)
        uc.mem_map(self.RETURN, self.PAGE, unicorn.UC_PROT_READ | unicorn.UC_PROT_EXEC)
        uc.mem_write(self.RETURN, b"\xcc" * self.PAGE)
        uc.mem_map(self.STACK, 16 * self.PAGE)
        uc.mem_map(self.DATA, self.PAGE)  # DATA + PAGE is left unmapped: a guard

    def __call__(self, values: Sequence[int]) -> list[int]:
        words = with_canaries(values)
        start = self.DATA + self.PAGE - 4 * len(words)
        self.uc.mem_write(start, b"".join(w.to_bytes(4, "little", signed=True) for w in words))
        rsp = self.STACK + 15 * self.PAGE
        self.uc.mem_write(rsp, self.RETURN.to_bytes(8, "little"))
        self.uc.reg_write(x86.UC_X86_REG_RSP, rsp)
        self.uc.reg_write(x86.UC_X86_REG_RDI, start + 4 * CANARY_WORDS)
        for i, register in enumerate(self.CALLEE_SAVED):
            self.uc.reg_write(register, 0x1111_0000 + i)
        try:
            self.uc.emu_start(self.entry, self.RETURN, count=10_000)
        except unicorn.UcError as exc:
            raise OutOfBounds(f"fault: {exc}") from None
        assert self.uc.reg_read(x86.UC_X86_REG_RIP) == self.RETURN, "did not return within 10,000 instructions"
        assert self.uc.reg_read(x86.UC_X86_REG_RSP) == rsp + 8, "rsp not restored"
        for i, register in enumerate(self.CALLEE_SAVED):
            assert self.uc.reg_read(register) == 0x1111_0000 + i, "a callee-saved register changed"
        raw = self.uc.mem_read(start, 4 * len(words))
        return without_canaries([int.from_bytes(raw[i:i + 4], "little", signed=True)
                                 for i in range(0, len(raw), 4)], self.n)


def assembled(path: Path, n: int) -> tuple[bytes, int]:
    """The variant's machine code as Keystone produced it, and the offset of its entry."""
    result = assemble(load_source(path, harness_kernel(n)), harness_kernel(n))
    return result.code, result.entry


def _decode(code: bytes):  # noqa: ANN202 - capstone's instruction type
    from targets.disasm import decoder

    return decoder().disasm(code, 0)


def x86_runner(path: Path, n: int) -> UnicornRunner:
    code, entry = assembled(path, n)
    return UnicornRunner(code, entry, n)


# ---------------------------------------------------------------------------
# Every source on every case


def sources(suffix: str) -> list[tuple[int, Path]]:
    return [(n, p) for n in SIZES for p in sorted(kernel_dir(n).glob(f"*{suffix}"))
            + sorted((kernel_dir(n) / "variants").glob(f"*{suffix}"))]


def _id(param: tuple[int, Path]) -> str:
    return f"sort{param[0]}/{param[1].name}"


@pytest.mark.parametrize("n_path", sources(".c"), ids=_id)
def test_c_sources(n_path: tuple[int, Path], tmp_path: Path) -> None:
    n, path = n_path
    assert first_failure(c_runner(path, n, tmp_path), interface(n)) is None


@pytest.mark.parametrize("n_path", sources(".s"), ids=_id)
def test_x86_variants_in_unicorn(n_path: tuple[int, Path]) -> None:
    n, path = n_path
    assert first_failure(x86_runner(path, n), interface(n)) is None


@pytest.mark.parametrize("n_path", sources(".wat"), ids=_id)
def test_wat_variants(n_path: tuple[int, Path]) -> None:
    n, path = n_path
    assert first_failure(wat_runner(path.read_text(), n), interface(n)) is None


@pytest.mark.parametrize("n_path", sources(".ll"), ids=_id)
def test_llvm_sources(n_path: tuple[int, Path]) -> None:
    n, path = n_path
    run, _engine = llvm_runner(path, n)
    assert first_failure(run, interface(n)) is None


def test_every_kernel_has_its_sources_and_variants() -> None:
    for n in SIZES:
        names = {p.name for p in kernel_dir(n).iterdir()}
        assert {f"sort{n}.c", f"sort{n}_branchless.c", f"sort{n}.ll", "__init__.py"} <= names
        variants = list((kernel_dir(n) / "variants").iterdir())
        assert sum(p.suffix == ".s" for p in variants) >= 3
        assert sum(p.suffix == ".wat" for p in variants) >= 1 and sum(p.suffix == ".ll" for p in variants) >= 1
        for path in variants:
            source = load_source(path, harness_kernel(n))
            assert source.origin == "ai" and source.header.get("date") == "2026-11-27", path


# ---------------------------------------------------------------------------
# What the cases catch


def test_cases_are_every_weak_ordering_with_signed_values_and_random_inputs() -> None:
    for n, fubini in zip(SIZES, (13, 75, 541)):
        spec = interface(n)
        assert sum(1 for _ in weak_orderings(n)) == fubini
        cases = spec.cases.generate()
        assert all(len(c.values) == n and INT32_MIN <= min(c.values) and max(c.values) <= INT32_MAX for c in cases)
        flat = {v for c in cases for v in c.values}
        assert {INT32_MIN, INT32_MAX, -1, 0, 1} <= flat
        assert sum(c.name.startswith("random") for c in cases) == spec.cases.random.count == 300
        # Each value set instantiates every weak ordering (both alignments where asked).
        per_ordering = sum(len(v.alignments) for v in spec.cases.value_sets)
        assert sum(c.name.startswith("ties") for c in cases) == fubini * per_ordering


def _alphadev_only(n: int) -> list[Case]:
    return [c for c in interface(n).cases.generate() if c.name.endswith(" alphadev/bottom")]


@pytest.mark.parametrize("runner", ["x86", "wat"])
def test_unsigned_sort3_fails_with_a_negative_counterexample(runner: str) -> None:
    run = x86_runner(FIXTURES / "sort3_unsigned_cmov.s", 3) if runner == "x86" else \
        wat_runner((FIXTURES / "sort3_unsigned.wat").read_text(), 3)
    # AlphaDev's own values 1..n cannot tell: the unsigned sort passes them all.
    assert first_failure(run, interface(3), _alphadev_only(3)) is None
    # The weak orderings instantiated with signed value sets catch it on their own, before any random input.
    ties = [c for c in interface(3).cases.generate() if c.name.startswith("ties")]
    failure = first_failure(run, interface(3), ties)
    assert failure is not None
    counterexample = [int(v) for v in failure.split("[", 1)[1].split("]", 1)[0].split(",")]
    assert min(counterexample) < 0, failure


@pytest.mark.parametrize("runner", ["x86", "wat"])
def test_sort3_writing_a3_is_caught(runner: str) -> None:
    run = x86_runner(FIXTURES / "sort3_writes_a3.s", 3) if runner == "x86" else \
        wat_runner((FIXTURES / "sort3_writes_a3.wat").read_text(), 3)
    failure = first_failure(run, interface(3))
    assert failure is not None and "write outside the array: a[3]" in failure, failure


def test_x86_write_past_the_canaries_faults_on_the_guard_page() -> None:
    code, entry = assembled(FIXTURES / "sort3_writes_a3.s", 3)
    # The same store, moved past the four canary words: only the unmapped page after the array catches it.
    far = code.replace(bytes.fromhex("89570c"), bytes.fromhex("895720"))  # mov [rdi+12], edx -> [rdi+32]
    assert far != code
    failure = first_failure(UnicornRunner(far, entry, 3), interface(3))
    assert failure is not None and "fault" in failure, failure


# ---------------------------------------------------------------------------
# Program length

# Hand-counted from the listings in each file: loads, then cmp + cmov pairs (+ a mov where a copy is needed),
# then stores. sort3: 3 + 3x3 + 3 = 15; sort4: 4 + 2x3 + 3x4 + 4 = 26; sort5: 5 + 2x3 + 6 + 4 + 2x7 + 5 = 40.
HAND_COUNTED = {3: ("ai-x86-cmov-min.s", 15), 4: ("ai-x86-cmov-min.s", 26), 5: ("ai-x86-cmov-min.s", 40)}


@pytest.mark.parametrize("n", SIZES)
def test_program_length_of_the_shortest_variant(n: int) -> None:
    name, expected = HAND_COUNTED[n]
    code, entry = assembled(kernel_dir(n) / "variants" / name, n)
    assert program_length(code[entry:]) == expected


def test_program_length_of_the_register_only_sort3_matches_alphadev() -> None:
    code, entry = assembled(kernel_dir(3) / "variants" / "ai-x86-cmov-regs.s", 3)
    assert program_length(code[entry:]) == 17


RET, NOP, INT3 = b"\xc3", b"\x90", b"\xcc"
MOV_EAX_EDI = b"\x89\xf8"


def test_program_length_drops_only_the_final_ret_and_padding_after_it() -> None:
    assert program_length(MOV_EAX_EDI + RET) == 1
    assert program_length(MOV_EAX_EDI + RET + NOP * 5 + INT3 * 3) == 1
    assert program_length(MOV_EAX_EDI + RET + bytes.fromhex("0f1f440000") + b"\x00\x00") == 1
    # An early return inside the function counts; a function ending in a jump (a tail call) drops nothing.
    assert program_length(bytes.fromhex("85ff7401") + RET + MOV_EAX_EDI + RET) == 4
    assert program_length(MOV_EAX_EDI + bytes.fromhex("e900000000")) == 2
    with pytest.raises(UndecodableCode):
        program_length(MOV_EAX_EDI + b"\x0f\xff\xff")


def test_program_length_of_a_compiled_object(tmp_path: Path) -> None:
    obj = tmp_path / "sort3.o"
    subprocess.run(["gcc", "-O2", "-c", "-o", str(obj), str(kernel_dir(3) / "sort3_branchless.c")], check=True)
    code = object_function(obj.read_bytes(), "sort3")
    instructions = list(_decode(code))
    assert instructions[-1].mnemonic == "ret"
    assert program_length(code) == len(instructions) - 1
    with pytest.raises(LookupError):
        object_function(obj.read_bytes(), "sort4")


# ---------------------------------------------------------------------------
# The interface as data: the existing kernels keep what they check, cost and may execute


def test_insertion_sort_interface_reproduces_the_harness_cases_costs_and_limits() -> None:
    from harness import bench, inputs
    from kernels.insertion_sort import INTERFACE as INSERTION
    from kernels.noop import INTERFACE as NOOP
    from targets.wasm import fuel_budget
    from targets.x86_unicorn import instruction_limit

    today = [(c.name, c.values) for c in inputs.correctness_cases()]
    assert [(c.name, c.values) for c in INSERTION.cases.generate()] == today
    assert [(c.name, c.values) for c in NOOP.cases.generate()] == today
    for n in (0, 1, 16, 1000, 8192, 100_000):
        assert INSERTION.limits.instructions_for(n) == instruction_limit(n)
        assert INSERTION.limits.fuel_for(n) == fuel_budget(n)
        for shape in SHAPES:
            assert INSERTION.cost.steps(n, shape) == bench.estimated_steps("insertion_sort", n, shape)
            assert NOOP.cost.steps(n, shape) == bench.estimated_steps("noop", n, shape)
    assert INSERTION.workload.quick_lengths == bench.QUICK_SIZES and INSERTION.workload.full_lengths == bench.FULL_SIZES
    assert INSERTION.workload.shapes == SHAPES and NOOP.workload.shapes == ("random",)
    assert (INSERTION.workload.expect, NOOP.workload.expect) == ("sorted", "same")


def test_interfaces_derive_each_language_signature() -> None:
    from kernels.insertion_sort import INTERFACE as INSERTION

    assert INSERTION.c_prototype() == "void insertion_sort(int32_t *a, size_t n)"
    assert INSERTION.llvm_type() == "void (ptr, i64)" and INSERTION.wasm_params() == ("i32", "i32")
    assert INSERTION.sysv_registers() == {"a": "rdi", "n": "rsi"}
    assert INSERTION.fixed_length is None and INSERTION.call_arguments(4096, 7) == (4096, 7)
    sort4 = interface(4)
    assert sort4.c_prototype() == "void sort4(int32_t *a)"
    assert sort4.llvm_type() == "void (ptr)" and sort4.wasm_params() == ("i32",)
    assert sort4.sysv_registers() == {"a": "rdi"} and sort4.fixed_length == 4
    assert sort4.call_arguments(4096, 4) == (4096,)
    with pytest.raises(ValueError, match="exactly 4"):
        sort4.call_arguments(4096, 5)
    assert sort4.workload.min_calls >= 10_000 and sort4.workload.shapes == ("random",) and sort4.workload.fresh


def test_kernels_import_nothing_above_them() -> None:
    """kernels/ sits at the bottom: its new modules import neither targets nor harness."""
    import ast

    modules = [REPO / "kernels" / "interface.py", REPO / "kernels" / "cases.py"]
    for path in [*modules, *(kernel_dir(n) / "__init__.py" for n in SIZES)]:
        tree = ast.parse(path.read_text())
        imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert imported and not [m for m in imported if m.split(".")[0] in {"harness", "targets"}], path

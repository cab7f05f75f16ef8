"""Kernels of any shape: several arrays of several element types, in, out or both, and a scalar result. What each
route derives from the interface, and the check's verdicts on what such a kernel can get wrong."""
from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from harness.check import check
from harness.shrink import shrink_together
from harness.source import load_source
from kernels.dot_i32 import KERNEL as DOT
from kernels.cases import Case, Cases
from kernels.interface import (
    Array, Cost, Interface, Length, Limits, Outcome, Poly, Workload, array_and_length, fixed_sort,
)
from kernels.kernel import Kernel
from targets import get_route

SCALAR = dict(cases=Cases(), workload=Workload((), (), ()), cost=Cost(), limits=Limits(Poly(100_000, 50), Poly(100_000, 50)))


def _interface(name: str, arguments: tuple, reference, result: str | None = None, **more) -> Interface:  # type: ignore[no-untyped-def]
    return Interface(name=name, arguments=arguments, reference=reference, result=result, **{**SCALAR, **more})


DOT_SHAPE = _interface("dot", (Array("a", role="input"), Array("b", role="input"), Length("n", of=("a", "b"))),
                       lambda a, b: sum(x * y for x, y in zip(a, b)), "i64")
BYTES_SHAPE = _interface("checksum", (Array("p", element="u8", role="input"), Length("n", of="p")),
                         lambda p: sum(p), "u32")
# An input array, an output of another type and length argument first, each array with its own length.
WIDEN_SHAPE = _interface(
    "widen", (Length("m", of="src"), Array("src", element="i8", role="input"), Array("dst", element="i64", role="output"),
              Length("k", of="dst")),
    lambda src, dst: (len(src), [*src, *dst[len(src):]]), "i32")


@pytest.mark.parametrize("interface, prototype, llvm, wasm, registers, result_register", [
    (array_and_length("insertion_sort", sorted), "void insertion_sort(int32_t *a, size_t n)", "void (ptr, i64)",
     (("i32", "i32"), ()), {"a": "rdi", "n": "rsi"}, None),
    (fixed_sort(4, 5), "void sort4(int32_t *a)", "void (ptr)", (("i32",), ()), {"a": "rdi"}, None),
    (DOT_SHAPE, "int64_t dot(const int32_t *a, const int32_t *b, size_t n)", "i64 (ptr, ptr, i64)",
     (("i32", "i32", "i32"), ("i64",)), {"a": "rdi", "b": "rsi", "n": "rdx"}, "rax"),
    (BYTES_SHAPE, "uint32_t checksum(const uint8_t *p, size_t n)", "i32 (ptr, i64)", (("i32", "i32"), ("i32",)),
     {"p": "rdi", "n": "rsi"}, "eax"),
    (WIDEN_SHAPE, "int32_t widen(size_t m, const int8_t *src, int64_t *dst, size_t k)", "i32 (i64, ptr, ptr, i64)",
     (("i32",) * 4, ("i32",)), {"m": "rdi", "src": "rsi", "dst": "rdx", "k": "rcx"}, "eax"),
])
def test_every_language_and_register_derives_from_the_interface(
        interface: Interface, prototype: str, llvm: str, wasm: tuple, registers: dict, result_register: str | None) -> None:
    assert interface.c_prototype() == prototype
    assert interface.llvm_type() == llvm
    assert (interface.wasm_params(), interface.wasm_results()) == wasm
    assert interface.sysv_registers() == registers and interface.sysv_result_register() == result_register


def test_call_arguments_and_the_expected_outcome_follow_the_declared_lengths() -> None:
    assert DOT_SHAPE.call_arguments((64, 128), (3, 3)) == (64, 128, 3)
    with pytest.raises(ValueError, match="share the length 'n'"):
        DOT_SHAPE.call_arguments((64, 128), (3, 4))
    assert WIDEN_SHAPE.call_arguments((64, 128), (2, 5)) == (2, 64, 128, 5)
    # An input array comes back as it went in; an output array as the reference wrote it.
    assert WIDEN_SHAPE.expected(((-1, 2), (9, 9, 9))) == Outcome(2, ((-1, 2), (-1, 2, 9)))
    assert DOT_SHAPE.expected(((1, 2), (3, 4))) == Outcome(11, ((1, 2), (3, 4)))


@pytest.mark.parametrize("arguments, result, message", [
    ((Array("a"), Array("b"), Length("n", of="a")), None, "array 'b' needs either a fixed length or a Length"),
    ((Array("a"), Length("n", of="a"), Length("m", of="a")), None, "array 'a' has two lengths"),
    ((Array("a"), Length("n", of="z")), None, "length 'n' is of 'z', which is no array argument"),
    ((Array("a", length=3),), "u64", "result type 'u64'"),
    ((Length("n", of=()),), None, "at least one array argument"),
])
def test_an_inconsistent_interface_is_refused_when_declared(arguments: tuple, result: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _interface("bad", arguments, lambda *a: 0, result)


def test_an_unknown_element_type_or_role_is_refused() -> None:
    with pytest.raises(ValueError, match="element type 'f32'"):
        Array("a", element="f32")
    with pytest.raises(ValueError, match="role 'scratch'"):
        Array("a", role="scratch")


def test_arrays_shrink_together_to_the_smallest_failing_pair() -> None:
    # Fails while some position holds a nonzero product: the two arrays keep the same length throughout.
    def fails(arrays: list[list[int]]) -> bool:
        assert len(arrays[0]) == len(arrays[1])
        return any(x * y for x, y in zip(*arrays))

    a, b = shrink_together([[5, -7, 0, 3, 9, 11], [0, 4, 2, 8, 0, 6]], fails, domains=[(-(2**31), 2**31 - 1)] * 2)
    assert len(a) == len(b) == 1 and a[0] * b[0] != 0 and abs(a[0]) == abs(b[0]) == 1


# --- the checker on a dot product's mistakes, on a native, a wasm and an emulated route ---------------------

ROUTES = ("c-gcc-O0", "wasm-clang-O0", "c-gcc-O0-unicorn")
PROLOGUE = "#include <stddef.h>\n#include <stdint.h>\n"
DOT_C = PROLOGUE + """int64_t dot_i32(const int32_t *a, const int32_t *b, size_t n) {
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += (uint64_t)((int64_t)a[i] * b[i]);
    %s
    return (int64_t)sum;
}
"""


def _check_dot(tmp_path: Path, name: str, extra: str, route: str):  # type: ignore[no-untyped-def]
    path = tmp_path / f"{name}.c"
    path.write_text(DOT_C % extra)
    return check(load_source(path, DOT), get_route(route), DOT)


@pytest.mark.parametrize("route", ROUTES)
def test_a_written_input_array_fails_named_as_such(tmp_path: Path, route: str) -> None:
    report = _check_dot(tmp_path, "writes_b", "if (n > 2) ((int32_t *)b)[1] = 0;", route)
    assert report.verdict == "fail"
    assert report.message.startswith("input array b was written: b[1] changed from"), report.message
    # Shrunk together: both arrays as long as the smallest input that shows it.
    shrunk = report.counterexample.input
    assert len(shrunk[0]) == len(shrunk[1]) == 3, shrunk


@pytest.mark.parametrize("route", ROUTES)
def test_a_wrong_result_fails_with_both_values(tmp_path: Path, route: str) -> None:
    report = _check_dot(tmp_path, "off_by_one", "if (n == 5) sum += 1;", route)
    assert report.verdict == "fail"
    assert report.message.startswith("wrong result: got "), report.message
    got, expected = report.counterexample.got, report.counterexample.expected
    assert got["result"] == expected["result"] + 1 and len(report.counterexample.input[0]) == 5


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("array, index, side", [("a", "-1", "below"), ("a", "n", "above"), ("b", "-1", "below"),
                                                ("b", "n", "above")])
def test_an_out_of_bounds_write_is_caught_on_each_array(tmp_path: Path, route: str, array: str, index: str,
                                                        side: str) -> None:
    report = _check_dot(tmp_path, f"oob_{array}_{side}", f"if (n > 3) ((int32_t *){array})[{index}] = 5;", route)
    assert report.verdict == "fail"
    assert f"out-of-bounds write {side} array {array}" in report.message, report.message


@pytest.mark.parametrize("route", ["x86-unicorn", "wasmtime"])
def test_a_dot_products_executed_count_is_the_same_every_run(route: str) -> None:
    suffix = ".s" if route == "x86-unicorn" else ".wat"
    source = load_source(DOT.variants_dir / f"ai-{'x86' if suffix == '.s' else 'wat'}-unrolled{suffix}", DOT)
    values = ((-(2**31),) * 37 + (5,) * 30, tuple(range(67)))
    counts = []
    for _ in range(2):
        built = get_route(route).build(source, DOT)
        try:
            counts += [built.executed(values), built.executed(values)]
        finally:
            built.close()
    assert counts[0] == counts[1] == counts[2] == counts[3] and next(iter(counts[0].values())) > 67


# --- byte arrays, an output array and an unsigned result, on a kernel declared here ----------------------------

CHECKSUM = Interface(
    name="checksum",
    arguments=(Array("p", element="u8", role="input"), Length("n", of="p")),
    reference=lambda p: zlib.adler32(bytes(p)) ^ sum(p),
    result="u32",
    cases=Cases(edge=(Case("empty", ()), Case("one 0xFF", (255,)), *(Case(f"0xFF n={n}", (255,) * n) for n in (2, 17, 64)),
                      Case("ramp", tuple(range(256))))),
    **{k: v for k, v in SCALAR.items() if k != "cases"},
)
CHECKSUM_C = PROLOGUE + """uint32_t checksum(const uint8_t *p, size_t n) {
    uint32_t a = 1, b = 0, s = 0;
    for (size_t i = 0; i < n; i++) { a = (a + p[i]) %% 65521; b = (b + a) %% 65521; s += p[i]; }
    %s
    return ((b << 16) | a) ^ s;
}
"""


@pytest.mark.parametrize("route", [*ROUTES, "wasm-clang-O3-v8"])
@pytest.mark.parametrize("mistake, verdict, message", [
    ("", "pass", "6 inputs: every result matches"),
    ("if (n == 17) s ^= 0x80000000u;", "fail", "wrong result: got "),
    ("if (n > 1) ((uint8_t *)p)[n] = 0;", "fail", "out-of-bounds write above the array: p[n+0] (n=2) changed from "),
])
def test_a_byte_kernel_with_an_unsigned_result(tmp_path: Path, route: str, mistake: str, verdict: str,
                                               message: str) -> None:
    kernel = Kernel(name="checksum", directory=tmp_path, reference=CHECKSUM.reference, interface=CHECKSUM)
    path = tmp_path / f"checksum_{abs(hash(mistake))}.c"
    path.write_text(CHECKSUM_C % mistake)
    report = check(load_source(path, kernel), get_route(route), kernel)
    assert report.verdict == verdict and message in report.message, report.message


WIDEN = Interface(
    name="widen",
    arguments=(Array("src", element="i8", role="input"), Array("dst", element="i64", role="output"),
               Length("n", of=("src", "dst"))),
    reference=lambda src, dst: [v * -(2**40) for v in src],
    cases=Cases(edge=(Case("empty", ((), ())), Case("extremes", ((-128, 127, 0, -1), (7, 7, 7, 7))),
                      Case("ramp", (tuple(range(-20, 20)), (0,) * 40)))),
    **{k: v for k, v in SCALAR.items() if k != "cases"},
)
WIDEN_WAT = """(module (memory (export "memory") 1)
  (func (export "widen") (param $src i32) (param $dst i32) (param $n i32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i64.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
        (i64.mul (i64.load8_s (i32.add (local.get $src) (local.get $i))) (i64.const %s)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))))
"""
WIDEN_X86 = """    .intel_syntax noprefix
widen:
    xor ecx, ecx
    movabs r8, %s
.Lnext:
    cmp rcx, rdx
    jae .Ldone
    movsx rax, byte ptr [rdi + rcx]
    imul rax, r8
    mov qword ptr [rsi + 8*rcx], rax
    inc rcx
    jmp .Lnext
.Ldone:
    ret
"""


@pytest.mark.parametrize("language, route", [("wat", "wasmtime"), ("s", "x86-unicorn"), ("s", "x86-native")])
@pytest.mark.parametrize("factor, verdict", [(-(2**40), "pass"), (2**40, "fail")])
def test_an_output_array_of_another_element_type_is_compared(tmp_path: Path, language: str, route: str, factor: int,
                                                             verdict: str) -> None:
    kernel = Kernel(name="widen", directory=tmp_path, reference=WIDEN.reference, interface=WIDEN)
    path = tmp_path / f"widen_{factor > 0}.{language}"
    path.write_text((WIDEN_WAT if language == "wat" else WIDEN_X86) % factor)
    report = check(load_source(path, kernel), get_route(route), kernel)
    assert report.verdict == verdict, report.message
    if verdict == "fail":
        assert "wrong answer in array dst: first difference at index 0: got " in report.message, report.message
        assert report.counterexample.expected["dst"] == [-v * 2**40 for v in report.counterexample.input[0]]


ALIGNMENT = Interface(
    name="start_alignment",
    arguments=(Array("p", element="u8", role="input"), Length("n", of="p")),
    reference=lambda p: -len(p) % 16,
    result="u32",
    cases=Cases(edge=tuple(Case(f"n={n}", (0,) * n) for n in range(1, 40))),
    **{k: v for k, v in SCALAR.items() if k != "cases"},
)


@pytest.mark.parametrize("route", [*ROUTES, "wasm-clang-O3-v8"])
def test_a_byte_array_ends_on_a_16_byte_boundary_so_its_start_takes_every_alignment(tmp_path: Path,
                                                                                    route: str) -> None:
    kernel = Kernel(name="start_alignment", directory=tmp_path, reference=ALIGNMENT.reference, interface=ALIGNMENT)
    path = tmp_path / "start_alignment.c"
    path.write_text(PROLOGUE + "uint32_t start_alignment(const uint8_t *p, size_t n) { return (uintptr_t)p % 16; }\n")
    report = check(load_source(path, kernel), get_route(route), kernel)
    assert report.verdict == "pass", report.message

"""In-target timing of kernels that write arrays but are not sorts (targets.shaped): a kernel-shaped fixture
outside kernels/ (tests/fixtures/prefix_sum: bytes in, their running sums out as int32, the total as the result)
is timed natively, on wasmtime and on V8 with only its calls in the timed window, and every call's output array
and result are checked after it; a call that writes a wrong output, or writes its input array, is counted."""
from __future__ import annotations

import shutil
from dataclasses import replace
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import wasmtime

from harness.variants import load_source
from kernels.cases import Case, Cases
from kernels.interface import Array, Cost, Interface, Length, Limits, Poly, Workload
from kernels.kernel import Kernel
from targets import get_route, shaped
from targets.fresh import C_SOURCE, MASK64, SEED, seed_state, signed64
from targets.native.cffi_build import compile_cffi

from .conftest import timed_outcome

TESTS = Path(__file__).resolve().parent
TIMED_CALLS = TESTS / "timed_calls"
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH: the V8 routes need it")


def reference(src: list[int], dst: list[int]) -> tuple[int, list[int]]:
    """The total of the bytes, and their running sums (what dst holds after the call)."""
    sums = list(accumulate(src))
    return (sums[-1] if sums else 0), sums


def batch_reference(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sums = np.cumsum(src.astype(np.int64), axis=1)
    totals = sums[:, -1] if sums.shape[1] else np.zeros(sums.shape[0], dtype=np.int64)
    return totals, sums.astype(np.int32)


INTERFACE = Interface(
    name="prefix_sum",
    arguments=(Array("src", element="u8", role="input"), Array("dst", element="i32", role="output"),
               Length("n", of=("src", "dst"))),
    reference=reference,
    batch_reference=batch_reference,
    result="u32",
    cases=Cases(edge=(Case("empty", ((), ())), Case("0xFF n=5", ((255,) * 5, (7,) * 5)))),
    workload=Workload(quick_lengths=(16,), full_lengths=(16,), shapes=("random",)),
    cost=Cost(default=Poly(1, 5)),
    limits=Limits(instructions=Poly(100_000, 50), fuel=Poly(100_000, 50)),
)
KERNEL = Kernel(name="prefix_sum", directory=TESTS / "fixtures" / "prefix_sum",
                reference=reference, interface=INTERFACE)  # type: ignore[arg-type]

# (route, the fixture file built for it): native, wasmtime and V8, from C, LLVM IR, x86-64 assembly and WAT.
TIMED = [
    pytest.param("c-gcc-O3", "prefix_sum.c", id="c-gcc-O3"),
    pytest.param("c-clang-O0", "prefix_sum.c", id="c-clang-O0"),
    pytest.param("llvm-O3", "prefix_sum.ll", id="llvm-O3"),
    pytest.param("x86-native", "prefix_sum.s", id="x86-native"),
    pytest.param("wasmtime", "prefix_sum.wat", id="wasmtime"),
    pytest.param("wasm-clang-O3", "prefix_sum.c", id="wasm-clang-O3"),
    pytest.param("wasm-llvm-O3", "prefix_sum.ll", id="wasm-llvm-O3"),
    pytest.param("wasm-v8", "prefix_sum.wat", id="wasm-v8", marks=needs_node),
    pytest.param("wasm-clang-O3-v8", "prefix_sum.c", id="wasm-clang-O3-v8", marks=needs_node),
]
# (route, suffix of the wrong variant built for it)
WRONG = [pytest.param("c-gcc-O3", "c", id="c-gcc-O3"), pytest.param("wasm-clang-O3", "c", id="wasm-clang-O3"),
         pytest.param("wasmtime", "wat", id="wasmtime"), pytest.param("wasm-v8", "wat", id="wasm-v8", marks=needs_node)]


def _build(route: str, path: Path, kernel: Kernel = KERNEL) -> Any:
    return get_route(route).build(load_source(path, kernel), kernel)


def test_the_batch_reference_and_the_reference_give_the_same_results_and_digests() -> None:
    for n in (0, 1, 7, 300):
        arrays, _ = shaped.generate(INTERFACE, n, seed_state(SEED, n, "random"), 20)
        batch = shaped.expected_rows(INTERFACE, arrays)
        one_by_one = shaped.expected_rows(replace(INTERFACE, batch_reference=None), arrays)
        assert batch[0].tolist() == one_by_one[0].tolist() and batch[1].tolist() == one_by_one[1].tolist()
        if n:  # a digest is of the written array's contents: one changed element changes it
            results, dst = batch_reference(*arrays)
            dst[3, n - 1] += 1
            assert (shaped.digests(INTERFACE, [dst]) != batch[1]).tolist() == [k == 3 for k in range(20)]


# Every element type in-out, one of them of a fixed length, and no result: a kernel that leaves its arrays as they
# came has the generator's values (negative ones too) as its outputs, digested by C, WAT and numpy alike.
EVERY_TYPE = replace(INTERFACE, name="every_type", arguments=(
    Array("a", element="i8", role="inout"), Array("b", element="u8", role="output"),
    Array("c", element="i32", role="inout"), Array("d", element="u32", role="input"),
    Array("e", element="i64", role="output", length=3), Length("n", of=("a", "b", "c", "d"))),
    reference=lambda a, b, c, d, e: (a, b, c, e), batch_reference=None, result=None)


@pytest.mark.parametrize("n", [0, 1, 17])
def test_c_wat_and_numpy_digest_every_element_type_alike(n: int) -> None:
    repeat, capacity = 7, 3  # three chunks: 3, 3 and 1 calls
    record = shaped.offsets(EVERY_TYPE, n)[1]
    module, _ = compile_cffi(C_SOURCE + shaped.c_source(EVERY_TYPE), shaped.c_cdef(EVERY_TYPE), "gcc", ["-O2"],
                             what="targets.shaped's C text")
    ffi, lib = module.ffi, module.lib
    leave = ffi.callback(shaped.kernel_c_type(EVERY_TYPE).replace("(*)", ""), lambda *arguments: None)
    store = wasmtime.Store()
    store.set_wasi(wasmtime.WasiConfig())
    memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(2, None)))
    linker = wasmtime.Linker(store.engine)
    linker.define_wasi()
    linker.define(store, "kernel", "memory", memory)
    linker.define(store, "kernel", "entry", wasmtime.Func(
        store, wasmtime.FuncType([wasmtime.ValType.i32()] * 6, []), lambda *arguments: None))
    driver = linker.instantiate(store, wasmtime.Module(store.engine, shaped.wat_driver(EVERY_TYPE))).exports(store)
    results_at = 64 + capacity * record
    driver["results_at"].set_value(store, wasmtime.Val.i32(results_at))
    for state in (0, 2**63, MASK64, seed_state(SEED, n, "random")):
        arrays, _ = shaped.generate(EVERY_TYPE, n, state, repeat)
        written = [a for a, array in zip(arrays, EVERY_TYPE.arrays) if array.written]
        wanted = shaped.digests(EVERY_TYPE, written).tolist()
        assert len(set(wanted)) == repeat or n == 0  # every call's own digest

        pool, results = ffi.new("char[]", capacity * record + 16), ffi.new("int64_t[]", shaped.SLOTS * repeat)
        bad = lib.arena_shaped_round(leave, pool, capacity, n, repeat, 1, ffi.new("uint64_t *", state),
                                     ffi.new("uint64_t *"), ffi.new("int64_t *"), results)
        c_results = bytes(ffi.buffer(results))
        assert bad == 0 and np.frombuffer(c_results, dtype=np.uint64)[1::shaped.SLOTS].tolist() == wanted

        driver["state"].set_value(store, wasmtime.Val.i64(signed64(state)))
        assert driver["round"](store, 64, capacity, n, repeat, 0, 0, 1) == 0
        wat_results = bytes(memory.read(store, results_at, results_at + shaped.results_bytes(repeat)))
        assert np.frombuffer(wat_results, dtype=np.uint64)[1::shaped.SLOTS].tolist() == wanted
        # And the check in Python agrees call by call: one digest off is one bad call.
        assert shaped.check_results(EVERY_TYPE, n, state, repeat, True, c_results) == 0
        off = bytearray(c_results)
        off[8 * (shaped.SLOTS * 4 + 1)] ^= 1
        assert shaped.check_results(EVERY_TYPE, n, state, repeat, True, bytes(off)) == 1


@pytest.mark.parametrize("route,name", TIMED)
@pytest.mark.parametrize("n,repeat", [(16, 300), (4096, 60)])  # n=4096: a round of 60 calls runs in 3 chunks
def test_a_kernel_writing_an_output_array_is_timed_in_the_target_and_every_call_checked(
        route: str, name: str, n: int, repeat: int) -> None:
    assert shaped.capacity(INTERFACE, n, repeat) < repeat or n == 16
    built = _build(route, KERNEL.directory / name)
    try:
        rounds = 2
        outcome = timed_outcome(built, n, repeat, rounds)
        assert (outcome.calls, outcome.bad) == (repeat * rounds, 0)
        assert built.loop_clock()() > 0
        # The last call's input is the stream's last of the two rounds (each call gets its own), and what it left
        # (its result, its unchanged input, its written output) is the reference's.
        arrays, _ = shaped.generate(INTERFACE, n, seed_state(SEED, n, "random"), repeat * rounds)
        assert outcome.last_input == tuple(a[-1].tolist() for a in arrays)
        assert outcome.last_output == INTERFACE.expected(outcome.last_input)
    finally:
        built.close()


@pytest.mark.parametrize("route,suffix", WRONG)
def test_a_wrong_output_on_a_few_calls_anywhere_in_a_round_is_counted(route: str, suffix: str) -> None:
    n, repeat, rounds = 16, 1024, 2
    arrays, _ = shaped.generate(INTERFACE, n, seed_state(SEED, n, "random"), repeat * rounds)
    wrong = int(np.count_nonzero(arrays[0][:, 0] == 0x5A))
    assert 0 < wrong < repeat  # some calls of the rounds, never all
    built = _build(route, TIMED_CALLS / f"prefix-sum-wrong-on-some-inputs.{suffix}")
    try:
        outcome = timed_outcome(built, n, repeat, rounds)
        assert (outcome.calls, outcome.bad) == (repeat * rounds, wrong)
    finally:
        built.close()


@pytest.mark.parametrize("route,suffix", WRONG)
@pytest.mark.parametrize("fresh", [True, False])
def test_a_call_that_writes_its_input_array_is_counted(route: str, suffix: str, fresh: bool) -> None:
    built = _build(route, TIMED_CALLS / f"prefix-sum-writes-its-input.{suffix}")
    try:
        outcome = timed_outcome(built, 16, 100, fresh=fresh)
        assert (outcome.calls, outcome.bad) == (100, 100)
        src, dst = outcome.last_output.arrays
        assert src[-1] == outcome.last_input[0][-1] ^ 1 and dst == INTERFACE.expected(outcome.last_input).arrays[1]
    finally:
        built.close()


# --- a void kernel whose one array is in-out and not int32: no result, the array alone checked -------------------

COMPLEMENT = replace(INTERFACE, name="complement",
                     arguments=(Array("p", element="u8", role="inout"), Length("n", of="p")),
                     reference=lambda p: [255 - v for v in p], batch_reference=None, result=None,
                     cases=Cases(edge=(Case("ramp", tuple(range(256))),)))
COMPLEMENT_C = """#include <stddef.h>
#include <stdint.h>
void complement(uint8_t *p, size_t n) { for (size_t i = %s; i < n; i++) p[i] = (uint8_t)~p[i]; }
"""
COMPLEMENT_WAT = """(module (memory (export "memory") 1)
  (func (export "complement") (param $p i32) (param $n i32) (local $i i32)
    (local.set $i (i32.const %s))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (local.get $p) (local.get $i)) (i32.xor (i32.load8_u (i32.add (local.get $p) (local.get $i)))
                                                                   (i32.const 255)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))))
"""


@pytest.mark.parametrize("route,suffix", [pytest.param("c-gcc-O3", "c", id="c-gcc-O3"),
                                          pytest.param("wasmtime", "wat", id="wasmtime"),
                                          pytest.param("wasm-v8", "wat", id="wasm-v8", marks=needs_node)])
@pytest.mark.parametrize("start, bad", [(0, 0), (1, 50)])  # from 1: p[0] is left as it came, on every call
def test_a_void_kernel_rewriting_a_byte_array_in_place_is_timed_and_checked(tmp_path: Path, route: str, suffix: str,
                                                                             start: int, bad: int) -> None:
    kernel = Kernel(name="complement", directory=tmp_path, reference=COMPLEMENT.reference, interface=COMPLEMENT)
    path = tmp_path / f"complement_{start}.{suffix}"
    path.write_text((COMPLEMENT_C if suffix == "c" else COMPLEMENT_WAT) % start)
    built = _build(route, path, kernel)
    try:
        built.loop(16, "random", 50, seed=SEED)()
        outcome = built.loop_outcome()
        assert (outcome.calls, outcome.bad) == (50, bad)
        assert outcome.last_output.result is None
        assert (outcome.last_output == COMPLEMENT.expected(outcome.last_input)) == (bad == 0)
    finally:
        built.close()

"""In-target timing of kernels that read arrays and return a result (targets.shaped): the generator agrees in
Python (call by call and vectorized), C and WAT for every element type; every call's result is checked, not
only the last's; a call that writes an array it may only read counts bad."""
from __future__ import annotations

import random
import shutil
import struct
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import wasmtime

from harness.variants import load_source
from kernels.adler32 import INTERFACE as ADLER32
from kernels.dot_i32 import INTERFACE as DOT_I32
from kernels.dot_i32 import KERNEL as DOT_KERNEL
from kernels.interface import Array, Length
from targets import get_route, shaped
from targets.native.c_cffi import compile_cffi
from targets.fresh import C_SOURCE, MASK64, fill_arrays, seed_state, signed64

from .conftest import timed_outcome

TIMED_CALLS = Path(__file__).resolve().parent / "timed_calls"
SEED = 20261122
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")
# One array of every element type, sharing n, and one of a fixed length: what the generators fill.
MIXED = replace(DOT_I32, name="mixed", arguments=(
    Array("a", element="i8", role="input"), Array("b", element="u8", role="input"),
    Array("c", element="i32", role="input"), Array("d", element="u32", role="input"),
    Array("e", element="i64", role="input", length=3), Length("n", of=("a", "b", "c", "d"))),
    reference=lambda *arrays: 0, batch_reference=None)
STATES = (0, 1, 2**63, MASK64, seed_state(SEED, 5, "random"))
_NUMPY = {"i8": "b", "u8": "B", "i32": "i", "u32": "I", "i64": "q"}


def _expected_calls(state: int, n: int, count: int) -> tuple[list[tuple[tuple[int, ...], ...]], int, int]:
    """Each call's arrays as targets.fresh.fill_arrays makes them, the state of the last, and the state after."""
    calls, last = [], state
    for _ in range(count):
        last = state
        values, state = fill_arrays(MIXED, n, state)
        calls.append(MIXED.inputs(values))
    return calls, last, state


def _read(data: bytes, at: int, n: int) -> tuple[tuple[int, ...], ...]:
    offsets, _ = shaped.offsets(MIXED, n)
    out = []
    for array, offset in zip(MIXED.arrays, offsets):
        length = array.length if array.length is not None else n
        size = array.type.size
        out.append(tuple(np.frombuffer(data[at + offset:at + offset + length * size],
                                       dtype=np.dtype(_NUMPY[array.element]).newbyteorder("<")).tolist()))
    return tuple(out)


@pytest.mark.parametrize("n", [0, 1, 5, 17])
def test_python_vectorized_c_and_wat_make_the_same_arrays(n: int) -> None:
    repeat, capacity = 7, 3  # three chunks: 3, 3 and 1 calls
    record = shaped.offsets(MIXED, n)[1]
    # C: the kernel is a Python callback that keeps what each call was handed.
    module, _ = compile_cffi(C_SOURCE + shaped.c_source(MIXED), shaped.c_cdef(MIXED), "gcc", ["-O2"],
                             what="targets.shaped's C text")
    ffi, lib = module.ffi, module.lib
    # WAT: the same, through wasmtime, with WASI's clock.
    store = wasmtime.Store()
    store.set_wasi(wasmtime.WasiConfig())
    memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(2, None)))
    for state in STATES:
        expected, last, after = _expected_calls(state, n, repeat)
        arrays, vector_after = shaped.generate(MIXED, n, state, repeat)
        assert [tuple(tuple(a[k].tolist()) for a in arrays) for k in range(repeat)] == expected
        assert vector_after == after

        seen_c: list[tuple[tuple[int, ...], ...]] = []

        def c_kernel(a, b, c, d, e, count):
            base = int(ffi.cast("uintptr_t", a))
            seen_c.append(_read(ffi.buffer(ffi.cast("char *", base), record)[:], 0, count))
            return len(seen_c)

        callback = ffi.callback(shaped.kernel_c_type(MIXED).replace("(*)", ""), c_kernel)
        pool = ffi.new("char[]", capacity * record + 16)
        c_state, c_last = ffi.new("uint64_t *", state), ffi.new("uint64_t *")
        nanoseconds, results = ffi.new("int64_t *"), ffi.new("int64_t[]", shaped.SLOTS * repeat)
        bad = lib.arena_shaped_round(callback, pool, capacity, n, repeat, 1, c_state, c_last, nanoseconds, results)
        assert (bad, seen_c, c_state[0], c_last[0]) == (0, expected, after, last)
        assert list(results)[::shaped.SLOTS] == list(range(1, repeat + 1))  # every call's result, in call order

        seen_wat: list[tuple[tuple[int, ...], ...]] = []

        def wat_kernel(a, b, c, d, e, count):
            seen_wat.append(_read(bytes(memory.read(store, a, a + record)), 0, count))
            return len(seen_wat)

        linker = wasmtime.Linker(store.engine)
        linker.define_wasi()
        linker.define(store, "kernel", "memory", memory)
        linker.define(store, "kernel", "entry", wasmtime.Func(
            store, wasmtime.FuncType([wasmtime.ValType.i32()] * 6, [wasmtime.ValType.i64()]), wat_kernel))
        driver = linker.instantiate(store, wasmtime.Module(store.engine, shaped.wat_driver(MIXED))).exports(store)
        driver["state"].set_value(store, wasmtime.Val.i64(signed64(state)))
        driver["clock_at"].set_value(store, wasmtime.Val.i32(0))
        results_at = 64 + capacity * record
        driver["results_at"].set_value(store, wasmtime.Val.i32(results_at))
        bad = driver["round"](store, 64, capacity, n, repeat, 0, 0, 1)
        assert (bad, seen_wat) == (0, expected)
        assert (driver["state"].value(store) & MASK64, driver["last"].value(store) & MASK64) == (after, last)
        answers = memory.read(store, results_at, results_at + shaped.results_bytes(repeat))
        assert struct.unpack(f"<{shaped.SLOTS * repeat}q", answers)[::shaped.SLOTS] == tuple(range(1, repeat + 1))


def test_the_batch_references_equal_the_kernels_references() -> None:
    rng = random.Random(5)
    extremes = (-(2**31), 2**31 - 1, -1, 0, 1)
    for n in (0, 1, 2, 7, 64, 1000):
        for _ in range(50):
            pick = (lambda: rng.choice(extremes)) if rng.random() < 0.5 else (lambda: rng.randint(-(2**31), 2**31 - 1))
            a = [[pick() for _ in range(n)] for _ in range(4)]
            b = [[pick() for _ in range(n)] for _ in range(4)]
            got = DOT_I32.batch_reference(np.array(a, dtype=np.int32).reshape(4, n),
                                          np.array(b, dtype=np.int32).reshape(4, n))
            assert [int(x) for x in got] == [DOT_I32.reference(x, y) for x, y in zip(a, b)]
            p = [[rng.choice((0, 255, rng.getrandbits(8))) for _ in range(n)] for _ in range(4)]
            got = ADLER32.batch_reference(np.array(p, dtype=np.uint8).reshape(4, n))
            assert list(got) == [ADLER32.reference(x) for x in p] == [zlib.adler32(bytes(x)) for x in p]
    # The generator's own arrays, as the timing loops check them.
    for interface, n in ((DOT_I32, 4096), (ADLER32, 65536)):
        arrays, _ = shaped.generate(interface, n, seed_state(SEED, n, "random"), 8)
        assert shaped.expected_rows(interface, arrays)[0].tolist() == [
            interface.reference(*(a[k].tolist() for a in arrays)) for k in range(8)]


# (route, the file built for it)
WRONG = [pytest.param("c-gcc-O3", "c", id="c-gcc-O3"), pytest.param("wasm-clang-O3", "c", id="wasm-clang-O3"),
         pytest.param("wasmtime", "wat", id="wasmtime"), pytest.param("wasm-v8", "wat", id="wasm-v8", marks=needs_node)]


def _build(route: str, name: str):
    return get_route(route).build(load_source(TIMED_CALLS / name, DOT_KERNEL), DOT_KERNEL)


@pytest.mark.parametrize("route,suffix", WRONG)
def test_a_result_wrong_on_a_few_calls_anywhere_in_a_round_is_counted(route: str, suffix: str) -> None:
    n, repeat, rounds = 16, 1024, 2
    arrays, _ = shaped.generate(DOT_I32, n, seed_state(SEED, n, "random"), repeat * rounds)
    wrong = int(np.count_nonzero((arrays[0][:, 0] & 0xFF) == 0x5A))
    assert 0 < wrong < repeat  # some calls of the rounds, never all
    built = _build(route, f"dot-wrong-on-some-inputs.{suffix}")
    try:
        outcome = timed_outcome(built, n, repeat, rounds)
        assert (outcome.calls, outcome.bad) == (repeat * rounds, wrong)
    finally:
        built.close()


@pytest.mark.parametrize("route,suffix", WRONG)
@pytest.mark.parametrize("fresh", [True, False])
def test_a_call_that_writes_its_input_is_counted(route: str, suffix: str, fresh: bool) -> None:
    built = _build(route, f"dot-writes-its-input.{suffix}")
    try:
        outcome = timed_outcome(built, 16, 100, fresh=fresh)
        assert (outcome.calls, outcome.bad) == (100, 100)
    finally:
        built.close()


def test_the_quick_profile_times_each_kernel_at_its_lengths_on_the_in_target_routes() -> None:
    from harness.measure.bench import QUICK_SIZES, bench_cases

    cases = bench_cases([], QUICK_SIZES)
    lengths = {name: sorted({c.n for c in cases if c.kernel.name == name})
               for name in ("dot_i32", "adler32", "insertion_sort")}
    assert lengths == {"dot_i32": [16, 128, 1024, 4096], "adler32": [64, 1024, 65536],
                       "insertion_sort": [16, 128, 1024]}
    for name in ("dot_i32", "adler32"):
        routes = {c.route.name for c in cases if c.kernel.name == name}
        assert {"c-gcc-O3", "llvm-O3", "x86-native", "wasmtime", "wasm-clang-O3", "wasm-v8"} <= routes

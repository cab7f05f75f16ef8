"""Fresh inputs in every timed call: the generator agrees in Python, C and WAT, and every non-native route's
timing loop makes a new input per call, checks every output, and counts the wrong ones."""
from __future__ import annotations

import shutil
from array import array
from pathlib import Path

import pytest
import wasmtime

from harness.kernel import get_kernel
from harness.source import load_source
from kernels.insertion_sort import KERNEL
from targets import get_route
from targets.base import Built
from targets.c_cffi import compile_cffi
from targets.fresh import (
    C_CDEF,
    C_SOURCE,
    EXPECT_SAME,
    EXPECT_SORTED,
    MASK64,
    SHAPE_CODES,
    SHAPES,
    WAT_DRIVER,
    fill,
    fingerprint,
    output_ok,
    seed_state,
    signed64,
)

ROOT = Path(__file__).resolve().parent.parent
TIMED_CALLS = ROOT / "tests" / "timed_calls"
REPLAYS = TIMED_CALLS / "replays-last-answer.wat"
WRONG_AFTER_THREE = TIMED_CALLS / "wrong-after-three-calls.wat"
NOOP = get_kernel("noop")
SEED = 20261122
SIZES = (0, 1, 2, 16, 1000)
STATES = (0, 1, 2**63, MASK64, seed_state(SEED, 16, "random"))

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")
WAT_SORT = KERNEL.variants_dir / "ai-wat-index-loop.wat"
C_SORT = KERNEL.directory / "insertion_sort.c"
# (route, a correct insertion sort for it, the no-op kernel for it, calls per timed round)
ROUTES = [
    pytest.param("wasmtime", WAT_SORT, NOOP.directory / "noop.wat", 50, id="wasmtime"),
    pytest.param("wasm-clang-O3", C_SORT, NOOP.directory / "noop.c", 50, id="wasm-clang-O3"),
    pytest.param("wasm-v8", WAT_SORT, NOOP.directory / "noop.wat", 50, id="wasm-v8", marks=needs_node),
    pytest.param("wasm-clang-O3-v8", C_SORT, NOOP.directory / "noop.c", 50, id="wasm-clang-O3-v8",
                 marks=needs_node),
    pytest.param("x86-unicorn", KERNEL.variants_dir / "ai-x86-index-loop.s", NOOP.directory / "noop.s", 2,
                 id="x86-unicorn"),
    pytest.param("c-gcc-O3-unicorn", C_SORT, NOOP.directory / "noop.c", 2, id="c-gcc-O3-unicorn"),
]
WASM_ROUTES = [pytest.param("wasmtime", id="wasmtime"), pytest.param("wasm-v8", id="wasm-v8", marks=needs_node)]


# --- the generator and the check, in three languages ----------------------------------------------------------


@pytest.fixture(scope="module")
def c_fresh():
    module, _ = compile_cffi(C_SOURCE, C_CDEF, "gcc", ["-O2"], what="targets.fresh's C text")
    return module


class WatDriver:
    """targets.fresh's driver module in wasmtime, with a Python function standing in for the kernel."""

    def __init__(self, kernel=lambda a, n: None) -> None:
        self.store = wasmtime.Store()
        self.memory = wasmtime.Memory(self.store, wasmtime.MemoryType(wasmtime.Limits(1, None)))
        entry = wasmtime.Func(self.store, wasmtime.FuncType([wasmtime.ValType.i32()] * 2, []), kernel)
        instance = wasmtime.Instance(self.store, wasmtime.Module(self.store.engine, WAT_DRIVER), [self.memory, entry])
        self.exports = instance.exports(self.store)

    def get(self, name: str) -> int:
        return self.exports[name].value(self.store) & MASK64

    def set_state(self, state: int) -> None:
        self.exports["state"].set_value(self.store, wasmtime.Val.i64(signed64(state)))

    def read(self, address: int, n: int) -> list[int]:
        out = array("i")
        out.frombytes(bytes(self.memory.read(self.store, address, address + 4 * n)))
        return list(out)

    def write(self, address: int, values: list[int]) -> None:
        self.memory.write(self.store, array("i", values).tobytes(), address)


@pytest.mark.parametrize("shape", SHAPES)
def test_python_c_and_wat_make_the_same_inputs(shape: str, c_fresh) -> None:
    ffi, lib = c_fresh.ffi, c_fresh.lib
    wat = WatDriver()
    for n in SIZES:
        for state in STATES:
            expected, after = fill(shape, n, state)
            c_array, c_state = ffi.new("int32_t[]", max(n, 1)), ffi.new("uint64_t *", state)
            c_print = lib.arena_fill(SHAPE_CODES[shape], c_array, n, c_state)
            assert (list(c_array)[:n], c_print, c_state[0]) == (expected, fingerprint(expected), after), (n, state)
            wat.set_state(state)
            wat_print = wat.exports["fill"](wat.store, SHAPE_CODES[shape], 0, n) & MASK64
            assert (wat.read(0, n), wat_print, wat.get("state")) == (expected, fingerprint(expected), after), (n, state)


@pytest.mark.parametrize("shape", SHAPES)
def test_consecutive_inputs_never_repeat(shape: str) -> None:
    state, seen = seed_state(SEED, 16, shape), set()
    for _ in range(2000):
        values, state = fill(shape, 16, state)
        seen.add(tuple(values))
    assert len(seen) == 2000


KERNELS = {
    # name: (what it does to the array, the bad count per expectation over 7 calls of n = 16, random).
    # EXPECT_SAME checks the fingerprint only: a permutation passes it, a changed value does not.
    "identity": (lambda values: values, {EXPECT_SAME: 0, EXPECT_SORTED: 7}),
    "sort": (sorted, {EXPECT_SAME: 0, EXPECT_SORTED: 0}),
    "sort, then swap the ends": (
        lambda values: [max(values), *sorted(values)[1:-1], min(values)], {EXPECT_SAME: 0, EXPECT_SORTED: 7}
    ),
    "sort, then a[0] = a[1]": (
        lambda values: [sorted(values)[1], *sorted(values)[1:]], {EXPECT_SAME: 7, EXPECT_SORTED: 7}
    ),
}


@pytest.mark.parametrize("name", list(KERNELS))
@pytest.mark.parametrize("fresh", [True, False])
def test_c_and_wat_drivers_count_the_same_bad_calls(name: str, fresh: bool, c_fresh) -> None:
    change, bad = KERNELS[name]
    ffi, lib = c_fresh.ffi, c_fresh.lib
    n, repeat, shape, start = 16, 7, SHAPE_CODES["random"], seed_state(SEED, 16, "random")

    holder: list[WatDriver] = []

    def wat_kernel(a: int, count: int) -> None:
        holder[0].write(a, list(change(holder[0].read(a, count))))

    @ffi.callback("void(int32_t *, size_t)")
    def c_kernel(a, count):
        a[0:count] = list(change(list(a[0:count])))

    wat = WatDriver(wat_kernel)
    holder.append(wat)
    for expect, want in bad.items():
        wat.set_state(start)
        wat_bad = wat.exports["drive"](wat.store, 0, n, repeat, shape, expect, int(fresh))
        work, state, last = ffi.new("int32_t[]", n), ffi.new("uint64_t *", start), ffi.new("uint64_t *")
        c_bad = lib.arena_drive(c_kernel, work, n, repeat, shape, expect, int(fresh), state, last)
        assert wat_bad == c_bad == want
        assert (wat.get("state"), wat.get("last")) == (state[0], last[0])
        assert wat.read(0, n) == list(work)


@pytest.mark.parametrize("name", list(KERNELS))
def test_the_python_check_agrees_with_the_drivers(name: str) -> None:
    change, bad = KERNELS[name]
    values = _nth_input("random", 16, 0)
    for expect, want in bad.items():
        assert output_ok(fingerprint(values), list(change(values)), expect) == (want == 0)


# --- the routes ---------------------------------------------------------------------------------------------


def _build(route: str, path: Path, kernel=KERNEL) -> Built:
    return get_route(route).build(load_source(path, kernel), kernel)


def _nth_input(shape: str, n: int, index: int) -> list[int]:
    """The input the generator makes for call number `index` (from 0) of a loop seeded with SEED."""
    state = seed_state(SEED, n, shape)
    for _ in range(index + 1):
        values, state = fill(shape, n, state)
    return values


@pytest.mark.parametrize("route, sort, noop, repeat", ROUTES)
def test_a_correct_variant_sees_a_new_input_on_every_call(route: str, sort: Path, noop: Path, repeat: int) -> None:
    built = _build(route, sort)
    try:
        for shape in SHAPES:
            run = built.loop(16, shape, repeat, seed=SEED)
            run()
            first = built.loop_outcome()
            run()
            second = built.loop_outcome()
            assert (second.calls, second.bad) == (2 * repeat, 0), shape
            assert first.last_input == _nth_input(shape, 16, repeat - 1), "the generator did not start at the seed"
            assert second.last_input == _nth_input(shape, 16, 2 * repeat - 1), "the state did not carry over"
            assert first.last_input != second.last_input
            assert second.last_output == sorted(second.last_input)
    finally:
        built.close()


@pytest.mark.parametrize("route, sort, noop, repeat", ROUTES)
def test_without_fresh_every_call_gets_the_first_input(route: str, sort: Path, noop: Path, repeat: int) -> None:
    built = _build(route, sort)
    try:
        run = built.loop(16, "random", repeat, seed=SEED, fresh=False)
        run()
        run()
        outcome = built.loop_outcome()
        assert (outcome.calls, outcome.bad) == (2 * repeat, 0)
        assert outcome.last_input == _nth_input("random", 16, 0)
        assert outcome.last_output == sorted(outcome.last_input)
    finally:
        built.close()


@pytest.mark.parametrize("route, sort, noop, repeat", ROUTES)
def test_two_loops_on_one_build_keep_apart(route: str, sort: Path, noop: Path, repeat: int) -> None:
    """A repeated-input callable made first does not run, or advance, the fresh-input loop made after it;
    nor does a checking run in between touch the loop's array."""
    built = _build(route, sort)
    try:
        repeated = built.loop(16, "random", repeat, seed=SEED, fresh=False)
        fresh = built.loop(16, "random", repeat, seed=SEED)
        for _ in range(2):
            repeated()
            fresh()
        assert built.run([3, -1, 2]) == [-1, 2, 3]
        outcome = built.loop_outcome()  # the loop made last
        assert (outcome.calls, outcome.bad) == (2 * repeat, 0)
        assert outcome.last_input == _nth_input("random", 16, 2 * repeat - 1)
        assert outcome.last_output == sorted(outcome.last_input)
    finally:
        built.close()


@pytest.mark.parametrize("route, path", [("c-gcc-O3", C_SORT), ("x86-native", KERNEL.variants_dir / "ai-x86-index-loop.s")])
def test_native_loops_of_one_build_take_turns_in_its_child(route: str, path: Path) -> None:
    """A native build's loops share one timing child: interleaved, each goes on from its own state and length."""
    built = _build(route, path)
    try:
        repeated = built.loop(16, "random", 50, seed=SEED, fresh=False)
        fresh = built.loop(128, "sorted", 50, seed=SEED)
        for _ in range(2):
            repeated()
            fresh()
        outcome = built.loop_outcome()  # the loop that ran last
        assert (outcome.calls, outcome.bad) == (100, 0)
        assert outcome.last_input == _nth_input("sorted", 128, 99)
        assert outcome.last_output == sorted(outcome.last_input)
    finally:
        built.close()


@pytest.mark.parametrize("route, sort, noop, repeat", ROUTES)
def test_the_noop_kernel_passes_as_unchanged_and_fails_as_sorted(route: str, sort: Path, noop: Path,
                                                                 repeat: int) -> None:
    built = _build(route, noop, NOOP)
    try:
        built.loop(16, "random", repeat, seed=SEED, expect=EXPECT_SAME)()
        same = built.loop_outcome()
        assert (same.calls, same.bad) == (repeat, 0)
        assert same.last_output == same.last_input
        built.loop(16, "random", repeat, seed=SEED, expect=EXPECT_SORTED)()
        assert built.loop_outcome().bad == repeat
    finally:
        built.close()


@pytest.mark.parametrize("route", WASM_ROUTES)
def test_a_variant_wrong_only_on_later_calls_is_counted(route: str) -> None:
    # It fails the full correctness check, so the harness would not run it on V8 (the route's gate); built
    # directly, the loop is what is under test here.
    built = _build(route, WRONG_AFTER_THREE)
    try:
        built.loop(16, "random", 10, seed=SEED)()
        outcome = built.loop_outcome()
        assert (outcome.calls, outcome.bad) == (10, 7)
        assert outcome.last_output != sorted(outcome.last_input)
    finally:
        built.close()


@pytest.mark.parametrize("route", WASM_ROUTES)
@pytest.mark.parametrize("fresh", [True, False])
def test_a_variant_that_replays_its_last_answer_stays_correct(route: str, fresh: bool) -> None:
    built = _build(route, REPLAYS)
    try:
        run = built.loop(128, "random", 20, seed=SEED, fresh=fresh)
        run()
        run()
        outcome = built.loop_outcome()
        assert (outcome.calls, outcome.bad) == (40, 0)
        assert outcome.last_output == sorted(outcome.last_input)
    finally:
        built.close()

"""Fresh inputs in every timed call, and only the calls timed: the generator agrees in Python, C and WAT; a
round makes all its inputs before its first call and checks every output after its last; and every route's
timing loop makes a new input per call, checks every output, counts the wrong ones, and clocks the calls."""
from __future__ import annotations

import shutil
import time
from array import array
from pathlib import Path

import pytest
import wasmtime

from kernels.kernel import get_kernel
from harness.variants import load_source
from kernels.insertion_sort import KERNEL
from targets import get_route
from targets.base import Built
from targets.native.cffi_build import compile_cffi
from targets.fresh import (
    C_CDEF,
    C_SOURCE,
    EXPECT_SAME,
    EXPECT_SORTED,
    MASK64,
    SHAPE_CODES,
    SHAPES,
    fill,
    fingerprint,
    output_ok,
    pool_capacity,
    seed_state,
    signed64,
)
from targets.wasm.driver_wat import WAT_DRIVER

from .conftest import nth_input

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
    """targets.fresh's driver module in wasmtime, with a Python function standing in for the kernel and, where
    given, for the clock (called as WASI's clock_time_get: it returns the time to write)."""

    def __init__(self, kernel=lambda a, n: None, clock=None) -> None:
        self.store = wasmtime.Store()
        self.memory = wasmtime.Memory(self.store, wasmtime.MemoryType(wasmtime.Limits(1, None)))
        entry = wasmtime.Func(self.store, wasmtime.FuncType([wasmtime.ValType.i32()] * 2, []), kernel)
        linker = wasmtime.Linker(self.store.engine)
        linker.define(self.store, "kernel", "memory", self.memory)
        linker.define(self.store, "kernel", "entry", entry)
        if clock is None:
            self.store.set_wasi(wasmtime.WasiConfig())
            linker.define_wasi()
        else:
            def clock_time_get(clock_id: int, precision: int, at: int) -> int:
                self.memory.write(self.store, (clock() & MASK64).to_bytes(8, "little"), at)
                return 0

            i32, i64 = wasmtime.ValType.i32(), wasmtime.ValType.i64()
            linker.define(self.store, "wasi_snapshot_preview1", "clock_time_get",
                          wasmtime.Func(self.store, wasmtime.FuncType([i32, i64, i32], [i32]), clock_time_get))
        instance = linker.instantiate(self.store, wasmtime.Module(self.store.engine, WAT_DRIVER))
        self.exports = instance.exports(self.store)
        self.exports["clock_at"].set_value(self.store, wasmtime.Val.i32(CLOCK_AT))

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

    def round(self, capacity: int, n: int, repeat: int, shape: str = "random", expect: int = EXPECT_SORTED,
              fresh: bool = True) -> int:
        return self.exports["round"](self.store, POOL_AT, capacity, n, repeat, SHAPE_CODES[shape], expect, int(fresh))


# Where the tests' WAT driver keeps its clock's bytes and its pool, in its one page of memory.
CLOCK_AT, POOL_AT = 0, 64


class CDriver:
    """targets.fresh's C round with a Python function (pointer and n, as a cffi callback) standing in for the
    kernel; `pool` is the capacity x n int32 the round uses."""

    def __init__(self, module, kernel, capacity: int, n: int) -> None:
        self.ffi, self.lib = module.ffi, module.lib
        self.callback = self.ffi.callback("void(int32_t *, size_t)", kernel)
        self.pool = self.ffi.new("int32_t[]", max(capacity * n, 1))
        self.capacity, self.n = capacity, n
        self.state, self.last = self.ffi.new("uint64_t *"), self.ffi.new("uint64_t *")
        self.ns = self.ffi.new("int64_t *")

    def round(self, repeat: int, shape: str = "random", expect: int = EXPECT_SORTED, fresh: bool = True) -> int:
        return self.lib.arena_round(self.callback, self.pool, self.capacity, self.n, repeat, SHAPE_CODES[shape],
                                    expect, int(fresh), self.state, self.last, self.ns)

    def index(self, pointer) -> int:
        """Which pool entry a kernel call got."""
        return (int(self.ffi.cast("uintptr_t", pointer)) - int(self.ffi.cast("uintptr_t", self.pool))) // (4 * self.n)

    def entry(self, k: int) -> list[int]:
        return list(self.pool[k * self.n:(k + 1) * self.n])


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
            wat_print = wat.exports["fill"](wat.store, SHAPE_CODES[shape], POOL_AT, n) & MASK64
            assert (wat.read(POOL_AT, n), wat_print, wat.get("state")) == (expected, fingerprint(expected), after)
            # The fingerprint alone (no array), as the round makes it again to check an output.
            c_state[0] = state
            assert (lib.arena_fill(SHAPE_CODES[shape], ffi.NULL, n, c_state), c_state[0]) == (c_print, after)
            wat.set_state(state)
            wat.write(POOL_AT, [7] * n)
            assert wat.exports["fill"](wat.store, SHAPE_CODES[shape], -1, n) & MASK64 == c_print
            assert (wat.get("state"), wat.read(POOL_AT, n)) == (after, [7] * n)


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
@pytest.mark.parametrize("capacity", [7, 3, 1], ids=["one chunk", "chunks of 3", "chunks of 1"])
def test_c_and_wat_drivers_count_the_same_bad_calls(name: str, fresh: bool, capacity: int, c_fresh) -> None:
    change, bad = KERNELS[name]
    n, repeat, start = 16, 7, seed_state(SEED, 16, "random")

    holder: list[WatDriver] = []

    def wat_kernel(a: int, count: int) -> None:
        holder[0].write(a, list(change(holder[0].read(a, count))))

    def c_kernel(a, count):
        a[0:count] = list(change(list(a[0:count])))

    wat = WatDriver(wat_kernel)
    holder.append(wat)
    c = CDriver(c_fresh, c_kernel, capacity, n)
    for expect, want in bad.items():
        wat.set_state(start)
        c.state[0] = start
        assert wat.round(capacity, n, repeat, expect=expect, fresh=fresh) == c.round(repeat, expect=expect,
                                                                                      fresh=fresh) == want
        assert (wat.get("state"), wat.get("last")) == (c.state[0], c.last[0])
        assert c.last[0] == start if not fresh else c.state[0] == fill("random", n, c.last[0])[1]
        # The last call's array is the pool's last entry, in either driver.
        assert wat.read(POOL_AT + 4 * n * (capacity - 1), n) == c.entry(capacity - 1)
        assert c.entry(capacity - 1) == list(change(fill("random", n, c.last[0])[0]))


@pytest.mark.parametrize("expect", [EXPECT_SAME, EXPECT_SORTED], ids=["unchanged", "sorted"])
def test_a_value_moved_into_the_next_input_and_one_taken_back_is_counted_for_both(expect: int, c_fresh) -> None:
    """A kernel that writes past its array: the first call of each chunk swaps its first value with the next
    input's first value. The chunk's values are all still there, so a sum of every output's fingerprint would
    equal the inputs'; the two inputs changed are each counted, by both drivers."""
    n, repeat, capacity = 16, 8, 4
    start = seed_state(SEED, n, "random")

    def exchange(entry: int, read, write) -> None:
        if entry % capacity == 0:
            mine, next_one = read(entry), read(entry + 1)
            mine[0], next_one[0] = next_one[0], mine[0]
            write(entry, mine)
            write(entry + 1, next_one)
        if expect == EXPECT_SORTED:
            write(entry, sorted(read(entry)))

    wats: list[WatDriver] = []

    def wat_kernel(a: int, count: int) -> None:
        w = wats[0]
        exchange((a - POOL_AT) // (4 * n), lambda k: w.read(POOL_AT + 4 * n * k, n),
                 lambda k, values: w.write(POOL_AT + 4 * n * k, values))

    cs: list[CDriver] = []

    def c_kernel(a, count):
        c = cs[0]
        exchange(c.index(a), c.entry, lambda k, values: c.pool.__setitem__(slice(k * n, (k + 1) * n), values))

    wats.append(WatDriver(wat_kernel))
    cs.append(CDriver(c_fresh, c_kernel, capacity, n))
    wats[0].set_state(start)
    cs[0].state[0] = start
    chunks = repeat // capacity
    assert wats[0].round(capacity, n, repeat, expect=expect) == cs[0].round(repeat, expect=expect) == 2 * chunks


@pytest.mark.parametrize("driver", ["C", "WAT"])
@pytest.mark.parametrize("capacity", [5, 2], ids=["one chunk", "chunks of 2"])
def test_a_round_makes_every_input_before_its_first_call_and_checks_after_its_last(driver: str, capacity: int,
                                                                                    c_fresh) -> None:
    """The three phases, seen by a stand-in kernel: when a chunk's first call comes, every input of the chunk is
    already made; each call gets its own entry, once; and the outputs are checked only after the chunk's last
    call, so a kernel that spoils the outputs of the earlier calls of its chunk on its last call is counted for
    each of them. Two rounds: every input is new, none seen in the round before."""
    n, repeat = 8, 5
    expected, state = [], seed_state(SEED, n, "random")
    for _ in range(2 * repeat):
        values, state = fill("random", n, state)
        expected.append(values)
    seen: list[list[int]] = []
    chunk_seen: list[int] = []  # pool entries called in the current chunk
    chunk = {"count": 0}
    problems: list[str] = []  # a stand-in kernel's failed expectation (cffi would only print an exception)

    def observe(entry: int, read, write) -> None:
        if not chunk_seen:
            made = len(seen)
            chunk["count"] = count = min(capacity, repeat - made % repeat)
            if [read(capacity - count + k) for k in range(count)] != expected[made:made + count]:
                problems.append(f"call {made}: an input of its chunk was not made before the chunk's first call")
        count = chunk["count"]
        if entry != capacity - count + len(chunk_seen):
            problems.append(f"call {len(seen)} got pool entry {entry}, not the next one")
        seen.append(read(entry))
        chunk_seen.append(entry)
        write(entry, sorted(read(entry)))
        if len(chunk_seen) == count:  # the chunk's last call: spoil the outputs of the ones before it
            for earlier in chunk_seen[:-1]:
                write(earlier, [0] * n)
            chunk_seen.clear()

    if driver == "C":
        holder: list[CDriver] = []

        def c_kernel(a, count):
            c = holder[0]
            observe(c.index(a), c.entry, lambda k, values: c.pool.__setitem__(slice(k * n, (k + 1) * n), values))

        c = CDriver(c_fresh, c_kernel, capacity, n)
        holder.append(c)
        c.state[0] = seed_state(SEED, n, "random")
        bads = [c.round(repeat) for _ in range(2)]
    else:
        wats: list[WatDriver] = []

        def wat_kernel(a: int, count: int) -> None:
            w = wats[0]
            observe((a - POOL_AT) // (4 * n), lambda k: w.read(POOL_AT + 4 * n * k, n),
                    lambda k, values: w.write(POOL_AT + 4 * n * k, values))

        wat = WatDriver(wat_kernel)
        wats.append(wat)
        wat.set_state(seed_state(SEED, n, "random"))
        bads = [wat.round(capacity, n, repeat) for _ in range(2)]
    chunks = -(-repeat // capacity)
    assert problems == []
    assert bads == [repeat - chunks] * 2, "outputs spoiled after their own call were not all counted"
    assert seen == expected, "the calls did not get the generator's inputs in order"
    assert len({tuple(v) for v in seen}) == 2 * repeat, "an input came twice"


def test_the_wat_driver_reads_its_clock_only_around_the_calls() -> None:
    """The driver's timed window: the clock read just before a chunk's first call and just after its last, with
    nothing but the calls between, and `elapsed` the sum of those windows."""
    events: list[str] = []
    ticks = iter(range(1000, 100000, 1000))

    def clock() -> int:
        events.append("clock")
        return next(ticks)

    def kernel(a: int, count: int) -> None:
        events.append("call")

    wat = WatDriver(kernel, clock)
    wat.set_state(seed_state(SEED, 16, "random"))
    assert wat.round(3, 16, 7, expect=EXPECT_SAME) == 0
    assert events == ["clock", "call", "call", "call", "clock"] * 2 + ["clock", "call", "clock"]
    assert wat.get("elapsed") == 3 * 1000


@pytest.mark.parametrize("name", list(KERNELS))
def test_the_python_check_agrees_with_the_drivers(name: str) -> None:
    change, bad = KERNELS[name]
    values = nth_input("random", 16, 0)
    for expect, want in bad.items():
        assert output_ok(fingerprint(values), list(change(values)), expect) == (want == 0)


# --- the routes ---------------------------------------------------------------------------------------------


def _build(route: str, path: Path, kernel=KERNEL) -> Built:
    return get_route(route).build(load_source(path, kernel), kernel)


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
            assert first.last_input == nth_input(shape, 16, repeat - 1), "the generator did not start at the seed"
            assert second.last_input == nth_input(shape, 16, 2 * repeat - 1), "the state did not carry over"
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
        assert outcome.last_input == nth_input("random", 16, 0)
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
        assert outcome.last_input == nth_input("random", 16, 2 * repeat - 1)
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
        assert outcome.last_input == nth_input("sorted", 128, 99)
        assert outcome.last_output == sorted(outcome.last_input)
    finally:
        built.close()


def test_a_native_child_takes_its_input_pools_in_turn(tmp_path: Path) -> None:
    """Each round of a native loop uses the next of the child's POOL_PLACES pools, each a mapping of its own, so
    one process's rounds see several placements of their inputs in memory. The kernel leaves the page its array
    is on in the array's first value (a wrong output, counted, and the last output shows it)."""
    from targets.native.child import POOL_PLACES

    path = tmp_path / "noop.c"
    path.write_text("#include <stddef.h>\n#include <stdint.h>\n"
                    "void noop(int32_t *a, size_t n) { if (n) a[0] = (int32_t)((uintptr_t)a >> 12); }\n")
    built = get_route("c-gcc-O3").build(load_source(path, NOOP), NOOP)
    try:
        run = built.loop(16, "random", 4, seed=SEED, expect=EXPECT_SAME)
        pages = []
        for _ in range(2 * POOL_PLACES):
            run()
            pages.append(built.loop_outcome().last_output[0])
        assert built.loop_outcome().bad == 4 * 2 * POOL_PLACES
        assert len(set(pages)) == POOL_PLACES == len(set(pages[:POOL_PLACES]))
        assert pages[POOL_PLACES:] == pages[:POOL_PLACES]
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


CHUNKED_ROUTES = [
    pytest.param("c-gcc-O3", C_SORT, NOOP.directory / "noop.c", id="c-gcc-O3"),
    pytest.param("wasmtime", WAT_SORT, NOOP.directory / "noop.wat", id="wasmtime"),
    pytest.param("wasm-v8", WAT_SORT, NOOP.directory / "noop.wat", id="wasm-v8", marks=needs_node),
]


@pytest.mark.parametrize("route, sort, noop", CHUNKED_ROUTES)
def test_a_round_larger_than_the_pool_runs_in_chunks_and_checks_every_call(route: str, sort: Path, noop: Path) -> None:
    n, repeat = 1 << 14, 20
    assert pool_capacity(n, repeat) < repeat  # chunks of fewer inputs than the round's calls
    built = _build(route, sort)
    try:
        built.loop(n, "sorted", repeat, seed=SEED)()  # insertion sort on sorted input: one pass each
        outcome = built.loop_outcome()
        assert (outcome.calls, outcome.bad) == (repeat, 0)
        assert outcome.last_input == nth_input("sorted", n, repeat - 1)
        assert outcome.last_output == outcome.last_input
    finally:
        built.close()
    built = _build(route, noop, NOOP)
    try:
        built.loop(n, "reversed", repeat, seed=SEED, expect=EXPECT_SORTED)()
        assert built.loop_outcome().bad == repeat, "an output of some chunk went unchecked"
        built.loop(n, "reversed", repeat, seed=SEED, expect=EXPECT_SAME)()
        assert built.loop_outcome().bad == 0
    finally:
        built.close()


@pytest.mark.parametrize("route", WASM_ROUTES)
def test_a_module_with_a_small_maximum_memory_gets_a_smaller_pool(route: str, tmp_path: Path) -> None:
    # Two pages at most, one its own: room past it for fewer inputs than a whole chunk of the pool.
    path = tmp_path / "noop.wat"
    path.write_text(';; origin: human\n'
                    '(module (memory (export "memory") 1 2) (func (export "noop") (param i32 i32)))\n')
    n, repeat = 16, 5000
    assert 4 * n * pool_capacity(n, repeat) > 65536
    built = _build(route, path, NOOP)
    try:
        run = built.loop(n, "random", repeat, seed=SEED, expect=EXPECT_SAME)
        run()
        run()
        outcome = built.loop_outcome()
        assert (outcome.calls, outcome.bad) == (2 * repeat, 0)
        assert outcome.last_input == nth_input("random", n, 2 * repeat - 1) == outcome.last_output
    finally:
        built.close()


@pytest.mark.parametrize("route, sort, noop, repeat", ROUTES)
def test_the_loop_clock_counts_the_calls_alone(route: str, sort: Path, noop: Path, repeat: int) -> None:
    """A route's clock advances by each round's calls only: its total over rounds is positive and within the
    wall time of the rounds around it, which also hold the making of the inputs and the checks."""
    built = _build(route, noop, NOOP)
    try:
        run = built.loop(16, "random", repeat, seed=SEED, expect=EXPECT_SAME)
        clock = built.loop_clock()
        assert clock is not None, f"{route} has no clock of its own around the calls"
        started, before = time.perf_counter(), clock()
        seconds = [built.round_seconds(run) for _ in range(3)]
        wall = time.perf_counter() - started
        assert all(s > 0 for s in seconds)
        assert clock() - before == pytest.approx(sum(seconds)) and sum(seconds) < wall
    finally:
        built.close()

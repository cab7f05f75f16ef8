"""wasm-v8: wasm modules in Node's V8, one node process per module, timed inside JavaScript."""
from __future__ import annotations

import shutil
import time

import pytest

from harness.check import check
from harness.inputs import correctness_cases
from harness.variants import load_source
from kernels.insertion_sort import KERNEL
from targets import get_route
from targets.wasm import v8_route as wasm_v8
from targets.base import Unavailable

from .conftest import BAD_INPUTS, nth_input

WAT = KERNEL.variants_dir / "ai-wat-index-loop.wat"
REPEAT = 1000
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")


@needs_node
@pytest.mark.parametrize(
    "route, path", [("wasm-v8", WAT), ("wasm-clang-O3-v8", KERNEL.directory / "insertion_sort.c")]
)
def test_runs_and_times_inside_node(route: str, path: object) -> None:
    built = get_route(route).build(load_source(path, KERNEL), KERNEL)  # type: ignore[arg-type]
    try:
        values = [9, -3, 2**31 - 1, -(2**31), 0, 9]
        assert built.run(values) == sorted(values)
        assert built.run([]) == []
        process = built._node.process  # type: ignore[attr-defined]
        big = list(range(3000, 0, -1))
        assert built.run(big) == sorted(big)
        assert built._node.process is process, "one node process serves every call"  # type: ignore[attr-defined]
        run = built.loop(16, "random", REPEAT, seed=1)
        started = time.perf_counter()
        run()
        elapsed = time.perf_counter() - started
        seconds = built.seconds_per_sort  # type: ignore[attr-defined]
        # Node's figure is per sort: REPEAT of them fit inside the wall time of the call around the loop,
        # however fast or busy the machine (a total not divided by REPEAT would not fit).
        assert seconds is not None and 0 < seconds * REPEAT <= elapsed
        outcome = built.loop_outcome()
        assert outcome.bad == 0 and outcome.last_output == sorted(outcome.last_input)
    finally:
        built.close()


def test_without_node_a_passing_module_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wasm_v8.shutil, "which", lambda name: None)
    # Explicit cases: a fresh check, not the session's memoized report from when node was there.
    report = check(load_source(WAT, KERNEL), get_route("wasm-v8"), KERNEL, correctness_cases())
    assert report.verdict == "skip" and "node is not on PATH" in report.message
    with pytest.raises(Unavailable):
        get_route("wasm-v8").build(load_source(WAT, KERNEL), KERNEL)


def test_a_module_that_fails_on_wasmtime_is_not_run_on_v8() -> None:
    report = check(load_source(BAD_INPUTS / "wat_infinite_loop.wat", KERNEL), get_route("wasm-v8"), KERNEL)
    assert report.verdict == "fail"
    assert report.message.startswith("not run on V8: failed on wasmtime: did not return within")


@needs_node
def test_a_timing_loop_takes_its_copies_in_turn_and_the_input_stream_goes_on_across_them() -> None:
    """Each round runs on the next copy of the module node compiled (its own code, memory and driver); the inputs
    still come from one stream, so no call sees an input another saw, and the last input is the stream's."""
    from targets.wasm.wasmtime_route import COPIES

    built = get_route("wasm-v8").build(load_source(WAT, KERNEL), KERNEL)
    try:
        repeat, rounds = 3, 2 * COPIES
        run = built.loop(16, "random", repeat, seed=7, fresh=True)
        turns = []
        for _ in range(rounds):
            run()
            turns.append(built._timed.copy)  # type: ignore[attr-defined]
        outcome = built.loop_outcome()
        assert COPIES > 1 and turns == [turn % COPIES for turn in range(rounds)]
        assert (outcome.calls, outcome.bad) == (rounds * repeat, 0)
        assert outcome.last_input == nth_input("random", 16, rounds * repeat - 1, seed=7)
        assert outcome.last_output == sorted(outcome.last_input)
        assert built.run([3, -1, 2]) == [-1, 2, 3], "single calls still run beside the copies"
    finally:
        built.close()

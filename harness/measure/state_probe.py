"""The state probe: one input repeated in every call, timed against fresh inputs on the same build.

A variant that keeps answers between calls (a cache keyed by its input, a replay of its last answer) runs a
repeated input many times faster than fresh ones; an honest one runs both at nearly the same speed. The two sides
differ by so much for a state-keeping variant that they need not be interleaved to tell it apart, and one size
and shape is enough. The report (harness.report.analysis) flags the rows whose ratio lies far below 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from targets.fresh import SEED
from targets.native.runner import PLACEMENT_OFFSETS
from targets.wasm.wasmtime_route import COPIES

STATE_PROBE_N = 1024  # too many branches for a predictor to learn one input: honest sorts stay near 1
STATE_PROBE_SHAPE = "random"
STATE_PROBE_ROUNDS = 5
# Untimed rounds before the timed ones: a loop takes its code's placements or compiled copies in turn, one per
# round (targets.native.runner, targets.wasm), and a state-keeping variant keeps its state in each copy apart, so
# every copy must have seen the repeated input before the probe times it.
STATE_PROBE_WARMUP = max(COPIES, len(PLACEMENT_OFFSETS))


def probes_state(timing: str, n: int, shape: str) -> bool:
    """Whether a benchmark of this timing, n and shape carries the probe (the emulator's time is not the code's)."""
    return timing != "emulated" and n == STATE_PROBE_N and shape == STATE_PROBE_SHAPE


@dataclass(frozen=True)
class RepeatedInput:
    """The probe's reading: median seconds per round of `repeat` calls on one input repeated, and on fresh inputs;
    `calls` and `bad` count the repeated-input calls and those that left a wrong output."""

    median_per_round: float
    fresh_median_per_round: float
    calls: int
    bad: int

    @property
    def ratio(self) -> float:
        return self.median_per_round / self.fresh_median_per_round

    def extra_info(self) -> dict[str, float]:
        """As a saved benchmark records it (`repeated_input`), for harness.report.analysis to read."""
        return {"median_per_round": self.median_per_round, "fresh_median_per_round": self.fresh_median_per_round,
                "ratio": self.ratio}


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def fresh_median_per_round(built: Any, n: int, shape: str, repeat: int, expect: int,
                           rounds: int = STATE_PROBE_ROUNDS) -> float:
    """Median seconds per round of `repeat` calls, each on a fresh input, after untimed rounds: the probe's
    other side where no benchmark has just timed the build."""
    run = built.loop(n, shape, repeat, seed=SEED, fresh=True, expect=expect)
    for _ in range(STATE_PROBE_WARMUP):
        run()
    return _median([built.round_seconds(run) for _ in range(rounds)])


def repeated_input_probe(built: Any, n: int, shape: str, repeat: int, expect: int, fresh_round: float,
                         rounds: int = STATE_PROBE_ROUNDS) -> RepeatedInput:
    """Rounds of `repeat` calls on one input repeated, against `fresh_round`: the median seconds per round on fresh
    inputs just measured on the same build (a benchmark's own, or fresh_median_per_round's). `built` is a
    targets.base.Built; its last loop is this probe's afterwards."""
    run = built.loop(n, shape, repeat, seed=SEED + 1, fresh=False, expect=expect)
    for _ in range(STATE_PROBE_WARMUP):  # each copy's first calls see the input: a state-keeping variant learns it
        run()
    repeated = [built.round_seconds(run) for _ in range(rounds)]
    outcome = built.loop_outcome()
    return RepeatedInput(_median(repeated), fresh_round, outcome.calls, outcome.bad)

"""Timed blocks: the rows compared with each other (one kernel, substrate, n and shape), timed together
(harness.measure.interleave), each round visiting every row once in a shuffled order, so every comparison's two sides
share their time windows.

Every block of a session is timed when the first of its benchmarks asks, in VISITS visits far apart: each visit times
every block in turn. A slow spell of the machine that slows some code more than other code, which pairing cannot
cancel, then catches one visit of a block and spares the other.
"""
from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.measure.bench import (
    SEED, WARMUP_ROUNDS, BenchCase, Workbench, emulated, expectation, one_core, repeat_for, skipped,
)
from harness.measure.interleave import Block, code_identity, settle, side_time
from harness.progress import phase
from targets.base import Built, platform_of

Key = tuple[str, str, int, str]  # kernel, substrate's platform, n, shape


def timed_block(bench: Workbench, case: BenchCase, rounds: int) -> "TimedBlock":
    """The timed block `case` belongs to: every selected (Workbench.expect_counts), correct, timed case of its kernel,
    substrate, n and shape. Every block of the session not timed yet is timed the first time one of them asks
    (time_blocks)."""
    key = block_key(bench, case)
    if key not in bench.blocks:
        # The selected cases grouped by block in one pass, the asking case's block first (and the case itself,
        # should it not be among them).
        members: dict[Key, dict[str, BenchCase]] = {key: {}}
        for c in [*bench.selected, case]:
            if not emulated(c.route) and skipped(c) is None and bench.checked(*c.pair).passed:
                members.setdefault(block_key(bench, c), {}).setdefault(c.id, c)
        todo = [BlockTiming.of(bench, k, list(cases.values())) for k, cases in members.items() if k not in bench.blocks]
        bench.blocks.update(time_blocks(todo, rounds, bench))
    return bench.blocks[key]  # type: ignore[no-any-return]


def block_key(bench: Workbench, case: BenchCase) -> Key:
    return (case.kernel.name, platform_of(bench.built(*case.pair).substrate), case.n, case.shape)


@dataclass
class TimedBlock:
    """One block's timing: per member (by case id) its rounds (round id -> seconds per round) and what its loop
    left (targets.fresh.LoopOutcome); the first `base` rounds visited every member."""

    id: str
    repeat: int
    base: int
    rounds: dict[str, dict[int, float]]
    outcomes: dict[str, Any]
    code: dict[str, str | None]
    # Per member, the native runner's placement and its per-placement medians over the member's timed rounds.
    placement: dict[str, dict[str, Any]]
    error: str | None = None


def _by_substrate(builds: Sequence[Built]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for index, built in enumerate(builds):
        groups.setdefault(built.substrate, []).append(index)
    return groups


# A block is timed in visits far apart in the run, each with fresh loops (new inputs from a generator seeded for the
# visit, native code's placements taken from the first): a spell of the machine that slows some code more than
# other code then catches one visit's rounds and not the other's, and each side's lower quartile leans on the
# rounds it spared, as a rerun's would. Each visit's rounds are a multiple of the placements native code takes in
# turn, so every placement weighs the same in each.
VISITS = 2


def visit_rounds(rounds: int) -> list[int]:
    """A block's `rounds` timed rounds split into its visits: multiples of the native placements, the first the
    largest."""
    from targets.native.runner import PLACEMENT_OFFSETS

    step = len(PLACEMENT_OFFSETS)
    first = step * math.ceil(rounds / (VISITS * step))
    return [first, rounds - first] if rounds > first else [rounds]


@dataclass
class BlockTiming:
    """One block being timed across its visits: its rounds so far, and per member what each visit's loop left."""

    key: Key
    members: Sequence[BenchCase]
    timed: TimedBlock
    block: Block
    rng: random.Random
    # Per native member, its timed rounds' (placement offset, seconds), every visit's.
    offsets: dict[str, list[tuple[Any, float]]] = field(default_factory=dict)
    outcomes: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, bench: Workbench, key: Key, members: Sequence[BenchCase]) -> "BlockTiming":
        kernel, substrate, n, shape = key
        block_id = f"{kernel}/{substrate}/n={n}/{shape}"
        timing = bench.built(*members[0].pair).timing if members else "native"
        timed = TimedBlock(block_id, repeat_for(kernel, n, shape, timing), 0, {}, {}, {}, {})
        return cls(key, members, timed, Block(len(members)), random.Random(f"{SEED}/{block_id}"))


def time_blocks(todo: Sequence[BlockTiming], rounds: int, bench: Workbench) -> dict[Key, TimedBlock]:
    """Time every block in `todo`: each visit times every block in turn (visit_rounds), the last one then takes
    more rounds for the comparisons still wider than the margin (harness.measure.interleave.settle)."""
    visits = visit_rounds(rounds)
    with phase("timing", len(visits) * len(todo), bench.unhide) as shown:
        shown.note = f"{len(todo)} blocks, {len(visits)} visits each"
        for number, count in enumerate(visits):
            for timing in todo:
                if bench.on_timing is not None:
                    bench.on_timing([c.id for c in timing.members])
                _visit(timing, bench, number, count, last=number == len(visits) - 1)
                shown.advance()
    return {t.key: t.timed for t in todo}


def _visit(timing: BlockTiming, bench: Workbench, number: int, rounds: int, last: bool) -> None:
    """One visit of a block: fresh loops, a warm-up round, `rounds` rounds each visiting every member in a
    shuffled order, and, on the last visit, the settling rounds. A member whose loop fails ends the block: every
    member's benchmark then reports it."""
    from harness.report.headline import Candidate, comparisons_to_settle
    from targets.native.child import per_offset_median

    kernel, _, n, shape = timing.key
    members, timed, block, rng = timing.members, timing.timed, timing.block, timing.rng
    builds = [bench.built(*c.pair) for c in members]
    if not members or timed.error is not None:
        return
    try:
        with one_core():  # before the loops start: native runners' children take this core
            # Each visit's generator starts at a seed of its own: no call sees an input an earlier visit made.
            loops = [(b, b.loop(n, shape, timed.repeat, seed=SEED + number, fresh=True, expect=expectation(kernel)))
                     for b in builds]
            # A warm-up round on the first visit only: a later visit runs code and children the run has used
            # already, and a slow first round is one of the many a side's lower quartile leaves out.
            warmup = WARMUP_ROUNDS if number == 0 else 0
            Block(len(members)).run(loops, range(len(members)), warmup, rng)
            block.run(loops, range(len(members)), rounds, rng)
            timed.base += rounds
            if last:
                timed.code = {c.id: code_identity(b) for c, b in zip(members, builds)}
                # Chosen as the report chooses them (harness.report.headline.base_cost): by the lower quartile of
                # the rounds every member took.
                candidates = [Candidate(f"{c.source.name}@{c.route.name}", c.source.origin, c.source.algorithm,
                                        c.kernel.is_compiler_source(c.source), side_time(list(r.values())),
                                        timed.code[c.id])
                              for c, r in zip(members, block.rounds)]
                # A block holds a baseline substrate and its host-tuned one: each row is judged within its own.
                settling = []
                for substrate_members in _by_substrate(builds).values():
                    pairs = comparisons_to_settle([candidates[i] for i in substrate_members],
                                                  [timed.code[members[i].id] for i in substrate_members])
                    settling += [(substrate_members[a], substrate_members[b]) for a, b in pairs]
                settle(block, loops, settling, rng)
        for case, built in zip(members, builds):
            timing.outcomes.setdefault(case.id, []).append(built.loop_outcome())
            runner = getattr(built, "_runner", None)
            if runner is not None:
                timing.offsets.setdefault(case.id, []).extend(runner.rounds[warmup:])
        if last:
            for case, built, times in zip(members, builds, block.rounds):
                timed.rounds[case.id] = times
                timed.outcomes[case.id] = joined_outcome(timing.outcomes[case.id])
                placement = getattr(built, "placement", None)
                if placement is not None:
                    timed.placement[case.id] = {**placement,
                                                "per_offset_median": per_offset_median(timing.offsets[case.id])}
    except Exception as exc:  # a loop that fails is the benchmark's failure, reported by every member's test
        timed.error = f"{type(exc).__name__}: {exc}"


def joined_outcome(outcomes: Sequence[Any]) -> Any:
    """What a row's loops of every visit left: all their calls and wrong outputs, the last call's input and
    output."""
    from targets.fresh import LoopOutcome

    last = outcomes[-1]
    return LoopOutcome(sum(o.calls for o in outcomes), sum(o.bad for o in outcomes), last.last_input,
                       last.last_output)

"""Comparisons timed side by side: rounds interleaved in a shuffled order, intervals from paired rounds, and the
verdict words.

On a shared machine a program's speed drifts by more, between two moments a minute apart, than the differences a
comparison looks for. Two builds compared are therefore timed in the same rounds: each round visits every member
once, in a shuffled order (so neither always runs first, after the other warmed or cooled the core), and a
comparison's estimate and interval come from the rounds its two sides shared. Drift common to those rounds moves
both sides alike.

Noise on a shared machine only ever adds time: a preempted round, another tenant's use of the cache, a slow
spell of the host that catches one member's rounds and not its partner's. So a side's time is the lower
quartile of its rounds, the least disturbed of them, and a/b is the ratio of the two sides' lower quartiles
over the rounds they shared: up to three quarters of either side's rounds may be slowed without moving it, and
while fewer than half are, its interval stays narrow (the argument Chen and Revels make for the minimum in
"Robust benchmarking in noisy environments", 2016; the quartile keeps an interval). The interval is a
percentile bootstrap that resamples whole shared rounds, so what a round's two sides have in common stays
paired; its resampling is seeded by the rounds themselves, so the same rounds give the same interval. It is
never narrower than BETWEEN_BUILDS either side: what separate builds of the same code differ by, which no
number of rounds in one process shows.

Verdicts: `same` when the whole interval lies within SAME_MARGIN of 1 (a smaller difference is not called
one, even where the interval clears 1); else `faster` or `slower` when the interval clears 1; `identical code`
when both sides run the same machine code (decided without timing); `unsure` otherwise. A comparison takes
more rounds while its interval (before that allowance) is wider than the margin (the stopping rule looks at
the interval's width, never at where it lies, so it cannot steer the verdict) and until its budget is spent.
"""
from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# A percentile bootstrap of a quantile covers less than it says at a dozen rounds: its nominal level is set high.
CONFIDENCE = 0.99
# Each side's time: this quantile of its rounds (the lower quartile).
SIDE_QUANTILE = 0.25
# How reports name the interval.
LEVEL = f"{CONFIDENCE:.0%}"
# Resamples of the bootstrap, and the fewest shared rounds it is taken from.
RESAMPLES = 2000
MIN_ROUNDS = 6
# Two sides whose whole interval lies within this factor of 1, either way, are the `same` speed.
SAME_MARGIN = 0.03
# No interval is narrower than this factor either side of its estimate. One process's rounds cannot show how far
# another process's would read: the same machine code built twice and timed side by side differs by the draw of
# where each build's child put its memory, and a run compared with a rerun draws again. The report shows what
# the run's own pairs of identical code read, the evidence for this allowance on the machine at hand.
BETWEEN_BUILDS = 0.015
# More rounds for an undecided comparison come in chunks of this many, all still interleaved: a multiple of the
# placements native code takes in turn, one per round, so the two sides of a pair stay at the same placement.
CHUNK_ROUNDS = 16
# A comparison's budget: at most this many paired rounds in all. A block's extra rounds take at most this share
# of the time its first rounds took: a run costs at most that much more than timing each member once.
MAX_ROUNDS = 80
EXTRA_SHARE = 0.5

FASTER, SLOWER, SAME, UNSURE, IDENTICAL = "faster", "slower", "same", "unsure", "identical code"

Member = tuple[Any, Callable[[], None]]  # (targets.base.Built, the round callable its `loop` returned)


def time_interleaved(members: Sequence[Member], rounds: int, rng: random.Random) -> list[list[float]]:
    """`rounds` rounds, each visiting every member once in an order shuffled by `rng`; per member, the seconds of
    each round (Built.round_seconds), in round order. Each member must be a different build: a build's clock
    follows only its last loop."""
    if len({id(built) for built, _ in members}) != len(members):
        raise ValueError("each member of an interleaved timing must be a different build")
    seconds: list[list[float]] = [[] for _ in members]
    order = list(range(len(members)))
    for _ in range(rounds):
        rng.shuffle(order)
        for index in order:
            built, run = members[index]
            seconds[index].append(built.round_seconds(run))
    return seconds


def _side_quantiles(logs: np.ndarray) -> np.ndarray:
    """SIDE_QUANTILE of each row of `logs` (linear between order statistics, as numpy's default quantile)."""
    n = logs.shape[-1]
    position = SIDE_QUANTILE * (n - 1)
    below = int(position)
    above = min(below + 1, n - 1)
    # A full sort: for rows this short numpy sorts several times faster than it partitions around two ranks.
    ordered = np.sort(logs, axis=-1)
    return ordered[..., below] + (position - below) * (ordered[..., above] - ordered[..., below])


def side_time(rounds: Sequence[float]) -> float:
    """One side's time over its rounds: their SIDE_QUANTILE (the lower quartile)."""
    return float(np.exp(_side_quantiles(np.log(np.asarray(rounds, dtype=float)))))


def _paired_logs(a_rounds: Sequence[float], b_rounds: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    if len(a_rounds) != len(b_rounds) or len(a_rounds) == 0:
        raise ValueError(f"paired rounds needed: {len(a_rounds)} against {len(b_rounds)}")
    return np.log(np.asarray(a_rounds, dtype=float)), np.log(np.asarray(b_rounds, dtype=float))


def paired_ratio(a_rounds: Sequence[float], b_rounds: Sequence[float]) -> float:
    """paired_interval's ratio alone, without the resampling its interval takes."""
    a_logs, b_logs = _paired_logs(a_rounds, b_rounds)
    return float(np.exp(_side_quantiles(a_logs) - _side_quantiles(b_logs)))


def paired_interval(a_rounds: Sequence[float], b_rounds: Sequence[float], confidence: float = CONFIDENCE,
                    floor: float = BETWEEN_BUILDS) -> tuple[float, float | None, float | None]:
    """The ratio a / b of the two sides' lower quartiles over rounds paired by position (round k of a ran in the
    same shuffled round as round k of b), and its `confidence` interval from a bootstrap of whole rounds, at least
    `floor` wide either side of the ratio (BETWEEN_BUILDS; the stopping rule, which asks what more rounds would
    narrow, takes 0); (ratio, None, None) with fewer than MIN_ROUNDS rounds.

    Written here rather than with scipy.stats.bootstrap: the same resampling, but one call costs a millisecond
    instead of two and a half, and a run and its report take a few thousand."""
    a_logs, b_logs = _paired_logs(a_rounds, b_rounds)
    n = len(a_logs)
    estimate = float(np.exp(_side_quantiles(a_logs) - _side_quantiles(b_logs)))
    if n < MIN_ROUNDS:
        return estimate, None, None
    seed = np.frombuffer(hashlib.sha256(a_logs.tobytes() + b_logs.tobytes()).digest()[:8], dtype=np.uint64)[0]
    resampled = np.random.default_rng(int(seed)).integers(0, n, size=(RESAMPLES, n))
    logs = _side_quantiles(a_logs[resampled]) - _side_quantiles(b_logs[resampled])
    tail = (1 - confidence) / 2
    low, high = np.quantile(logs, (tail, 1 - tail))
    return (estimate, min(float(np.exp(low)), estimate / (1 + floor)),
            max(float(np.exp(high)), estimate * (1 + floor)))


def decide(low: float | None, high: float | None, margin: float = SAME_MARGIN) -> str:
    """The verdict on the interval of a / b: `same` when it lies within `margin` of 1 either way (a difference
    smaller than the margin is not called one, even a certain one: between two processes on a shared machine
    the same two builds differ by that much); else `faster` (a is) or `slower` when it clears 1; else `unsure`."""
    if low is None or high is None:
        return UNSURE
    if low >= 1.0 / (1.0 + margin) and high <= 1.0 + margin:
        return SAME
    if high < 1.0:
        return FASTER
    if low > 1.0:
        return SLOWER
    return UNSURE


def narrow_enough(low: float | None, high: float | None, margin: float = SAME_MARGIN) -> bool:
    """The stopping rule: the interval's width alone, never where it lies. An interval narrower than the margin
    is decided wherever it lies: it clears 1, or it holds 1 and then lies within the margin."""
    return low is not None and high is not None and high / low <= 1.0 + margin


def code_identity(built: Any) -> str | None:
    """A digest of the machine code `built` runs and what runs it: equal digests, identical code. None where the
    code cannot be read back, or where it reaches outside itself (calls elsewhere whose code is not compared)."""
    binary, entry = getattr(built, "binary", None), getattr(built, "entry", None)
    if isinstance(binary, (bytes, bytearray)) and isinstance(entry, str):
        code = _wasm_code(bytes(binary), entry)
        engine = f"{built.substrate}/{getattr(built, 'opt_level', '')}"
    else:
        found = built.entry_code()
        if found is None:
            return None
        from targets.x86.disasm import position_dependence

        if position_dependence(*found):
            return None
        code, engine = found[0], built.substrate
    if code is None:
        return None
    return hashlib.sha256(engine.encode() + b"\0" + code).hexdigest()


def identical_code(a: Any, b: Any) -> bool:
    """Whether two builds run the same machine code on the same substrate (the same native bytes of a
    self-contained entry; the same wasm functions and entry on the same engine and settings)."""
    first = code_identity(a)
    return first is not None and first == code_identity(b)


# Wasm sections that make up the code an engine compiles: types, imports, functions, tables, memories, globals,
# exports, start, elements, code, data, data count. Custom sections (names, producers) are left out.
_CODE_SECTIONS = frozenset(range(1, 13))


def _wasm_code(binary: bytes, entry: str) -> bytes | None:
    """The module without its custom sections, and the entry's name: what the engine turns into code."""
    from targets.wasm.module_reading import _leb_u32

    if binary[:4] != b"\0asm":
        return None
    kept, pos = [binary[:8]], 8
    try:
        while pos < len(binary):
            section = binary[pos]
            size, body = _leb_u32(binary, pos + 1)
            if section in _CODE_SECTIONS:
                kept.append(binary[pos:body + size])
            pos = body + size
    except IndexError:
        return None
    return b"".join(kept) + b"\0" + entry.encode()


# --- a block: the members of one comparison set, timed together ---------------------------------------------


@dataclass
class Block:
    """The rounds of a set of members timed together. `rounds[i]` maps a round id to member i's seconds; members
    that took part in a round share its id, and only they: pairs of rounds with the same id are paired."""

    size: int
    rounds: list[dict[int, float]] = field(default_factory=list)
    next_id: int = 0
    seconds: float = 0.0  # wall-clock time its rounds took, the interleaving's own work included

    def __post_init__(self) -> None:
        if not self.rounds:
            self.rounds = [{} for _ in range(self.size)]

    def run(self, members: Sequence[Member], which: Sequence[int], rounds: int, rng: random.Random) -> None:
        """`rounds` more interleaved rounds of the members at indices `which`."""
        started = time.perf_counter()
        times = time_interleaved([members[i] for i in which], rounds, rng)
        for index, seconds in zip(which, times):
            for k, value in enumerate(seconds):
                self.rounds[index][self.next_id + k] = value
        self.next_id += rounds
        self.seconds += time.perf_counter() - started

    def paired(self, a: int, b: int) -> tuple[list[float], list[float]]:
        return paired_rounds(self.rounds[a], self.rounds[b])


def paired_rounds(a: dict[int, float], b: dict[int, float]) -> tuple[list[float], list[float]]:
    """The seconds of the rounds both sides took part in, in round order."""
    shared = sorted(a.keys() & b.keys())
    return [a[k] for k in shared], [b[k] for k in shared]


def settle(block: Block, members: Sequence[Member], comparisons: Sequence[tuple[int, int]], rng: random.Random,
           chunk: int = CHUNK_ROUNDS, max_rounds: int = MAX_ROUNDS, max_seconds: float | None = None) -> None:
    """The stopping rule over a block: while some comparisons (pairs of member indices) have an interval wider
    than the margin, and their budget is not spent, the members of those comparisons take `chunk` more rounds,
    interleaved with each other. Whether a comparison needs more looks only at its interval's width.
    `max_seconds`: the block's budget for them (default: EXTRA_SHARE of the time its rounds took so far)."""
    if max_seconds is None:
        max_seconds = EXTRA_SHARE * block.seconds
    spent = 0.0
    while spent < max_seconds:
        wide = [(a, b) for a, b in comparisons
                if len(block.paired(a, b)[0]) + chunk <= max_rounds
                and not narrow_enough(*paired_interval(*block.paired(a, b), floor=0.0)[1:])]
        if not wide:
            return
        which = sorted({i for pair in wide for i in pair})
        started = time.perf_counter()
        block.run(members, which, chunk, rng)
        spent += time.perf_counter() - started


def percent(fraction: float) -> str:
    """A margin or allowance as the rules state it: 0.015 as "1.5%", 0.03 as "3%"."""
    return f"{fraction * 100:g}%"


def rules_text(margin: float = SAME_MARGIN, confidence: float = CONFIDENCE) -> list[str]:
    """The verdict rules in two lines, for a report's header."""
    return [
        f"Verdicts: each comparison is timed in shared rounds (every member once per round, in a shuffled order); "
        f"a/b is the ratio of the two sides' lower quartiles over those rounds, with a {confidence:.0%} interval "
        f"from resampling them, never narrower than ±{percent(BETWEEN_BUILDS)} (what separate builds of one code "
        f"differ by): `same` when it lies within ±{percent(margin)} of "
        "1 (a smaller difference is not called one), else `faster`/`slower` when it clears 1, `unsure` when it "
        "is still wider than that once its budget of rounds is spent.",
        "`identical code`: both sides run the same machine code (the same native bytes of a self-contained entry, "
        "or the same wasm module code on the same engine and settings), decided without timing.",
    ]


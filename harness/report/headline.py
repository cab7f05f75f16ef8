"""Comparisons with the compiler: every row against the fastest compiler build on its substrate, of the same
algorithm and of any algorithm, and the headline pairs, per kernel, substrate and n.

A compiler build is a compiler route's build of one of the kernel's own sources
(one per algorithm the kernel declares). "Code generation: same algorithm"
pits a variant against the compiler's build of the algorithm it implements, so
the ratio says who generated better code; "algorithm free" pits it against the
fastest compiler build of any algorithm, so the ratio says what a reader would
get by picking the faster program. The two are never merged into one number.

On an emulated substrate the time is the emulator's: the exact executed count
is compared instead, without an interval. A time comparison rests on the rounds
its two rows shared in their timed block (harness.measure.blocks, harness.measure.interleave):
the ratio and its interval come from those paired rounds, the fastest builds are
chosen by the lower quartile of the rounds every member of the block took (builds within
TIE_MARGIN of the fastest are tied, and the first by name is taken), and two rows
that were never timed in the same rounds get no verdict.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from harness.measure.interleave import (
    BETWEEN_BUILDS, FASTER, IDENTICAL, LEVEL, SAME_MARGIN, SLOWER, decide, paired_interval, paired_ratio,
    paired_rounds, percent, side_time,
)

# The level of the interval of two rows timed apart (a row against its own figure in an earlier run).
APART_CONFIDENCE = 0.95
HEADLINE_SIZES = (16, 128, 1024)
SAME_ALGORITHM = "code generation: same algorithm"
ALGORITHM_FREE = "algorithm free"
# Substrates whose times are compared; on the emulator the executed count is, and the pairs need no re-measuring.
# The host-tuned ones (this CPU's vector units, wasm SIMD) are compared among themselves, never with the baseline's.
TIMED_SUBSTRATES = ("native x86-64", "wasmtime", "V8 (node)", "native x86-64, this CPU", "wasmtime, SIMD128",
                    "V8 (node), SIMD128")


def headline_lengths(kernel_name: str) -> tuple[int, ...]:
    """The n a kernel's headline pairs are at: its workload's quick lengths, or its own N for a fixed-length
    kernel."""
    from kernels.kernel import UnknownName, get_kernel

    try:
        return get_kernel(kernel_name).interface.lengths(HEADLINE_SIZES, "quick")  # type: ignore[union-attr]
    except UnknownName:  # a saved run of a kernel this checkout no longer has
        return HEADLINE_SIZES


def ratio_with_ci(a: Sequence[float], b: Sequence[float]) -> tuple[float, float | None, float | None]:
    """a / b for two sets of rounds timed apart: the two-sample Hodges-Lehmann estimate of the log ratio (the
    median of every pairwise difference) and Moses' distribution-free interval around it (the Mann-Whitney
    critical count of those differences, by its normal approximation), as exp(); no interval with fewer than
    three rounds a side. Rows timed apart share no rounds, so no side's slow rounds can be told from the
    machine's drift between them: their centres are compared (interleaved rows: harness.measure.interleave)."""
    logs_a, logs_b = np.log(np.asarray(a, dtype=float)), np.log(np.asarray(b, dtype=float))
    differences = np.sort((logs_a[:, None] - logs_b[None, :]).ravel())
    ratio = float(np.exp(np.median(differences)))
    n, m = len(logs_a), len(logs_b)
    if n < 3 or m < 3:
        return ratio, None, None
    z = NormalDist().inv_cdf(0.5 + APART_CONFIDENCE / 2)
    c = int(np.floor(n * m / 2 - z * np.sqrt(n * m * (n + m + 1) / 12)))
    if c < 1:
        return ratio, None, None
    return ratio, float(np.exp(differences[c - 1])), float(np.exp(differences[n * m - c]))


# The verdict of two rows timed in different rounds: their ratio carries the machine's drift between them.
APART = "unsure (timed apart)"


def paired_sides(row: Any, other: Any) -> tuple[list[float], list[float]] | None:
    """The per-call seconds of the rounds two rows shared in their timed block, in round order; None when they
    shared none (different blocks, or a run saved before blocks)."""
    if not getattr(row, "block", "") or row.block != getattr(other, "block", ""):
        return None
    a, b = paired_rounds(dict(zip(row.round_ids, row.per_sort)), dict(zip(other.round_ids, other.per_sort)))
    return (a, b) if a else None


def base_cost(row: Any) -> float:
    """Seconds per call over the rounds every member of the row's block took, their lower quartile as each side
    of a comparison is timed (harness.measure.interleave.side_time): what picks the fastest build, the same
    whether or not a comparison later took more rounds."""
    base = [t for k, t in zip(getattr(row, "round_ids", []), row.per_sort) if k < getattr(row, "block_base", 0)]
    return side_time(base) if base else row.median


def same_code(row: Any, other: Any) -> bool:
    """Both rows run the same machine code on the same substrate (harness.measure.interleave.code_identity)."""
    code = getattr(row, "code_identity", None)
    return bool(code) and code == getattr(other, "code_identity", None) and row.substrate == other.substrate


def identical_code_spread(rows: Sequence[Any]) -> dict[str, Any]:
    """How far apart separate builds of identical machine code read when timed side by side in this run (two rows
    of one block with the same harness.measure.interleave.code_identity): the pairs, and the median and the upper
    quartile of |a/b - 1|. The evidence, on the machine at hand, for the allowance every interval makes
    (interleave.BETWEEN_BUILDS); empty without such pairs."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        if getattr(row, "code_identity", None) and getattr(row, "block", ""):
            groups.setdefault((row.block, row.code_identity), []).append(row)
    apart = []
    for members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                sides = paired_sides(a, b)
                if sides is not None:
                    apart.append(abs(float(np.log(paired_ratio(*sides)))))
    if not apart:
        return {}
    median, upper = np.quantile(apart, (0.5, 0.75))
    return {"pairs": len(apart), "median": float(np.expm1(median)), "upper_quartile": float(np.expm1(upper)),
            "allowed": BETWEEN_BUILDS}


def identical_code_note(spread: dict[str, Any]) -> str:
    """identical_code_spread in words, for the notes on the machine; "" without pairs."""
    if not spread:
        return ""
    note = (f"Separate builds of identical machine code, timed side by side ({spread['pairs']} pairs): half read "
            f"within {spread['median']:.1%} of each other, three quarters within {spread['upper_quartile']:.1%}; "
            f"every interval allows ±{percent(spread['allowed'])} for this.")
    if spread["median"] > spread["allowed"]:
        note += (" Half of them differ by more than that: on this machine the intervals are too narrow, and a rerun"
                 " will often read outside them.")
    return note


def time_comparison(row: Any, other: Any) -> tuple[float | None, tuple[float, float] | None, str]:
    """row / other in time: (ratio, interval, verdict) from the rounds they shared; `identical code` without
    looking at the time when both run the same machine code."""
    sides = paired_sides(row, other)
    if sides is None:
        ratio = _quotient(row.median, other.median)
        return ratio, None, IDENTICAL if same_code(row, other) else APART
    ratio, low, high = paired_interval(*sides)
    ci = (low, high) if low is not None and high is not None else None
    return ratio, ci, IDENTICAL if same_code(row, other) else decide(low, high)


def comparisons_to_settle(candidates: Sequence["Candidate"], codes: Sequence[str | None]) -> list[tuple[int, int]]:
    """The comparisons a block's rows are judged on, as index pairs: each row that is not a compiler build against
    the fastest compiler build of its algorithm and of any algorithm, and each supplied row against its
    neighbours in the ranking of supplied rows; leaving out those whose two sides run identical code."""
    pairs: set[tuple[int, int]] = set()
    for index, (same, fastest) in partners(candidates).items():
        if not candidates[index].compiler:
            pairs.update((index, j) for j in (same, fastest) if j is not None)
    supplied = sorted((i for i, c in enumerate(candidates) if c.origin == "supplied"), key=lambda i: _order(candidates[i]))
    pairs.update(zip(supplied, supplied[1:]))
    return sorted((a, b) for a, b in pairs if a != b and not (codes[a] and codes[a] == codes[b]))


def partners(candidates: Sequence["Candidate"]) -> dict[int, tuple[int | None, int | None]]:
    """Per candidate (by index): the compiler build of its algorithm it is compared with, and the fastest of any
    algorithm. The first is the fastest of its algorithm, or, for a row that runs the same machine code as one of
    them, that build: who generated better code is then answered without timing, whichever of two builds within
    the noise of each other came out fastest."""
    compilers = [i for i, c in enumerate(candidates) if c.compiler]

    def fastest(indices: Iterable[int]) -> int | None:
        chosen = _best(candidates[i] for i in indices)
        return None if chosen is None else next(i for i, c in enumerate(candidates) if c is chosen)

    out = {}
    for i, c in enumerate(candidates):
        same = [j for j in compilers if candidates[j].algorithm == c.algorithm]
        twin = fastest(j for j in same if c.code and candidates[j].code == c.code and j != i)
        out[i] = (twin if twin is not None and not c.compiler else fastest(same), fastest(compilers))
    return out


def count_verdict(ratio: float | None) -> str:
    if ratio is None:
        return "unsure"
    return "fewer instructions" if ratio < 1 else "more instructions" if ratio > 1 else "same count"


# --- choosing the pairs: shared by the report and by the test that re-measures them ----------------------------


@dataclass(frozen=True)
class Candidate:
    """One timed (variant, route) at one kernel, substrate and n, as the pair choice sees it."""

    label: str  # variant@route
    origin: str
    algorithm: str
    compiler: bool  # a compiler route's build of one of the kernel's own sources
    cost: float | None  # median seconds per call, or the executed count; None: not measured (untimed session)
    code: str | None = None  # harness.measure.interleave.code_identity of the code, where known
    exact: bool = False  # the cost is an exact count (the emulator's), not a time


@dataclass(frozen=True)
class Pair:
    comparison: str  # SAME_ALGORITHM or ALGORITHM_FREE
    algorithm: str  # the shared algorithm; "" for ALGORITHM_FREE
    ai: Candidate
    compiler: Candidate

    @property
    def name(self) -> str:
        return f"{self.comparison} ({self.algorithm})" if self.algorithm else self.comparison


def _order(c: Candidate) -> tuple[bool, float, str]:
    # Unmeasured candidates last, ties by name: the choice is the same on every run with the same medians.
    return (c.cost is None, c.cost or 0.0, c.label)


# Timed candidates whose medians lie within this factor of the fastest one's are tied: of them the first by name is
# chosen, so two builds within the noise of each other (often the same loop from two compilers) do not take turns
# being "the fastest" from run to run, and a row is compared with the same build on every run.
TIE_MARGIN = SAME_MARGIN


def _best(candidates: Iterable[Candidate]) -> Candidate | None:
    """The fastest candidate; among timed ones within TIE_MARGIN of it, the first by name."""
    pool = list(candidates)
    measured = [c for c in pool if c.cost is not None]
    if not measured:
        return min(pool, key=_order, default=None)
    lowest = min(c.cost for c in measured)  # type: ignore[type-var]
    tied = [c for c in measured if c.cost <= lowest * (1.0 if c.exact else 1.0 + TIE_MARGIN)]  # type: ignore[operator]
    return min(tied, key=lambda c: c.label)


def choose_pairs(candidates: Sequence[Candidate]) -> list[Pair]:
    """The best AI-written candidate against the best compiler build: for each algorithm both exist in
    (same algorithm), then over all algorithms (algorithm free)."""
    pairs = []
    ai = [c for c in candidates if c.origin == "ai" and not c.compiler]
    compilers = [c for c in candidates if c.compiler]
    for algorithm in sorted({c.algorithm for c in ai} & {c.algorithm for c in compilers}):
        best_ai = _best(c for c in ai if c.algorithm == algorithm)
        best_compiler = _best(c for c in compilers if c.algorithm == algorithm)
        assert best_ai is not None and best_compiler is not None
        pairs.append(Pair(SAME_ALGORITHM, algorithm, best_ai, best_compiler))
    best_ai, best_compiler = _best(ai), _best(compilers)
    if best_ai is not None and best_compiler is not None:
        pairs.append(Pair(ALGORITHM_FREE, "", best_ai, best_compiler))
    return pairs


# --- every row against the compiler -----------------------------------------------------------------------------


def counted_route(route: str) -> str:
    """The route that counts what `route` executes: the same bytes in Unicorn, or the same module in wasmtime."""
    if route.endswith("-v8"):
        return "wasmtime" if route == "wasm-v8" else route[: -len("-v8")]
    if route == "x86-native":
        return "x86-unicorn"
    return f"{route}-unicorn"


def executed_total(row: Any, rows: Sequence[Any]) -> int | None:
    counts = row.executed or next(
        (r.executed for r in rows if (r.variant, r.route, r.n, r.shape) == (row.variant, counted_route(row.route), row.n, row.shape)),
        {},
    )
    return sum(counts.values()) if counts else None


def _quotient(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _cost(row: Any, rows: Sequence[Any]) -> float | None:
    if row.timing != "emulated":
        return base_cost(row)
    total = executed_total(row, rows)
    return None if total is None else float(total)


def candidate(row: Any, rows: Sequence[Any]) -> Candidate:
    return Candidate(row.label, row.origin, row.algorithm, row.compiler_source, _cost(row, rows),
                     getattr(row, "code_identity", None), exact=row.timing == "emulated")


def _compare(row: Any, other: Any, rows: Sequence[Any]) -> tuple[float | None, tuple[float, float] | None, str]:
    """`row` against the compiler build `other`: (ratio, interval, verdict); the verdict only for rows that are
    not compiler builds themselves."""
    if row.timing == "emulated":
        ratio = _quotient(executed_total(row, rows), executed_total(other, rows))
        verdict = IDENTICAL if same_code(row, other) else count_verdict(ratio)
        return ratio, None, "" if row.compiler_source else verdict
    ratio, ci, verdict = time_comparison(row, other)
    return ratio, ci, "" if row.compiler_source else verdict


def compare_rows(rows: Sequence[Any]) -> None:
    """Set each row's comparisons: with the fastest compiler build of its algorithm on its substrate at the same
    kernel, n and shape (`ratio`, `ratio_ci`, `verdict`, `compared_with`) and with the fastest of any algorithm
    (`free_ratio`, `free_ci`, `free_verdict`, `free_compared_with`)."""
    groups: dict[tuple[str, int, str, str], list[Any]] = {}
    for row in rows:
        groups.setdefault((row.kernel, row.n, row.shape, row.substrate), []).append(row)
    for group in groups.values():
        for row, (same, fastest) in zip(group, partners([candidate(r, rows) for r in group]).values()):
            if fastest is None:
                continue
            if same is not None:
                row.ratio, row.ratio_ci, row.verdict = _compare(row, group[same], rows)
                row.compared_with = group[same].label
            if same == fastest:
                row.free_ratio, row.free_ci, row.free_verdict = row.ratio, row.ratio_ci, row.verdict
            else:
                row.free_ratio, row.free_ci, row.free_verdict = _compare(row, group[fastest], rows)
            row.free_compared_with = group[fastest].label


# --- the headline ---------------------------------------------------------------------------------------------


@dataclass
class Headline:
    """One pair on one substrate at one n: the best AI-written variant against the best compiler build."""

    kernel: str
    substrate: str
    n: int
    comparison: str  # SAME_ALGORITHM or ALGORITHM_FREE
    algorithm: str  # the shared algorithm ("" when algorithm free)
    ai: str
    compiler: str
    time_ratio: float | None
    time_ci: tuple[float, float] | None
    verdict: str
    interleaved: bool  # the time ratio comes from rounds the two sides shared in their timed block
    executed_ratio: float | None
    code_ratio: float | None
    lines_ratio: float | None
    ai_algorithm: str = ""
    compiler_algorithm: str = ""
    ai_keeps_state: bool = False
    # Why (harness.report.explain): the executed work set against the time, e.g. "fewer instructions".
    reading: str = ""
    explanation: str = ""


def headline_rows(rows: Sequence[Any], shape: str = "random") -> list[Headline]:
    """Per kernel, substrate and n: the same-algorithm pair of each algorithm, then the algorithm-free pair."""
    out = []
    for kernel in sorted({r.kernel for r in rows}):
        for substrate in sorted({r.substrate for r in rows if r.substrate and r.kernel == kernel}):
            for n in headline_lengths(kernel):
                here = [r for r in rows if (r.kernel, r.substrate, r.n, r.shape) == (kernel, substrate, n, shape)]
                by_label = {r.label: r for r in here}
                for pair in choose_pairs([candidate(r, rows) for r in here]):
                    ai, compiler = by_label[pair.ai.label], by_label[pair.compiler.label]
                    out.append(_headline(kernel, substrate, n, pair, ai, compiler, rows))
    return out


def headline_verdict(verdict: str) -> str:
    """A headline pair's verdict from the row's (AI / compiler): who is faster, in words that say it."""
    return {FASTER: "AI faster", SLOWER: "compiler faster"}.get(verdict, verdict)


def _headline(kernel: str, substrate: str, n: int, pair: Pair, ai: Any, compiler: Any, rows: Sequence[Any]) -> Headline:
    executed_ratio = _quotient(executed_total(ai, rows), executed_total(compiler, rows))
    time_ratio, ci, shared = None, None, False
    if ai.timing == "emulated":  # the emulator's time is not the code's: the exact count decides
        verdict = IDENTICAL if same_code(ai, compiler) else count_verdict(executed_ratio)
    else:
        time_ratio, ci, verdict = time_comparison(ai, compiler)
        verdict, shared = headline_verdict(verdict), paired_sides(ai, compiler) is not None
    return Headline(
        kernel=kernel, substrate=substrate, n=n, comparison=pair.comparison, algorithm=pair.algorithm, ai=ai.label,
        compiler=compiler.label, time_ratio=time_ratio, time_ci=ci, verdict=verdict, interleaved=shared,
        executed_ratio=executed_ratio, code_ratio=_quotient(ai.code_bytes, compiler.code_bytes),
        lines_ratio=_quotient(ai.lines.get("effective"), compiler.lines.get("effective")),
        ai_algorithm=ai.algorithm, compiler_algorithm=compiler.algorithm, ai_keeps_state=bool(getattr(ai, "keeps_state", False)),
    )


# One table per comparison, so no reader takes one for the other.
HEADLINE_TITLES = {
    SAME_ALGORITHM: f"{SAME_ALGORITHM[0].upper()}{SAME_ALGORITHM[1:]}: each algorithm's best AI-written variant against "
                    "the compiler's best build of that same algorithm (who generated better code)",
    ALGORITHM_FREE: f"{ALGORITHM_FREE[0].upper()}{ALGORITHM_FREE[1:]}: the best AI-written variant against the "
                    "compiler's best build of any algorithm (which program to use)",
}
HEADLINE_COLUMNS = ("substrate", "n", "algorithm", "best AI-written", "best compiler build", f"time ratio [{LEVEL} CI]",
                    "timed", "verdict", "executed ratio", "code ratio", "lines ratio", "why")


def headline_cells(h: Headline) -> list[str]:
    def ratio(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}"

    time = "emulator: not compared" if h.time_ratio is None and h.verdict != "unsure" else ratio(h.time_ratio)
    if h.time_ci:
        time += f" [{h.time_ci[0]:.2f}-{h.time_ci[1]:.2f}]"
    timed = "" if h.time_ratio is None else "interleaved" if h.interleaved else "apart"
    ai = h.ai + (" (keeps state between calls)" if h.ai_keeps_state else "")
    algorithm = h.algorithm or (h.ai_algorithm if h.ai_algorithm == h.compiler_algorithm
                                else f"AI: {h.ai_algorithm}; compiler: {h.compiler_algorithm}")
    return [h.substrate, str(h.n), algorithm, ai, h.compiler, time, timed, h.verdict, ratio(h.executed_ratio),
            ratio(h.code_ratio), ratio(h.lines_ratio), h.explanation]

"""Comparisons with the compiler: every row against the fastest compiler build on its substrate, of the same
algorithm and of any algorithm, and the headline pairs, per kernel, substrate and n.

A compiler build is a compiler route's build of one of the kernel's own sources
(one per algorithm the kernel declares). "Code generation: same algorithm"
pits a variant against the compiler's build of the algorithm it implements, so
the ratio says who generated better code; "algorithm free" pits it against the
fastest compiler build of any algorithm, so the ratio says what a reader would
get by picking the faster program. The two are never merged into one number.

On an emulated substrate the time is the emulator's: the exact executed count
is compared instead, without an interval. A time ratio's 95% interval is a
bootstrap over the rounds of both sides (fixed seed: the same run always gives
the same report); a headline pair re-measured with its two sides interleaved
(tests/test_bench.py, test_headline_pair) is judged on that measurement.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

CONFIDENCE = 0.95
RESAMPLES = 2000
HEADLINE_SIZES = (16, 128, 1024)
SAME_ALGORITHM = "code generation: same algorithm"
ALGORITHM_FREE = "algorithm free"
# Substrates whose times are compared; on the emulator the executed count is, and the pairs need no re-measuring.
# The host-tuned ones (this CPU's vector units, wasm SIMD) are compared among themselves, never with the baseline's.
TIMED_SUBSTRATES = ("native x86-64", "wasmtime", "V8 (node)", "native x86-64, this CPU", "wasmtime, SIMD128",
                    "V8 (node), SIMD128")


def headline_lengths(kernel_name: str) -> tuple[int, ...]:
    """The n a kernel's headline pairs are at: HEADLINE_SIZES, or its own N for a fixed-length kernel."""
    from harness.kernel import UnknownName, get_kernel

    try:
        return get_kernel(kernel_name).interface.lengths(HEADLINE_SIZES)  # type: ignore[union-attr]
    except UnknownName:  # a saved run of a kernel this checkout no longer has
        return HEADLINE_SIZES


def ratio_with_ci(a: Sequence[float], b: Sequence[float]) -> tuple[float, float | None, float | None]:
    """median(a) / median(b), and a bootstrap confidence interval when both sides have rounds to resample."""
    from scipy.stats import bootstrap

    ratio = float(np.median(a) / np.median(b))
    if len(a) < 3 or len(b) < 3:
        return ratio, None, None

    def statistic(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.median(x, axis=axis) / np.median(y, axis=axis)

    result = bootstrap(
        (np.asarray(a), np.asarray(b)), statistic, paired=False, vectorized=True, n_resamples=RESAMPLES,
        confidence_level=CONFIDENCE, method="percentile", rng=np.random.default_rng(0),
    )
    return ratio, float(result.confidence_interval.low), float(result.confidence_interval.high)


def verdict_from_ci(low: float | None, high: float | None) -> str:
    """`faster` or `slower` only when the whole interval clears 1."""
    if low is None or high is None:
        return "unsure"
    if high < 1.0:
        return "faster"
    if low > 1.0:
        return "slower"
    return "unsure"


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


@dataclass(frozen=True)
class Pair:
    comparison: str  # SAME_ALGORITHM or ALGORITHM_FREE
    algorithm: str  # the shared algorithm; "" for ALGORITHM_FREE
    ai: Candidate
    compiler: Candidate

    @property
    def name(self) -> str:
        return f"{self.comparison} ({self.algorithm})" if self.algorithm else self.comparison


def _best(candidates: Iterable[Candidate]) -> Candidate | None:
    # Unmeasured candidates last, ties by name: the choice is the same on every run with the same medians.
    return min(candidates, key=lambda c: (c.cost is None, c.cost or 0.0, c.label), default=None)


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
        return row.median
    total = executed_total(row, rows)
    return None if total is None else float(total)


def candidate(row: Any, rows: Sequence[Any]) -> Candidate:
    return Candidate(row.label, row.origin, row.algorithm, row.compiler_source, _cost(row, rows))


def _compare(row: Any, other: Any, rows: Sequence[Any]) -> tuple[float | None, tuple[float, float] | None, str]:
    """`row` against the compiler build `other`: (ratio, interval, verdict); the verdict only for rows that are
    not compiler builds themselves."""
    if row.timing == "emulated":
        ratio = _quotient(executed_total(row, rows), executed_total(other, rows))
        return ratio, None, "" if row.compiler_source else count_verdict(ratio)
    ratio, low, high = ratio_with_ci(row.per_sort or [row.median], other.per_sort or [other.median])
    ci = (low, high) if low is not None and high is not None else None
    return ratio, ci, "" if row.compiler_source else verdict_from_ci(low, high)


def compare_rows(rows: Sequence[Any]) -> None:
    """Set each row's comparisons: with the fastest compiler build of its algorithm on its substrate at the same
    kernel, n and shape (`ratio`, `ratio_ci`, `verdict`, `compared_with`) and with the fastest of any algorithm
    (`free_ratio`, `free_ci`, `free_verdict`, `free_compared_with`)."""
    groups: dict[tuple[str, int, str, str], list[Any]] = {}
    for row in rows:
        groups.setdefault((row.kernel, row.n, row.shape, row.substrate), []).append(row)
    for group in groups.values():
        by_label = {r.label: r for r in group}
        compilers = [candidate(r, rows) for r in group if r.compiler_source]
        fastest_any = _best(compilers)
        if fastest_any is None:
            continue
        for row in group:
            fastest_same = _best(c for c in compilers if c.algorithm == row.algorithm)
            if fastest_same is not None:
                row.ratio, row.ratio_ci, row.verdict = _compare(row, by_label[fastest_same.label], rows)
                row.compared_with = fastest_same.label
            if fastest_same == fastest_any and fastest_same is not None:
                row.free_ratio, row.free_ci, row.free_verdict = row.ratio, row.ratio_ci, row.verdict
            else:
                row.free_ratio, row.free_ci, row.free_verdict = _compare(row, by_label[fastest_any.label], rows)
            row.free_compared_with = fastest_any.label


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
    interleaved: bool  # the time ratio comes from a re-measurement with both sides' rounds interleaved
    executed_ratio: float | None
    code_ratio: float | None
    lines_ratio: float | None
    ai_algorithm: str = ""
    compiler_algorithm: str = ""
    ai_keeps_state: bool = False


def interleaved_pairs(run: dict[str, Any]) -> dict[tuple[str, str, int, str, str], tuple[list[float], list[float]]]:
    """The headline pairs test_headline_pair re-measured: (kernel, substrate, n, ai, compiler) -> per-call
    seconds of each side, from rounds that alternated between the two."""
    out = {}
    for bench in run.get("benchmarks", []):
        info = bench.get("extra_info", {})
        pair = info.get("headline_pair")
        if not pair or "partner_per_sort" not in info:
            continue
        repeat = int(info.get("repeat", 1))
        ours = [t / repeat for t in bench["stats"].get("data", [])] or [bench["stats"]["median"] / repeat]
        out[(pair["kernel"], pair["substrate"], int(pair["n"]), pair["ai"], pair["compiler"])] = (ours, info["partner_per_sort"])
    return out


def headline_rows(rows: Sequence[Any], interleaved: dict[tuple[str, str, int, str, str], tuple[list[float], list[float]]]
                  | None = None, shape: str = "random") -> list[Headline]:
    """Per kernel, substrate and n: the same-algorithm pair of each algorithm, then the algorithm-free pair."""
    interleaved = interleaved or {}
    out = []
    for kernel in sorted({r.kernel for r in rows}):
        for substrate in sorted({r.substrate for r in rows if r.substrate and r.kernel == kernel}):
            for n in headline_lengths(kernel):
                here = [r for r in rows if (r.kernel, r.substrate, r.n, r.shape) == (kernel, substrate, n, shape)]
                by_label = {r.label: r for r in here}
                for pair in choose_pairs([candidate(r, rows) for r in here]):
                    ai, compiler = by_label[pair.ai.label], by_label[pair.compiler.label]
                    out.append(_headline(kernel, substrate, n, pair, ai, compiler, rows,
                                         interleaved.get((kernel, substrate, n, ai.label, compiler.label))))
    return out


def headline_verdict(low: float | None, high: float | None) -> str:
    """A headline pair's verdict from the interval of AI / compiler: who is faster, where the interval clears 1."""
    return {"faster": "AI faster", "slower": "compiler faster"}.get(verdict_from_ci(low, high), "unsure")


def _headline(kernel: str, substrate: str, n: int, pair: Pair, ai: Any, compiler: Any, rows: Sequence[Any],
              interleaved: tuple[list[float], list[float]] | None) -> Headline:
    executed_ratio = _quotient(executed_total(ai, rows), executed_total(compiler, rows))
    time_ratio, ci = None, None
    if ai.timing == "emulated":  # the emulator's time is not the code's: the exact count decides
        verdict = count_verdict(executed_ratio)
    else:
        sides = interleaved or (ai.per_sort or [ai.median], compiler.per_sort or [compiler.median])
        time_ratio, low, high = ratio_with_ci(*sides)
        ci = (low, high) if low is not None and high is not None else None
        verdict = headline_verdict(low, high)
    return Headline(
        kernel=kernel, substrate=substrate, n=n, comparison=pair.comparison, algorithm=pair.algorithm, ai=ai.label,
        compiler=compiler.label, time_ratio=time_ratio, time_ci=ci, verdict=verdict, interleaved=interleaved is not None,
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
HEADLINE_COLUMNS = ("substrate", "n", "algorithm", "best AI-written", "best compiler build", "time ratio [95% CI]",
                    "timed", "verdict", "executed ratio", "code ratio", "lines ratio")


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
            ratio(h.code_ratio), ratio(h.lines_ratio)]

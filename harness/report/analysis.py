"""The analysis of a saved benchmark run: rows, ratios to the compiler builds, headline pairs, goals.

Input is the JSON pytest-benchmark saved (with `--benchmark-save-data`, so each
round's time is there), plus the `arena` block our conftest adds. Times per
sort are a round's time divided by the round's repeat count. harness.report.writer
renders what this module computes.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.report.headline import Headline, compare_rows, headline_rows, identical_code_note, identical_code_spread
from harness.measure.interleave import LEVEL, paired_interval

# A row whose time on one input repeated is this far below its time on fresh inputs answers from memory. An
# honest sort runs a repeated input somewhat faster too (caches, and branch predictors that learn part of it),
# and on a loaded machine the probe's few rounds scatter: the line sits well below that, far above replaying.
KEEPS_STATE_BELOW = 0.3


def run_metadata(failures: list[dict[str, Any]], full: bool) -> dict[str, Any]:
    from targets import all_routes

    return {
        "profile": "full" if full else "quick",
        "failures": failures,
        "versions": {name: route.versions() for name, route in all_routes().items()},
        "compiler_flags": {name: flags for name, route in all_routes().items() if (flags := received_flags(route))},
    }


def received_flags(route: Any) -> list[str]:
    """What the route's compiler proper received; a compiler that cannot be asked is said so, not fatal."""
    from targets.base import ArenaError

    try:
        return route.received_flags()
    except (ArenaError, OSError) as exc:
        return [f"unknown: {exc}"]


@dataclass
class Row:
    kernel: str
    variant: str
    route: str
    origin: str
    timing: str
    n: int
    shape: str
    repeat: int
    median: float  # seconds per call
    iqr: float
    rounds: int
    per_sort: list[float] = field(repr=False, default_factory=list)
    executed: dict[str, int] = field(default_factory=dict)
    code_bytes: int | None = None
    # Static instructions of the entry function without its final ret (x86-64 code only).
    program_length: int | None = None
    vector_width: str | None = None  # what the code's widest vectors are (targets.vector_width); None: scalar
    lines: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    # The timed block the row's rounds belong to (harness.measure.blocks), each round's id in it (aligned with per_sort),
    # and how many of its first rounds every member took: rows of one block are compared round by round.
    block: str = ""
    round_ids: list[int] = field(repr=False, default_factory=list)
    block_base: int = 0
    code_identity: str | None = None  # harness.measure.interleave.code_identity of the code timed
    # To the fastest compiler build of the same algorithm on the same substrate, kernel, n and shape (on the
    # emulator: the executed count's ratio); the verdict (harness.measure.interleave's words) for rows not compiler-built.
    ratio: float | None = None
    ratio_ci: tuple[float, float] | None = None
    verdict: str = ""
    listing: str | None = None  # file name under the report's asm/ folder
    substrate: str = ""
    algorithm: str = ""
    compiler_source: bool = False  # a compiler route's build of one of the kernel's own sources
    compared_with: str = ""
    # The same against the fastest compiler build of any algorithm.
    free_ratio: float | None = None
    free_ci: tuple[float, float] | None = None
    free_verdict: str = ""
    free_compared_with: str = ""
    # The native runner's placement sweep: policy, reason, offsets, per_offset_median (seconds per round).
    placement: dict[str, Any] = field(default_factory=dict)
    repeated_ratio: float | None = None  # median on one input repeated / median on fresh inputs
    busy: bool = False  # timed while the machine was busy (harness.measure.machine)
    unstable: str | None = None  # pyperf-style warning with its figures
    unsafe_native: str = ""  # why no system-call filter contained this native variant (--unsafe-native)

    @property
    def id(self) -> str:
        """The benchmark's id, as harness.measure.bench.BenchCase names it."""
        return f"{self.kernel}/{self.variant}/{self.route}/n={self.n}/{self.shape}"

    @property
    def placement_spread(self) -> float | None:
        """Slowest over fastest of the per-placement medians."""
        medians = [float(m) for m in (self.placement.get("per_offset_median") or {}).values()]
        return max(medians) / min(medians) if len(medians) > 1 and min(medians) > 0 else None

    @property
    def keeps_state(self) -> bool:
        return self.repeated_ratio is not None and self.repeated_ratio < KEEPS_STATE_BELOW

    @property
    def label(self) -> str:
        return f"{self.variant}@{self.route}"


@dataclass
class Ratio:
    name: str
    ratio: float
    low: float | None
    high: float | None
    note: str = ""

    def text(self) -> str:
        ci = f" ({LEVEL} CI {self.low:.3f}-{self.high:.3f})" if self.low is not None else ""
        return f"{self.name}: {self.ratio:.3f}{ci}{' ' + self.note if self.note else ''}"


@dataclass
class Analysis:
    run_name: str
    datetime: str
    profile: str
    rows: list[Row]
    failures: list[dict[str, Any]]
    key_ratios: list[Ratio]
    overhead: list[Row]
    versions: dict[str, dict[str, str]]
    machine: dict[str, Any]
    listings: str | None = None
    listing_problems: list[str] = field(default_factory=list)
    headline: list[Headline] = field(default_factory=list)
    compiler_flags: dict[str, list[str]] = field(default_factory=dict)
    machine_notes: list[str] = field(default_factory=list)  # the machine's state while timing, in plain words
    # `slower` or `faster` when the machine as a whole ran so against its previous run (harness.report.earlier_run).
    pace_changed: str = ""
    # The user's own files: checks, adaptations, comparisons and ranking (harness.report.supplied); empty without them.
    supplied: dict[str, Any] = field(default_factory=dict)
    explanation_note: str = ""  # why the explanations lack llvm-mca's cycles, when they do
    # How far apart separate builds of identical code read in this run (harness.report.headline.identical_code_spread).
    identical_code_spread: dict[str, Any] = field(default_factory=dict)


def rows_from_run(run: dict[str, Any]) -> list[Row]:
    rows = []
    for bench in run.get("benchmarks", []):
        info, stats = bench.get("extra_info", {}), bench["stats"]
        if "partner_per_sort" in info or "route" not in info:
            continue
        repeat = int(info.get("repeat", 1))
        data = [t / repeat for t in stats.get("data", [])]
        round_ids = [int(k) for k in info.get("round_ids", [])]
        block = info.get("block", "") if len(round_ids) == len(data) else ""  # ids must name each saved round
        algorithm, compiler = _algorithm_of(info)
        rows.append(Row(
            kernel=info["kernel"], variant=info["variant"], route=info["route"], origin=info.get("origin", "unknown"),
            timing=info.get("timing", "native"), n=int(info["n"]), shape=info["shape"], repeat=repeat,
            median=stats["median"] / repeat, iqr=stats["iqr"] / repeat, rounds=int(stats["rounds"]), per_sort=data,
            executed=info.get("executed") or {}, code_bytes=info.get("code_bytes"),
            program_length=info.get("program_length"), lines=info.get("lines") or {},
            vector_width=info.get("vector_width"),
            phases=info.get("phases") or {}, listing=info.get("listing"), substrate=info.get("substrate") or _substrate_of(info),
            algorithm=algorithm, compiler_source=compiler, placement=info.get("placement") or {},
            repeated_ratio=_repeated_ratio(info.get("repeated_input"), stats["median"]),
            unsafe_native=info.get("unsafe_native", ""), block=block, round_ids=round_ids if block else [],
            block_base=int(info.get("block_base", 0)), code_identity=info.get("code_identity"),
        ))
    return rows


def _algorithm_of(info: dict[str, Any]) -> tuple[str, bool]:
    """(algorithm, compiler-built) as the run recorded them; for runs saved before they did, what the kernel
    declares today (its compiler sources by name, anything else its baseline)."""
    if "algorithm" in info:
        return info["algorithm"], bool(info.get("compiler_source"))
    from kernels.kernel import UnknownName, get_kernel

    try:
        kernel = get_kernel(info["kernel"])
    except UnknownName:
        return "", info["variant"] == info["kernel"]
    own = kernel.compiler_sources
    return own.get(info["variant"], kernel.algorithm), info["variant"] in own


def _repeated_ratio(repeated: dict[str, Any] | None, fresh_median_per_round: float) -> float | None:
    if not repeated:
        return None
    if repeated.get("ratio") is not None:
        return float(repeated["ratio"])
    if repeated.get("median_per_round") and fresh_median_per_round:
        return float(repeated["median_per_round"]) / fresh_median_per_round
    return None


def _substrate_of(info: dict[str, Any]) -> str:
    """For runs saved before benchmarks recorded their substrate."""
    from targets.base import SUBSTRATES

    return "V8 (node)" if "v8" in info["route"] else SUBSTRATES.get(info.get("timing", "native"), "")


def is_compiler_built(row: Row) -> bool:
    """A compiler route's build of one of the kernel's own sources (any algorithm): the compiler's side of every
    comparison. Which algorithm it is decides which rows it is compared with (harness.report.headline)."""
    return row.compiler_source


def analyse(run: dict[str, Any], run_name: str) -> Analysis:
    rows = rows_from_run(run)
    sorts = [r for r in rows if r.kernel != "noop"]
    compare_rows(sorts)
    key_ratios = interleaved_ratios(run)
    headline = headline_rows(sorts)
    meta = run.get("arena", {})
    from harness.measure.machine import judge_rows

    machine_notes = judge_rows(sorts, headline, meta.get("machine"))
    spread = identical_code_spread(sorts)
    if spread:
        machine_notes.append(identical_code_note(spread))
    analysis = Analysis(
        run_name=run_name, datetime=run.get("datetime", ""), profile=meta.get("profile", "?"), rows=sorts,
        failures=meta.get("failures", []), key_ratios=key_ratios,
        overhead=[r for r in rows if r.kernel == "noop"], versions=meta.get("versions", {}),
        machine=run.get("machine_info", {}), listings=meta.get("listings"),
        listing_problems=meta.get("listing_problems", []), headline=headline,
        compiler_flags=meta.get("compiler_flags", {}), machine_notes=machine_notes, identical_code_spread=spread,
    )
    from harness.report import supplied

    supplied.attach(analysis, run)
    from harness.report import explain

    analysis.explanation_note = explain.attach(analysis)
    return analysis


# The goal each key ratio is held to, by the start of its name: (lowest, highest) acceptable, None for no bound.
GOALS: dict[str, tuple[float | None, float | None]] = {
    "harness fidelity": (0.95, 1.05),
    "llvm-O3 / clang": (None, 1.15),
    "llvm-O0 / llvm-O3": (2.0, None),
}


def goal_of(name: str) -> tuple[float | None, float | None] | None:
    return next((goal for prefix, goal in GOALS.items() if name.startswith(prefix)), None)


def goal_text(goal: tuple[float | None, float | None]) -> str:
    low, high = goal
    if low is not None and high is not None:
        return f"(target: within {low:.2f}-{high:.2f})"
    return f"(target: <= {high:g})" if high is not None else f"(target: >= {low:g})"


def key_ratio(name: str, rounds: Sequence[float], repeat: int, partner_per_sort: Sequence[float]) -> Ratio:
    """One interleaved ratio: the suite's time per call (rounds of `repeat` calls) over its partner's, round by
    round. The partner ran a round before each of the suite's, warm-up rounds included: its last rounds pair with
    the suite's timed ones."""
    count = min(len(rounds), len(partner_per_sort))
    if count == 0:
        return Ratio(name, float("nan"), None, None, "no rounds")
    ratio, low, high = paired_interval([t / repeat for t in rounds[len(rounds) - count:]],
                                       list(partner_per_sort[len(partner_per_sort) - count:]))
    goal = goal_of(name)
    return Ratio(name, ratio, low, high, goal_text(goal) if goal else "")


def missed_goal(ratio: Ratio) -> str | None:
    """Why `ratio` misses its goal beyond doubt (its whole interval outside it); None if met or in doubt.

    Without an interval (fewer than three rounds a side) the ratio itself is held to the goal.
    """
    goal = goal_of(ratio.name)
    if goal is None:
        return None
    low = ratio.low if ratio.low is not None else ratio.ratio
    high = ratio.high if ratio.high is not None else ratio.ratio
    if goal[0] is not None and high < goal[0]:
        return f"{ratio.text()}: below its goal"
    if goal[1] is not None and low > goal[1]:
        return f"{ratio.text()}: above its goal"
    return None


def interleaved_ratios(run: dict[str, Any]) -> list[Ratio]:
    """The ratios measured with both sides' rounds interleaved in one benchmark (harness.measure.key_ratios)."""
    ratios = []
    for bench in run.get("benchmarks", []):
        info = bench.get("extra_info", {})
        if "partner_per_sort" not in info or "headline_pair" in info or "supplied_pair" in info:
            continue
        rounds = bench["stats"].get("data", []) or [bench["stats"]["median"]]
        ratio = key_ratio(info["ratio_name"], rounds, info["repeat"], info["partner_per_sort"])
        if "partner_entry_offset_mod_64" in info:
            ratio.note += (f" (kernel placement mod 64: suite {info['entry_offset_mod_64']}, "
                           f"program {info['partner_entry_offset_mod_64']})")
        ratios.append(ratio)
    return ratios


def analysis_json(analysis: Analysis) -> dict[str, Any]:
    data = asdict(analysis)
    for row, original in zip(data["rows"] + data["overhead"], analysis.rows + analysis.overhead):
        row["per_sort"] = [float(t) for t in row["per_sort"]]
        row.update(placement_spread=original.placement_spread, keeps_state=original.keeps_state)
    from harness.report import alphadev

    if entries := alphadev.comparison(analysis.rows):
        data["alphadev"] = entries  # its own key: the page renders keys it does not know as they are
    return data

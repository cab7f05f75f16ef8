"""The ratios the report leads with, each measured with its two sides' rounds interleaved (A, B, A, B, ...).

On a shared machine, drift between two separate benchmarks can exceed the difference being measured; rounds that
alternate share their time windows. Both sides are the kernel's baseline compiler source: the key ratios compare
routes (and the suite against a standalone program), never algorithms. harness.report.analysis.key_ratio turns a
saved measurement into the ratio and its interval, and holds it to its goal.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.measure.bench import WARMUP_ROUNDS, BenchCase, Workbench, one_core, repeat_for
from harness.measure.fidelity import Partner, Standalone
from harness.variants import discover
from kernels.kernel import get_kernel
from targets import get_route
from targets.fresh import SEED, LoopOutcome

# name -> (the benchmarked route, its partner: a route or "standalone", n); random input.
KEY_RATIOS = {
    "harness fidelity: suite c-gcc-O3 / standalone C program, n=128 random": ("c-gcc-O3", "standalone", 128),
    "llvm-O3 / clang -O3 (c-clang-O3), n=1024 random": ("llvm-O3", "c-clang-O3", 1024),
    "llvm-O0 / llvm-O3, n=1024 random": ("llvm-O0", "llvm-O3", 1024),
}
KEY_RATIO_KERNEL = "insertion_sort"
# Rounds of tens of milliseconds: a machine may switch between a fast and a slow state every few milliseconds, and
# a longer round averages over them.
KEY_RATIO_REPEAT_FACTOR = 32


def reference_case(route_name: str, n: int) -> BenchCase:
    """The kernel's baseline algorithm, from its compiler source in the route's language, at n on random input."""
    kernel = get_kernel(KEY_RATIO_KERNEL)
    route = get_route(route_name)
    stem = kernel.algorithms[kernel.algorithm]
    source = next(s for s in discover(kernel) if s.name == stem and s.language == route.language)
    return BenchCase(kernel, source, route, n, "random")


@dataclass
class KeyRatioRun:
    """One key ratio's measurement: the benchmarked side's seconds per round of `repeat` calls (timed rounds only)
    and, round by round, the partner's seconds per call; `outcome` is what the benchmarked side's calls left."""

    name: str
    case: BenchCase
    repeat: int
    timing: str
    partner: str
    rounds: list[float]
    partner_per_sort: list[float]
    outcome: LoopOutcome

    def extra_info(self) -> dict[str, Any]:
        """As a saved benchmark records it, for harness.report.analysis.interleaved_ratios to read."""
        case = self.case
        return dict(ratio_name=self.name, kernel=case.kernel.name, variant=case.source.name, route=case.route.name,
                    n=case.n, shape=case.shape, repeat=self.repeat, timing=self.timing, partner=self.partner,
                    partner_per_sort=self.partner_per_sort, inputs="fresh")


def measure_key_ratio(name: str, workbench: Workbench, rounds: int, warmup_rounds: int = WARMUP_ROUNDS,
                      repeat_factor: int = KEY_RATIO_REPEAT_FACTOR) -> KeyRatioRun:
    """Time the ratio `name` (a key of KEY_RATIOS): `warmup_rounds` untimed, then `rounds` timed, each a round of
    the partner followed by one of the benchmarked side, both on one core (the runners' children and the
    standalone program inherit it). Builds come from `workbench`, so a session builds each once."""
    route_a, route_b, n = KEY_RATIOS[name]
    case = reference_case(route_a, n)
    built = workbench.built(*case.pair)
    repeat = repeat_for(case.kernel.name, n, "random", built.timing) * repeat_factor
    with one_core():
        if route_b == "standalone":
            # Same bytes, same placement (the program aligns its kernel to 64 bytes: offset 0), same driver.
            partner: Standalone | Partner = Standalone(Path(case.source.path), n, repeat, seed=SEED)
            run = built.loop(n, "random", repeat, seed=SEED, offsets=(0,))  # type: ignore[call-arg]
        else:
            other = workbench.built(*reference_case(route_b, n).pair)
            partner = Partner(route_b, other.loop(n, "random", repeat, seed=SEED), repeat, other.loop_clock())
            run = built.loop(n, "random", repeat, seed=SEED)
        seconds = []
        try:
            for index in range(warmup_rounds + rounds):
                partner.round()
                elapsed = built.round_seconds(run)
                if index >= warmup_rounds:
                    seconds.append(elapsed)
        finally:
            partner.close()
    return KeyRatioRun(name, case, repeat, built.timing, partner.label, seconds,
                       partner.per_sort_seconds[warmup_rounds:], built.loop_outcome())

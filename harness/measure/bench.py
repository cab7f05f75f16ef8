"""Benchmark workloads and the measurement of one (variant, route, n, shape).

Sightglass's split: build, load, then run, and only the run is timed. The run
is a loop inside the target (`Built.loop`): a pool of `repeat` fresh inputs made
before the timed window, the kernel called once on each with only the calls
timed, every output checked after. The repeat count depends only on the
workload, never on a measurement, so two saved runs time the same work and
`pytest --benchmark-compare` compares like with like.

The rows compared with each other (one kernel, substrate, n and shape) are
timed as one block (harness.measure.blocks).
"""
from __future__ import annotations

import math
import multiprocessing
import os
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import store
from harness.check import Report, check, remember, stored
from kernels.kernel import Kernel, all_kernels, get_kernel
from harness.progress import Unhide, phase
from kernels.interface import Interface
from harness.variants import discover
from targets import routes_for
from targets.base import Built, Target
from targets.variant_source import Source
from targets.vector_width import built_vector_width
from targets.native.isolate import ending_together
from targets.fresh import EXPECT_SAME, EXPECT_SORTED, INT32_MAX, INT32_MIN, SEED, SHAPES, fill_arrays, seed_state

QUICK_SIZES = (16, 128, 1024)
# The quick profile times random input at each of its sizes and every shape at this one; --full and --sizes time
# every shape at every size.
QUICK_EVERY_SHAPE_AT = (128,)
FULL_SIZES = tuple(2**k for k in range(3, 14))  # 8 .. 8192
# Work per timed round, in estimated inner-loop steps: a few milliseconds of native code.
ROUND_STEPS = 1_000_000
MAX_REPEAT = 16384
# Timed rounds per benchmark: the quick profile's intervals are wider, its run shorter. Both are multiples of the
# four placements native code takes in turn, so each placement weighs the same in a row's median.
QUICK_ROUNDS = 12
FULL_ROUNDS = 20
WARMUP_ROUNDS = 1
# The emulator's time is not the code's speed: one round shows it, the instruction count is the metric.
EMULATED_ROUNDS = 1
EMULATED_MAX_N = 2048


def timed_rounds(full: bool) -> int:
    """Timed rounds of each benchmark, pair and key ratio in a profile (`--full` or the quick one)."""
    return FULL_ROUNDS if full else QUICK_ROUNDS


def emulated(route: Target) -> bool:
    """Whether the route's code runs in the emulator (its time is the emulator's), known before building."""
    from targets.x86.unicorn_compiled import UnicornNativeTarget
    from targets.x86.unicorn_route import UnicornX86Target

    return isinstance(route, (UnicornX86Target, UnicornNativeTarget))


def skipped(case: "BenchCase") -> str | None:
    """Why the benchmark of this case will not run, known before anything is built, checked or counted."""
    if emulated(case.route) and case.n > EMULATED_MAX_N:
        return f"emulated routes stop at n = {EMULATED_MAX_N}: the emulator would take minutes"
    return None


def workload(n: int, shape: str, interface: Interface | None = None) -> Any:
    """The same seeded input for every variant and route (a kernel of another shape than a sort's: every array
    from targets.fresh's generator)."""
    if interface is not None and not interface.is_sort_shaped:
        return fill_arrays(interface, n, seed_state(SEED, n, shape))[0]
    rng = random.Random(f"{SEED}/{n}/{shape}")
    if shape == "random":
        return tuple(rng.randint(INT32_MIN, INT32_MAX) for _ in range(n))
    if shape == "sorted":
        return tuple(sorted(rng.randint(INT32_MIN, INT32_MAX) for _ in range(n)))
    if shape == "reversed":
        return tuple(sorted((rng.randint(INT32_MIN, INT32_MAX) for _ in range(n)), reverse=True))
    if shape == "few-unique":
        pool = [rng.randint(INT32_MIN, INT32_MAX) for _ in range(4)]
        return tuple(rng.choice(pool) for _ in range(n))
    raise ValueError(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")


def _interface(kernel: Kernel | str) -> Interface:
    return (get_kernel(kernel) if isinstance(kernel, str) else kernel).interface  # type: ignore[return-value]


@contextmanager
def one_core() -> Iterator[None]:
    """This process, and the children it starts while inside (native runners, the standalone program), on one
    core: the cores of a shared machine differ, and two sides of a comparison must not."""
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, cpus)


def expectation(kernel: Kernel | str) -> int:
    """What the timing loop checks after each call of this kernel (targets.fresh), as its workload says."""
    return EXPECT_SAME if _interface(kernel).workload.expect == "same" else EXPECT_SORTED


def estimated_steps(kernel: Kernel | str, n: int, shape: str) -> float:
    """Steps of one call (with its fresh input's fill), by the kernel's cost model."""
    return _interface(kernel).cost.steps(n, shape)


def repeat_for(kernel: Kernel | str, n: int, shape: str, timing: str) -> int:
    """Calls per timed round: a few milliseconds of work, and never fewer than the kernel's workload asks."""
    if timing == "emulated":
        return 1
    wanted = max(1.0, ROUND_STEPS / estimated_steps(kernel, n, shape))
    return max(_interface(kernel).workload.min_calls, min(MAX_REPEAT, 2 ** int(math.log2(wanted))))


@dataclass(frozen=True)
class BenchCase:
    kernel: Kernel
    source: Source
    route: Target
    n: int
    shape: str

    @property
    def id(self) -> str:
        return f"{self.kernel.name}/{self.source.name}/{self.route.name}/n={self.n}/{self.shape}"

    @property
    def group(self) -> str:
        return f"{self.kernel.name} n={self.n} {self.shape}"

    @property
    def pair(self) -> tuple[Kernel, Source, Target]:
        return (self.kernel, self.source, self.route)


def bench_cases(extra_dirs: Sequence[Path], sizes: Sequence[int], origin: str | None = None,
                every_shape_at: Sequence[int] | None = None) -> list[BenchCase]:
    """Every variant on every route, grouped so the variants compared with each other run one after another.
    `origin`: that of the extra directories' files whose header names none (default `supplied`).
    `every_shape_at`: the sizes timed on every input shape, the others on random input only (default: all)."""
    pairs = [
        (kernel, source, route)
        for kernel in all_kernels().values()
        for source in discover(kernel, list(extra_dirs), origin)
        for route in routes_for(source.language)
    ]
    # The profiles' sizes stand for each kernel's own workload lengths (a checksum's are longer than a sort's).
    profile = {tuple(QUICK_SIZES): "quick", tuple(FULL_SIZES): "full"}.get(tuple(sizes))
    lengths = sorted({n for kernel, _, _ in pairs for n in kernel.interface.lengths(sizes, profile)})  # type: ignore[union-attr]
    cases = []
    for n in lengths:
        for shape in SHAPES:
            for kernel, source, route in pairs:
                # Each kernel at its own lengths and on the shapes its workload names (the no-op's cost depends
                # on n only: one shape; a fixed-size sort: random inputs, as AlphaDev timed them). A sort is
                # timed in the target by targets.fresh's drivers, any other shape by targets.shaped's.
                if (n in kernel.interface.lengths(sizes, profile) and shape in kernel.interface.workload.shapes  # type: ignore[union-attr]
                        and (every_shape_at is None or shape == "random" or n in every_shape_at)):
                    cases.append(BenchCase(kernel, source, route, n, shape))
    return cases


Pair = tuple[Kernel, Source, Target]


def _expected_check_cost(route: Target) -> int:
    return 2 * emulated(route) + ("O0" in route.name)


def _pool(jobs: int, known: list[tuple[str, Source, Report]]) -> Any:
    # Not fork: a forked copy of a process that has used wasmtime inherits its compiler's locks without the
    # threads that hold them, and deadlocks in its next compile. Forkserver workers start clean.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["harness.check", "targets"])
    return context.Pool(jobs, initializer=_remember_all, initargs=(known,))


def _count_named(kernel_name: str, source: Source, route_name: str, work: list[tuple[int, str]]
                 ) -> dict[tuple[int, str], dict[str, int]]:
    from kernels.kernel import get_kernel
    from targets import get_route

    built = get_route(route_name).build(source, get_kernel(kernel_name))
    try:
        return {(n, shape): built.executed(workload(n, shape, built.interface)) for n, shape in work}
    finally:
        built.close()


def _indexed(task: tuple[Callable[..., Any], int, tuple[Any, ...]]) -> tuple[int, Any]:
    """Runs one pool task and says which it was: results arrive as they finish, not in order."""
    function, index, args = task
    return index, function(*args)


def _remember_all(known: list[tuple[str, Source, Report]]) -> None:
    from kernels.kernel import get_kernel

    for kernel_name, source, report in known:
        remember(source, report, get_kernel(kernel_name))


def _check_named(kernel_name: str, source: Source, route_name: str) -> Report:
    from kernels.kernel import get_kernel
    from targets import get_route

    return check(source, get_route(route_name), get_kernel(kernel_name))


class Workbench:
    """Builds and checks each (variant, route) once per session; a variant that fails is never timed.

    Pairs announced with `expect` are checked together, in parallel processes (one per core), the first
    time any check is asked for: the correctness run of every pair dominates a session's time otherwise.
    """

    def __init__(self, jobs: int | None = None, unhide: Unhide | None = None) -> None:
        self.jobs = jobs or min(2, os.cpu_count() or 1)
        # How the phases' progress reaches the terminal (pytest hides it while a test runs).
        self.unhide = unhide
        self._pending: list[Pair] = []
        self._seen: dict[tuple[str, str, str], Pair] = {}
        self._count_pending: list[BenchCase] = []
        self._counts: dict[tuple[str, str, str, int, str], dict[str, int]] = {}
        self._built: dict[tuple[str, str, str], Built] = {}
        self._checked: dict[tuple[str, str, str], Report] = {}
        self._listings: dict[tuple[str, str, str], str | None] = {}
        self._widths: dict[tuple[str, str, str], str | None] = {}
        self.listing_problems: list[str] = []
        # The session's selected benchmarks (expect_counts): a block is timed from those of one comparison set.
        self.selected: list[BenchCase] = []
        # The session's timed blocks (harness.measure.blocks.timed_block), by kernel, substrate, n and shape.
        self.blocks: dict[tuple[str, str, int, str], Any] = {}
        # Told the benchmark ids of each block's visit as it starts (the machine watch: harness.measure.machine).
        self.on_timing: Callable[[Sequence[str]], None] | None = None

    @staticmethod
    def _key(kernel: Kernel, source: Source, route: Target) -> tuple[str, str, str]:
        return (kernel.name, str(source.path), route.name)

    def expect_counts(self, cases: Sequence[BenchCase]) -> None:
        """Cases whose executed work (deterministic, so order and load do not matter) is counted ahead,
        in parallel with each other, instead of one by one between timed runs. They are also the cases a timed
        block (harness.measure.blocks.timed_block) gathers."""
        self.selected.extend(cases)
        self._count_pending.extend(c for c in cases if c.route.counts and skipped(c) is None)

    def executed(self, case: BenchCase) -> dict[str, int]:
        key = (*self._key(*case.pair), case.n, case.shape)
        if key not in self._counts:
            self._count_in_pool()
        if key not in self._counts:
            values = workload(case.n, case.shape, case.kernel.interface)
            self._counts[key] = self.built(*case.pair).executed(values)
            store.save_counts(case.source, case.route, case.kernel, values, self._counts[key])
        return self._counts[key]

    def _count_in_pool(self) -> None:
        by_pair: dict[tuple[str, str, str], list[BenchCase]] = {}
        for case in self._count_pending:
            if not self.checked(*case.pair).passed:
                continue
            # Counts are deterministic: one stored by an earlier run on the same input is the same count.
            known = store.lookup_counts(case.source, case.route, case.kernel,
                                        workload(case.n, case.shape, case.kernel.interface))
            if known is not None:
                self._counts[(*self._key(*case.pair), case.n, case.shape)] = known
                continue
            by_pair.setdefault(self._key(*case.pair), []).append(case)
        self._count_pending.clear()
        if not by_pair:
            return
        tasks = [(cases[0].kernel.name, cases[0].source, cases[0].route.name, [(c.n, c.shape) for c in cases])
                 for cases in by_pair.values()]
        keys = list(by_pair)
        with _pool(self.jobs, []) as pool, phase("counting executed work", len(tasks), self.unhide) as shown:
            shown.note = f"{sum(len(c) for c in by_pair.values())} cases of {len(tasks)} pairs"
            for index, counts in pool.imap_unordered(_indexed, [(_count_named, i, t) for i, t in enumerate(tasks)]):
                first = by_pair[keys[index]][0]
                for (n, shape), executed in counts.items():
                    self._counts[(*keys[index], n, shape)] = executed
                    store.save_counts(first.source, first.route, first.kernel,
                                      workload(n, shape, first.kernel.interface), executed)
                shown.advance()

    def expect(self, pairs: Sequence[Pair]) -> None:
        self._pending.extend(pairs)
        self._seen.update((self._key(*p), p) for p in pairs)

    def _check_pending(self) -> None:
        todo = {self._key(*p): p for p in self._pending if self._key(*p) not in self._checked}
        self._pending.clear()
        if not todo:
            return
        with phase("checking", len(todo), self.unhide) as shown:
            for key, (kernel, source, route) in list(todo.items()):
                if (report := stored(source, route, kernel)) is not None:  # checked in an earlier run: not again
                    self._checked[key] = report
                    remember(source, report, kernel)
                    del todo[key]
                    shown.advance()
            shown.note = f"{shown.done} from the store, {len(todo)} checked"
            if len(todo) < 2 or self.jobs < 2:
                for key, (kernel, source, route) in todo.items():
                    self._checked[key] = check(source, route, kernel)
                    shown.advance()
                return
            # Gated routes after the routes they gate on, whose reports the workers then reuse (harness.check memo).
            gated = {k: p for k, p in todo.items() if p[2].gate}
            self._check_in_pool({k: p for k, p in todo.items() if k not in gated}, shown.advance)
            self._check_in_pool(gated, shown.advance)

    def _check_in_pool(self, todo: dict[tuple[str, str, str], Pair], advance: Callable[[], None]) -> None:
        if not todo:
            return
        known = [(self._seen[k][0].name, self._seen[k][1], report) for k, report in self._checked.items() if k in self._seen]
        # Longest first (emulated, unoptimized code runs longest), so neither worker is left with a long tail.
        order = sorted(todo, key=lambda key: (-_expected_check_cost(todo[key][2]), key))
        tasks = [(_check_named, i, (todo[k][0].name, todo[k][1], todo[k][2].name)) for i, k in enumerate(order)]
        with _pool(self.jobs, known) as pool:
            for index, report in pool.imap_unordered(_indexed, tasks):
                key = order[index]
                self._checked[key] = report
                remember(todo[key][1], report, todo[key][0])
                advance()

    def checked(self, kernel: Kernel, source: Source, route: Target) -> Report:
        key = self._key(kernel, source, route)
        if key not in self._checked:
            self._check_pending()
        if key not in self._checked:
            self._checked[key] = check(source, route, kernel)
        return self._checked[key]

    def built(self, kernel: Kernel, source: Source, route: Target) -> Built:
        key = self._key(kernel, source, route)
        if key not in self._built:
            self._built[key] = route.build(source, kernel)
        return self._built[key]

    def vector_width(self, kernel: Kernel, source: Source, route: Target) -> str | None:
        """The vector width of the code this session built for the pair (targets.vector_width), read once: every
        benchmark of the pair records it, and reading it prints or disassembles the code."""
        key = self._key(kernel, source, route)
        if key not in self._widths:
            self._widths[key] = built_vector_width(self.built(kernel, source, route))
        return self._widths[key]

    def listing(self, kernel: Kernel, source: Source, route: Target, directory: Path) -> str | None:
        """The file name of the listing of the code this session built (and times), written once per pair."""
        key = self._key(kernel, source, route)
        if key not in self._listings:
            from harness.asm import write_listing

            try:
                path = write_listing(directory, source, route, kernel, built=self.built(kernel, source, route))
                self._listings[key] = path.name
            except Exception as exc:  # a listing that cannot be made must not cost the measurement
                self._listings[key] = None
                self.listing_problems.append(f"{source.name}@{route.name}: {type(exc).__name__}: {exc}")
        return self._listings[key]

    def record(self, case: BenchCase, benchmark: Any) -> None:
        """Label the saved benchmark with the variant's algorithm, so the report compares it with the compiler's
        build of the same algorithm."""
        benchmark.extra_info.update(algorithm=case.source.algorithm,
                                    compiler_source=case.kernel.is_compiler_source(case.source))

    def failures(self) -> list[Report]:
        return [r for r in self._checked.values() if not r.passed]

    def reports(self) -> list[Report]:
        """Every check of the session, passed or not."""
        return list(self._checked.values())

    def close(self) -> None:
        with ending_together():  # the run is over: no child still ending can disturb a timing
            for built in self._built.values():
                built.close()
        self._built.clear()

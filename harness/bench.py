"""Benchmark workloads and the measurement of one (variant, route, n, shape).

Sightglass's split: build, load, then run, and only the run is timed. The run
is a loop inside the target (`Built.loop`): `repeat` times, copy the unsorted
source into the work array and sort it. The repeat count depends only on the
workload, never on a measurement, so two saved runs time the same work and
`pytest --benchmark-compare` compares like with like.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.check import Report, check
from harness.kernel import Kernel, all_kernels
from harness.source import Source, discover
from targets import routes_for
from targets.base import INT32_MAX, INT32_MIN, Built, Target

SHAPES = ("random", "sorted", "reversed", "few-unique")
QUICK_SIZES = (16, 128, 1024)
FULL_SIZES = tuple(2**k for k in range(3, 14))  # 8 .. 8192
SEED = 20261122
# Work per timed round, in estimated inner-loop steps: a few milliseconds of native code.
ROUND_STEPS = 2_000_000
MAX_REPEAT = 16384
ROUNDS = 20
WARMUP_ROUNDS = 2
# The emulator's time is not the code's speed: a few rounds show it, the instruction count is the metric.
EMULATED_ROUNDS = 3
EMULATED_MAX_N = 2048


def workload(n: int, shape: str) -> tuple[int, ...]:
    """The same seeded input for every variant and route."""
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


def estimated_steps(kernel: str, n: int, shape: str) -> float:
    """Inner-loop steps of one call (with its copy): what insertion sort does on this shape."""
    if kernel == "noop" or shape == "sorted":
        return n + 1
    quadratic = {"random": 0.25, "reversed": 0.5, "few-unique": 0.19}[shape]
    return quadratic * n * n + n + 1


def repeat_for(kernel: str, n: int, shape: str, timing: str) -> int:
    if timing == "emulated":
        return 1
    wanted = max(1.0, ROUND_STEPS / estimated_steps(kernel, n, shape))
    return min(MAX_REPEAT, 2 ** int(math.log2(wanted)))


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


def bench_cases(extra_dirs: Sequence[Path], sizes: Sequence[int]) -> list[BenchCase]:
    """Every variant on every route, grouped so the variants compared with each other run one after another."""
    pairs = [
        (kernel, source, route)
        for kernel in all_kernels().values()
        for source in discover(kernel, list(extra_dirs))
        for route in routes_for(source.language)
    ]
    cases = []
    for n in sizes:
        for shape in SHAPES:
            for kernel, source, route in pairs:
                # The no-op's cost depends on n only: one shape is enough.
                if kernel.name == "noop" and shape != "random":
                    continue
                cases.append(BenchCase(kernel, source, route, n, shape))
    return cases


Pair = tuple[Kernel, Source, Target]


def _check_named(kernel_name: str, source: Source, route_name: str) -> Report:
    from harness.kernel import get_kernel
    from targets import get_route

    return check(source, get_route(route_name), get_kernel(kernel_name))


class Workbench:
    """Builds and checks each (variant, route) once per session; a variant that fails is never timed.

    Pairs announced with `expect` are checked together, in parallel processes (one per core), the first
    time any check is asked for: the correctness run of every pair dominates a session's time otherwise.
    """

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs or min(2, os.cpu_count() or 1)
        self._pending: list[Pair] = []
        self._built: dict[tuple[str, str, str], Built] = {}
        self._checked: dict[tuple[str, str, str], Report] = {}
        self._listings: dict[tuple[str, str, str], str | None] = {}
        self.listing_problems: list[str] = []

    @staticmethod
    def _key(kernel: Kernel, source: Source, route: Target) -> tuple[str, str, str]:
        return (kernel.name, str(source.path), route.name)

    def expect(self, pairs: Sequence[Pair]) -> None:
        self._pending.extend(pairs)

    def _check_pending(self) -> None:
        todo = {self._key(*p): p for p in self._pending if self._key(*p) not in self._checked}
        self._pending.clear()
        if len(todo) < 2 or self.jobs < 2:
            return
        # Not fork: a forked copy of a process that has used wasmtime inherits its compiler's locks without the
        # threads that hold them, and deadlocks in its next compile. Forkserver workers start clean.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["harness.check", "targets"])
        with context.Pool(self.jobs) as pool:
            reports = pool.starmap(_check_named, [(k.name, s, r.name) for k, s, r in todo.values()], chunksize=1)
        self._checked.update(zip(todo, reports))

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

    def failures(self) -> list[Report]:
        return [r for r in self._checked.values() if not r.passed]

    def close(self) -> None:
        for built in self._built.values():
            built.close()
        self._built.clear()

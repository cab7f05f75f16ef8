"""Score many candidate files at once: check each on every route in parallel (local processes or a Ray
cluster), then time the correct ones against the kernel's compiler build on the same substrate.

    from harness.score import score, summary
    records = score(["cand1.ll", "cands/"], jobs=2)
    print(summary(records, p=1.0))

Safe to call from a reward function: every problem with a candidate (unreadable, unknown suffix, does not
build, wrong answer, crash, hang, a checking process that died) is that record's verdict, never an exception.

Timing happens after every check has finished, in this process, pinned to one core, one comparison at a
time (candidate and compiler build interleaved round by round, harness.measure.interleave): never two timings at once,
and with Ray, always on the machine that called `score`. Each kernel is timed on its own workload: its own
length for a fixed-length kernel (TIMING_N otherwise), on random input where its workload has it.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from harness.check import Report, check
from kernels.kernel import Kernel, get_kernel
from harness.progress import phase
from targets.variant_source import Source, SourceError
from harness.variants import load_source, variant_files
from targets import get_route, routes_for
from targets.base import Built

Record = dict[str, Any]
# The compiler build a candidate is compared with, per substrate: the kernel's own C source, optimized.
BASELINE_ROUTES = {"native x86-64": "c-gcc-O3", "wasmtime": "wasm-clang-O3", "V8 (node)": "wasm-clang-O3-v8"}
TIMING_N = 128  # for kernels of any length; a fixed-length kernel is timed at its own
TIMING_SHAPE = "random"  # where the kernel's workload has it; else its first shape
TIMING_ROUNDS = 16  # a multiple of the four placements native code takes in turn, as the benchmarks' rounds are
# Environment the checking processes (local or on Ray nodes) must share with the caller.
PASSED_ENV = ("ARENA_RECHECK", "ARENA_VERDICT_STORE", "ARENA_UNSAFE_NATIVE", "ARENA_CACHE")


def candidates(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, directories as their variant files (sorted)."""
    found: list[Path] = []
    for path in map(Path, paths):
        found.extend(variant_files(path) if path.is_dir() else [path])
    return found


def score(paths: Iterable[str | Path], routes: Sequence[str] | None = None, jobs: int | None = None,
          p: float = 1.0, ray: str | None = None, kernel: str = "insertion_sort", timed: bool = True,
          on_record: Callable[[Record], None] | None = None, show_progress: bool = True) -> list[Record]:
    """One record per (file, route): the check's report (`verdict`, `message`, ...) as `arena check --json`
    gives it, plus `file`, `correct`, and `timing` for correct candidates on a timed substrate: `ratio`
    (candidate / compiler build per call, from rounds run interleaved, at the kernel's workload length and
    shape: `timing_workload`), its interval `low`-`high` (at harness.measure.interleave.CONFIDENCE), `verdict`
    (harness.measure.interleave's words), `baseline`, `fast` (ratio * p < 1: faster by the factor p) and `sure`
    (the whole interval is).

    `routes`: only these routes (default: every route of each file's language). `jobs`: checking processes
    (default: one per core). `ray`: check on a Ray cluster at this address instead, or `"auto"` for a
    local one. `on_record` is called with each record as soon as it is final. A file that cannot be read
    gets one record with `route` None and verdict `error`.
    """
    chosen = get_kernel(kernel)
    records: list[Record] = []

    def final(record: Record) -> None:
        records.append(record)
        if on_record is not None:
            on_record(record)

    plan: list[tuple[Path, Source, str]] = []
    for path in candidates(paths):
        try:
            source = load_source(path, chosen)
        except SourceError as exc:
            final({"file": str(path), "route": None, "verdict": "error", "message": str(exc), "correct": False})
            continue
        names = [r.name for r in routes_for(source.language) if routes is None or r.name in routes]
        if not names:
            final({"file": str(path), "route": None, "verdict": "skip", "correct": False,
                   "message": f"{path}: no route{' among ' + ', '.join(routes) if routes else ''} runs {source.language}"})
        plan.extend((path, source, name) for name in names)
    unhide = None if show_progress else _hidden
    with phase("checking candidates", len(plan), unhide) as shown:
        runner = _ray_checks if ray else _local_checks
        passed: list[tuple[Path, Source, Report]] = []
        for index, report in runner(chosen, [(s, r) for _, s, r in plan], jobs, ray):
            path, source, _ = plan[index]
            shown.advance()
            if report.passed and timed:
                passed.append((path, source, report))
            else:
                final(_record(path, report))
        shown.note = f"{sum(1 for *_, r in passed)} correct so far to time"
    if passed:
        from harness.measure.bench import one_core

        with one_core(), phase("timing correct candidates", len(passed), unhide) as shown:
            baselines: dict[str, Built] = {}
            try:
                for path, source, report in passed:
                    record = _record(path, report)
                    record["timing"] = _timed(source, report.route, chosen, baselines, p)
                    shown.advance()
                    final(record)
            finally:
                for built in baselines.values():
                    built.close()
    return records


def summary(records: Sequence[Record], p: float = 1.0) -> dict[str, Any]:
    """KernelBench's fast_p over (file, route) records: the share correct and faster than the compiler build
    by the factor p; `fast_p_sure` counts those whose whole interval is."""
    total = len(records)
    timed = [r for r in records if (r.get("timing") or {}).get("ratio") is not None]
    fast = [r for r in timed if r["timing"]["fast"]]
    return {
        "records": total, "files": len({r["file"] for r in records}), "p": p,
        "correct": sum(1 for r in records if r.get("correct")), "timed": len(timed),
        "fast_p": len(fast), "fast_p_sure": sum(1 for r in fast if r["timing"]["sure"]),
        "fast_p_share": len(fast) / total if total else 0.0,
        "intervals": {f"{r['file']}@{r['route']}": [r["timing"]["low"], r["timing"]["high"]] for r in fast},
    }


def _record(path: Path, report: Report) -> Record:
    return {"file": str(path), **report.as_json(), "correct": report.passed}


def _hidden() -> Any:
    import contextlib
    import io

    return contextlib.redirect_stderr(io.StringIO())


def _settings() -> dict[str, str]:
    return {name: os.environ[name] for name in PASSED_ENV if name in os.environ}


def _check_one(kernel_name: str, source: Source, route_name: str, settings: dict[str, str]) -> Report:
    # A pool's processes may have started before the caller set these (a forkserver keeps its environment).
    for name in PASSED_ENV:
        os.environ.pop(name, None)
    os.environ.update(settings)
    return check(source, get_route(route_name), get_kernel(kernel_name))


def _died(source: Source, route_name: str, kernel: Kernel, why: str) -> Report:
    report = Report(kernel=kernel.name, variant=source.name, route=route_name, origin=source.origin,
                    path=str(source.path), language=source.language, lines=source.lines.as_dict())
    report.verdict, report.message = "error", f"{route_name}: the process checking it died ({why})"
    return report


def _local_checks(kernel: Kernel, tasks: list[tuple[Source, str]], jobs: int | None, _: str | None
                  ) -> Iterable[tuple[int, Report]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("forkserver")  # see harness.measure.bench._pool: never fork after wasmtime
    context.set_forkserver_preload(["harness.check", "targets"])
    workers = max(1, jobs or os.cpu_count() or 1)
    # Gated routes (x86-native on x86-unicorn, V8 on wasmtime) reuse their gate's stored verdict: gates first.
    order = sorted(range(len(tasks)), key=lambda i: get_route(tasks[i][1]).gate is not None)
    retry: list[int] = []
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {pool.submit(_check_one, kernel.name, *tasks[i], _settings()): i for i in order}
        for future in as_completed(futures):
            index = futures[future]
            try:
                yield index, future.result()
            except BrokenProcessPool:  # one task killed its worker; every pending one fails with it
                retry.append(index)
            except Exception as exc:  # pickling, or a bug of ours: still a verdict
                yield index, _died(*tasks[index], kernel, f"{type(exc).__name__}: {exc}")
    for index in sorted(retry):  # alone, so the one that kills its process is told apart from the rest
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            try:
                yield index, pool.submit(_check_one, kernel.name, *tasks[index], _settings()).result()
            except Exception as exc:
                yield index, _died(*tasks[index], kernel, f"{type(exc).__name__}: {exc}")


def _ray_checks(kernel: Kernel, tasks: list[tuple[Source, str]], jobs: int | None, address: str | None
                ) -> Iterable[tuple[int, Report]]:
    try:
        import ray
    except ImportError:
        raise RuntimeError("--ray needs Ray: pip install 'codegen-arena[ray]'") from None
    root = str(Path(__file__).resolve().parent.parent)
    env = _settings()
    started_here = not ray.is_initialized()
    if started_here:
        if address == "auto":  # a local cluster on this machine
            ray.init(num_cpus=jobs or 2, include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": {**env, "PYTHONPATH": root}})
        else:  # an existing cluster: every node has the project installed (pip install codegen-arena[ray])
            ray.init(address=address, log_to_driver=False, runtime_env={"env_vars": env})
    try:
        remote = ray.remote(max_retries=0)(_check_one)
        pending = {remote.remote(kernel.name, *task, _settings()): i for i, task in enumerate(tasks)}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(done[0])
            try:
                yield index, ray.get(done[0])
            except Exception as exc:  # a worker that crashed or was killed: that candidate's verdict
                yield index, _died(*tasks[index], kernel, f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        if started_here:
            ray.shutdown()


def timing_workload(kernel: Kernel) -> tuple[int, str]:
    """The (n, shape) a candidate of `kernel` is timed at: the kernel's own length and shape from its interface."""
    interface = kernel.interface
    assert interface is not None
    shapes = interface.workload.shapes
    return interface.lengths((TIMING_N,))[0], TIMING_SHAPE if TIMING_SHAPE in shapes else shapes[0]


def _timed(source: Source, route_name: str, kernel: Kernel, baselines: dict[str, Built], p: float) -> Record:
    """Candidate and compiler build, rounds interleaved (more while the interval is wide), at the kernel's own
    workload: the paired ratio per call with its interval and verdict."""
    import random

    from harness.measure.bench import SEED, WARMUP_ROUNDS, emulated, expectation, repeat_for
    from harness.measure.interleave import (
        IDENTICAL, Block, code_identity, decide, paired_interval, settle, time_interleaved,
    )

    route = get_route(route_name)
    if emulated(route):
        return {"ratio": None, "note": "emulated: its time is the emulator's; not compared"}
    built = None
    try:
        built = route.build(source, kernel)
        base_route = BASELINE_ROUTES.get(built.substrate)
        if base_route is None:
            return {"ratio": None, "note": f"no compiler build to compare with on {built.substrate}"}
        if base_route not in baselines:
            own = next(s for s in _own_sources(kernel) if s.language == get_route(base_route).language)
            baselines[base_route] = get_route(base_route).build(own, kernel)
        base = baselines[base_route]
        n, shape = timing_workload(kernel)
        repeat = repeat_for(kernel.name, n, shape, built.timing)
        expect = expectation(kernel.name)
        members = [(b, b.loop(n, shape, repeat, seed=SEED, expect=expect)) for b in (built, base)]
        rng = random.Random(f"{SEED}/{source.name}/{route_name}")
        time_interleaved(members, WARMUP_ROUNDS, rng)
        block = Block(2)
        block.run(members, (0, 1), TIMING_ROUNDS, rng)
        identical = code_identity(built) is not None and code_identity(built) == code_identity(base)
        if not identical:
            settle(block, members, [(0, 1)], rng)
        for which in (built, base):
            outcome = which.loop_outcome()
            if outcome.bad:
                side = "the compiler build's" if which is base else "timed"
                return {"ratio": None, "note": f"{outcome.bad} of {outcome.calls} {side} calls left a wrong output"}
        ours, theirs = block.paired(0, 1)
        ratio, low, high = paired_interval(ours, theirs)
        # Identical code is the compiler build's speed, whatever the rounds say.
        judged, bound = (1.0, 1.0) if identical else (ratio, high)
        return {"n": n, "shape": shape, "baseline": f"{kernel.name}@{base_route}",
                "substrate": built.substrate, "ratio": ratio, "low": low, "high": high, "rounds": len(ours),
                "verdict": IDENTICAL if identical else decide(low, high),
                "seconds_per_sort": sorted(ours)[len(ours) // 2] / repeat,
                "fast": judged * p < 1.0, "sure": bound is not None and bound * p < 1.0}
    except Exception as exc:  # a candidate that cannot be timed is said so, never raised
        return {"ratio": None, "note": f"not timed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
    finally:
        if built is not None:
            built.close()


def _own_sources(kernel: Kernel) -> list[Source]:
    from harness.variants import discover

    return [s for s in discover(kernel) if s.name == kernel.name]

"""The gate's time comparison: the previous run's build timed again beside the new one, in one process.

Figures taken minutes apart on a shared machine differ by more than any regression threshold, so `arena gate`
never compares two saved runs' times. A saved run records each variant's source (its text kept in the cache
under its content key: `save_sources`); the gate builds the earlier run's source and the new run's, and times
the two builds in interleaved rounds (harness.interleave), as airspeed velocity's `asv continuous` times base
and head together. Its interval comes from the paired rounds. Two builds that run the same machine code are
`identical code`, decided without timing.

`python -m harness.retime` reads a list of jobs (JSON, on stdin) and prints their results: the gate's
`--confirm` times its regressions again so, in a fresh process.
"""
from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.interleave import CHUNK_ROUNDS, Block, identical_code, paired_interval, settle
from targets.cache import store_text, stored_text

REPO = Path(__file__).resolve().parent.parent
SOURCES = "sources"  # the cache folder holding saved runs' source texts, by content key
WARMUP = 1  # untimed rounds of each side before the paired ones: page faults and an engine's first tier
# A gate times only the rows whose code changed, so each may take more rounds than a report's comparison: enough
# that rounds preempted by other work (a minority, even on a loaded machine) leave the interval narrow.
MAX_ROUNDS = 320
MAX_SECONDS = 8.0
IDENTICAL, NOT_COMPARED, TIMED = "identical code", "not compared", "timed"


def save_sources(extra_dirs: Sequence[str | Path] = (), origin: str | None = None) -> dict[str, dict[str, Any]]:
    """Every variant's source as the routes see it, for a saved run: source_name -> its content key (the text
    kept in the cache), language, file and algorithm. A file that cannot be read is left out: its rows are not
    timed either."""
    from kernels.kernel import all_kernels
    from harness.source import discover

    saved: dict[str, dict[str, Any]] = {}
    for kernel in all_kernels().values():
        for source in discover(kernel, [Path(d) for d in extra_dirs], origin):
            saved[source_name(kernel.name, source.name, source.language)] = {
                "key": store_text(SOURCES, source.text), "language": source.language, "path": str(source.path),
                "algorithm": source.algorithm, "header": dict(source.header), "line_offset": source.line_offset}
    return saved


def source_name(kernel: str, variant: str, language: str) -> str:
    """A source's name in a saved run's record: a kernel's compiler inputs share one name across languages."""
    return f"{kernel}/{variant}/{language}"


def route_language(route: str) -> str | None:
    from targets import get_route

    try:
        return get_route(route).language
    except Exception:  # a route this tree no longer has: its rows are not timed
        return None


@dataclass
class Job:
    """One row to time: a build of each run's source of one variant, on one route, at one n and shape."""

    kernel: str
    variant: str
    route: str
    n: int
    shape: str
    repeat: int
    old: dict[str, Any]  # the earlier run's source record (save_sources)
    new: dict[str, Any]


@dataclass
class Paired:
    """What re-timing a job found: new/old with its paired interval, or why it was not timed."""

    kernel: str
    variant: str
    route: str
    n: int
    shape: str
    outcome: str  # IDENTICAL, NOT_COMPARED or TIMED
    why: str = ""
    ratio: float | None = None
    low: float | None = None
    high: float | None = None
    old_seconds: float | None = None  # median seconds per call of each side over the paired rounds
    new_seconds: float | None = None
    rounds: int = 0


def _source(record: dict[str, Any], kernel: Any, variant: str) -> Any:
    from targets.source import Source

    text = stored_text(SOURCES, record["key"])
    if text is None:
        return None
    return Source(kernel=kernel.name, name=variant, path=Path(record["path"]), language=record["language"],
                  text=text, header=dict(record.get("header") or {}), line_offset=int(record.get("line_offset", 0)),
                  algorithm=record.get("algorithm", ""))


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def retime(jobs: Sequence[Job], seed: int = 0) -> list[Paired]:
    """Each job's two builds timed in interleaved rounds until their interval is narrow enough or the budget is
    spent (harness.interleave.settle); jobs of one build share its two builds."""
    from harness.bench import expectation, one_core
    from kernels.kernel import get_kernel
    from targets import get_route
    from targets.base import ArenaError
    from targets.fresh import SEED

    rng = random.Random(seed)
    results: list[Paired] = []
    builds: dict[tuple[str, str, str], list[Job]] = {}
    for job in jobs:
        builds.setdefault((job.kernel, job.variant, job.route), []).append(job)

    def done(job: Job, outcome: str, why: str = "", **figures: Any) -> None:
        results.append(Paired(job.kernel, job.variant, job.route, job.n, job.shape, outcome, why, **figures))

    for (kernel_name, variant, route_name), group in builds.items():
        if group[0].old["key"] == group[0].new["key"]:
            for job in group:
                done(job, IDENTICAL, "the same source")
            continue
        kernel, route = get_kernel(kernel_name), get_route(route_name)
        sources = [_source(group[0].old, kernel, variant), _source(group[0].new, kernel, variant)]
        if sources[0] is None:
            for job in group:
                done(job, NOT_COMPARED, "the earlier run's source is no longer in the cache")
            continue
        built: list[Any] = []
        try:
            built = [route.build(source, kernel) for source in sources]
            if identical_code(*built):
                for job in group:
                    done(job, IDENTICAL, "the same machine code")
                continue
            with one_core():  # as the benchmarks time: both sides on one core, native runners' children too
                for job in group:
                    members = [(b, b.loop(job.n, job.shape, job.repeat, seed=SEED, fresh=True,
                                          expect=expectation(kernel))) for b in built]
                    for b, run in members:
                        for _ in range(WARMUP):
                            run()
                    block = Block(2)
                    block.run(members, [0, 1], CHUNK_ROUNDS, rng)
                    settle(block, members, [(1, 0)], rng, max_rounds=MAX_ROUNDS, max_seconds=MAX_SECONDS)
                    new_rounds, old_rounds = block.paired(1, 0)
                    ratio, low, high = paired_interval(new_rounds, old_rounds)
                    done(job, TIMED, ratio=ratio, low=low, high=high, rounds=len(new_rounds),
                         old_seconds=_median(old_rounds) / job.repeat, new_seconds=_median(new_rounds) / job.repeat)
        except ArenaError as exc:  # a source that no longer builds or runs here is reported, never a crash
            finished = {(r.kernel, r.variant, r.route, r.n, r.shape) for r in results}
            for job in group:
                if (job.kernel, job.variant, job.route, job.n, job.shape) not in finished:
                    done(job, NOT_COMPARED, f"{type(exc).__name__}: {exc}")
        finally:
            for b in built:
                b.close()
    return results


def retime_fresh(jobs: Sequence[Job], seed: int = 1) -> list[Paired]:
    """`retime` in a fresh process: another process re-rolls where its code lands and how it starts."""
    import subprocess

    payload = json.dumps({"seed": seed, "jobs": [asdict(job) for job in jobs]})
    done = subprocess.run([sys.executable, "-m", "harness.retime"], input=payload, cwd=REPO, capture_output=True,
                          text=True)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise RuntimeError(f"re-timing {len(jobs)} rows in a fresh process failed: " + " | ".join(tail))
    return [Paired(**p) for p in json.loads(done.stdout)]


def main() -> int:
    request = json.loads(sys.stdin.read())
    results = retime([Job(**job) for job in request["jobs"]], seed=int(request.get("seed", 0)))
    print(json.dumps([asdict(r) for r in results]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

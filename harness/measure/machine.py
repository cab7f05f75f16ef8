"""The machine a run times on: its state watched through the run, and judged (one timing at a time:
harness.measure.timing_lock).

While a run times, the watch records, before the first benchmark, every
`PROBE_EVERY` benchmarks and after the last: the load average, the runnable
processes and the CPU time that processes outside this run's process tree used
(psutil), and the harness's own noise meter, a compiler's insertion sort on one
native route timed for a few milliseconds. `judge` turns those readings into the
report's words: quiet or busy, by how much, and which benchmarks were timed
while it was busy. Busy means other work competed for the cores; the noise
meter is shown, never judged on: a virtual machine's own slow spells move it
with nothing else running, and only interleaved timing cancels them. Readings
in, judgements out: the judging never reads the machine, so it is tested on
synthetic readings.
"""
from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.measure.timing_lock import describe_holder

# What the watch calls busy: other work competing for the cores, measured on other processes, never inferred from
# how fast our own code ran (a shared VM slows down now and then with nothing else running). A quarter of the
# machine's CPU time used by others is half a core on two cores: the timed process then waits for the CPU now and
# then. The load average counts this run too, and its own children (a pool counting or checking beside the
# timing): busy when what remains would fill every core but the timed one by half a core more. A load average
# trails by a minute and counts tasks waiting on a disk too: it counts only while other processes did use the CPU.
OTHERS_BUSY = 0.25  # share of all cores' time used by processes outside this run's tree during an interval
LOAD_BUSY = 0.5  # load average not this run's, above the cores but one by this much, at both ends of an interval
LOAD_NEEDS = 0.10  # the share of the cores' time others must have used in an interval for its load to count
PREEMPTED = 1.0  # a round of the noise meter twice its probe's median: shown as a wait for the CPU
# Benchmarks between two readings. A reading walks the run's whole process tree (late in a run, every build's
# child) and runs the noise meter, and a timed block's rows come in together, the first timing them all: a
# quick run of about a thousand rows is still read a dozen times.
PROBE_EVERY = 100
PROBE_ROUNDS = 7
# Unstable rows, after pyperf's checks (maximum 50% above the mean; standard deviation 10% of the mean), on the
# median and the interquartile range, which is 1.35 standard deviations for a normal spread.
UNSTABLE_MAX = 0.50
UNSTABLE_IQR = 0.135

# --- readings ----------------------------------------------------------------------------------------------


@dataclass
class Point:
    """The machine at one moment of the run, after `done` benchmarks were timed."""

    label: str
    done: int
    wall: float  # time.monotonic()
    load1: float
    runnable: int  # runnable tasks outside this run's process tree, at that instant
    busy_cpu: float  # seconds of CPU time the whole machine spent busy since boot (psutil; the hypervisor's not)
    own_cpu: float  # seconds of it this run's process tree used
    noise: float | None = None  # the noise meter's median seconds per call, where it could run
    noise_spread: float | None = None  # its slowest round over its median, minus 1
    steal_cpu: float = 0.0  # seconds the hypervisor gave this machine's cores to others since boot
    # Seconds of CPU time processes outside this run's tree used since the watch's first reading, process by
    # process (OtherProcesses); None in runs saved before it was read.
    others_cpu: float | None = None


def _tree(root: int | None) -> list[Any]:
    """The process `root` (this one by default) and every process below it."""
    import psutil

    try:
        top = psutil.Process(root)
        return [top, *top.children(recursive=True)]
    except psutil.Error:  # a root that ended: only this process is known to be the run's
        return [psutil.Process()]


def _running_tasks(pid: int) -> int:
    """Threads of `pid` in the run queue now (state R), from /proc: psutil gives a process's state, not its threads'."""
    count = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return 0
    for task in tasks:
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        count += stat[stat.rindex(")") + 2:].startswith("R")
    return count


def others_running(root: int | None = None) -> int:
    """Runnable tasks on the machine now that are not this run's (its process tree counted out, this reader too)."""
    total = _procs_running()
    own = sum(_running_tasks(p.pid) for p in _tree(root))
    return max(0, total - max(own, 1))


class OtherProcesses:
    """CPU seconds that processes outside a run's tree used, summed process by process from one reading to the next:
    a process that starts between two readings counts from its start, one that ends counts up to the last reading
    that saw it, and a parent's reaped children count in it. What the machine's busy time minus the run's own would
    miss-count: work the kernel does for the run that no process is charged with (forking a large process, its
    memory's housekeeping), which moves with the run's own pace, not with other work."""

    def __init__(self) -> None:
        self.total = 0.0
        self._last: dict[int, float] | None = None

    def read(self, own: set[int]) -> float:
        import psutil

        now = {}
        for process in psutil.process_iter():
            if process.pid in own:
                continue
            try:
                now[process.pid] = sum(process.cpu_times()[:4])
            except psutil.Error:  # ended between the listing and the reading
                pass
        if self._last is not None:
            for pid, seconds in now.items():
                before = self._last.get(pid, 0.0)
                self.total += seconds - before if seconds >= before else seconds  # less: the pid was reused
        self._last = now
        return self.total


def read_point(label: str, done: int, root: int | None = None, others: OtherProcesses | None = None) -> Point:
    """The machine now, with the process tree under `root` (default: this process) counted as this run's own;
    `others`, where given, adds what processes outside it used since its first reading."""
    import psutil

    total = psutil.cpu_times()
    # Guest time is already inside user and nice on Linux; steal is the hypervisor's, not a process's here.
    busy = sum(getattr(total, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq"))
    own = 0.0
    tree = _tree(root)
    others_cpu = None if others is None else others.read({p.pid for p in tree} | {os.getpid()})
    for process in tree:
        try:
            # Its own time and its reaped children's: a pool's workers end inside the forkserver, not here.
            own += sum(process.cpu_times()[:4])
        except psutil.Error:  # a child that ended between the listing and the reading
            pass
    return Point(label=label, done=done, wall=time.monotonic(), load1=os.getloadavg()[0],
                 runnable=others_running(root), busy_cpu=busy, own_cpu=own,
                 steal_cpu=getattr(total, "steal", 0.0), others_cpu=others_cpu)


def _procs_running() -> int:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("procs_running "):
                return int(line.split()[1])
    except OSError:
        pass
    return 1


def probe(run: Callable[[], None], calls: int, rounds: int = PROBE_ROUNDS,
          clock: Callable[[], float] = time.perf_counter) -> tuple[float, float]:
    """The noise meter once: `rounds` timings of `run` (which makes `calls` calls); median per call and spread."""
    times = []
    for _ in range(rounds):
        start = clock()
        run()
        times.append((clock() - start) / calls)
    median = statistics.median(times)
    return median, max(times) / median - 1


NOISE_ROUTE = "c-gcc-O3"
# A kernel with work in it: the timed window holds only the calls, and a no-op's calls are so cheap that a few
# milliseconds of them need millions of inputs made and checked around the window.
NOISE_KERNEL = "insertion_sort"
NOISE_N = 16
NOISE_TRIAL_CALLS = 1000
NOISE_ROUND_SECONDS = 5e-3  # one round of the meter: long enough to span the few-millisecond swings of a CPU's speed


@dataclass
class Meter:
    """The noise meter's loop (a callable making `calls` calls of NOISE_KERNEL), or why there is none."""

    run: Callable[[], None] | None
    calls: int
    what: str
    problem: str | None = None
    clock: Callable[[], float] = time.perf_counter
    close: Callable[[], None] = lambda: None


def noise_meter() -> Meter:
    """NOISE_KERNEL's compiler source's timing loop on one native route, in a build of its own: a loop of the
    session's build of the same pair would end the meter's (one runner per build)."""
    what = f"{NOISE_KERNEL} on {NOISE_ROUTE}, n={NOISE_N}"
    built = None
    try:
        from kernels.kernel import get_kernel
        from harness.variants import discover
        from targets import get_route
        from harness.measure.bench import SEED
        from targets.fresh import EXPECT_SORTED

        kernel, route = get_kernel(NOISE_KERNEL), get_route(NOISE_ROUTE)
        source = next(s for s in discover(kernel) if s.language == route.language and kernel.is_compiler_source(s))
        built = route.build(source, kernel)

        def loop(calls: int) -> tuple[Callable[[], None], Callable[[], float]]:
            # One placement: the meter watches the machine, not where the code lands.
            run = built.loop(NOISE_N, "random", calls, seed=SEED, expect=EXPECT_SORTED, offsets=(0,))
            return run, built.loop_clock() or time.perf_counter

        trial, clock = loop(NOISE_TRIAL_CALLS)
        trial()  # the first call pays for page faults and the runner's start, not for the machine's noise
        per_call, _ = probe(trial, NOISE_TRIAL_CALLS, rounds=3, clock=clock)
        calls = max(1, min(10**7, int(NOISE_ROUND_SECONDS / per_call)))
        run, clock = loop(calls)
        run()
    except Exception as exc:  # no meter costs only its readings, never the run
        if built is not None:
            built.close()
        return Meter(None, 0, what, problem=f"{type(exc).__name__}: {exc}")
    return Meter(run, calls, f"{what}, {calls} calls x {PROBE_ROUNDS} rounds", clock=clock, close=built.close)


class MachineWatch:
    """Readings of the machine through one timed run: start, every PROBE_EVERY benchmarks, finish."""

    def __init__(self, meter: Meter, cores: int | None = None, every: int = PROBE_EVERY,
                 root: int | None = None) -> None:
        self.meter = meter
        self.root = root  # the process whose tree is this run (default: this process)
        self.cores = cores or os.cpu_count() or 1
        self.every = every
        self.points: list[Point] = []
        self.timed: list[list[str]] = [[]]  # benchmark ids timed between consecutive points
        self.lock: dict[str, Any] = {}
        self._counted: set[str] = set()  # benchmarks already placed in an interval (by timing())
        self._others = OtherProcesses()

    def _point(self, label: str) -> None:
        point = read_point(label, sum(len(ids) for ids in self.timed), self.root, self._others)
        if self.meter.run is not None:
            try:
                point.noise, point.noise_spread = probe(self.meter.run, self.meter.calls, clock=self.meter.clock)
            except Exception as exc:  # the meter must never cost the run: it stops, and says why
                self.meter.run, self.meter.problem = None, f"{type(exc).__name__}: {exc}"
        # Runnable processes come and go within microseconds: what was runnable both before and after the probe.
        point.runnable = min(point.runnable, others_running(self.root))
        self.points.append(point)

    def start(self) -> None:
        self._point("before")

    def before_benchmark(self, bench_id: str) -> None:
        """A benchmark starts: timed now, unless timing() already said when it was."""
        if bench_id not in self._counted:
            self.timing([bench_id])

    def timing(self, bench_ids: Sequence[str]) -> None:
        """These benchmarks are timed now, together (a block's visit, harness.measure.blocks.time_blocks): each is
        counted in the interval it was timed in, and in each of them if timed in several."""
        if self.points and len(self.timed[-1]) >= self.every:
            self._point("during")
            self.timed.append([])
        self.timed[-1].extend(bench_ids)
        self._counted.update(bench_ids)

    def finish(self) -> None:
        self._point("after")
        self.meter.close()

    def as_json(self) -> dict[str, Any]:
        return {
            "cores": self.cores,
            "meter": {"what": self.meter.what, "calls": self.meter.calls, "problem": self.meter.problem},
            "points": [asdict(p) for p in self.points],
            "timed": self.timed,
            "lock": self.lock,
            "thresholds": {"others_busy": OTHERS_BUSY, "load_busy": LOAD_BUSY},
        }


# --- judgements --------------------------------------------------------------------------------------------


@dataclass
class Interval:
    """The machine between two points of the run, and the benchmarks timed in it."""

    start: str
    end: str
    others: float | None  # share of all cores' time processes outside this run's tree used
    load1: float  # the lower load average of its two ends: what held through it
    runnable: int  # the fewer tasks not this run's runnable at its two ends
    noise: float | None  # the meter's larger move at either end, against its quietest probe of the run
    benchmarks: list[str]
    preempted: float | None = None  # the meter's slowest round over its median, minus 1, at either end
    reasons: list[str] = field(default_factory=list)
    own: float | None = None  # cores this run's process tree kept busy on average (its share of the load)
    steal: float | None = None  # share of all cores' time the hypervisor gave to other machines

    @property
    def busy(self) -> bool:
        return bool(self.reasons)


@dataclass
class Judgement:
    cores: int
    intervals: list[Interval]
    noise: float | None  # the meter's largest move over the run
    meter: str
    lock: dict[str, Any] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        return any(i.busy for i in self.intervals)

    @property
    def affected(self) -> set[str]:
        return {b for i in self.intervals if i.busy for b in i.benchmarks}

    def header(self) -> list[str]:
        """The machine's state in plain words, for the report's header."""
        lines = []
        if self.lock.get("waited_for"):
            lines.append(f"Waited {self.lock.get('waited', 0):.0f} s before timing, for another run on this machine "
                         f"({describe_holder(self.lock['waited_for'])}).")
        if not self.intervals:
            return lines + ["Machine state: not recorded for this run."]
        others = [i.others for i in self.intervals if i.others is not None]
        steal = max((i.steal for i in self.intervals if i.steal is not None), default=0.0)
        noise = (f"the noise meter ({self.meter}) moved {self.noise:.0%} at most between probes (shown, not judged: "
                 "a virtual machine's own slow spells move it with nothing else running)"
                 if self.noise is not None else f"no noise meter: {self.meter}")
        figures = (f"Readings while timing, on {self.cores} cores: other processes used up to "
                   f"{max(others, default=0):.0%} of the machine's CPU time (busy above {OTHERS_BUSY:.0%}); load "
                   f"average {min(i.load1 for i in self.intervals):.1f}-{max(i.load1 for i in self.intervals):.1f}, "
                   f"this run's own share counted out (busy when the rest exceeds "
                   f"{self.cores - 1 + LOAD_BUSY:.1f}); up to {max(i.runnable for i in self.intervals)} tasks of "
                   f"other processes runnable at once (busy at {self.cores})"
                   + (f"; the hypervisor took {steal:.0%} of the cores' time" if steal >= 0.01 else "")
                   + f"; {noise}.")
        preempted = max((i.preempted for i in self.intervals if i.preempted is not None), default=None)
        if preempted is not None and preempted > PREEMPTED:
            figures += f" A round of the noise meter took {preempted + 1:.0f}x its probe's median (a wait for the CPU)."
        if not self.busy:
            return lines + ["Machine: quiet while timing.", figures]
        busy = [i for i in self.intervals if i.busy]
        count = len({b for i in self.intervals for b in i.benchmarks})
        reasons = interval_reasons(_worst(busy), self.cores)
        return lines + [
            f"Machine: BUSY while timing: {'; '.join(reasons)}.", figures,
            f"{len(self.affected)} of {count} benchmarks were timed while it was busy: their rows are marked "
            "`busy`. Their verdicts stand: each comes from rounds its two sides shared, which other work slowed "
            "alike; absolute times are not comparable with a quiet run's (`arena doctor` says what else disturbs "
            "timings).",
        ]


def _worst(intervals: Sequence[Interval]) -> Interval:
    """One interval holding the worst reading of each kind, for a summary of several."""
    def most(values: Sequence[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return max(present) if present else None

    return Interval(start=intervals[0].start, end=intervals[-1].end, others=most([i.others for i in intervals]),
                    load1=max(i.load1 for i in intervals), runnable=max(i.runnable for i in intervals),
                    noise=most([i.noise for i in intervals]), benchmarks=[],
                    preempted=most([i.preempted for i in intervals]),
                    own=min((i.own for i in intervals if i.own is not None), default=None),
                    steal=most([i.steal for i in intervals]))


def judge(saved: dict[str, Any] | None) -> Judgement | None:
    """The saved readings of a run (MachineWatch.as_json) judged; None for a run saved without them."""
    if not saved or len(saved.get("points", [])) < 2:
        return None
    cores = int(saved.get("cores") or 1)
    points = [Point(**p) for p in saved["points"]]
    meter = saved.get("meter", {})
    noises = [p.noise for p in points if p.noise]
    quietest = min(noises, default=None)

    def moved(point: Point) -> float | None:
        return point.noise / quietest - 1 if point.noise and quietest else None

    intervals = []
    timed = saved.get("timed", [])
    for k, (a, b) in enumerate(zip(points, points[1:])):
        elapsed = b.wall - a.wall
        others = own = steal = None
        if elapsed > 0:
            own = max(0.0, b.own_cpu - a.own_cpu) / elapsed
            if a.others_cpu is not None and b.others_cpu is not None:  # process by process (OtherProcesses)
                others = min(1.0, max(0.0, (b.others_cpu - a.others_cpu) / (elapsed * cores)))
            else:  # a run saved before: the machine's busy time, less the run's own
                others = min(1.0, max(0.0, (b.busy_cpu - a.busy_cpu) / (elapsed * cores) - own / cores))
            steal = min(1.0, max(0.0, (b.steal_cpu - a.steal_cpu) / (elapsed * cores)))
        moves = [m for m in (moved(a), moved(b)) if m is not None]
        spreads = [p.noise_spread for p in (a, b) if p.noise_spread is not None]
        # Load and runnable tasks are instants; contention that lasted shows at both ends, a burst at one end only
        # is already in the CPU time others used.
        interval = Interval(start=a.label, end=b.label, others=others, load1=min(a.load1, b.load1),
                            runnable=min(a.runnable, b.runnable), noise=max(moves) if moves else None,
                            benchmarks=list(timed[k]) if k < len(timed) else [],
                            preempted=max(spreads) if spreads else None, own=own, steal=steal)
        interval.reasons = interval_reasons(interval, cores)
        intervals.append(interval)
    largest = max((i.noise for i in intervals if i.noise is not None), default=None)
    what = meter.get("what", "")
    if meter.get("problem"):
        what += f" (stopped: {meter['problem']})"
    return Judgement(cores=cores, intervals=intervals, noise=largest, meter=what, lock=saved.get("lock", {}))


def interval_reasons(interval: Interval, cores: int) -> list[str]:
    """Why an interval counts as busy, in plain words; empty when it was quiet. Only other processes' work counts:
    the noise meter's readings are the run's own speed, which a virtual machine's slow spells move as well."""
    reasons = []
    if interval.others is not None and interval.others > OTHERS_BUSY:
        reasons.append(f"other processes used {interval.others:.0%} of the {cores} cores' time")
    own = 1.0 if interval.own is None else interval.own  # the timed process keeps a core busy
    if interval.load1 - own > cores - 1 + LOAD_BUSY and (interval.others is None or interval.others >= LOAD_NEEDS):
        reasons.append(f"load average {interval.load1:.1f} on {cores} cores, {own:.1f} of it this run's")
    if interval.runnable >= cores:
        reasons.append(f"{interval.runnable} tasks of other processes were runnable on {cores} cores")
    return reasons


def unstable(per_round: Sequence[float]) -> str | None:
    """pyperf's warning for one row: the slowest round far above the median, or a wide interquartile range."""
    if len(per_round) < 4:
        return None
    import numpy as np

    median = float(np.median(per_round))
    if median <= 0:
        return None
    q1, q3 = np.percentile(per_round, [25, 75])
    slowest, iqr = max(per_round) / median - 1, float(q3 - q1) / median
    found = []
    if slowest >= UNSTABLE_MAX:
        found.append(f"slowest round {slowest:.0%} above the median")
    if iqr >= UNSTABLE_IQR:
        found.append(f"IQR {iqr:.0%} of the median")
    return "unstable: " + ", ".join(found) if found else None


def judge_rows(rows: Sequence[Any], headline: Sequence[Any], saved: dict[str, Any] | None) -> list[str]:
    """The judgement on a report's rows (harness.report.writer's Row and Headline): unstable rows flagged, rows timed while
    the machine was busy marked. Neither changes a verdict: every verdict comes from paired rounds, which a busy
    machine slows on both sides alike. Returns the header's lines."""
    for row in rows:
        if row.timing != "emulated":
            row.unstable = unstable(row.per_sort)
    judged = judge(saved)
    if judged is None:
        return []
    affected = judged.affected
    for row in rows:
        row.busy = row.id in affected
    return judged.header()

"""The timing lock between real processes, the machine's readings judged, and their place in the report."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from harness.measure.machine import OTHERS_BUSY, Meter, MachineWatch, OtherProcesses, judge, read_point, unstable
from harness.report.analysis import analyse
from harness.report.writer import markdown
from harness.gate import pytest_child_env as child_env
from tests.conftest import REPO

# A process that takes the timing lock under the run name it is given, says so, and holds it until told to stop.
HOLD = """
import sys, time
from pathlib import Path
from harness.measure.timing_lock import MachineBusy, TimingLock
lock = TimingLock(sys.argv[1], wait=sys.argv[2] == "wait")
try:
    lock.acquire()
except MachineBusy as exc:
    print(f"stopped: {exc}", flush=True)
    sys.exit(3)
print("timing now", flush=True)
stop = Path(sys.argv[3])
while not stop.exists():
    time.sleep(0.05)
lock.release()
"""


def _env(cache: Path) -> dict[str, str]:
    return child_env(ARENA_CACHE=str(cache), PYTHONPATH=str(REPO))


def _holder(cache: Path, run: str, stop: Path, wait: str = "wait") -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", HOLD, run, wait, str(stop)], cwd=REPO, env=_env(cache),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for_line(process: subprocess.Popen[str], words: str) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert words in line, line
    return line


def test_a_second_process_waits_for_the_first_and_names_it(tmp_path: Path) -> None:
    first = _holder(tmp_path, "first-run", tmp_path / "stop-first")
    second = None
    try:
        _wait_for_line(first, "timing now")
        second = _holder(tmp_path, "second-run", tmp_path / "stop-second")
        waiting = _wait_for_line(second, "waiting for it to finish")
        assert f"pid {first.pid}" in waiting and "'first-run'" in waiting
        time.sleep(0.5)
        assert second.poll() is None  # still waiting: it has not taken the lock while the first holds it
        (tmp_path / "stop-first").touch()
        assert first.wait(timeout=30) == 0
        assert "finished" in _wait_for_line(second, "timing now")
        (tmp_path / "stop-second").touch()
        assert second.wait(timeout=30) == 0
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()


def test_no_wait_stops_with_the_holders_pid_and_run(tmp_path: Path) -> None:
    first = _holder(tmp_path, "first-run", tmp_path / "stop")
    try:
        _wait_for_line(first, "timing now")
        second = _holder(tmp_path, "second-run", tmp_path / "stop", wait="no-wait")
        assert second.wait(timeout=30) == 3
        assert second.stdout is not None
        out = second.stdout.read()
        assert f"pid {first.pid}" in out and "'first-run'" in out and "--no-wait" in out
    finally:
        (tmp_path / "stop").touch()
        first.wait(timeout=30)


def _bench_session(cache: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_bench.py", "-q", "-p", "no:cacheprovider", "-k",
         "noop/noop/c-gcc-O3", "--sizes=16", *options],
        cwd=REPO, env=_env(cache), capture_output=True, text=True, timeout=600)


def test_pytest_no_wait_stops_a_timed_run_but_never_an_untimed_one(tmp_path: Path) -> None:
    first = _holder(tmp_path, "first-run", tmp_path / "stop")
    try:
        _wait_for_line(first, "timing now")
        untimed = _bench_session(tmp_path, "--benchmark-disable", "--no-wait")
        assert untimed.returncode == 0, untimed.stdout + untimed.stderr
        timed = _bench_session(tmp_path, "--benchmark-enable", "--benchmark-only", "--no-wait",
                               f"--benchmark-json={tmp_path / 'run.json'}")
        assert timed.returncode == pytest.ExitCode.INTERRUPTED, timed.stdout + timed.stderr
        assert f"pid {first.pid}" in timed.stdout and "'first-run'" in timed.stdout
        assert not (tmp_path / "run.json").exists()
    finally:
        (tmp_path / "stop").touch()
        first.wait(timeout=30)


# --- judgements on synthetic readings ----------------------------------------------------------------------


def point(label: str, wall: float, busy: float, own: float, noise: float | None = 1e-8, load1: float = 1.0,
          runnable: int = 0, steal: float = 0.0) -> dict[str, Any]:
    return dict(label=label, done=0, wall=wall, load1=load1, runnable=runnable, busy_cpu=busy, own_cpu=own,
                noise=noise, noise_spread=0.0, steal_cpu=steal)


def readings(*points: dict[str, Any], timed: list[list[str]] | None = None) -> dict[str, Any]:
    return {"cores": 2, "meter": {"what": "no-op", "calls": 1000}, "points": list(points),
            "timed": timed or [[f"b{k}"] for k in range(len(points) - 1)], "lock": {}}


def test_a_quiet_run_is_said_quiet() -> None:
    # 10 s on 2 cores: this run used 10 CPU seconds, everything else 0.4 (2%).
    judged = judge(readings(point("before", 0, 100, 5), point("after", 10, 110.4, 15)))
    assert judged is not None and not judged.busy and not judged.affected
    assert judged.intervals[0].others == pytest.approx(0.02)
    assert judged.header()[0] == "Machine: quiet while timing."


def test_other_processes_cpu_time_makes_only_their_interval_busy() -> None:
    judged = judge(readings(point("before", 0, 100, 5), point("during", 10, 110, 15), point("after", 20, 130, 25)))
    assert judged is not None
    assert [i.busy for i in judged.intervals] == [False, True]
    assert judged.intervals[1].others == pytest.approx(0.5) and OTHERS_BUSY < 0.5
    assert judged.affected == {"b1"}
    assert "other processes used 50% of the 2 cores' time" in judged.header()[0]


def test_a_shared_vms_slow_spell_alone_is_not_busy() -> None:
    """Nothing else running (others 7% of the CPU, load 1.2-1.4 with this run's own core), but the noise meter's
    median moved 90% between probes, as a virtual machine's own slow spells move it: quiet, the move shown."""
    judged = judge(readings(point("before", 0, 100, 5, noise=1.0e-8, load1=1.2),
                            point("after", 10, 111.4, 15, noise=1.9e-8, load1=1.4, steal=0.6)))
    assert judged is not None and not judged.busy and not judged.affected
    assert judged.noise == pytest.approx(0.9) and judged.intervals[0].others == pytest.approx(0.07)
    header = judged.header()
    assert header[0] == "Machine: quiet while timing."
    assert "moved 90% at most between probes (shown, not judged" in header[1]
    assert "the hypervisor took 3% of the cores' time" in header[1]


def test_load_counts_this_runs_own_children_out() -> None:
    # Load 3.1 on 2 cores while this run kept one core busy: the rest, 2.1, is others' work (which used 15%).
    loaded = judge(readings(point("before", 0, 100, 5, load1=3.1), point("after", 10, 113, 15, load1=3.1)))
    assert loaded is not None and loaded.intervals[0].reasons == ["load average 3.1 on 2 cores, 1.0 of it this run's"]
    # The same load while other processes used 2% of the CPU: left from before the run, or tasks waiting on a disk.
    lagging = judge(readings(point("before", 0, 100, 5, load1=3.1), point("after", 10, 110.4, 15, load1=3.1)))
    assert lagging is not None and not lagging.busy
    # The same load while this run's own pool kept both cores busy (20 CPU seconds in 10 s): nobody else's.
    own_pool = judge(readings(point("before", 0, 100, 5, load1=3.1), point("after", 10, 123, 25, load1=3.1)))
    assert own_pool is not None and not own_pool.busy and own_pool.intervals[0].others == pytest.approx(0.15)
    # A load that held at one end only (left from before the run) is not contention through the interval.
    fading = judge(readings(point("before", 0, 100, 5, load1=3.1), point("after", 10, 113, 15, load1=1.3)))
    assert fading is not None and not fading.busy


def test_runnable_tasks_of_others_at_both_ends_make_it_busy() -> None:
    crowded = judge(readings(point("before", 0, 100, 5, runnable=2), point("after", 10, 110, 15, runnable=3)))
    assert crowded is not None and crowded.intervals[0].reasons == ["2 tasks of other processes were runnable on 2 cores"]
    blip = judge(readings(point("before", 0, 100, 5, runnable=2), point("after", 10, 110, 15, runnable=0)))
    assert blip is not None and not blip.busy


def test_a_run_without_readings_is_not_judged() -> None:
    assert judge(None) is None and judge({"points": []}) is None


def test_unstable_rows_as_pyperf_flags_them() -> None:
    steady = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.01]
    assert unstable(steady) is None
    spike = unstable(steady[:-1] + [2.0])
    assert spike is not None and "slowest round 100% above the median" in spike
    wide = unstable([1.0, 1.2, 0.8, 1.25, 0.75, 1.0, 1.1, 0.9])
    assert wide is not None and "IQR" in wide and "slowest" not in wide


def test_the_watch_records_points_and_which_benchmarks_ran_between_them() -> None:
    calls = []
    watch = MachineWatch(Meter(lambda: calls.append(1), 1, "counting"), every=2)
    watch.start()
    for k in range(5):
        watch.before_benchmark(f"b{k}")
    watch.finish()
    saved = json.loads(json.dumps(watch.as_json()))
    assert [p["label"] for p in saved["points"]] == ["before", "during", "during", "after"]
    assert saved["timed"] == [["b0", "b1"], ["b2", "b3"], ["b4"]]
    assert len(calls) == 4 * 7 and all(p["noise"] is not None for p in saved["points"])
    judged = judge(saved)
    assert judged is not None and len(judged.intervals) == 3


def test_other_processes_are_counted_process_by_process_where_the_run_read_them() -> None:
    # The machine was busy 30% more than this run's processes were charged with (the kernel's work for the run:
    # forking it, its memory's housekeeping), and the load average still held a finished run's minute: what
    # processes outside the run used, read process by process, was 1%. Quiet.
    def at(label: str, wall: float, busy: float, own: float, others: float) -> dict[str, Any]:
        return {**point(label, wall, busy, own, load1=2.6), "others_cpu": others}

    quiet = judge(readings(at("before", 0, 100, 5, 0.0), at("after", 10, 116, 15, 0.2)))
    assert quiet is not None and not quiet.busy and quiet.intervals[0].others == pytest.approx(0.01)
    # Read the old way (a run saved without the process-by-process account), the same machine reads busy.
    old = judge(readings(point("before", 0, 100, 5, load1=2.6), point("after", 10, 116, 15, load1=2.6)))
    assert old is not None and old.busy and old.intervals[0].others == pytest.approx(0.3)
    busy = judge(readings(at("before", 0, 100, 5, 0.0), at("after", 10, 126, 15, 16.0)))
    assert busy is not None and busy.busy and busy.intervals[0].others == pytest.approx(0.8)


def test_benchmarks_timed_ahead_count_in_the_intervals_their_rounds_ran_in() -> None:
    # Blocks timed together before their benchmarks report (two visits each): a benchmark counts in every interval
    # one of its visits ran in, and once in the run's count; its own start later adds nothing.
    watch = MachineWatch(Meter(None, 1, "none"), every=2)
    watch.start()
    watch.timing(["a", "b"])  # block 1, first visit
    watch.timing(["c", "d"])  # block 2, first visit
    watch.timing(["a", "b"])  # block 1, second visit
    for bench_id in ("a", "b", "e"):  # the tests report; e was not timed ahead
        watch.before_benchmark(bench_id)
    watch.finish()
    saved = json.loads(json.dumps(watch.as_json()))
    assert saved["timed"] == [["a", "b"], ["c", "d"], ["a", "b"], ["e"]]
    # Others used 2.5% of the machine, then 80% while block 2 took its first visit, then 2.5%.
    busy = readings(point("before", 0, 100, 5), point("during", 1, 100.1, 5.05), point("during", 2, 101.9, 5.25),
                    point("during", 3, 102.0, 5.3), point("after", 4, 102.1, 5.35), timed=saved["timed"])
    judged = judge(busy)
    assert judged is not None and [i.busy for i in judged.intervals] == [False, True, False, False]
    assert judged.affected == {"c", "d"} and "2 of 5 benchmarks were timed while it was busy" in " ".join(judged.header())


def _row(variant: str, route: str, origin: str, per_sort: list[float]) -> dict[str, Any]:
    data = [t * 4 for t in per_sort]
    return {"stats": {"median": sorted(data)[len(data) // 2], "iqr": 0.0, "rounds": len(data), "data": data},
            "extra_info": {"kernel": "insertion_sort", "variant": variant, "route": route, "origin": origin, "n": 128,
                           "shape": "random", "repeat": 4, "timing": "native", "substrate": "native x86-64",
                           # One timed block: the rows' rounds are paired by their ids.
                           "block": "insertion_sort/native x86-64/n=128/random", "round_ids": list(range(len(data))),
                           "block_base": len(data)}}


def test_the_report_marks_busy_rows_and_their_paired_verdicts_stand() -> None:
    base = [2e-6 * (1 + 0.002 * (k % 5)) for k in range(20)]
    run = {"datetime": "2026-11-27T00:00:00", "machine_info": {}, "benchmarks": [
        _row("insertion_sort", "c-gcc-O3", "human", base),
        _row("ai-close", "x86-native", "ai", [t * 0.93 for t in base]),  # 7% faster in every shared round
        _row("ai-far", "x86-native", "ai", [t * 0.5 for t in base]),  # twice as fast
    ], "arena": {"machine": readings(  # others used half the machine; the meter moved 20%
        point("before", 0, 100, 5, noise=1.0e-8), point("after", 10, 120, 15, noise=1.2e-8),
        timed=[["insertion_sort/insertion_sort/c-gcc-O3/n=128/random", "insertion_sort/ai-close/x86-native/n=128/random",
                "insertion_sort/ai-far/x86-native/n=128/random"]])}}
    analysis = analyse(run, "busy-run")
    verdicts = {r.variant: (r.verdict, r.busy) for r in analysis.rows}
    # Busy is said, and shown on each row; the verdicts come from rounds both sides shared, so they stand.
    assert verdicts["ai-close"] == ("faster", True)
    assert verdicts["ai-far"] == ("faster", True)
    text = markdown(analysis)
    assert "Machine: BUSY while timing" in text and "(busy)" in text and "Their verdicts stand" in text
    assert analysis.headline and {h.verdict for h in analysis.headline} == {"AI faster"}
    run["benchmarks"].pop()  # without ai-far, the headline's best AI row is ai-close: still decided
    assert {h.verdict for h in analyse(run, "busy-run").headline} == {"AI faster"}
    del run["arena"]["machine"]
    quiet = analyse(run, "quiet-run")
    assert {r.variant: r.verdict for r in quiet.rows}["ai-close"] == "faster"  # the same figures on a quiet machine
    assert not any(r.busy for r in quiet.rows)


def test_a_preempted_noise_meter_round_is_shown_and_the_summary_takes_the_worst() -> None:
    waited = point("during", 10, 110, 15, runnable=3)
    waited["noise_spread"] = 13.0
    judged = judge(readings(point("before", 0, 100, 5, runnable=3), waited, point("after", 20, 120, 25, runnable=2)))
    assert judged is not None and [i.busy for i in judged.intervals] == [True, True]
    header = judged.header()
    assert "a round of the noise meter took 14x its probe's median" in header[1].lower()
    assert header[0].count("other processes were runnable") == 1 and "3 tasks of other processes" in header[0]


# --- the watch's readings of this machine, with busy loops of other processes and of this run's own ---------

LOOP = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
# Started by a Python that exits at once: the loops then belong to no process of this session (they are
# re-parented), as another user's work would. They end by themselves should this test die before killing them.
LAUNCH = """
import subprocess, sys
for _ in range(int(sys.argv[1])):
    loop = subprocess.Popen([sys.executable, "-c", sys.argv[2]], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(loop.pid, flush=True)
"""
WINDOW = 1.5  # seconds between the two readings of each case


def _session_root() -> int:
    """The pytest process whose tree is this test session: under pytest-xdist the controller, whose workers
    (this one and its siblings) count as the run's own, as a run's pool does."""
    import psutil

    return psutil.Process().ppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()


def _cpu_outside(root: int) -> dict[int, float]:
    """CPU seconds each process outside the session's tree has used so far."""
    import psutil

    own = {root, *(p.pid for p in psutil.Process(root).children(recursive=True))}
    found = {}
    for process in psutil.process_iter():
        try:
            if process.pid not in own:
                found[process.pid] = sum(process.cpu_times()[:2])
        except psutil.Error:
            pass
    return found


def _readings_over(root: int) -> tuple[dict[str, Any], float]:
    """The watch's readings over one window, and the share of the cores' time that processes outside the
    session's tree used over the same window, summed process by process: an account independent of the
    machine-wide one the judgement reads."""
    first = _cpu_outside(root)
    others = OtherProcesses()
    before = read_point("before", 0, root, others)
    time.sleep(WINDOW)
    after = read_point("after", 1, root, others)
    second = _cpu_outside(root)
    foreign = sum(second[p] - first.get(p, 0.0) for p in second) / (WINDOW * (os.cpu_count() or 1))
    return ({"cores": os.cpu_count() or 1, "meter": {"what": "none", "calls": 0},
             "points": [asdict(before), asdict(after)], "timed": [["b"]], "lock": {}}, foreign)


def _stop(pids: list[int]) -> None:
    import psutil

    loops = []
    for pid in pids:
        try:
            loops.append(psutil.Process(pid))
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, psutil.Error):
            pass
    psutil.wait_procs(loops, timeout=10)


def _assert_quiet(root: int, what: str) -> None:
    if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
        # Other tests run beside this one and start processes of their own (compilers, node) that come and go
        # within the window: a quiet machine cannot be had here, only with `-n 0`.
        pytest.skip(f"{what}: other test workers run beside this test; quiet is checked with -n 0")
    readings, foreign = _readings_over(root)
    judged = judge(readings)
    assert judged is not None
    if judged.busy and foreign > OTHERS_BUSY / 2:
        # This machine may be shared: quiet is asserted only when nothing outside the session worked in the
        # very window the judgement read.
        pytest.skip(f"{what}: processes outside this test session used {foreign:.0%} of the CPU: not quiet")
    assert not judged.busy, (what, judged.intervals[0])


def test_busy_loops_of_other_processes_make_the_machine_busy_and_the_runs_own_do_not() -> None:
    import psutil

    cores, root = os.cpu_count() or 1, _session_root()
    code = LOOP.format(seconds=15)
    launched = subprocess.run([sys.executable, "-c", LAUNCH, str(cores), code], capture_output=True, text=True,
                              timeout=30, check=True)
    foreign = [int(pid) for pid in launched.stdout.split()]
    try:
        own = {p.pid for p in psutil.Process(root).children(recursive=True)}
        assert len(foreign) == cores and not own & set(foreign)
        time.sleep(0.2)  # the loops' interpreters start
        busy = judge(_readings_over(root)[0])
    finally:
        _stop(foreign)
    assert busy is not None and busy.busy, busy
    assert any(reason.startswith("other processes used") for reason in busy.intervals[0].reasons), busy.intervals[0]
    assert busy.header()[0].startswith("Machine: BUSY while timing")

    # The same loops as this run's own children (a pool beside the timing) are counted out.
    children = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(cores)]
    try:
        time.sleep(0.2)
        _assert_quiet(root, "busy loops of this run's own")
    finally:
        for child in children:
            child.kill()
            child.wait(timeout=10)
    _assert_quiet(root, "nothing running")

"""`arena doctor`: what this machine offers for stable timing, each finding with what it means and what to do.

Readings first (`read_machine`: /sys/devices/system/cpu, /proc, the scheduler,
PATH), then judgements (`judge`: readings in, findings out), so every judgement
is tested on synthetic readings without the machine it describes.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

CPU = Path("/sys/devices/system/cpu")
LOAD_BUSY_PER_CORE = 0.5  # a load average above half the cores: something else is running


@dataclass
class Readings:
    """What the machine says about itself; None where it cannot be read."""

    cores: int
    smt: str | None = None  # /sys/devices/system/cpu/smt/control: on, off, forceoff, notsupported, notimplemented
    governors: list[str] = field(default_factory=list)  # each core's cpufreq scaling_governor
    no_turbo: str | None = None  # intel_pstate/no_turbo: "1" when turbo is off
    boost: str | None = None  # cpufreq/boost (acpi-cpufreq, amd-pstate): "1" when boost is on
    load1: float = 0.0
    allowed: list[int] = field(default_factory=list)  # cores this process may run on
    pin_problem: str | None = None  # why os.sched_setaffinity failed, None when pinning works
    aslr: str | None = None  # /proc/sys/kernel/randomize_va_space
    perf_paranoid: str | None = None  # /proc/sys/kernel/perf_event_paranoid
    perf_instructions: str | None = None  # "counted", "not supported", or None when perf is missing
    tools: dict[str, str | None] = field(default_factory=dict)  # name -> path on PATH


@dataclass
class Finding:
    topic: str
    status: str  # "ok", "warn" (disturbs timings or hides a route), "info"
    reading: str
    meaning: str
    todo: str = ""

    def text(self) -> str:
        return f"[{self.status:4}] {self.topic}: {self.reading}\n       {self.meaning}" + (
            f"\n       what to do: {self.todo}" if self.todo else "")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def timing_core(allowed: list[int]) -> int | None:
    """The core the interleaved timings pin to (harness.measure.bench.one_core): the lowest this process may use."""
    return min(allowed) if allowed else None


def _perf_instructions() -> str | None:
    perf = shutil.which("perf")
    if perf is None:
        return None
    try:
        done = subprocess.run([perf, "stat", "-x,", "-e", "instructions", "true"], capture_output=True, text=True,
                              timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"perf failed: {exc}"
    out = done.stderr + done.stdout
    if "<not supported>" in out or "not supported" in out.lower():
        return "not supported"
    if "<not counted>" in out or done.returncode != 0:
        return f"not counted: {out.strip().splitlines()[-1] if out.strip() else done.returncode}"
    return "counted"


def read_machine() -> Readings:
    allowed = sorted(os.sched_getaffinity(0))
    pin_problem = None
    try:
        core = timing_core(allowed)
        os.sched_setaffinity(0, {core})
        os.sched_setaffinity(0, set(allowed))
    except OSError as exc:
        pin_problem = str(exc)
    governors = [g for g in (_read(p) for p in sorted(CPU.glob("cpu[0-9]*/cpufreq/scaling_governor"))) if g]
    return Readings(
        cores=os.cpu_count() or 1, smt=_read(CPU / "smt" / "control"), governors=governors,
        no_turbo=_read(CPU / "intel_pstate" / "no_turbo"), boost=_read(CPU / "cpufreq" / "boost"),
        load1=os.getloadavg()[0], allowed=allowed, pin_problem=pin_problem,
        aslr=_read(Path("/proc/sys/kernel/randomize_va_space")),
        perf_paranoid=_read(Path("/proc/sys/kernel/perf_event_paranoid")), perf_instructions=_perf_instructions(),
        tools={name: shutil.which(name) for name in ("node", "llvm-mca", "chromium")},
    )


def judge(r: Readings) -> list[Finding]:
    return [judge_cores(r), judge_smt(r), judge_governor(r), judge_turbo(r), judge_load(r), judge_pinning(r),
            judge_aslr(r), judge_counters(r), *judge_tools(r)]


def judge_cores(r: Readings) -> Finding:
    if r.cores < 2:
        return Finding("cores", "warn", "1 core",
                       "timing shares its only core with everything else, the checks run one at a time",
                       "time on a machine with 2 or more cores")
    return Finding("cores", "ok", f"{r.cores} cores", "the checks run in parallel; timing keeps one core busy")


def judge_smt(r: Readings) -> Finding:
    if r.smt == "on":
        return Finding("SMT", "warn", "on: two hardware threads share each core",
                       "work on the sibling thread slows the timed code without showing in its own CPU time",
                       "turn SMT off for timing (echo off > /sys/devices/system/cpu/smt/control) or keep the "
                       "timed core's sibling idle")
    if r.smt in ("off", "forceoff", "notsupported", "notimplemented"):
        return Finding("SMT", "ok", f"{r.smt}: one thread per core", "no sibling thread shares the timed core")
    return Finding("SMT", "info", "unknown (no /sys/devices/system/cpu/smt)", "whether a sibling thread shares the "
                   "timed core cannot be told", "check lscpu's 'Thread(s) per core'")


def judge_governor(r: Readings) -> Finding:
    if not r.governors:
        return Finding("frequency governor", "info", "not readable (no cpufreq: usual in a virtual machine)",
                       "the host sets the clock; neither this machine nor the harness can see or fix it",
                       "compare within one run only (the report does); for absolute times use a machine you control")
    odd = sorted(set(g for g in r.governors if g != "performance"))
    if odd:
        return Finding("frequency governor", "warn", ", ".join(sorted(set(r.governors))),
                       "the clock follows the load: the first rounds of a benchmark run slower than the rest",
                       "sudo cpupower frequency-set -g performance (or pyperf system tune)")
    return Finding("frequency governor", "ok", "performance on every core", "the clock does not follow the load")


def judge_turbo(r: Readings) -> Finding:
    on = r.no_turbo == "0" or r.boost == "1"
    off = r.no_turbo == "1" or r.boost == "0"
    if on:
        return Finding("turbo", "warn", "on", "the clock depends on temperature and on how many cores are busy: "
                       "the same code times differently as the machine warms or other work starts",
                       "turn it off while timing (echo 1 > /sys/devices/system/cpu/intel_pstate/no_turbo, or "
                       "echo 0 > /sys/devices/system/cpu/cpufreq/boost)")
    if off:
        return Finding("turbo", "ok", "off", "the clock stays put while other cores are busy")
    return Finding("turbo", "info", "not readable", "whether the clock boosts cannot be told from here")


def judge_load(r: Readings) -> Finding:
    reading = f"load average {r.load1:.2f} on {r.cores} cores"
    if r.load1 > LOAD_BUSY_PER_CORE * r.cores:
        return Finding("load", "warn", reading, "other work is running now: timings taken now are slowed at random "
                       "moments (a bench waits for other benchmark runs, not for other work)",
                       "time when the machine is quiet; the report's header says how busy it was while timing")
    return Finding("load", "ok", reading, "the machine is quiet now")


def judge_pinning(r: Readings) -> Finding:
    core = timing_core(r.allowed)
    if r.pin_problem is not None or core is None:
        return Finding("pinning", "warn", f"cannot pin to one core ({r.pin_problem or 'no core allowed'})",
                       "the scheduler may move timed code between cores mid-round, and cores of a shared machine differ",
                       "allow sched_setaffinity (a container's seccomp or cpuset may forbid it)")
    restricted = f"; this process may use cores {r.allowed} only" if len(r.allowed) < r.cores else ""
    return Finding("pinning", "ok", f"works; interleaved benchmarks pin to core {core}{restricted}",
                   "both sides of an interleaved ratio, and the native runner's child they start, run on that one "
                   "core; other benchmarks go where the scheduler puts them")


def judge_aslr(r: Readings) -> Finding:
    if r.aslr in ("1", "2"):
        return Finding("ASLR", "info", f"on (randomize_va_space={r.aslr})",
                       "where code and data land changes from run to run, and a kernel's time with it: a "
                       "difference between two runs smaller than that is not a result",
                       "compare within one run (the report does); `setarch -R` runs a command with ASLR off")
    if r.aslr == "0":
        return Finding("ASLR", "info", "off (randomize_va_space=0)", "every run lands code at the same addresses: "
                       "runs repeat, but one lucky or unlucky placement repeats with them",
                       "keep in mind that one placement is one sample")
    return Finding("ASLR", "info", "unknown", "/proc/sys/kernel/randomize_va_space is not readable")


def judge_counters(r: Readings) -> Finding:
    reading = f"perf stat -e instructions: {r.perf_instructions or 'perf not installed'}; perf_event_paranoid=" \
              f"{r.perf_paranoid if r.perf_paranoid is not None else 'unreadable'}"
    if r.perf_instructions == "counted":
        return Finding("hardware counters", "ok", reading, "native instruction counts could be read from the CPU")
    if r.perf_instructions is None and r.perf_paranoid is not None and int(r.perf_paranoid) <= 2:
        return Finding("hardware counters", "info", reading, "the kernel allows this user's counters; perf is not "
                       "installed to try them", "install perf (linux-perf) to check")
    if r.perf_paranoid is not None and int(r.perf_paranoid) > 2:
        return Finding("hardware counters", "warn", reading, "the kernel forbids counters to unprivileged users",
                       "sudo sysctl kernel.perf_event_paranoid=2")
    return Finding("hardware counters", "info", reading, "no hardware counters (usual in a virtual machine): "
                   "executed work is counted exactly in Unicorn and by wasm fuel instead", "")


TOOLS = {
    "node": ("the V8 routes (wasm-v8, wasm-clang-O3-v8, wasm-llvm-O3-v8) run", "the V8 routes are skipped",
             "install Node.js (apt-get install nodejs)", "warn"),
    "llvm-mca": ("`arena asm --mca` adds the static cost of inner loops", "`arena asm --mca` has no cost model",
                 "install LLVM's tools (apt-get install llvm)", "info"),
    "chromium": ("a browser is there for runs in a browser", "nothing can run in a browser here",
                 "apt-get install chromium", "info"),
}


def judge_tools(r: Readings) -> list[Finding]:
    out = []
    for name, (present, missing, todo, status) in TOOLS.items():
        path = r.tools.get(name)
        out.append(Finding(name, "ok", path, present) if path else Finding(name, status, "not on PATH", missing, todo))
    return out


def cmd_doctor(args: object) -> int:
    findings = judge(read_machine())
    for finding in findings:
        print(finding.text())
    warned = sum(f.status == "warn" for f in findings)
    print(f"{warned} finding(s) that disturb timings or hide routes" if warned else "nothing here disturbs timings")
    return 0


def add_parser(sub: object) -> None:
    doctor = sub.add_parser("doctor", help="what this machine offers for stable timing, and what to change")  # type: ignore[attr-defined]
    doctor.set_defaults(run=cmd_doctor)

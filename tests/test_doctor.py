"""`arena doctor`: each judgement on synthetic readings, and the command on this machine."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from harness.doctor import (
    Readings,
    judge,
    judge_aslr,
    judge_cores,
    judge_counters,
    judge_governor,
    judge_load,
    judge_pinning,
    judge_smt,
    judge_tools,
    judge_turbo,
    read_machine,
)
from tests.conftest import REPO

QUIET = Readings(cores=4, smt="off", governors=["performance"] * 4, no_turbo="1", load1=0.1, allowed=[0, 1, 2, 3],
                 aslr="2", perf_paranoid="1", perf_instructions="counted",
                 tools={"node": "/usr/bin/node", "llvm-mca": "/usr/bin/llvm-mca", "chromium": "/usr/bin/chromium"})


def test_cores() -> None:
    assert judge_cores(QUIET).status == "ok"
    one = judge_cores(replace(QUIET, cores=1))
    assert one.status == "warn" and "only core" in one.meaning


@pytest.mark.parametrize("control, status", [("on", "warn"), ("off", "ok"), ("forceoff", "ok"), ("notsupported", "ok"),
                                             (None, "info")])
def test_smt(control: str | None, status: str) -> None:
    finding = judge_smt(replace(QUIET, smt=control))
    assert finding.status == status
    if status == "warn":
        assert "sibling" in finding.meaning and "smt/control" in finding.todo


def test_governor() -> None:
    assert judge_governor(QUIET).status == "ok"
    scaling = judge_governor(replace(QUIET, governors=["performance", "powersave"]))
    assert scaling.status == "warn" and "powersave" in scaling.reading and "cpupower" in scaling.todo
    unreadable = judge_governor(replace(QUIET, governors=[]))
    assert unreadable.status == "info" and "not readable" in unreadable.reading


@pytest.mark.parametrize("no_turbo, boost, status", [("1", None, "ok"), ("0", None, "warn"), (None, "1", "warn"),
                                                     (None, "0", "ok"), (None, None, "info")])
def test_turbo(no_turbo: str | None, boost: str | None, status: str) -> None:
    assert judge_turbo(replace(QUIET, no_turbo=no_turbo, boost=boost)).status == status


def test_load() -> None:
    assert judge_load(QUIET).status == "ok"
    busy = judge_load(replace(QUIET, cores=2, load1=1.5))
    assert busy.status == "warn" and "1.50 on 2 cores" in busy.reading


def test_pinning() -> None:
    ok = judge_pinning(replace(QUIET, allowed=[2, 3]))
    assert ok.status == "ok" and "core 2" in ok.reading and "[2, 3] only" in ok.reading
    refused = judge_pinning(replace(QUIET, pin_problem="[Errno 1] Operation not permitted"))
    assert refused.status == "warn" and "Operation not permitted" in refused.reading


@pytest.mark.parametrize("value, words", [("2", "changes from run to run"), ("1", "changes from run to run"),
                                          ("0", "same addresses"), (None, "not readable")])
def test_aslr(value: str | None, words: str) -> None:
    assert words in judge_aslr(replace(QUIET, aslr=value)).meaning


def test_counters() -> None:
    assert judge_counters(QUIET).status == "ok"
    vm = judge_counters(replace(QUIET, perf_instructions="not supported", perf_paranoid="2"))
    assert vm.status == "info" and "Unicorn" in vm.meaning
    forbidden = judge_counters(replace(QUIET, perf_instructions="not counted: denied", perf_paranoid="3"))
    assert forbidden.status == "warn" and "perf_event_paranoid" in forbidden.todo
    no_perf = judge_counters(replace(QUIET, perf_instructions=None, perf_paranoid="1"))
    assert no_perf.status == "info" and "install perf" in no_perf.todo


def test_tools() -> None:
    assert [f.status for f in judge_tools(QUIET)] == ["ok", "ok", "ok"]
    missing = {f.topic: f for f in judge_tools(replace(QUIET, tools={}))}
    assert missing["node"].status == "warn" and "V8 routes are skipped" in missing["node"].meaning
    assert missing["llvm-mca"].status == "info" and missing["chromium"].todo


def test_this_machine_is_read_and_every_topic_judged() -> None:
    readings = read_machine()
    assert readings.cores >= 1 and readings.allowed and readings.load1 >= 0
    topics = [f.topic for f in judge(readings)]
    assert topics == ["cores", "SMT", "frequency governor", "turbo", "load", "pinning", "ASLR", "hardware counters",
                      "node", "llvm-mca", "chromium"]


def test_arena_doctor_prints_each_finding_with_its_meaning() -> None:
    done = subprocess.run([sys.executable, "-m", "harness.cli", "doctor"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    for topic in ("cores:", "SMT:", "frequency governor:", "turbo:", "load:", "pinning:", "ASLR:", "hardware counters:"):
        assert topic in done.stdout
    assert done.stdout.count("\n       ") >= 11  # every finding says what it means

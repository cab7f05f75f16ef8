"""Top-level conftest: puts the repository on sys.path and adds the arena's pytest options.

`pytest --benchmark-compare` typed at the root runs what `nox -s bench` runs (the benchmarks, timed and saved
with every round) and compares them with the previous saved run, instead of timing the whole test suite.
"""
from __future__ import annotations

from pathlib import Path

import pytest

BENCH_FILE = "tests/test_bench.py"
# The options `nox -s bench` passes (noxfile.BENCH; tests/test_benchmark_compare.py holds them to it), as the
# pytest-benchmark option names they set, and the value each takes unless the command line gave one.
BENCH_PROFILE = {
    "benchmark_enable": True,
    "benchmark_only": True,
    "benchmark_autosave": True,
    "benchmark_save_data": True,
    "benchmark_group_by": "group",
    "benchmark_columns": ["median", "iqr", "rounds"],
}
COMPARED = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("arena")
    group.addoption(
        "--variants",
        action="append",
        default=[],
        metavar="DIR",
        help="also check (and benchmark) every variant file in DIR, without copying it into the repo",
    )
    group.addoption(
        "--origin",
        default=None,
        metavar="ORIGIN",
        help="origin of the --variants files whose header names none: supplied (the default), ai or human",
    )
    group.addoption(
        "--sizes",
        default=None,
        metavar="N,N,...",
        help="benchmark only these n (the test session runs the benchmarks once, untimed, at n = 16)",
    )
    group.addoption(
        "--unsafe-native", action="store_true", default=False,
        help="where no system-call filter is available, run native variant code unfiltered (the report says so)",
    )
    group.addoption(
        "--recheck", action="store_true", default=False,
        help="check every variant again instead of reusing the verdicts stored by earlier runs (harness.store)",
    )
    group.addoption(
        "--full", action="store_true", default=False, help="benchmark n = 8, 16, ..., 8192 instead of 16, 128, 1024"
    )
    group.addoption(
        "--arena-goals",
        action="store_true",
        default=False,
        help="in a timed run, fail each key ratio whose whole 95%% interval lies outside its goal (untimed: no effect)",
    )
    group.addoption(
        "--no-wait",
        action="store_true",
        default=False,
        help="when another benchmark run is timing on this machine, stop (saying whose it is) instead of waiting for it",
    )


def _arena_configure(config: pytest.Config) -> None:
    if config.getoption("--recheck"):
        from harness.store import force_recheck

        force_recheck()
    if config.getoption("--unsafe-native"):
        import os

        from targets.native.sandbox import UNSAFE_ENV

        os.environ[UNSAFE_ENV] = "1"  # forkserver workers and children inherit it


@pytest.hookimpl(tryfirst=True)  # before pytest-benchmark's own pytest_configure reads the options
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("benchmark_compare", None):
        bench_profile_for_compare(config)
    _arena_configure(config)


def bench_profile_for_compare(config: pytest.Config) -> None:
    """`--benchmark-compare`: time and save the benchmarks as `nox -s bench` does, and compare them with the
    previous saved run of this machine, or say plainly that there is none yet."""
    from pytest_benchmark.utils import get_machine_id, get_tag

    if config.args_source != pytest.Config.ArgsSource.ARGS:  # no test named: the benchmarks, not the whole suite
        config.args = [str(config.rootpath / BENCH_FILE)]
    defaults = {"benchmark_group_by": "group", "benchmark_columns": None}
    for name, value in BENCH_PROFILE.items():
        if getattr(config.option, name, None) in (defaults.get(name, False), None):
            # --benchmark-autosave stores its file name (commit and time), as pytest-benchmark's option would
            setattr(config.option, name, get_tag() if name == "benchmark_autosave" else value)
    if config.option.benchmark_save:
        config.option.benchmark_autosave = None  # a run the user named is saved under that name
    storage = str(config.getoption("benchmark_storage")).removeprefix("file://")
    compare = config.getoption("benchmark_compare")
    if "://" in storage:
        return  # another storage (elasticsearch): pytest-benchmark alone knows how to query it
    machine = Path(storage) / get_machine_id()
    saved = sorted(machine.glob("[0-9][0-9][0-9][0-9]_*.json"))
    if compare is not True:
        saved = [p for p in saved if p.name.startswith(str(compare))]
    if saved:
        config.stash[COMPARED] = f"arena: comparing with the saved run {saved[-1]}"
        return
    what = "saved run" if compare is True else f"saved run whose name starts with {compare!r}"
    config.stash[COMPARED] = (f"arena: nothing to compare with: {machine} holds no {what} yet. "
                              "This run is timed and saved; the next `pytest --benchmark-compare` compares with it.")
    config.option.benchmark_compare = []  # pytest-benchmark would only warn that it cannot compare


def pytest_report_header(config: pytest.Config) -> str | None:
    return config.stash.get(COMPARED, None)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if (said := terminalreporter.config.stash.get(COMPARED, None)) is not None:
        terminalreporter.write_line(said)

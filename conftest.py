"""Top-level conftest: puts the repository on sys.path and adds the arena's pytest options."""
from __future__ import annotations

import pytest



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


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--recheck"):
        from harness.store import force_recheck

        force_recheck()
    if config.getoption("--unsafe-native"):
        import os

        from targets.sandbox import UNSAFE_ENV

        os.environ[UNSAFE_ENV] = "1"  # forkserver workers and children inherit it

"""Sessions: `nox -s bench` (the main job), `nox -s gate` (bench, then fail on a regression) and `nox -s tests`. `nox -l` lists them."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True


def install(session: nox.Session) -> None:
    # Compiled bytecode, and pytest's rewritten test modules, are kept in __pycache__ even where
    # PYTHONDONTWRITEBYTECODE is set: every test worker and every child process (`arena`, a nested pytest) would
    # otherwise compile the project again, about a second each.
    session.env["PYTHONDONTWRITEBYTECODE"] = None
    # ARENA_WITH_RAY=1 (CI) adds the Ray extra, so the local-cluster test runs instead of skipping.
    wanted = ".[test,ray]" if os.environ.get("ARENA_WITH_RAY") else ".[test]"
    # The install is editable: the code is read from this folder, so only a change to pyproject.toml (or to the
    # extras) calls for pip again. A reused environment that has them is not reinstalled, which saves seconds a run.
    location = getattr(session.virtualenv, "location", None)  # none under --no-venv
    stamp = Path(location, ".arena-installed") if location else None
    digest = hashlib.sha256(Path("pyproject.toml").read_bytes() + wanted.encode()).hexdigest()
    if stamp is not None and stamp.is_file() and stamp.read_text() == digest:
        session.log(f"{wanted} already installed from this pyproject.toml (delete {stamp} to reinstall)")
    else:
        session.install("-e", wanted)
        if stamp is not None:
            stamp.write_text(digest)
    # Tool versions first, as urllib3's sessions do: results are read against them.
    session.run("python", "-c", "import importlib.metadata as m; print(' | '.join(f'{p} {m.version(p)}' for p in "
                "('llvmlite', 'wasmtime', 'keystone-engine', 'unicorn', 'capstone', 'cffi', 'ziglang')))", silent=False)


# Every run saved with each round's time: the report's intervals and `arena gate` resample them.
BENCH = ("pytest", "tests/test_bench.py", "--benchmark-enable", "--benchmark-only", "--benchmark-autosave",
         "--benchmark-save-data", "--benchmark-group-by=group", "--benchmark-columns=median,iqr,rounds", "-q")


@nox.session
def tests(session: nox.Session) -> None:
    """Every variant on every route against the reference, the bad-input cases, and the harness's own tests."""
    install(session)
    # The benchmarks run too, each once, untimed and at the smallest n, so they cannot rot. On every core
    # (pytest-xdist; a (variant, route) pair's tests on one worker); `-- -n 0` runs them one at a time.
    session.run("pytest", "-n", "auto", "--dist", "loadgroup", "--benchmark-disable", "--sizes=16", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Check, time and count every variant on every route; save the run and write the report (-- --full, --variants DIR)."""
    install(session)
    session.run(*BENCH, *session.posargs)
    session.run("arena", "report")
    page = Path("reports/latest/index.html").resolve()
    if page.is_file():
        session.log(f"Report page: {page.as_uri()}")


@nox.session
def gate(session: nox.Session) -> None:
    """Run the benchmarks as `bench` does, then fail only on a regression against the previous run of this machine and profile: exact measures compared exactly, time by building the previous run's saved sources again and timing them beside the new builds in one process (-- --threshold=5%)."""
    gate_args = [a for a in session.posargs if a.startswith("--threshold=")]
    install(session)
    session.run(*BENCH, *(a for a in session.posargs if a not in gate_args))
    session.run("arena", "report")
    session.run("arena", "gate", "--confirm", *gate_args)


@nox.session
def asm(session: nox.Session) -> None:
    """Write every variant's listings on every route without benchmarking (to reports/asm, or -- --out DIR)."""
    install(session)
    session.run("arena", "asm", "--all", *(session.posargs or ["--out", "reports/asm"]))


@nox.session
def doctor(session: nox.Session) -> None:
    """What this machine offers for stable timing (cores, SMT, governor, turbo, load, pinning, ASLR, counters, tools)."""
    install(session)
    session.run("arena", "doctor")

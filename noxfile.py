"""Sessions: `nox -s bench` (the main job) and `nox -s tests`. `nox -l` lists them."""
from __future__ import annotations

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True


def install(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    # Tool versions first, as urllib3's sessions do: results are read against them.
    session.run("python", "-c", "import importlib.metadata as m; print(' | '.join(f'{p} {m.version(p)}' for p in "
                "('llvmlite', 'wasmtime', 'keystone-engine', 'unicorn', 'capstone', 'cffi', 'ziglang')))", silent=False)


@nox.session
def tests(session: nox.Session) -> None:
    """Every variant on every route against the reference, the bad-input cases, and the harness's own tests."""
    install(session)
    session.run("pytest", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Check every variant on every route and print the table of verdicts (pass DIR with -- --variants DIR)."""
    install(session)
    session.run("arena", "check", *session.posargs, success_codes=[0, 1])

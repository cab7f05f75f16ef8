"""The timing lock and the runs a holder starts: a child times under its parent's lock instead of waiting for it
(its parent waits for the child, so waiting would never end), and only a child of the holder does."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.gate import pytest_child_env as child_env
from harness.measure.timing_lock import TOKEN_ENV, TimingLock
from tests.conftest import REPO

# Takes the lock in the folder it is given without waiting, and says what became of it.
TRY = """
import sys
from pathlib import Path
from harness.measure.timing_lock import MachineBusy, TimingLock
lock = TimingLock("child-run", wait=False, directory=Path(sys.argv[1]))
try:
    lock.acquire()
except MachineBusy as exc:
    print(f"stopped: {exc}")
    sys.exit(3)
print("nested" if lock.nested_in else "holds it")
lock.release()
"""


def try_lock(directory: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", TRY, str(directory)], cwd=REPO, env={**env, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def held(tmp_path: Path):  # type: ignore[no-untyped-def]
    lock = TimingLock("parent-run", wait=False, directory=tmp_path, say=lambda _: None)
    lock.acquire()
    yield lock
    lock.release()


def test_a_child_of_the_holder_times_under_its_lock_without_waiting(held: TimingLock, tmp_path: Path) -> None:
    result = try_lock(tmp_path, child_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "nested"


def test_a_process_that_is_not_its_child_still_waits(held: TimingLock, tmp_path: Path) -> None:
    for env in ({k: v for k, v in child_env().items() if k != TOKEN_ENV}, child_env(**{TOKEN_ENV: "not-the-token"})):
        result = try_lock(tmp_path, env)
        assert result.returncode == 3, result.stdout + result.stderr
        assert "stopped: another benchmark run is timing on this machine" in result.stdout
        assert f"pid {os.getpid()}, run 'parent-run'" in result.stdout


def test_the_token_goes_with_the_lock(tmp_path: Path) -> None:
    before = os.environ.get(TOKEN_ENV)
    lock = TimingLock("parent-run", wait=False, directory=tmp_path, say=lambda _: None)
    lock.acquire()
    assert os.environ.get(TOKEN_ENV) not in (None, before)
    lock.release()
    assert os.environ.get(TOKEN_ENV) == before
    # Free again: a process that once was a child takes it as its own.
    result = try_lock(tmp_path, child_env(**{TOKEN_ENV: "a-token-of-a-run-long-gone"}))
    assert result.stdout.strip() == "holds it", result.stdout + result.stderr

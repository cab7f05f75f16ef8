"""Under pytest-xdist (`nox -s tests`), the tests of one (variant, route) pair share a worker: each worker checks
and builds a pair once, instead of every worker that draws one of its tests doing it again."""
from __future__ import annotations

import re
import subprocess
import sys

from harness.gate import pytest_child_env
from tests.conftest import REPO


def test_the_tests_of_one_pair_run_on_one_worker() -> None:
    pairs = ("insertion_sort/insertion_sort/c-gcc-O3]", "insertion_sort/ai-wat-index-loop/wasmtime]")
    selection = " or ".join(f"'{p[:-1]}'" for p in pairs).replace("'", "")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider",
         "tests/test_correctness.py", "-k", selection],
        capture_output=True, text=True, cwd=REPO, timeout=300, env=pytest_child_env())
    assert done.returncode == 0, done.stdout[-2000:]
    workers: dict[str, set[str]] = {}
    for worker, test in re.findall(r"\[(gw\d+)\] \[\s*\d+%\] PASSED (\S+)", done.stdout):
        for pair in (p for p in pairs if p in test):  # -k also selects the pairs' -unicorn routes: not these
            workers.setdefault(pair, set()).add(worker)
    assert set(workers) == set(pairs), done.stdout[-2000:]
    assert all(len(w) == 1 for w in workers.values()), f"a pair's tests were spread over workers: {workers}"

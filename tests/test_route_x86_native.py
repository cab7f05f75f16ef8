"""x86-native: AI-written assembly run natively, and only after it passed on x86-unicorn."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness.check import check
from targets.native.isolate import in_child
from harness.variants import load_source
from kernels.insertion_sort import KERNEL
from targets import get_route
from targets.x86 import native_route as x86_native

from .conftest import BAD_INPUTS, REPO

GOOD = KERNEL.variants_dir / "ai-x86-pointer-walk.s"


@pytest.mark.parametrize("name", ["x86_null_write.s", "x86_infinite_loop.s"])
def test_failing_variant_is_never_mapped(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_mapping(size: int) -> None:
        raise AssertionError("a variant that failed on x86-unicorn was about to be mapped executable")

    monkeypatch.setattr(x86_native, "CodeMapping", no_mapping)
    # The route declares its gate; the harness checks there first and runs nothing natively after a failure.
    assert get_route("x86-native").gate == "x86-unicorn"
    report = check(load_source(BAD_INPUTS / name, KERNEL), get_route("x86-native"), KERNEL)
    assert report.verdict == "fail"
    assert report.message.startswith("not run natively: failed on x86-unicorn: ")
    assert report.counterexample is not None


def test_check_reports_each_variant_and_exits_normally() -> None:
    files = [str(GOOD), str(BAD_INPUTS / "x86_null_write.s"), str(BAD_INPUTS / "x86_infinite_loop.s")]
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", "check", *files, "--json"],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1
    reports = {(r["variant"], r["route"]): r for r in map(json.loads, result.stdout.splitlines())}
    assert reports[("ai-x86-pointer-walk", "x86-unicorn")]["verdict"] == "pass"
    assert reports[("ai-x86-pointer-walk", "x86-native")]["verdict"] == "pass"
    null, loop = reports[("x86_null_write", "x86-native")], reports[("x86_infinite_loop", "x86-native")]
    assert null["verdict"] == loop["verdict"] == "fail"
    assert null["message"].startswith("not run natively: failed on x86-unicorn: write to unmapped memory at 0x0")
    assert loop["message"].startswith("not run natively: failed on x86-unicorn: did not return within")


def test_native_run_and_timing_loop() -> None:
    built = get_route("x86-native").build(load_source(GOOD, KERNEL), KERNEL)
    try:
        values = [5, -1, 4, -(2**31), 0, 2**31 - 1, 4]
        # Variant code runs only in a sandboxed child, never in this process.
        ran = in_child(built.run, values, timeout=10, prepare=built.prepare_child, sandboxed=True)
        assert ran == sorted(values)
        assert built.code_bytes == len(built.assembled.code) > 0  # type: ignore[attr-defined]
        built.loop(7, "random", 100, seed=1)()
        outcome = built.loop_outcome()
        assert outcome.calls == 100 and outcome.bad == 0 and outcome.last_output == sorted(outcome.last_input)
    finally:
        built.close()

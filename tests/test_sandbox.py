"""Variant code cannot reach the system: refused at build time where reading it is enough, ended by the
system-call filter where it is not, and never a crash or a hang of the run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from targets import fresh
from targets.native import sandbox
from targets.x86 import unicorn_route as x86_unicorn
from targets.base import DEFAULT_INTERFACE
from targets.native.runner import NativeKernel

REPO = Path(__file__).resolve().parent.parent
ESCAPES = REPO / "tests" / "escapes"

pytestmark = pytest.mark.skipif(sandbox.unavailable() is not None, reason=f"{sandbox.unavailable()}")


def check(name: str, *routes: str) -> dict[str, dict]:
    args = [a for route in routes for a in ("--route", route)]
    done = subprocess.run([sys.executable, "-m", "harness.cli", "check", str(ESCAPES / name), "--json", *args],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    assert "Traceback" not in done.stderr, done.stderr
    return {r["route"]: r for r in map(json.loads, done.stdout.splitlines())}


@pytest.fixture
def no_escape_files():
    def present() -> list[Path]:
        return sorted(Path("/tmp").glob("arena-escape-*"))

    for path in present():
        path.unlink()
    yield
    left = present()
    for path in left:
        path.unlink()
    assert not left, f"variant code wrote {left}"


def test_c_calling_the_c_library_is_refused_at_build_time(no_escape_files) -> None:
    reports = check("c-writes-a-file.c", "c-gcc-O3", "c-clang-O0")
    for route, report in reports.items():
        assert report["verdict"] == "error", report
        assert "open" in report["message"] and "write" in report["message"] and "close" in report["message"]
        assert "c-writes-a-file.c:10: calls write" in report["message"]


def test_llvm_ir_declaring_libc_functions_is_refused_at_build_time(no_escape_files) -> None:
    reports = check("ll-writes-a-file.ll", "llvm-O0", "llvm-O3")
    assert set(reports) == {"llvm-O0", "llvm-O3"}
    for report in reports.values():
        assert report["verdict"] == "error"
        assert "ll-writes-a-file.ll:5: declares @open" in report["message"]
        assert "declares @close" in report["message"]


def test_assembly_with_a_syscall_instruction_is_refused_with_its_line_on_every_route_running_it(
        no_escape_files) -> None:
    """The call sits on a path no input takes: the emulator would never reach it, so only reading finds it."""
    reports = check("x86-syscall.s")
    assert set(reports) == {"x86-unicorn", "x86-native"}
    for report in reports.values():
        assert report["verdict"] == "error", report
        assert "x86-syscall.s:7: `syscall`: a kernel may not make system calls" in report["message"]


@pytest.mark.parametrize("name,routes", [
    ("c-syscall-in-kernel.c", ("c-gcc-O3", "c-gcc-O3-unicorn", "c-clang-O0", "c-clang-O0-unicorn")),
    ("ll-syscall-in-kernel.ll", ("llvm-O0", "llvm-O0-unicorn", "llvm-O3", "llvm-O3-unicorn")),
])
def test_a_compiled_syscall_in_the_kernel_is_refused_on_its_routes_and_their_emulated_twins(
        no_escape_files, name: str, routes: tuple[str, ...]) -> None:
    reports = check(name, *routes)
    assert set(reports) == set(routes)
    for route, report in reports.items():
        assert report["verdict"] == "error", report
        assert "contains syscall" in report["message"] and "a kernel may not make system calls" in report["message"]


def test_no_score_counts_a_refused_variant_as_correct(no_escape_files) -> None:
    from harness.score import score, summary

    records = score([ESCAPES / "x86-syscall.s"], show_progress=False)
    assert {r["route"] for r in records} == {"x86-unicorn", "x86-native"}
    assert all(not r["correct"] and "may not make system calls" in r["message"] for r in records), records
    totals = summary(records)
    assert totals["correct"] == totals["fast_p"] == totals["timed"] == 0


def test_c_hiding_a_system_call_in_a_helper_is_ended_by_the_sandbox(no_escape_files) -> None:
    reports = check("c-hidden-syscall.c", "c-gcc-O3", "c-clang-O3")
    for route, report in reports.items():
        assert report["verdict"] == "fail", report
        assert "system call open" in report["message"] and route in report["message"]


def test_assembly_hiding_from_the_emulator_is_ended_by_the_sandbox(no_escape_files) -> None:
    """The fixture tells the emulator by where its stack lies, not by anything of the CPU: on every machine it
    passes in the emulator, then makes its hidden system call natively."""
    assert x86_unicorn.STACK_BASE + x86_unicorn.STACK_SIZE <= 1 << 32  # what the fixture tells the emulator by
    reports = check("x86-hides-from-emulator.s", "x86-unicorn", "x86-native")
    assert reports["x86-unicorn"]["verdict"] == "pass", reports["x86-unicorn"]
    native = reports["x86-native"]
    assert native["verdict"] == "fail" and "system call open" in native["message"], native


class _Bytes(NativeKernel):
    route = "bytes"
    interface = DEFAULT_INTERFACE  # (int32_t *a, size_t n)

    def __init__(self, code: bytes) -> None:
        self.code = code

    def kernel_bytes(self) -> bytes:
        return self.code


def test_the_timing_runner_ends_a_system_call_with_its_name() -> None:
    getppid = bytes([0xB8, 110, 0, 0, 0, 0x0F, 0x05, 0xC3])  # mov eax, 110; syscall; ret
    kernel = _Bytes(getppid)
    run = kernel.loop(16, "random", 10, seed=1, expect=fresh.EXPECT_SAME)
    with pytest.raises(Exception, match="system call getppid"):
        run()
    kernel.close_native()


def test_the_timing_runner_runs_a_harmless_kernel_at_every_offset() -> None:
    kernel = _Bytes(bytes([0xC3]))  # ret: the no-op
    run = kernel.loop(16, "random", 100, seed=1, expect=fresh.EXPECT_SAME)
    for _ in range(8):
        run()
    outcome = kernel.loop_outcome()
    assert kernel.placement["policy"] == "swept" and kernel.placement["offsets"] == [0, 16, 32, 48]
    assert outcome.calls == 800 and outcome.bad == 0 and outcome.last_output == outcome.last_input
    assert [offset for offset, _ in kernel._runner.rounds] == [0, 16, 32, 48] * 2
    kernel.close_native()


def test_one_child_serves_a_builds_loops_and_a_dead_one_is_replaced() -> None:
    kernel = _Bytes(bytes([0xC3]))
    kernel.loop(16, "random", 10, seed=1, expect=fresh.EXPECT_SAME)()
    first = kernel._child.pid
    for n, shape in ((128, "sorted"), (1024, "few-unique"), (3, "random")):  # reconfigured, not forked again
        kernel.loop(n, shape, 7, seed=2, expect=fresh.EXPECT_SAME)()
        outcome = kernel.loop_outcome()
        assert kernel._child.pid == first
        assert outcome.calls == 7 and outcome.bad == 0 and len(outcome.last_output) == n
        assert outcome.last_output == outcome.last_input  # the no-op leaves the new length's input as it was
    os.kill(first, signal.SIGKILL)
    with pytest.raises(Exception, match="SIGKILL"):
        kernel.loop(16, "random", 10, seed=1, expect=fresh.EXPECT_SAME)()
    kernel.loop(16, "random", 10, seed=1, expect=fresh.EXPECT_SAME)()  # a new child
    assert kernel._child.pid not in (0, first) and kernel.loop_outcome().bad == 0
    kernel.close_native()
    assert kernel._child is None


def test_without_a_filter_native_variants_skip_unless_unsafe_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.check import check
    from kernels.kernel import get_kernel
    from harness.variants import discover
    from targets import get_route

    kernel = get_kernel("insertion_sort")
    variant = next(s for s in discover(kernel) if s.language == "x86")
    own = next(s for s in discover(kernel) if s.language == "c" and s.path.parent == kernel.directory)
    monkeypatch.setattr(sandbox, "unavailable", lambda: "no system-call filter on this machine (test)")
    monkeypatch.delenv(sandbox.UNSAFE_ENV, raising=False)
    report = check(variant, get_route("x86-native"), kernel, cases=())
    assert report.verdict == "skip" and "--unsafe-native" in report.message
    assert check(own, get_route("c-gcc-O3"), kernel, cases=()).verdict == "pass"  # the suite's own source runs
    assert check(variant, get_route("x86-unicorn"), kernel, cases=()).verdict == "pass"  # emulated: contained
    monkeypatch.setenv(sandbox.UNSAFE_ENV, "1")
    assert check(variant, get_route("x86-native"), kernel, cases=()).verdict == "pass"


def test_single_inputs_run_in_the_builds_sandboxed_child() -> None:
    """What the property tests call on native routes: each input runs in the child, never in this process."""
    getppid = bytes([0xB8, 110, 0, 0, 0, 0x0F, 0x05, 0xC3])  # mov eax, 110; syscall; ret
    kernel = _Bytes(getppid)
    kernel.entry_address = lambda: kernel._child_entry  # type: ignore[method-assign]
    kernel.enter_child = lambda: _place(kernel)  # type: ignore[method-assign]
    with pytest.raises(Exception, match="system call getppid"):
        kernel.run_sandboxed([3, 1, 2])
    kernel.close_native()
    harmless = _Bytes(bytes([0xC3]))
    harmless.entry_address = lambda: harmless._child_entry  # type: ignore[method-assign]
    harmless.enter_child = lambda: _place(harmless)  # type: ignore[method-assign]
    assert harmless.run_sandboxed([3, 1, 2]) == [3, 1, 2] and harmless.run_sandboxed([]) == []
    first = harmless._child.pid
    assert harmless.run_sandboxed(list(range(5000))) == list(range(5000)) and harmless._child.pid == first
    harmless.close_native()


def _place(kernel: _Bytes) -> None:
    """In the child, before the filter: the bytes in an executable mapping, as a route's build holds them."""
    from targets.native.memory import CodeMapping

    mapping = CodeMapping(len(kernel.code))
    mapping.load(kernel.code)
    kernel._child_entry = mapping.address


def test_a_crash_is_named_as_a_crash_after_a_runtime_installed_its_own_signal_handlers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """wasmtime handles SIGSEGV for its own traps; a native crash in a child forked after it did must still end
    the child with SIGSEGV, not with wasmtime's handler forwarding the signal through a refused sigaction."""
    from harness.check import check
    from kernels.kernel import get_kernel
    from harness.variants import discover, load_source
    from targets import get_route
    from tests.conftest import BAD_INPUTS

    kernel = get_kernel("insertion_sort")
    wat = next(s for s in discover(kernel) if s.language == "wat")
    built = get_route("wasmtime").build(wat, kernel)
    assert built.run([2, 1]) == [1, 2]  # this process has now run wasm: wasmtime's handlers are in place
    built.close()
    report = check(load_source(BAD_INPUTS / "c_null_write.c", kernel), get_route("c-gcc-O0"), kernel)
    assert report.verdict == "fail" and "crashed with SIGSEGV" in report.message, report.message


def test_a_loop_runs_its_child_on_the_cores_this_process_has_when_the_loop_is_made() -> None:
    """A child made before a comparison pinned this process to one core follows it there (and back)."""
    from harness.measure.bench import one_core

    kernel = _Bytes(bytes([0xC3]))
    everywhere = os.sched_getaffinity(0)
    kernel.loop(16, "random", 10, seed=1, expect=fresh.EXPECT_SAME)()
    child = kernel._child.pid
    assert os.sched_getaffinity(child) == everywhere
    with one_core():
        kernel.loop(16, "random", 10, seed=1, expect=fresh.EXPECT_SAME)()
        assert kernel._child.pid == child and os.sched_getaffinity(child) == os.sched_getaffinity(0)
        assert len(os.sched_getaffinity(child)) == 1
    kernel.loop(16, "random", 10, seed=1, expect=fresh.EXPECT_SAME)()
    assert os.sched_getaffinity(child) == everywhere
    kernel.close_native()


@pytest.mark.parametrize("path,route,says", [
    (REPO / "tests" / "bad_inputs" / "c_null_write.c", "c-gcc-O0", "crashed with SIGSEGV"),
    (ESCAPES / "c-hidden-syscall.c", "c-gcc-O3", "made the system call open"),
])
def test_a_check_and_a_timing_round_say_the_same_of_code_that_ends_its_child(
        no_escape_files, path: Path, route: str, says: str) -> None:
    """Both run the code in targets.native.isolate's child: the same death reads the same, word for word."""
    from harness.check import check as checked
    from harness.variants import load_source
    from kernels.kernel import get_kernel
    from targets import get_route
    from targets.base import RunError

    kernel = get_kernel("insertion_sort")
    source = load_source(path, kernel)
    report = checked(source, get_route(route), kernel)
    built = get_route(route).build(source, kernel)
    try:
        with pytest.raises(RunError) as timed:
            built.loop(16, "random", 10, seed=1)()
    finally:
        built.close()
    assert report.verdict == "fail" and says in str(timed.value)
    assert report.message.startswith(f"{timed.value} (on input "), (report.message, str(timed.value))


def test_a_v8_loop_runs_every_thread_of_its_node_on_the_cores_of_the_comparison() -> None:
    """Node is started when the module is built, before a comparison pins this process to one core; its loop
    follows the pin, every thread of it (V8 compiles and collects on threads of its own), and back after."""
    from harness.measure.bench import one_core
    from harness.variants import load_source
    from kernels.kernel import get_kernel
    from targets import get_route
    from targets.base import Unavailable
    from targets.wasm.v8_route import node_path

    try:
        node_path()
    except Unavailable as exc:
        pytest.skip(str(exc))
    kernel = get_kernel("insertion_sort")
    built = get_route("wasm-v8").build(load_source(REPO / "kernels" / "insertion_sort" / "variants" /
                                                   "ai-wat-index-loop.wat", kernel), kernel)
    everywhere = os.sched_getaffinity(0)

    def cores_of_node() -> set[frozenset[int]]:
        pid = built._node.process.pid  # type: ignore[attr-defined]
        return {frozenset(os.sched_getaffinity(int(t))) for t in os.listdir(f"/proc/{pid}/task")}

    try:
        built.loop(16, "random", 8, seed=1)()
        assert cores_of_node() == {frozenset(everywhere)}
        with one_core():
            built.loop(16, "random", 8, seed=1)()
            assert cores_of_node() == {frozenset(os.sched_getaffinity(0))} and len(os.sched_getaffinity(0)) == 1
        built.loop(16, "random", 8, seed=1)()
        assert cores_of_node() == {frozenset(everywhere)}
    finally:
        built.close()


class _StatsWhenCollected:
    """Garbage in a reference cycle whose finalizer makes a system call the filter refuses, as an unclosed file's
    warning does when it reads the source line it names."""

    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        os.stat("/")


def _collect() -> int:
    import gc

    return gc.collect()


def test_the_parents_garbage_is_never_collected_in_a_sandboxed_child() -> None:
    """The child inherits the parent's uncollected cycles: were they collected there, their finalizers would run
    under the filter, and a refused call would end the child as if the variant had made it."""
    import gc

    from targets.native.isolate import in_child

    gc.disable()  # the cycle must still be there at the fork
    try:
        _StatsWhenCollected()
        assert in_child(_collect, timeout=30.0, sandboxed=True) >= 0
    finally:
        gc.enable()
        gc.collect()


def test_a_library_within_reach_is_judged_once_and_a_refusal_every_time(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.variants import load_source
    from kernels.insertion_sort import KERNEL
    from targets import get_route
    from targets.base import BuildError
    from targets.native import c_cffi

    monkeypatch.setenv("ARENA_CACHE", str(tmp_path))
    judged: list[str] = []
    judge = c_cffi._refuse_outside_reach
    monkeypatch.setattr(c_cffi, "_refuse_outside_reach", lambda library, *rest: judged.append(library.name) or
                        judge(library, *rest))
    route = get_route("c-gcc-O3")
    for _ in range(2):
        route.build(load_source(KERNEL.directory / "insertion_sort.c", KERNEL), KERNEL).close()
    assert len(judged) == 1
    escape = load_source(ESCAPES / "c-writes-a-file.c", KERNEL)
    for attempt in range(2):
        with pytest.raises(BuildError, match="calls write"):
            route.build(escape, KERNEL)
        assert len(judged) == 2 + attempt

"""targets.native.isolate's forked child (ForkedChild, and in_child, the same child asked once) and the guard pages of targets.native.memory.GuardedBuffer, each on what it must survive."""
from __future__ import annotations

import ctypes
import faulthandler
import os
import signal
import time

import pytest

from targets.native.isolate import Answer, ChildDied, ForkedChild, ending_together, in_child
from targets.base import CANARY_WORDS, OutOfBounds
from targets.native.memory import GuardedBuffer, PAGE

VALUES = [5, -2, 9, 0]


def test_a_result_comes_back_from_the_child() -> None:
    parent = os.getpid()
    child, result = in_child(lambda values: (os.getpid(), sorted(values)), VALUES, timeout=30)
    assert child != parent and result == sorted(VALUES)


def test_an_exception_raised_in_the_child_is_raised_in_the_parent() -> None:
    def fails() -> None:
        raise ValueError("no such thing")

    with pytest.raises(ValueError, match="no such thing"):
        in_child(fails, timeout=30)


def _quiet_segfault() -> None:
    faulthandler.disable()  # the child dies by the signal; its traceback would only clutter the test output
    ctypes.c_int32.from_address(8).value = 1  # the null page


def test_a_crash_ends_the_child_only_and_is_named() -> None:
    with pytest.raises(ChildDied) as died:
        in_child(_quiet_segfault, timeout=30)
    assert died.value.signal_number == signal.SIGSEGV and not died.value.timed_out
    assert "SIGSEGV" in str(died.value)


def test_a_hang_is_killed_at_the_timeout() -> None:
    with pytest.raises(ChildDied) as died:
        in_child(time.sleep, 600, timeout=0.5)
    assert died.value.timed_out and died.value.signal_number is None
    assert "did not return within 0.5 s" in str(died.value)


def _steps(progress: object) -> None:
    progress[:1] = b"\x01"  # type: ignore[index]  # step 1: quick in the parent's eyes, and then stuck
    time.sleep(600)


def test_the_allowed_stall_may_depend_on_the_step_the_child_is_at() -> None:
    import mmap

    progress = mmap.mmap(-1, 1)
    with pytest.raises(ChildDied) as died:
        in_child(_steps, progress, progress=progress, timeout=lambda seen: 60.0 if seen == b"\x00" else 0.3)
    assert died.value.timed_out and "did not return within 0.3 s" in str(died.value)


def test_a_native_check_waits_for_an_endless_loop_on_a_small_input_only_as_its_limit_allows() -> None:
    from harness.check import NATIVE_STALL_FLOOR, NATIVE_STALL_SECONDS, check
    from kernels.kernel import get_kernel
    from harness.variants import load_source
    from targets import get_route
    from tests.conftest import BAD_INPUTS

    kernel = get_kernel("insertion_sort")
    report = check(load_source(BAD_INPUTS / "c_infinite_loop.c", kernel), get_route("c-gcc-O3"), kernel)
    assert report.verdict == "fail" and f"did not return within {NATIVE_STALL_FLOOR:g} s" in report.message
    assert NATIVE_STALL_FLOOR < NATIVE_STALL_SECONDS


def test_a_child_that_exits_without_a_result_is_reported() -> None:
    with pytest.raises(ChildDied) as died:
        in_child(os._exit, 3, timeout=30)
    assert "exited with status 3" in str(died.value) and not died.value.timed_out


def _counter() -> Answer:
    """Answers from state the child keeps between requests; `X` ends it the way a crashing kernel would."""
    count = [0]

    def answer(kind: bytes, payload: bytes) -> bytes:
        if kind == b"X":
            _quiet_segfault()
        if kind == b"!":
            raise KeyError(payload.decode())
        count[0] += int(payload)
        return str((os.getpid(), count[0])).encode()

    return answer


def test_one_child_answers_many_requests_and_a_crash_is_named_as_in_child_names_it() -> None:
    child = ForkedChild(_counter, timeout=30)
    try:
        assert [child.request(b"+", b"%d" % step) for step in (1, 2, 3)] == [
            str((child.pid, total)).encode() for total in (1, 3, 6)]
        with pytest.raises(ChildDied) as died:
            child.request(b"X")
        assert not child.alive and died.value.signal_number == signal.SIGSEGV
        with pytest.raises(ChildDied) as once:
            in_child(_quiet_segfault, timeout=30)
    finally:
        child.close()
    assert str(died.value) == str(once.value)


def test_what_the_answering_function_raises_reaches_the_parent_and_ends_the_child() -> None:
    child = ForkedChild(_counter, timeout=30)
    with pytest.raises(KeyError, match="no such key"):
        child.request(b"!", b"no such key")
    assert not child.alive


def _reaped(pid: int) -> bool:
    """Whether `pid` is no longer this process's child to reap; looks without reaping it (WNOWAIT)."""
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return False


def test_children_closed_together_are_killed_at_once_and_reaped_after() -> None:
    alone = ForkedChild(_counter, timeout=30)
    pid = alone.pid
    alone.close()
    assert _reaped(pid)  # a child closed alone is reaped before close() returns
    children = [ForkedChild(_counter, timeout=30) for _ in range(3)]
    pids = [child.pid for child in children]
    with ending_together():
        for child in children:
            child.close()
        assert not any(child.alive for child in children)
        # Killed, but left for the reaper: each is still this process's child (ended or ending) until then.
        assert not any(_reaped(pid) for pid in pids)
    deadline = time.monotonic() + 10
    while not all(_reaped(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(_reaped(pid) for pid in pids)


def _write_at(index: int) -> str:
    """GuardedBuffer.call with a 'kernel' that writes one word at a[index]: what the buffer made of it."""
    faulthandler.disable()
    buffer = GuardedBuffer()

    def kernel(address: int, n: int) -> None:
        ctypes.c_int32.from_address(address + 4 * index).value = 1

    try:
        result = buffer.call(kernel, VALUES)
    except OutOfBounds as exc:
        return f"canary {exc.side}"
    finally:
        buffer.close()
    return "in bounds" if result != VALUES else "not seen"


def test_guard_page_above_the_high_canaries_faults() -> None:
    # The canary words are writable (the canary check reports such a write); the next word is the guard page.
    assert in_child(_write_at, 0, timeout=30) == "in bounds"
    assert in_child(_write_at, len(VALUES) + CANARY_WORDS - 1, timeout=30) == "canary above"
    with pytest.raises(ChildDied) as died:
        in_child(_write_at, len(VALUES) + CANARY_WORDS, timeout=30)
    assert died.value.signal_number == signal.SIGSEGV


def test_guard_page_below_the_array_faults() -> None:
    # The array sits at the top of its one-page span: below the low canaries, the rest of that page, then the guard.
    slack_words = (PAGE - 4 * (len(VALUES) + 2 * CANARY_WORDS)) // 4
    lowest = -(CANARY_WORDS + slack_words)
    assert in_child(_write_at, -1, timeout=30) == "canary below"
    in_child(_write_at, lowest, timeout=30)  # the lowest word of the span: mapped, no fault
    with pytest.raises(ChildDied) as died:
        in_child(_write_at, lowest - 1, timeout=30)
    assert died.value.signal_number == signal.SIGSEGV

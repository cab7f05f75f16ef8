"""The forked child that runs untrusted native code, so a fault, a hang or a refused system call ends it, not the run.

One mechanism serves checks and timing alike. A ForkedChild forks once; the child runs a prepare step (loading
what the code needs), optionally closes itself under targets.native.sandbox's system-call filter, says it is
ready, and then answers framed requests until told to quit. A one-shot `in_child` call is such a child asked one
question. However the child ends before answering, ForkedChild._died alone turns it into a ChildDied (signal,
refused system call, exit status; the timeout is decided where the answer is awaited), and `variant_failure`
alone words that as a variant's verdict: a check and a timing round say the same thing about the same code.
"""
from __future__ import annotations

import gc
import mmap
import os
import pickle
import select
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from targets.base import LimitExceeded, RunError
from targets.native import sandbox

T = TypeVar("T")
# A request's or an answer's header: its kind (one byte) and its payload's length.
_HEADER = struct.Struct("<cQ")
_READY, _FAILED, _QUIT, _CALL = b"K", b"E", b"Q", b"F"
# How often the parent looks at the progress bytes while it waits for an answer.
_PROGRESS_POLL_SECONDS = 0.05

# What the child answers requests with: (kind, payload) -> the answer's payload. Made by the prepare step.
Answer = Callable[[bytes, bytes], bytes]

# Children killed inside `ending_together`, not yet reaped; None outside it.
_ending: list[int] | None = None


@contextmanager
def ending_together() -> Iterator[None]:
    """Within it, closing a ForkedChild kills it without waiting for it to end; when it ends, a background thread
    reaps them all. The kernel takes milliseconds to tear down each child's copy of this process's address space,
    which closing a run's hundreds of builds one by one, each waiting for its child, added up to seconds. Only for
    closing at the end of a run: a child still ending competes for the core the next timing would use."""
    global _ending
    outer, _ending = _ending, []
    try:
        yield
    finally:
        pids, _ending = _ending, outer
        if pids:
            threading.Thread(target=_reap, args=(pids,), name="reap children", daemon=True).start()


def _reap(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:  # reaped already
            pass


class ChildDied(Exception):
    """The child ended without a result: killed by a signal, exited, or ran out of time."""

    def __init__(self, message: str, signal_number: int | None = None, timed_out: bool = False,
                 syscall: str | None = None) -> None:
        super().__init__(message)
        self.signal_number = signal_number
        self.timed_out = timed_out
        self.syscall = syscall


def describe_signal(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    detail = signal.strsignal(number) or ""
    return f"{name} ({detail.lower()})" if detail else name


def variant_failure(route: str, died: ChildDied) -> RunError:
    """A child that a variant's native code ended, as that variant's `fail`: the one wording of checks and timing."""
    message = f"{route}: native code {died}"
    return LimitExceeded(message) if died.timed_out else RunError(message)


def _frame(kind: bytes, payload: bytes = b"") -> bytes:
    return _HEADER.pack(kind, len(payload)) + payload


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:  # a pipe takes a large write in parts; plain write(2), which the filter allows on this descriptor
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = os.read(fd, count - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _pickled_failure(exc: BaseException) -> bytes:
    try:
        return pickle.dumps(exc)
    except Exception:  # an exception that does not pickle still reaches the parent, as text
        return pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))


class ForkedChild:
    """A forked child answering requests; `prepare()` runs in it first and returns the function that answers.

    `timeout` is the longest the parent waits for one answer (the ready signal included). With `progress`
    (shared memory the child updates as it goes), it is the longest the child may go without changing it: a long
    run that keeps moving is fine, a stuck one is killed. `timeout` may be a function of the progress bytes, for
    steps whose allowed time differs (small inputs, large ones). With `sandboxed`, the child closes itself under
    the system-call filter after `prepare()`: a refused call ends it, and ChildDied names the call.

    An exception the answering function raises is the child's last answer: it is raised in the parent, and the
    child ends.
    """

    def __init__(self, prepare: Callable[[], Answer], *, timeout: float | Callable[[bytes], float],
                 progress: mmap.mmap | None = None, sandboxed: bool = False) -> None:
        self.timeout, self.progress = timeout, progress
        if sandboxed and sandbox.unavailable() is None:
            sandbox.trap_handler()  # loaded here, once: the child then only inherits it
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the caller's stack
            code = 1
            # The parent's objects are never collected here: a cycle of its garbage has finalizers (an unclosed
            # file's warning reads the source line it names) whose system calls the filter would refuse.
            gc.freeze()
            try:
                os.close(self._commands)
                os.close(self._answers)
                code = _serve(prepare, sandboxed, commands_read, answers_write)
            finally:
                os._exit(code)
        os.close(commands_read)
        os.close(answers_write)
        self._receive(_READY)

    @property
    def alive(self) -> bool:
        return self.pid != 0

    def request(self, kind: bytes, payload: bytes = b"") -> bytes:
        """Ask the child; its answer's payload. Raises ChildDied, or what the answering function raised."""
        if not self.pid:
            raise RuntimeError("the child has ended: fork another")
        try:
            _write_all(self._commands, _frame(kind, payload))
        except BrokenPipeError:  # the child is gone: say how it ended
            raise self._died(b"") from None
        return self._receive(kind)

    def _receive(self, kind: bytes) -> bytes:
        got = b""  # this answer's bytes so far: the child's last words may stand where it was due
        header = self._read(_HEADER.size, got)
        got += header
        answered, length = _HEADER.unpack(header)
        if answered not in (kind, _FAILED):  # not an answer: the filter's last words, or a child gone astray
            raise self._died(got, expected=kind)
        payload = self._read(length, got)
        if answered == _FAILED:
            self.close()
            raise pickle.loads(payload)
        return payload

    def _read(self, count: int, got: bytes) -> bytes:
        """`count` bytes of the answer; ChildDied when the child ends or stalls first."""
        progress = self.progress
        seen = progress[:] if progress is not None else b""
        allowed = self.timeout(seen) if callable(self.timeout) else self.timeout
        deadline = time.monotonic() + allowed
        data = b""
        while len(data) < count:
            if progress is not None and progress[:] != seen:
                seen = progress[:]
                allowed = self.timeout(seen) if callable(self.timeout) else self.timeout
                deadline = time.monotonic() + allowed
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise ChildDied(f"did not return within {allowed:g} s (killed): infinite loop?", timed_out=True)
            wait = min(left, _PROGRESS_POLL_SECONDS) if progress is not None else left
            ready, _, _ = select.select([self._answers], [], [], wait)
            if not ready:
                continue
            chunk = os.read(self._answers, count - len(data))
            if not chunk:
                raise self._died(got + data)
            data += chunk
        return data

    def _died(self, last_words: bytes, expected: bytes | None = None) -> ChildDied:
        """How the child ended, from its exit status and its last words: the one diagnosis of a dead child."""
        if expected is not None:  # it may still run: end it, and read what it wrote before
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        rest = last_words
        try:
            while chunk := os.read(self._answers, 1 << 16):
                rest += chunk
        except OSError:
            pass
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0  # reaped: close() only closes the pipes
        self.close()
        if (number := sandbox.trapped(rest)) is not None:
            name = sandbox.syscall_name(number)
            return ChildDied(f"made the system call {name}, which a kernel may not make; the sandbox ended it",
                             syscall=name)
        if expected is not None:
            return ChildDied(f"answered {rest[:1]!r} where {expected!r} was due (killed)")
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            return ChildDied(f"crashed with {describe_signal(number)}", signal_number=number)
        return ChildDied(f"exited with status {os.waitstatus_to_exitcode(status)} before reporting")

    def close(self) -> None:
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if _ending is not None:
                _ending.append(self.pid)
            else:
                os.waitpid(self.pid, 0)
            self.pid = 0
        for fd in (self._commands, self._answers):
            try:
                os.close(fd)
            except OSError:
                pass
        self._commands = self._answers = -1


def _serve(prepare: Callable[[], Answer], sandboxed: bool, commands: int, answers: int) -> int:
    """The child's side of ForkedChild: prepare, close the filter, then answer until told to quit. Its exit code."""
    try:
        answer = prepare()
        if sandboxed:
            sandbox.enter(answers, commands)
        _write_all(answers, _frame(_READY))
        while True:
            header = _read_exactly(commands, _HEADER.size)
            if len(header) < _HEADER.size:  # the parent is gone
                return 0
            kind, length = _HEADER.unpack(header)
            if kind == _QUIT:
                return 0
            _write_all(answers, _frame(kind, answer(kind, _read_exactly(commands, length))))
    except BaseException as exc:  # every failure to the parent, even KeyboardInterrupt
        try:
            _write_all(answers, _frame(_FAILED, _pickled_failure(exc)))
        except OSError:
            pass
        return 1


def in_child(function: Callable[..., T], *args: Any, timeout: float | Callable[[bytes], float],
             progress: mmap.mmap | None = None, prepare: Callable[[], None] | None = None, sandboxed: bool = False) -> T:
    """`function(*args)` in a forked child: a ForkedChild asked once. Its result must pickle. Raises ChildDied, or
    what the function raised. `prepare` runs in the child before the filter closes (with `sandboxed`), the
    function after; `timeout` and `progress` are ForkedChild's."""

    def answers() -> Answer:
        if prepare is not None:
            prepare()
        return lambda kind, payload: pickle.dumps(function(*args))

    child = ForkedChild(answers, timeout=timeout, progress=progress, sandboxed=sandboxed)
    try:
        return pickle.loads(child.request(_CALL))
    finally:
        child.close()

"""Run untrusted native code in a forked child, so a fault or a hang ends the child, not the run."""
from __future__ import annotations

import mmap
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


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


def in_child(function: Callable[..., T], *args: Any, timeout: float | Callable[[bytes], float],
             progress: mmap.mmap | None = None, prepare: Callable[[], None] | None = None, sandboxed: bool = False) -> T:
    """`function(*args)` in a forked child; its result must pickle. Raises ChildDied, or what the function raised.

    With `progress` (shared memory the child updates as it goes), `timeout` is the longest the child may go
    without changing it: a long run that keeps moving is fine, a stuck one is killed. `timeout` may be a function
    of the progress bytes, for steps whose allowed time differs (small inputs, large ones). With `sandboxed`, the
    child runs `prepare()` (loading what the code needs), then closes itself under targets.native.sandbox's system-call
    filter before calling `function`: a refused call ends it with ChildDied naming the call.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into the caller's stack
        os.close(read_end)
        try:
            try:
                if prepare is not None:
                    prepare()
                if sandboxed:
                    from targets.native import sandbox
                    from targets.native.child import driver

                    sandbox.enter(write_end, -1, driver().lib.arena_trap_to)
                payload = pickle.dumps(("ok", function(*args)))
            except BaseException as exc:  # report every failure to the parent, even KeyboardInterrupt
                payload = pickle.dumps(("raised", exc))
            view = memoryview(payload)
            while view:  # plain write(2): the filter allows nothing else on this descriptor
                view = view[os.write(write_end, view):]
        finally:
            os._exit(0)
    os.close(write_end)
    chunks: list[bytes] = []
    seen = progress[:] if progress is not None else b""
    allowed = timeout(seen) if callable(timeout) else timeout
    deadline = time.monotonic() + allowed
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while True:
            if progress is not None and progress[:] != seen:
                seen = progress[:]
                allowed = timeout(seen) if callable(timeout) else timeout
                deadline = time.monotonic() + allowed
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise ChildDied(f"did not return within {allowed:g} s (killed): infinite loop?", timed_out=True)
            ready, _, _ = select.select([pipe], [], [], min(left, 0.05))
            if ready:
                chunk = pipe.read(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    from targets.native import sandbox

    if (number := sandbox.trapped(b"".join(chunks))) is not None:
        raise ChildDied(f"made the system call {sandbox.syscall_name(number)}, which a kernel may not make; "
                        "the sandbox ended it", syscall=sandbox.syscall_name(number))
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        raise ChildDied(f"crashed with {describe_signal(number)}", signal_number=number)
    if not chunks:
        raise ChildDied(f"exited with status {os.waitstatus_to_exitcode(status)} before reporting")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "raised":
        raise value
    return value

"""One timing at a time on a machine.

Two benchmark runs timing at once on one machine each slow the other down at
random moments, and neither report would know. So timing takes a machine-wide
file lock (in the same cache directory the C route compiles into); a second run
says whom it waits for and times after it, or stops with `--no-wait`. Checking
and building are not timed and never take the lock.

A run that holds the lock may start another that times (a test of the timing
itself runs a child pytest). The child must not wait for its own parent, which
waits for it: the holder puts a token in its environment, children inherit it,
and a run whose token is the holder's times under the parent's lock.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOCK_NAME = "timing.lock"
HOLDER_NAME = "timing.holder.json"
TOKEN_ENV = "ARENA_TIMING_TOKEN"  # set by the holder for its children: they time under its lock


class MachineBusy(RuntimeError):
    """Another run holds the timing lock and this one was told not to wait."""


def lock_directory() -> Path:
    from targets.cache import cache_dir

    return cache_dir()


class TimingLock:
    """The machine-wide lock around timing, with a note of who holds it (pid, run name, since when).

    The note is a file of its own: filelock truncates the lock file each time a waiter tries it.
    """

    def __init__(self, run: str, *, wait: bool = True, say: Callable[[str], None] = print,
                 directory: Path | None = None) -> None:
        from filelock import FileLock

        self.run = run
        self.wait = wait
        self.say = say
        self.directory = directory or lock_directory()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.directory / LOCK_NAME))
        self.waited = 0.0
        self.waited_for: dict[str, Any] | None = None
        self.nested_in: dict[str, Any] | None = None  # the holder whose lock this run times under, if a child of it
        self._outer_token: str | None = None

    def holder(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.directory / HOLDER_NAME).read_text())
        except (OSError, ValueError):
            return None

    def acquire(self) -> None:
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            holder = self.holder()
            token = os.environ.get(TOKEN_ENV)
            if token and holder and secrets.compare_digest(str(holder.get("token", "")), token):
                self.nested_in = holder  # our parent holds it and waits for us: time now, leave its lock alone
                return
            self.waited_for = holder
            who = describe_holder(self.waited_for)
            if not self.wait:
                raise MachineBusy(f"another benchmark run is timing on this machine: {who}; not timing (--no-wait)")
            self.say(f"arena: another benchmark run is timing on this machine: {who}; "
                     "waiting for it to finish, then timing (--no-wait stops instead)")
            start = time.monotonic()
            self._lock.acquire()
            self.waited = time.monotonic() - start
            self.say(f"arena: the other run finished after {self.waited:.1f} s of waiting; timing now")
        token = secrets.token_hex(16)
        note = {"pid": os.getpid(), "run": self.run, "cwd": os.getcwd(), "since": time.strftime("%Y-%m-%d %H:%M:%S"),
                "token": token}
        staging = self.directory / f".{HOLDER_NAME}.{os.getpid()}"
        staging.write_text(json.dumps(note))
        os.replace(staging, self.directory / HOLDER_NAME)
        self._outer_token = os.environ.get(TOKEN_ENV)
        os.environ[TOKEN_ENV] = token  # for the processes this one starts while it times

    def release(self) -> None:
        if not self._lock.is_locked:
            return
        holder = self.holder()
        if holder and holder.get("pid") == os.getpid():
            (self.directory / HOLDER_NAME).unlink(missing_ok=True)
            if os.environ.get(TOKEN_ENV) == holder.get("token"):
                if self._outer_token is None:
                    del os.environ[TOKEN_ENV]
                else:  # a lock taken inside a run that times under another (a test of the lock itself)
                    os.environ[TOKEN_ENV] = self._outer_token
        self._lock.release()


def describe_holder(holder: dict[str, Any] | None) -> str:
    if not holder:
        return "pid unknown (it has just taken the lock)"
    return f"pid {holder.get('pid')}, run {holder.get('run')!r} in {holder.get('cwd')}, timing since {holder.get('since')}"

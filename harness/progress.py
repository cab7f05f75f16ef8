"""Progress of the long phases (checking, counting, scoring): a bar with the time left on a terminal, and
one line per phase anywhere else (a log, CI, a pipe), so a long run is never silent and never floods a log."""
from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, ContextManager

#: Makes the terminal visible for the length of a phase (pytest hides it while tests run); None: it is visible.
Unhide = Callable[[], ContextManager[object]]


class Phase:
    """`advance()` once per finished item; `note` adds to the closing line (e.g. how many came from the store)."""

    def __init__(self, label: str, total: int, stream: IO[str] | None = None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.note = ""
        self._stream = stream
        self._bar: object | None = None
        self._task: object | None = None
        self._started = time.monotonic()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(self._task, advance=count)  # type: ignore[attr-defined]

    def _open(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        console = Console(file=self._stream or sys.stderr, highlight=False)
        if console.is_terminal and not console.is_dumb_terminal:
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=console)
            self._bar.start()  # type: ignore[attr-defined]
            self._task = self._bar.add_task(self.label, total=self.total)  # type: ignore[attr-defined]

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.stop()  # type: ignore[attr-defined]
        line = f"{self.label}: {self.done}/{self.total} in {time.monotonic() - self._started:.1f} s"
        stream = self._stream or sys.stderr
        print(line + (f" ({self.note})" if self.note else ""), file=stream, flush=True)


@contextlib.contextmanager
def phase(label: str, total: int, unhide: Unhide | None = None, stream: IO[str] | None = None) -> Iterator[Phase]:
    with unhide() if unhide is not None else contextlib.nullcontext():
        shown = Phase(label, total, stream)
        shown._open()
        try:
            yield shown
        finally:
            shown._close()

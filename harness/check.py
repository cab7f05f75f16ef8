"""Check one variant on one route against the kernel's reference, and say exactly what went wrong.

Every problem becomes a Report with a verdict (`pass`, `fail`, `error`) and a
message; nothing a variant does ends the run. Native routes run their code in
a forked child (targets.native.isolate), so a fault or a hang is that variant's
failure. A wrong answer is shrunk to a smallest failing input.
"""
from __future__ import annotations

import mmap
import struct
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.inputs import Case, correctness_cases
from targets.native.isolate import ChildDied, in_child, variant_failure
from kernels.kernel import Kernel
from harness import store
from harness.shrink import shrink, shrink_together
from targets.variant_source import Source
from targets import get_route
from targets.native import sandbox
from targets.base import ArenaError, Built, LimitExceeded, RunError, Target

# Longest a native child may spend on one input; a sound sort takes milliseconds on the largest. On a small input,
# the time the kernel's instruction limit would take at a tenth of a slow core's speed, but never under a second
# (a loaded machine may keep a child waiting): an endless loop on a two-element input is not waited for 5 s.
NATIVE_STALL_SECONDS = 5.0
NATIVE_STALL_FLOOR = 1.0
NATIVE_INSTRUCTIONS_PER_SECOND = 1e8
SHRINK_SECONDS = 20.0
SHOWN_VALUES = 64


@dataclass
class Counterexample:
    """The smallest failing input; what the code and the reference made of it (a sort's array, else the result
    and the written arrays by name)."""

    input: Any
    got: Any
    expected: Any


@dataclass
class Report:
    kernel: str
    variant: str
    route: str
    origin: str
    path: str
    language: str
    lines: dict[str, int]
    verdict: str = "pass"
    message: str = ""
    counterexample: Counterexample | None = None
    inputs_checked: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # What was adapted to run the file as written (the fenced block taken, its own C prototype, stubbed imports).
    notes: list[str] = field(default_factory=list)
    # Static instructions of the built entry function without its final ret (x86-64 code only, else None).
    program_length: int | None = None
    # True when the verdict came from harness.store: the same text, route, cases, tools and code, checked before.
    from_store: bool = False

    @property
    def id(self) -> str:
        return f"{self.kernel}/{self.variant}/{self.route}"

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["id"] = self.id
        if self.counterexample is None:
            del data["counterexample"]
        return data


@dataclass(frozen=True)
class Failure:
    """How one input failed: `kind` groups failures that are the same bug, for shrinking."""

    kind: str
    message: str
    got: Any = None


def attempt(built: Built, values: Any, kernel: Kernel) -> Failure | None:
    interface = kernel.interface
    assert interface is not None
    expected = interface.expected(values)
    try:
        got = built.call(values)
    except LimitExceeded as exc:
        return Failure("limit", str(exc))
    except RunError as exc:
        return Failure(type(exc).__name__ + ":" + getattr(exc, "side", ""), str(exc))
    if got == expected:
        return None
    if interface.is_sort_shaped:
        return Failure("wrong answer", _explain_wrong(values, list(got.arrays[0]), list(expected.arrays[0])),
                       list(got.arrays[0]))
    return _explain_outcome(interface, got, expected)


def shown_outcome(interface: Any, outcome: Any) -> Any:
    """An Outcome as a counterexample shows it: a sort's array, else the result and each written array by name."""
    if interface.is_sort_shaped:
        return list(outcome.arrays[0])
    shown: dict[str, Any] = {} if interface.result is None else {"result": outcome.result}
    shown.update({a.name: list(values) for a, values in zip(interface.arrays, outcome.arrays) if a.written})
    return shown


def _explain_outcome(interface: Any, got: Any, expected: Any) -> Failure:
    """The first thing a call got wrong: an input array written (named as such), the result, an output array."""
    shown = shown_outcome(interface, got)
    for argument, before, after in zip(interface.arrays, expected.arrays, got.arrays):
        if not argument.written and before != after:
            index = next(i for i, (a, b) in enumerate(zip(after, before)) if a != b)
            return Failure("input written", f"input array {argument.name} was written: {argument.name}[{index}] "
                           f"changed from {before[index]} to {after[index]}", shown)
    if got.result != expected.result:
        return Failure("wrong answer", f"wrong result: got {got.result}, expected {expected.result}", shown)
    for argument, want, have in zip(interface.arrays, expected.arrays, got.arrays):
        if want != have:
            index = next(i for i, (a, b) in enumerate(zip(have, want)) if a != b)
            return Failure("wrong answer", f"wrong answer in array {argument.name}: first difference at index "
                           f"{index}: got {have[index]}, expected {want[index]}", shown)
    return Failure("wrong answer", "wrong answer", shown)


def _explain_wrong(values: Sequence[int], got: list[int], expected: list[int]) -> str:
    if len(got) != len(expected):
        return f"wrong answer: {len(got)} values came back for {len(expected)}"
    lost = Counter(expected) - Counter(got)
    gained = Counter(got) - Counter(expected)
    if lost or gained:
        which = "is sorted but " if all(a <= b for a, b in zip(got, got[1:])) else ""
        return (
            f"wrong answer: the output {which}is not a permutation of the input "
            f"(lost {sorted(lost.elements())[:8]}, gained {sorted(gained.elements())[:8]})"
        )
    index = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)
    return f"wrong answer: first difference at index {index}: got {got[index]}, expected {expected[index]}"


def _first_failure(built: Built, cases: Sequence[Case], kernel: Kernel, progress: mmap.mmap | None) -> tuple[int, Failure] | None:
    for index, case in enumerate(cases):
        if progress is not None:
            progress[:8] = struct.pack("q", index)
        failure = attempt(built, case.values, kernel)
        if failure is not None:
            return index, failure
    return None


def _shown(values: Sequence[int]) -> str:
    if len(values) <= SHOWN_VALUES:
        return str(list(values))
    return f"{list(values[:SHOWN_VALUES])[:-1]}, ... ({len(values)} values)]"


class Checker:
    """Runs the correctness inputs on a built variant, in a child process when the route is native."""

    def __init__(self, built: Built, kernel: Kernel, native: bool) -> None:
        self.built = built
        self.kernel = kernel
        self.native = native

    def first_failure(self, cases: Sequence[Case]) -> tuple[int, Failure] | None:
        if not self.native:
            return _first_failure(self.built, cases, self.kernel, None)
        progress = mmap.mmap(-1, 8)

        def stall(seen: bytes) -> float:
            (index,) = struct.unpack("q", seen[:8])
            return self._stall_seconds(self._length(cases[index].values) if 0 <= index < len(cases) else None)

        try:
            return in_child(
                _first_failure, self.built, cases, self.kernel, progress,
                timeout=stall, progress=progress, **self._sandbox(),
            )
        except ChildDied as died:
            (index,) = struct.unpack("q", progress[:8])
            return index, self._died(died)
        finally:
            progress.close()

    def attempt(self, values: Sequence[int]) -> Failure | None:
        if not self.native:
            return attempt(self.built, values, self.kernel)
        try:
            return in_child(attempt, self.built, values, self.kernel, timeout=self._stall_seconds(self._length(values)),
                            **self._sandbox())
        except ChildDied as died:
            return self._died(died)

    def _length(self, values: Any) -> int:
        return max((len(a) for a in self.kernel.interface.inputs(values)), default=0)  # type: ignore[union-attr]

    def _stall_seconds(self, n: int | None) -> float:
        if n is None:
            return NATIVE_STALL_SECONDS
        allowed = self.kernel.interface.limits.instructions_for(n) / NATIVE_INSTRUCTIONS_PER_SECOND  # type: ignore[union-attr]
        return min(NATIVE_STALL_SECONDS, max(NATIVE_STALL_FLOOR, allowed))

    def _sandbox(self) -> dict[str, Any]:
        """Native variant code runs only under the system-call filter, loaded after the code is in place."""
        return {"prepare": getattr(self.built, "prepare_child", None), "sandboxed": True}

    def _died(self, died: ChildDied) -> Failure:
        message = str(variant_failure(self.built.route, died))  # as a timing round of the same code says it
        if died.timed_out:
            return Failure("limit", message)
        if died.syscall:
            return Failure("syscall", message)
        return Failure(f"crash:{died.signal_number}", message)


# Reports of full correctness runs in this process, by what decides them: a route that gates on another
# (x86-native on x86-unicorn) then reuses a check the session already ran, here or in a worker.
_memo: dict[tuple[str, str, str, str], Report] = {}


def _memo_key(source: Source, route_name: str, kernel: Kernel) -> tuple[str, str, str, str]:
    return (route_name, kernel.name, str(source.path), source.text)


def remember(source: Source, report: Report, kernel: Kernel) -> None:
    _memo[_memo_key(source, report.route, kernel)] = report


def check(source: Source, route: Target, kernel: Kernel, cases: Sequence[Case] | None = None) -> Report:
    if cases is None and (known := _memo.get(_memo_key(source, route.name, kernel))) is not None:
        return known
    report = stored(source, route, kernel, cases)
    if report is None:
        report = _check(source, route, kernel, cases)
        store.save(source, route, kernel, correctness_cases(kernel.interface) if cases is None else cases, report.as_json())
    if cases is None:
        remember(source, report, kernel)
    return report


def _blank_report(source: Source, route: Target, kernel: Kernel) -> Report:
    return Report(
        kernel=kernel.name,
        variant=source.name,
        route=route.name,
        origin=source.origin,
        path=str(source.path),
        language=source.language,
        lines=source.lines.as_dict(),
        warnings=list(source.warnings),
        notes=list(source.notes),
    )


def stored(source: Source, route: Target, kernel: Kernel, cases: Sequence[Case] | None = None) -> Report | None:
    """The verdict harness.store remembers for this source on this route, told about this file; None to check.
    A native route that may not run here says so first, whatever was stored."""
    if route.native and uncontained(source, kernel) or route.lacks(source):
        return None
    data = store.lookup(source, route, kernel, correctness_cases(kernel.interface) if cases is None else cases)
    if data is None:
        return None
    report = _blank_report(source, route, kernel)
    old_path = data.get("path", "")
    # The same text saved elsewhere: its messages name this file.
    report.message = data["message"].replace(old_path, report.path) if old_path else data["message"]
    report.verdict, report.inputs_checked = data["verdict"], data["inputs_checked"]
    report.seconds, report.from_store = data["seconds"], True
    # What the route adapted to build the file (its own C prototype, say) is part of the verdict: keep it.
    report.notes += [note.replace(old_path, report.path) if old_path else note
                     for note in data.get("notes", []) if note not in report.notes]
    report.program_length = data.get("program_length")
    if (found := data.get("counterexample")) is not None:
        report.counterexample = Counterexample(**found)
    return report


def _check(source: Source, route: Target, kernel: Kernel, cases: Sequence[Case] | None) -> Report:
    started = time.perf_counter()
    report = _blank_report(source, route, kernel)
    cases = correctness_cases(kernel.interface) if cases is None else cases
    built: Built | None = None
    if route.native and (why := uncontained(source, kernel)):
        report.verdict, report.message = "skip", f"{route.name}: not run: {why}"
        return report
    if why := route.lacks(source):
        report.verdict, report.message = "skip", f"{route.name}: not run: {why}"
        return report
    try:
        route.refuse(source, kernel)
        if route.gate is not None and not _passed_gate(report, source, route, kernel):
            report.seconds = round(time.perf_counter() - started, 3)
            return report
        built = route.build(source, kernel)
        report.notes += [note for note in built.notes if note not in report.notes]
        report.program_length = built.program_length
        _run_cases(report, Checker(built, kernel, route.native), cases, kernel)
    except ArenaError as exc:
        report.verdict, report.message = exc.verdict, str(exc)
    except Exception as exc:  # a bug of ours or of a library must still not end the run
        report.verdict, report.message = "error", f"internal error on {route.name}: {type(exc).__name__}: {exc}"
    finally:
        if built is not None:
            built.close()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _passed_gate(report: Report, source: Source, route: Target, kernel: Kernel) -> bool:
    """Whether the source passed every correctness input on the route `route` declares as its gate (memoized
    per source text, so a session checks each source there once); if not, `report` takes that verdict, with
    the gate's message and counterexample."""
    gate = check(source, get_route(route.gate), kernel)  # type: ignore[arg-type]
    if gate.passed:
        return True
    if gate.verdict == "skip":  # the gate cannot run it (an instruction its emulator lacks): the route checks alone
        report.notes.append(f"not checked on {gate.route} first: {gate.message}")
        return True
    report.verdict = gate.verdict
    report.message = f"{route.not_run}: failed on {gate.route}: {gate.message}"
    report.counterexample = gate.counterexample
    return False


def uncontained(source: Source, kernel: Kernel) -> str | None:
    """Why a variant's native code may not run here: no system-call filter, and no --unsafe-native. The kernel's
    own compiler sources are the suite's, not a variant's: they run either way."""
    if sandbox.unavailable() is None or sandbox.unsafe_allowed() or source.path.parent == kernel.directory:
        return None
    return f"{sandbox.unavailable()}; pass --unsafe-native to run native variant code without it"


def _run_cases(report: Report, checker: Checker, cases: Sequence[Case], kernel: Kernel) -> None:
    found = checker.first_failure(cases)
    if found is None:
        report.inputs_checked = len(cases)
        report.message = f"{len(cases)} inputs: every result matches the reference"
        return
    index, failure = found
    case = cases[index]
    report.inputs_checked = index + 1
    report.verdict = "fail"
    interface = kernel.interface
    assert interface is not None
    smallest, final = _as_lists(case.values), failure
    if failure.kind != "limit":  # a hang costs its whole budget per attempt: not worth shrinking
        deadline = time.monotonic() + SHRINK_SECONDS

        def same_bug(values: Any) -> bool:
            if time.monotonic() > deadline:
                return False
            again = checker.attempt(values)
            return again is not None and again.kind == failure.kind

        # A fixed-length kernel's counterexample keeps its length: only its values shrink.
        keep_length = interface.fixed_length is not None
        if len(interface.arrays) == 1:  # within the declared domain and the element type's range
            element = interface.array.type
            domain = (max(interface.domain[0], element.low), min(interface.domain[1], element.high))
            smallest = shrink(case.values, same_bug, keep_length=keep_length, domain=domain)
        else:  # the arrays shrink together: they share their lengths
            smallest = [list(a) for a in shrink_together(
                interface.inputs(case.values), same_bug, keep_length=keep_length,
                domains=[(a.type.low, a.type.high) for a in interface.arrays])]
        final = checker.attempt(smallest) or failure
    report.counterexample = Counterexample(input=smallest, got=final.got,
                                           expected=shown_outcome(interface, interface.expected(smallest)))
    shrunk = "" if smallest == _as_lists(case.values) else f", shrunk to {_shown_input(smallest)}"
    report.message = f"{final.message} (on input {case.describe()}{shrunk})"


def _as_lists(values: Any) -> Any:
    """An input as plain lists (a counterexample's JSON form): a list, or a list of lists for several arrays."""
    return [list(v) if isinstance(v, (tuple, list)) else v for v in values]


def _shown_input(values: Any) -> str:
    if values and isinstance(values[0], list):
        return "(" + ", ".join(_shown(v) for v in values) + ")"
    return _shown(values)

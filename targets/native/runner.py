"""Native machine code: where it is placed, and the one runner every native route's code runs in.

The parent process builds and loads code, but never calls it. Variant code
runs only in a forked child that loads everything it needs first (the code,
its buffers, the driver), then the system-call filter (targets.native.sandbox), and
only then calls the kernel. Checks and timing share that child's mechanism
(targets.native.isolate): a check asks a fresh child once, timing and single
inputs ask the build's child (targets.native.child: one per build, configured
for each timing loop). A fault, a hang or a refused system call ends the child
and becomes the variant's verdict, worded the same either way.

Timing runs the driver of targets.fresh (targets.shaped for a kernel of any
shape but a sort's) inside the child: each round makes a
pool of fresh inputs in native code, times the kernel's calls on them with
the child's own clock (clock_gettime through the vDSO, which the filter never
sees), and then checks every output. Where the
kernel's bytes are self-contained (no reference outside the function: checked
by disassembly, not assumed), the runner times copies placed at several
offsets mod 64, since where a function lands moves its time as much as most
differences between builds do; otherwise it times the code in place and says
so.
"""
from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kernels.interface import Outcome
from targets import fresh
from targets.base import CANARY_BYTES, as_result, guarded_array, share_cores, unguarded_array
from targets.native import call_guard
from targets.native.child import NativeChild, NativeRunner
from targets.native.memory import CodeMapping, GuardedBuffer
from targets.x86.disasm import position_dependence

# Offsets mod 64 of the kernel's entry that timing sweeps: a cache line's worth of fetch-window positions.
PLACEMENT_OFFSETS = (0, 16, 32, 48)


@dataclass(frozen=True)
class Placement:
    """Where one timed copy of the kernel sits: its entry's offset mod 64, or None for the code in place."""

    offset: int | None
    address: int  # 0 for in place: the address is known only in the child, after enter_child()


class NativeKernel:
    """Mixin for a Built whose kernel is native machine code. The subclass provides `entry_address()` (valid in
    the child after `enter_child()`), and `kernel_bytes()` (the entry function's bytes, or None)."""

    route: str
    _buffers: list[GuardedBuffer] | None = None
    _runner: NativeRunner | None = None  # the loop made last
    _child: NativeChild | None = None
    # The placed copies, made once per build and offsets: every loop of the build (rounds, probes) reuses them.
    _placed: dict[tuple[int, ...], tuple[list[Placement], list[CodeMapping], str]] | None = None
    #: How the last timing loop placed the code: {"policy", "reason", "offsets"}.
    placement: dict[str, Any] | None = None
    #: What changes while the code runs, as targets.base.Built's guard reads it.
    runtime_state = frozenset({"placement"})

    def enter_child(self) -> None:
        """Load what the code needs in the child before the filter closes (a shared library, say)."""

    def prepare_child(self) -> None:
        """Everything a child running this code loads before its filter closes: the call guard, then
        `enter_child()`."""
        call_guard.load()
        self.enter_child()

    def entry_address(self) -> int:
        raise NotImplementedError

    def kernel_bytes(self) -> bytes | None:
        return None

    def entry_code(self) -> tuple[bytes, int] | None:
        """The kernel's own bytes (those its placements copy), counted at address 0."""
        code = self.kernel_bytes()
        return (code, 0) if code else None

    def call(self, values: Any) -> Outcome:
        """One guarded call, each array flush against a guard page of its own, canaries below and above it, the
        callee-saved registers checked at return (targets.native.call_guard). Only ever called in a sandboxed child
        (harness.check runs it there)."""
        interface = self.interface
        if self._buffers is None:
            self._buffers = [GuardedBuffer() for _ in interface.arrays]
        placed = [(argument, elements, guarded_array(argument, elements))
                  for argument, elements in zip(interface.arrays, interface.inputs(values))]
        starts = [buffer.place(data) for buffer, (_, _, data) in zip(self._buffers, placed)]
        # Through the call guard: a callee-saved register left changed is the variant's failure, named.
        bits = call_guard.guarded_call(self.entry_address(), interface.call_arguments(
            [s + CANARY_BYTES for s in starts], [len(e) for _, e, _ in placed]))
        only = len(placed) == 1
        return Outcome(as_result(interface, bits), tuple(
            unguarded_array(argument, ctypes.string_at(start, len(data)), len(elements), only)
            for start, (argument, elements, data) in zip(starts, placed)))

    def placements(self, offsets: Sequence[int]) -> tuple[list[Placement], list[CodeMapping], str]:
        """Copies of the kernel at `offsets`, when its bytes are self-contained; else the code in place, and why."""
        code = self.kernel_bytes()
        if code is None:
            return [Placement(None, 0)], [], "in place: this route cannot read back its kernel's bytes"
        reasons = position_dependence(code, 0)
        if reasons:
            more = f" and {len(reasons) - 2} more" if len(reasons) > 2 else ""
            return [Placement(None, 0)], [], f"in place: the code reaches outside itself ({'; '.join(reasons[:2])}{more})"
        mappings, placed = [], []
        for offset in offsets:
            mapping = CodeMapping(offset + len(code))
            mapping.load(code, offset)
            mappings.append(mapping)
            placed.append(Placement(offset, mapping.address + offset))
        return placed, mappings, "swept"

    def placed(self, offsets: Sequence[int]) -> tuple[list[Placement], str]:
        """`placements(offsets)`, made on first use and kept until the build closes."""
        if self._placed is None:
            self._placed = {}
        key = tuple(offsets)
        if key not in self._placed:
            self._placed[key] = self.placements(offsets)
        places, _, reason = self._placed[key]
        return places, reason

    def run_sandboxed(self, values: Sequence[int]) -> list[int]:
        """`run(values)` in the build's sandboxed child (the one its timing loops use), without a fork per call:
        for callers that try many single inputs. A crash or a refused system call ends the child and raises
        RunError naming it; the next call starts a new child."""
        return list(self.call_sandboxed(values).arrays[0])

    def call_sandboxed(self, values: Any) -> Outcome:
        """`call(values)` in the build's sandboxed child, as run_sandboxed."""
        return self._live_child().call(values)

    def _live_child(self, offsets: Sequence[int] | None = None) -> NativeChild:
        """The build's child, with copies at `offsets` (any, when None); a new one if it died or places its
        copies elsewhere. One child per build, kept for the build's life: a fork per benchmark cost more than a
        small benchmark's rounds."""
        child = self._child
        wanted = PLACEMENT_OFFSETS if offsets is None else tuple(offsets)
        if child is None or not child.alive or (offsets is not None and child.offsets != wanted):
            if child is not None:
                child.close()
            child = self._child = NativeChild(self, wanted)
        return child

    def loop(self, n: int, shape: str, repeat: int, *, seed: int, fresh: bool = True, expect: int = 0,
             offsets: Sequence[int] = PLACEMENT_OFFSETS) -> Callable[[], None]:
        child = self._live_child(offsets)  # reconfigured for this loop, not forked again
        share_cores(child.pid)
        runner = NativeRunner(child, n, shape, repeat, seed=seed, fresh_inputs=fresh, expect=expect)
        self._runner = runner
        self.placement = runner.describe()
        return runner.round

    def loop_clock(self) -> Callable[[], float] | None:
        return self._runner.clock if self._runner else None

    def loop_outcome(self) -> fresh.LoopOutcome:
        assert self._runner, "loop() first"
        return self._runner.outcome()

    def close_native(self) -> None:
        if self._child is not None:
            self._child.close()
            self._child = None
        self._runner = None
        for _, mappings, _ in (self._placed or {}).values():
            for mapping in mappings:
                mapping.close()
        self._placed = None
        for buffer in self._buffers or ():
            buffer.close()
        self._buffers = None

"""AI-written x86-64 assembly run natively: Keystone's bytes in an executable mapping, called through ctypes.

This gives hand-written assembly a real time per sort next to gcc and clang.
Only a variant that passed every correctness input on `x86-unicorn` gets
here: the emulator reports a wild write, a clobbered register or a runaway
loop with its cause, where native code would at best crash. Whatever does run
natively runs in a child process (`native = True`), as the C and LLVM routes do.
"""
from __future__ import annotations

import ctypes
import mmap
import time
from collections.abc import Sequence
from importlib import metadata

from harness.kernel import Kernel
from harness.source import Source
from targets import get_route
from targets.base import ArenaError, Built, BuildError, Target
from targets.native import PAGE, GuardedBuffer, NativeLoop, NativeTiming, _libc, _MAP_FAILED, sort_function
from targets.x86_unicorn import Assembled, assemble_safely

GATE_ROUTE = "x86-unicorn"


class Gated(ArenaError):
    """Not run on this route because the variant failed on a safer one; the verdict is the one it got there."""

    def __init__(self, message: str, verdict: str, counterexample: object = None) -> None:
        super().__init__(message)
        self.verdict = verdict
        #: The gate route's harness.check.Counterexample, for the checker to put on this route's report too.
        self.counterexample = counterexample


def passed_on(route_name: str, source: Source, kernel: Kernel) -> tuple[str, str, object]:
    """Verdict, message and counterexample of `arena check` for this source on `route_name` (memoized by
    harness.check per source text, so a session checks each source on the gate route once)."""
    from harness.check import check  # harness.check imports targets: import late

    report = check(source, get_route(route_name), kernel)
    return report.verdict, report.message, report.counterexample


def require_pass(route_name: str, source: Source, kernel: Kernel, not_run: str) -> None:
    """Raise Gated, carrying the gate route's verdict and message, unless the source passed there."""
    verdict, message, counterexample = passed_on(route_name, source, kernel)
    if verdict != "pass":
        raise Gated(f"{not_run}: failed on {route_name}: {message}", verdict, counterexample)


class ExecutableCode:
    """Machine code in its own mapping, written while read-write, then made read-execute (never both)."""

    def __init__(self, size: int) -> None:
        self.size = max(PAGE, (size + PAGE - 1) // PAGE * PAGE)
        address = _libc.mmap(
            None, self.size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0
        )
        if address in (None, _MAP_FAILED):
            raise MemoryError(f"mmap of {self.size} bytes failed (errno {ctypes.get_errno()})")
        self.address: int = address

    def load(self, code: bytes) -> None:
        ctypes.memmove(self.address, code, len(code))
        if _libc.mprotect(self.address, self.size, mmap.PROT_READ | mmap.PROT_EXEC) != 0:
            raise OSError(ctypes.get_errno(), "mprotect to read-execute failed")

    def close(self) -> None:
        if self.address:
            _libc.munmap(self.address, self.size)
            self.address = 0


class X86NativeBuilt(NativeTiming, Built):
    def __init__(self, source: Source, route: str, assembled: Assembled, code: ExecutableCode) -> None:
        super().__init__(source=source, route=route)
        self.assembled = assembled
        self.mapping = code
        self.address = code.address + assembled.entry
        self._function = sort_function(self.address)
        self.buffer = GuardedBuffer()
        self.timer: NativeLoop | None = None

    @property
    def code_bytes(self) -> int:  # type: ignore[override]
        return len(self.assembled.code)

    def run(self, values: Sequence[int]) -> list[int]:
        return self.buffer.call(self._function, values)

    def close(self) -> None:
        self.buffer.close()
        self.timer = None
        self.mapping.close()


class X86NativeTarget(Target):
    language = "x86"
    native = True
    gate = GATE_ROUTE

    def build(self, source: Source, kernel: Kernel) -> X86NativeBuilt:
        started = time.perf_counter()
        require_pass(GATE_ROUTE, source, kernel, "not run natively")
        gated = time.perf_counter()
        # A first assembly only to learn the size; the second places the code at its real address, so even
        # absolute references (`.quad label`, `mov rax, offset label`) are right.
        size = len(assemble_safely(source, kernel).code)
        code = ExecutableCode(size)
        try:
            assembled = assemble_safely(source, kernel, base=code.address)
            if len(assembled.code) > code.size:
                raise BuildError(f"{source.where()}: the code grew from {size} to {len(assembled.code)} bytes at its address")
            code.load(assembled.code)
        except BaseException:
            code.close()
            raise
        built = X86NativeBuilt(source, self.name, assembled, code)
        # The gate's own check is not this route's build time.
        built.phases = {"gate": gated - started, "build": time.perf_counter() - gated, "load": 0.0}
        return built

    def versions(self) -> dict[str, str]:
        return {"keystone-engine": metadata.version("keystone-engine")}


ROUTES = [
    X86NativeTarget(
        "x86-native",
        "x86-64 assembly assembled by Keystone, run natively from an executable mapping "
        "(only variants that passed on x86-unicorn)",
    )
]

"""AI-written x86-64 assembly run natively: Keystone's bytes in an executable mapping, called through ctypes.

This gives hand-written assembly a real time per call next to gcc and clang.
Only a variant that passed every correctness input on `x86-unicorn` (its
`gate`, which the harness checks first) gets here: the emulator reports a wild write, a clobbered register or a runaway
loop with its cause, where native code would at best crash. Whatever does run
natively runs in a child process (`native = True`), as the C and LLVM routes do.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from kernels.kernel import Kernel
from targets.variant_source import Source
from targets.base import Built, BuildError, Target
from targets.native.memory import CodeMapping
from targets.native.runner import NativeKernel, Placement
from targets.x86 import listing_x86
from targets.x86.assemble import Assembled, assemble_allowed, assemble_safely, assemble_safely_at
from targets.cpu_features import host_features

GATE_ROUTE = "x86-unicorn"


class X86NativeBuilt(NativeKernel, Built):
    def __init__(self, source: Source, route: str, assembled: Assembled, code: CodeMapping, *,
                 kernel: Kernel | None = None, phases: dict[str, float] | None = None) -> None:
        super().__init__(source=source, route=route, phases=dict(phases or {}), kernel=kernel,
                         entry=assembled.entry_label or "")
        self.assembled = assembled
        self.mapping = code
        self.address = code.address + assembled.entry

    @property
    def code_bytes(self) -> int:  # type: ignore[override]
        return len(self.assembled.code)

    def entry_address(self) -> int:
        return self.address

    def stages(self) -> tuple[dict[str, Any], str]:
        """`arena asm`: the bytes read back beside the source lines (targets.x86.listing_x86)."""
        return listing_x86.stages(self)

    def entry_code(self) -> tuple[bytes, int] | None:
        """The assembled code from the entry to its end, as x86-unicorn counts it."""
        return self.assembled.code[self.assembled.entry:], self.assembled.base + self.assembled.entry

    def placements(self, offsets: Sequence[int]) -> tuple[list[Placement], list[CodeMapping], str]:
        """Assembly is placed by assembling it again at each address: absolute references stay right too."""
        placed = []
        mappings = [CodeMapping(len(self.assembled.code) + 128) for _ in offsets]
        starts = [(offset - self.assembled.entry) % 64 for offset in offsets]
        try:
            assembled_at = assemble_safely_at(self.source, self.kernel,
                                              [m.address + at for m, at in zip(mappings, starts)])
            for offset, mapping, at, assembled in zip(offsets, mappings, starts, assembled_at):
                if len(assembled.code) + at > mapping.size:
                    raise BuildError(f"{self.source.where()}: the code grew to {len(assembled.code)} bytes at its "
                                     "address")
                mapping.load(assembled.code, at)
                placed.append(Placement(offset, mapping.address + at + assembled.entry))
        except BaseException:
            for mapping in mappings:
                mapping.close()
            raise
        return placed, mappings, "swept"

    def close(self) -> None:
        self.close_native()
        self.mapping.close()


class X86NativeTarget(Target):
    language = "x86"
    native = True
    gate = GATE_ROUTE
    not_run = "not run natively"

    def refuse(self, source: Source, kernel: Kernel) -> None:
        assemble_allowed(source, kernel)

    def cpu_features(self) -> frozenset[str]:
        return host_features()

    def features_owner(self) -> str:
        return "this machine's CPU"

    def build(self, source: Source, kernel: Kernel) -> X86NativeBuilt:
        started = time.perf_counter()
        first = assemble_allowed(source, kernel)
        # A first assembly only to learn the size; the second places the code at its real address, so even
        # absolute references (`.quad label`, `mov rax, offset label`) are right.
        size = len(first.code)
        code = CodeMapping(size)
        try:
            assembled = assemble_safely(source, kernel, base=code.address)
            if len(assembled.code) > code.size:
                raise BuildError(f"{source.where()}: the code grew from {size} to {len(assembled.code)} bytes at its address")
            code.load(assembled.code)
        except BaseException:
            code.close()
            raise
        return X86NativeBuilt(source, self.name, assembled, code, kernel=kernel,
                              phases={"build": time.perf_counter() - started, "load": 0.0})

    def versions(self) -> dict[str, str]:
        return {"keystone-engine": metadata.version("keystone-engine")}


ROUTES = [
    X86NativeTarget(
        "x86-native",
        "x86-64 assembly assembled by Keystone, run natively from an executable mapping "
        "(only variants that passed on x86-unicorn)",
    )
]

"""What a kernel is: a name, a Python reference, and where its sources live."""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import kernels

LANGUAGES: dict[str, str] = {".c": "c", ".ll": "llvm", ".wat": "wat", ".s": "x86", ".asm": "x86"}


@dataclass(frozen=True)
class Kernel:
    """An in-place kernel over an array of signed int32, as the contract in kernels/README.md states."""

    name: str
    directory: Path
    reference: Callable[[Sequence[int]], list[int]]
    # Names an entry point may carry in a file pasted from anywhere, best first.
    entry_names: tuple[str, ...] = field(default=())

    @property
    def variants_dir(self) -> Path:
        return self.directory / "variants"

    def entry_candidates(self) -> tuple[str, ...]:
        camel = self.name.split("_")[0] + "".join(p.title() for p in self.name.split("_")[1:])
        names = (self.name, "_" + self.name, camel, self.name.replace("_", "-"), *self.entry_names)
        return tuple(dict.fromkeys(names))


class UnknownName(LookupError):
    """A lookup by name that failed; the message lists the names that exist."""

    def __init__(self, what: str, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown {what} {name!r}; known: {', '.join(sorted(known)) or '(none)'}")


def all_kernels() -> dict[str, Kernel]:
    found: dict[str, Kernel] = {}
    for info in pkgutil.iter_modules(kernels.__path__):
        if info.ispkg:
            module = importlib.import_module(f"kernels.{info.name}")
            kernel = getattr(module, "KERNEL", None)
            if isinstance(kernel, Kernel):
                found[kernel.name] = kernel
    return found


def get_kernel(name: str) -> Kernel:
    known = all_kernels()
    if name not in known:
        raise UnknownName("kernel", name, list(known))
    return known[name]

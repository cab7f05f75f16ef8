"""What a kernel is: a name, a Python reference, its interface, and where its sources live; the registry."""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kernels
from kernels.interface import Interface, array_and_length

LANGUAGES: dict[str, str] = {".c": "c", ".ll": "llvm", ".wat": "wat", ".s": "x86", ".asm": "x86"}


@dataclass(frozen=True)
class Kernel:
    """An in-place kernel over an array of signed int32, as the contract in kernels/README.md states."""

    name: str
    directory: Path
    reference: Callable[[Sequence[int]], list[int]]
    # Names an entry point may carry in a file pasted from anywhere, best first.
    entry_names: tuple[str, ...] = field(default=())
    # The algorithm a variant implements unless its header says otherwise (`algorithm: ...`).
    algorithm: str = ""
    # Every algorithm the kernel knows, each with the stem of its compiler sources in the kernel folder
    # (`<stem>.c`, `<stem>.ll`): a variant is compared with the compiler's build of the same algorithm.
    algorithms: Mapping[str, str] = field(default_factory=dict, hash=False)
    # The calling contract as data (arguments, cases, workloads, limits): what every route derives its
    # prototype, driver and limits from. Omitted: an array and its length, checked against `reference`.
    interface: Interface | None = field(default=None, hash=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.interface is None:
            object.__setattr__(self, "interface", array_and_length(self.name, self.reference, self.entry_names))
        baseline = self.algorithm or self.name
        algorithms = dict(self.algorithms) or {baseline: self.name}
        if baseline not in algorithms:
            raise ValueError(f"kernel {self.name!r}: baseline algorithm {baseline!r} is not one of {sorted(algorithms)}")
        object.__setattr__(self, "algorithm", baseline)
        object.__setattr__(self, "algorithms", algorithms)

    def algorithm_named(self, name: str) -> str:
        """The declared algorithm `name` means (case, hyphens and spacing aside); UnknownName if none."""
        wanted = _algorithm_key(name)
        for known in self.algorithms:
            if _algorithm_key(known) == wanted:
                return known
        raise UnknownName(f"algorithm for kernel {self.name!r}", name.strip(), list(self.algorithms))

    def is_compiler_source(self, source: Any) -> bool:
        """One of the kernel's own compiler sources (not a variant that happens to share a stem)."""
        return source.name in self.compiler_sources and Path(source.path).resolve().parent == self.directory.resolve()

    @property
    def compiler_sources(self) -> dict[str, str]:
        """Stem of each compiler source in the kernel folder -> the algorithm it implements."""
        return {stem: algorithm for algorithm, stem in self.algorithms.items()}

    @property
    def variants_dir(self) -> Path:
        return self.directory / "variants"

    def entry_candidates(self) -> tuple[str, ...]:
        camel = self.name.split("_")[0] + "".join(p.title() for p in self.name.split("_")[1:])
        names = (self.name, "_" + self.name, camel, self.name.replace("_", "-"), *self.entry_names)
        return tuple(dict.fromkeys(names))


def _algorithm_key(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").replace("_", " ").split())


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

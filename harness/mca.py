"""A static cost estimate of a listing's inner loop by llvm-mca, where it is installed (it is optional)."""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from targets.cache import cached_bytes

# A label at the start of a GAS line, as harness.asm's filter reads it.
_GAS_LABEL = re.compile(r"^([A-Za-z_.$@?][\w.$@?]*):")

_MCA_FIELDS = ("Iterations", "Instructions", "Total Cycles", "Total uOps", "Dispatch Width", "uOps Per Cycle",
               "IPC", "Block RThroughput")


def find_llvm_mca() -> str | None:
    """`llvm-mca`, else the newest `llvm-mca-NN` on PATH (Debian and Ubuntu install versioned names)."""
    plain = shutil.which("llvm-mca")
    if plain:
        return plain
    found = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        for path in glob.glob(os.path.join(directory, "llvm-mca-*")):
            version = path.rsplit("-", 1)[1]
            if version.isdigit() and os.access(path, os.X_OK):
                found.append((int(version), path))
    return max(found)[1] if found else None


def inner_loop(code: Sequence[str]) -> list[str]:
    """The instructions of the innermost loop of a listing, as labels and instructions in layout order.

    Every loop in laid-out code has at least one backward branch: a jump to a label at or above it. Of all
    backward branches, the one spanning the fewest lines closes the innermost loop (a loop nested inside
    another lies within the outer one's span, so its span is shorter); the loop body is taken as the lines
    from its target label to the branch. Blocks the compiler moved out of line, below the branch, are left
    out, which suits llvm-mca: it models the body as straight-line code repeated.
    """
    where = {m.group(1): i for i, line in enumerate(code) if (m := _GAS_LABEL.match(line.strip()))}
    loops = []
    for i, line in enumerate(code):
        words = line.split()
        if len(words) >= 2 and words[0].startswith("j") and words[1] in where and where[words[1]] <= i:
            loops.append((i - where[words[1]], where[words[1]], i))
    if not loops:
        return []
    _, start, end = min(loops)
    return [line for line in code[start : end + 1] if not _GAS_LABEL.match(line.strip())]


# Iterations of the loop llvm-mca models: its totals are divided by this.
ITERATIONS = 100


@dataclass(frozen=True)
class McaRun:
    returncode: int
    stdout: str
    stderr: str

    def fields(self) -> dict[str, str]:
        """The summary figures llvm-mca printed (those of _MCA_FIELDS), by name."""
        values = {}
        for line in self.stdout.splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() in _MCA_FIELDS:
                values[key.strip()] = value.strip()
        return values

    def total_cycles(self) -> float | None:
        """Cycles per iteration: llvm-mca's total over ITERATIONS, or None when it reported none."""
        total = self.fields().get("Total Cycles", "")
        return int(total) / ITERATIONS if total.isdigit() else None


def run_mca(loop: Sequence[str], tool: str) -> McaRun:
    """llvm-mca on `loop` (Intel syntax) repeated ITERATIONS times, modelling the host CPU; kept in the cache,
    keyed by the loop, the tool (path, size, time) and the CPU it models, since a report asks for the same
    unchanged loops on every run."""
    source = ".intel_syntax noprefix\n" + "\n".join(loop) + "\n"
    command = [tool, "-mtriple=x86_64-unknown-linux-gnu", f"-iterations={ITERATIONS}"]
    stat = os.stat(tool)

    def produce(_work: Path) -> bytes:
        done = subprocess.run(command, input=source, capture_output=True, text=True, check=False)
        return json.dumps([done.returncode, done.stdout, done.stderr]).encode()

    code, out, err = json.loads(cached_bytes("mca", [*command, str(stat.st_size), str(stat.st_mtime_ns),
                                                     _mca_cpu(tool), source], produce))
    return McaRun(code, out, err)


def mca(listing: Any, tool: str | None = None) -> str:
    """llvm-mca's summary for the inner loop of an x86-64 listing, or why there is none."""
    if listing.kind != "x86":
        return f"llvm-mca: the {listing.stage} stage is not x86-64 code: skipped"
    tool = tool or find_llvm_mca()
    if tool is None:
        return "llvm-mca not found on PATH: skipped (install LLVM's tools, e.g. apt-get install llvm, to get it)"
    loop = inner_loop(listing.code)
    if not loop:
        return "llvm-mca: no backward branch in this listing, so no loop to analyse: skipped"
    done = run_mca(loop, tool)
    if done.returncode != 0:
        return f"llvm-mca failed on the inner loop ({len(loop)} instructions):\n{done.stderr.strip()}"
    return _mca_summary(done, loop, tool)


@cache
def _mca_cpu(tool: str) -> str:
    # With no -mcpu, llvm-mca models the host CPU; only `--version` says which one that is.
    done = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"Host CPU:\s*(\S+)", done.stdout)
    return f"host CPU {found.group(1)}" if found else "host CPU"


def _mca_summary(done: McaRun, loop: Sequence[str], tool: str) -> str:
    values = done.fields()
    lines = [f"llvm-mca ({Path(tool).name}, {_mca_cpu(tool)}) over the inner loop, "
             f"{len(loop)} instructions:"]
    lines += [f"  {line.strip()}" for line in loop]
    lines += [f"{key + ':':<19}{values[key]}" for key in _MCA_FIELDS if key in values]
    return "\n".join(lines)

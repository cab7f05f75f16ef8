"""The harness-fidelity reference: the kernel's C source in a standalone program with its own timing loop.

Built with the same compiler and optimization flags as the `c-gcc-O3` route, the
kernel in its own translation unit (as in the suite, the loop cannot inline it),
timed with clock_gettime inside the program. The suite's time for the same
source and input should be within 10% of this program's.

Code placement is controlled: the same bytes can run markedly slower when
the function starts 16 bytes past a 64-byte boundary (its inner loop then
straddles a 32-byte fetch window) than when it starts on one. The route's
library happens to place `insertion_sort` on a 64-byte boundary, so the
program's copy is aligned the same way, and both offsets are recorded with the
run (`entry_offset_mod_64`), where the effect on that machine can be read.
"""
from __future__ import annotations

import hashlib
import subprocess
import tempfile
import time
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path

from targets.c_cffi import cache_dir, compiler_version

COMPILER = "gcc"
FLAGS = ("-O3", "-march=x86-64", "-fno-wrapv")
# For the kernel's translation unit only: the placement the route's library gives it (see the docstring).
PLACEMENT = ("-falign-functions=64",)

MAIN_C = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void insertion_sort(int32_t *a, size_t n);

/* usage: program INPUT REPEAT: prints nanoseconds per (copy + sort), over REPEAT sorts */
int main(int argc, char **argv)
{
    if (argc != 3) return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 2;
    static int32_t src[1 << 20], work[1 << 20];
    size_t n = fread(src, sizeof *src, 1 << 20, f);
    fclose(f);
    long repeat = atol(argv[2]);
    /* Untimed first pass: a fresh process has cold caches and untrained branch predictors, the suite's
       loop (warmed up by its earlier rounds) has neither; time like against like. */
    for (long r = 0; r < repeat; r++) {
        memcpy(work, src, n * sizeof *work);
        insertion_sort(work, n);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long r = 0; r < repeat; r++) {
        memcpy(work, src, n * sizeof *work);
        insertion_sort(work, n);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (size_t i = 1; i < n; i++)
        if (work[i - 1] > work[i]) return 1;
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    printf("%.3f\n", ns / repeat);
    return 0;
}
"""


def standalone_program(kernel_source: Path) -> Path:
    text = kernel_source.read_text()
    key = hashlib.sha256(
        "\0".join([text, MAIN_C, COMPILER, compiler_version(COMPILER), *FLAGS, *PLACEMENT]).encode()
    ).hexdigest()[:20]
    program = cache_dir() / "standalone" / f"insertion_sort-{key}"
    if program.exists():
        return program
    program.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=program.parent) as work:
        main = Path(work) / "main.c"
        main.write_text(MAIN_C)
        objects = []
        for c_file in (kernel_source, main):
            obj = Path(work) / (c_file.stem + ".o")
            placement = PLACEMENT if c_file == kernel_source else ()
            subprocess.run([COMPILER, *FLAGS, *placement, "-c", str(c_file), "-o", str(obj)], check=True, capture_output=True)
            objects.append(str(obj))
        linked = Path(work) / "program"
        subprocess.run([COMPILER, *objects, "-o", str(linked)], check=True, capture_output=True)
        linked.replace(program)
    return program


class Standalone:
    """Runs the standalone program one round at a time, so rounds can interleave with the suite's."""

    label = f"standalone C program ({COMPILER} {' '.join(FLAGS)}, own loop)"

    def entry_offset(self) -> int:
        """Where the program's copy of the kernel starts, modulo 64 bytes."""
        from elftools.elf.elffile import ELFFile

        with open(self.program, "rb") as f:
            symbols = ELFFile(f).get_section_by_name(".symtab")
            return next(int(s["st_value"]) for s in symbols.iter_symbols() if s.name == "insertion_sort") % 64

    def __init__(self, kernel_source: Path, values: Sequence[int], repeat: int) -> None:
        self.program = standalone_program(kernel_source)
        self.repeat = repeat
        self._input = tempfile.NamedTemporaryFile(prefix="arena-input-", suffix=".bin")
        self._input.write(array("i", values).tobytes())
        self._input.flush()
        self.per_sort_seconds: list[float] = []

    def round(self) -> None:
        out = subprocess.run(
            [str(self.program), self._input.name, str(self.repeat)], capture_output=True, text=True, check=True
        )
        self.per_sort_seconds.append(float(out.stdout) * 1e-9)

    def close(self) -> None:
        self._input.close()


class Partner:
    """Another route's timing loop, run one round at a time between the benchmarked route's rounds."""

    def __init__(self, label: str, run: Callable[[], None], repeat: int) -> None:
        self.label = label
        self._run = run
        self.repeat = repeat
        self.per_sort_seconds: list[float] = []

    def round(self) -> None:
        started = time.perf_counter()
        self._run()
        self.per_sort_seconds.append((time.perf_counter() - started) / self.repeat)

    def close(self) -> None:
        pass

"""The harness-fidelity reference: the kernel's C source in a standalone program with its own timing loop.

Built with the same compiler and optimization flags as the `c-gcc-O3` route, the
kernel in its own translation unit (as in the suite, the loop cannot inline it),
and a loop of its own, written plainly in main: a pool of fresh inputs from the
suite's generator (targets.fresh) made before the timed loop, in chunks of the
same size as the suite's, each input sorted once while clock_gettime times the
calls and nothing else, every output checked afterwards. The suite's time for
the same source and inputs should be within 5% of this program's.

Code placement is controlled on both sides: the program aligns the kernel to
64 bytes, and the suite's side of this ratio times its copy at offset 0 mod 64
only, since placement alone moves this kernel's time by more than that.
"""
from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from harness.inputs import ARRAY_AND_LENGTH
from kernels.interface import Array, Interface
from targets import fresh
from targets.native.child import DRIVER_FLAGS
from targets.native.cffi_build import compiler_version
from targets.cache import cached, content_key
from targets.native.elf import elf_function


COMPILER = "gcc"
FLAGS = ("-O3", "-march=x86-64", "-fno-wrapv")
# For the kernel's translation unit only: the placement the route's library gives it (see the docstring).
PLACEMENT = ("-falign-functions=64",)

MAIN_C = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

@PROTOTYPE;
uint64_t arena_fill(int shape, int32_t *a, size_t n, uint64_t *s);

static uint64_t mix_sum(const int32_t *a, size_t n)
{
    uint64_t g = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t m = (uint64_t)(uint32_t)a[i] * 0x9E3779B97F4A7C15ull;
        g += m ^ (m >> 32);
    }
    return g;
}

/* `repeat` calls in chunks of at most `capacity`: make the chunk's inputs (random), time the calls alone, check
   every output (its input's fingerprint, and in order). Returns the calls' nanoseconds; counts wrong outputs. */
static double calls(int32_t *pool, uint64_t *prints, size_t capacity, size_t n, size_t repeat, uint64_t *state,
                    long *bad)
{
    double ns = 0;
    for (size_t done = 0; done < repeat;) {
        size_t count = repeat - done < capacity ? repeat - done : capacity;
        for (size_t k = 0; k < count; k++) prints[k] = arena_fill(0, pool + k * n, n, state);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (size_t k = 0; k < count; k++) @ENTRY(@ARGUMENTS);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ns += (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
        for (size_t k = 0; k < count; k++) {
            const int32_t *out = pool + k * n;
            int ordered = 1;
            for (size_t i = 1; i < n; i++) ordered &= out[i - 1] <= out[i];
            *bad += !ordered || mix_sum(out, n) != prints[k];
        }
        done += count;
    }
    return ns;
}

/* usage: program N REPEAT CAPACITY STATE: prints nanoseconds per call of the kernel alone over REPEAT calls, each
   on a fresh input, and exits 1 if any output was wrong */
int main(int argc, char **argv)
{
    if (argc != 5) return 2;
    size_t n = strtoull(argv[1], 0, 10), repeat = strtoull(argv[2], 0, 10), capacity = strtoull(argv[3], 0, 10);
    uint64_t state = strtoull(argv[4], 0, 10);
    if (capacity == 0 || repeat == 0) return 2;
    int32_t *pool = malloc(capacity * (n ? n : 1) * sizeof *pool);
    uint64_t *prints = malloc(capacity * sizeof *prints);
    if (!pool || !prints) return 2;
    long bad = 0;
    /* Untimed first pass: a fresh process has cold caches and untrained branch predictors, the suite's
       loop (warmed up by its earlier rounds) has neither; time like against like. */
    calls(pool, prints, capacity, n, repeat, &state, &bad);
    double ns = calls(pool, prints, capacity, n, repeat, &state, &bad);
    if (bad) return 1;
    printf("%.3f\n", ns / repeat);
    return 0;
}
"""


def main_c(entry: str, interface: Interface) -> str:
    """The program's main for a kernel named `entry` of this interface (its prototype and its call)."""
    arguments = ", ".join("pool + k * n" if isinstance(a, Array) else "n" for a in interface.arguments)
    return MAIN_C.replace("@PROTOTYPE", interface.c_prototype(entry)).replace("@ENTRY", entry).replace(
        "@ARGUMENTS", arguments)


def standalone_program(kernel_source: Path, interface: Interface = ARRAY_AND_LENGTH) -> Path:
    """The program for the kernel in `kernel_source` (a kernel's own compiler source: its stem is the entry)."""
    text, entry = kernel_source.read_text(), kernel_source.stem
    main, driver_c = main_c(entry, interface), fresh.c_source(interface)
    key = content_key(text, main, driver_c, COMPILER, compiler_version(COMPILER), *FLAGS, *PLACEMENT)

    def build(work: Path) -> Path:
        main_file = work / "main.c"
        main_file.write_text(main)
        driver = work / "driver.c"
        driver.write_text(driver_c)
        objects = []
        for c_file in (kernel_source, main_file, driver):
            obj = work / (c_file.stem + ".o")
            # The generator as the suite's native driver is built; the kernel as the route builds it, aligned.
            flags = {kernel_source: (*FLAGS, *PLACEMENT), driver: DRIVER_FLAGS}.get(c_file, FLAGS)
            subprocess.run([COMPILER, *flags, "-c", str(c_file), "-o", str(obj)], check=True, capture_output=True)
            objects.append(str(obj))
        linked = work / "program"
        subprocess.run([COMPILER, *objects, "-o", str(linked)], check=True, capture_output=True)
        return linked

    return cached("standalone", f"{entry}-{key}", build)


class Standalone:
    """Runs the standalone program one round at a time, so rounds can interleave with the suite's."""

    label = f"standalone C program ({COMPILER} {' '.join(FLAGS)}, own kernel-only loop)"

    def entry_offset(self) -> int:
        """Where the program's copy of the kernel starts, modulo 64 bytes."""
        found = elf_function(self.program.read_bytes(), self.entry)
        assert found is not None, f"{self.program} has no symbol {self.entry}"
        return found[0] % 64

    def __init__(self, kernel_source: Path, n: int, repeat: int, seed: int) -> None:
        self.program = standalone_program(kernel_source)
        self.entry = kernel_source.stem
        self.n, self.repeat = n, repeat
        self._state = fresh.seed_state(seed, n, "random")
        self._rounds = 0
        self.per_sort_seconds: list[float] = []

    def round(self) -> None:
        # Each round from its own state: fresh inputs round after round, as in the suite's loop.
        self._rounds += 1
        state = (self._state + self._rounds * 0x5851F42D4C957F2D) % (1 << 64)
        capacity = fresh.pool_capacity(self.n, self.repeat)  # the suite's chunks, so the inputs sit where its do
        out = subprocess.run([str(self.program), str(self.n), str(self.repeat), str(capacity), str(state)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"the standalone program failed (status {out.returncode}): {out.stderr.strip()}")
        self.per_sort_seconds.append(float(out.stdout) * 1e-9)

    def close(self) -> None:
        pass


class Partner:
    """Another route's timing loop, run one round at a time between the benchmarked route's rounds."""

    def __init__(self, label: str, run: Callable[[], None], repeat: int,
                 clock: Callable[[], float] | None = None) -> None:
        self.label = label
        self._run = run
        self.repeat = repeat
        # The partner's own clock, as the benchmarked side's: native routes time inside their runner.
        self._clock = clock or time.perf_counter
        self.per_sort_seconds: list[float] = []

    def round(self) -> None:
        started = self._clock()
        self._run()
        self.per_sort_seconds.append((self._clock() - started) / self.repeat)

    def close(self) -> None:
        pass

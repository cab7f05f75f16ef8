"""What the native routes share: a guarded array in this process, and a typed call into machine code.

Native code runs in this process, so a wild write would corrupt the harness.
The array therefore sits between PROT_NONE guard pages (a far write faults),
with canary words around it (a near write is caught), and the checker runs
native routes in a child process (harness.isolate), so a fault ends only the
child.
"""
from __future__ import annotations

import ctypes
import mmap
from array import array
from collections.abc import Callable, Sequence
from typing import Any

from targets.base import CANARY_WORDS, BuildError, guarded, unguarded

PAGE = mmap.PAGESIZE
PROT_NONE = 0  # not exported by the mmap module
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_MAP_FAILED = ctypes.c_void_p(-1).value

SortFunction = Callable[[int, int], None]
SORT_SIGNATURE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t)


def _round_up(size: int) -> int:
    return (size + PAGE - 1) // PAGE * PAGE


class GuardedBuffer:
    """An int32 array with canaries, between two inaccessible pages; grows on demand and is reused."""

    def __init__(self) -> None:
        self._base = 0
        self._span = 0  # bytes between the guard pages

    def _ensure(self, nbytes: int) -> None:
        if nbytes <= self._span:
            return
        self.close()
        span = _round_up(max(nbytes, PAGE))
        total = span + 2 * PAGE
        base = _libc.mmap(None, total, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
        if base in (None, _MAP_FAILED):
            raise MemoryError(f"mmap of {total} bytes failed (errno {ctypes.get_errno()})")
        _libc.mprotect(base, PAGE, PROT_NONE)
        _libc.mprotect(base + PAGE + span, PAGE, PROT_NONE)
        self._base, self._span = base, span

    def call(self, function: SortFunction, values: Sequence[int]) -> list[int]:
        """Run `function(pointer, n)` on the guarded copy of `values`; return the array as left."""
        buf = guarded(values)
        nbytes = len(buf) * 4
        self._ensure(nbytes)
        # Flush the array against the upper guard page: an overrun past the canaries faults at once.
        start = self._base + PAGE + self._span - nbytes
        ctypes.memmove(start, buf.buffer_info()[0], nbytes)
        function(start + CANARY_WORDS * 4, len(values))
        out = array("i")
        out.frombytes(ctypes.string_at(start, nbytes))
        return unguarded(out, len(values))

    def close(self) -> None:
        if self._base:
            _libc.munmap(self._base, self._span + 2 * PAGE)
            self._base, self._span = 0, 0


def sort_function(address: int) -> SortFunction:
    """A ctypes callable for `void f(int32_t *a, size_t n)` at a machine-code address."""
    if not address:
        raise BuildError("entry point has address 0")
    return SORT_SIGNATURE(address)


# The timing loop for every native route: one driver, compiled once, calling the kernel through a pointer,
# so no route's kernel can be inlined into its own loop and every route pays the same copy and call.
DRIVER_C = """
#include <stdint.h>
#include <string.h>

void arena_drive(void (*kernel)(int32_t *, size_t), const int32_t *src, int32_t *work, size_t n, size_t repeat)
{
    for (size_t r = 0; r < repeat; r++) {
        memcpy(work, src, n * sizeof *work);
        kernel(work, n);
    }
}
"""
DRIVER_CDEF = "void arena_drive(void (*kernel)(int32_t *, size_t), const int32_t *src, int32_t *work, size_t n, size_t repeat);"
DRIVER_FLAGS = ("-O2",)


def _driver() -> Any:
    from targets.c_cffi import compile_cffi  # c_cffi builds on this module: import late

    module, _ = compile_cffi(DRIVER_C, DRIVER_CDEF, "gcc", DRIVER_FLAGS, what="the native timing driver")
    return module


class NativeLoop:
    """`repeat` x (copy the unsorted source into the work array; call the kernel), all in native code."""

    def __init__(self, address: int, values: Sequence[int]) -> None:
        module = _driver()
        self._ffi, self._lib = module.ffi, module.lib
        self.n = len(values)
        self._kernel = self._ffi.cast("void(*)(int32_t *, size_t)", address)
        self._src = self._ffi.new("int32_t[]", list(values) or [0])
        self._work = self._ffi.new("int32_t[]", max(1, self.n))

    def runner(self, repeat: int) -> Callable[[], None]:
        drive, kernel, src, work, n = self._lib.arena_drive, self._kernel, self._src, self._work, self.n

        def run() -> None:
            drive(kernel, src, work, n, repeat)

        return run

    def result(self) -> list[int]:
        return list(self._work[0 : self.n])


class NativeTiming:
    """The timing loop of a route whose kernel is native code at `self.address` (mixed into its Built)."""

    address: int
    timer: NativeLoop | None

    def loop(self, values: Sequence[int], repeat: int) -> Callable[[], None]:
        self.timer = NativeLoop(self.address, values)
        return self.timer.runner(repeat)

    def loop_result(self) -> list[int]:
        assert self.timer is not None
        return self.timer.result()


def symbol_size(elf: bytes, name: str) -> int | None:
    """st_size of a function symbol in an ELF image (object or shared library), from .symtab or .dynsym."""
    import io

    from elftools.elf.elffile import ELFFile

    reader = ELFFile(io.BytesIO(elf))
    for section_name in (".symtab", ".dynsym"):
        table = reader.get_section_by_name(section_name)
        if table is None:
            continue
        for symbol in table.iter_symbols():
            if symbol.name == name and symbol["st_size"]:
                return int(symbol["st_size"])
    return None

"""Memory for native code and its arrays: pages, an executable mapping written once, and the guarded array.

Code is written while its mapping is read-write and then made read-execute, never both. The array a kernel
sorts sits flush against an inaccessible page, with canaries below, so an overrun faults at once.
"""
from __future__ import annotations

import ctypes
import mmap
from array import array
from collections.abc import Callable, Sequence

from targets.base import CANARY_WORDS, guarded, unguarded

PAGE = mmap.PAGESIZE
PROT_NONE = 0  # not exported by the mmap module
# The C library as this process has it loaded, with the signatures the calls below need.
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_MAP_FAILED = ctypes.c_void_p(-1).value


def round_to_page(size: int) -> int:
    return (max(size, 1) + PAGE - 1) // PAGE * PAGE


def _map(size: int) -> int:
    address = libc.mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    if address in (None, _MAP_FAILED):
        raise MemoryError(f"mmap of {size} bytes failed (errno {ctypes.get_errno()})")
    return int(address)


class GuardedBuffer:
    """An int32 array with canaries, between two inaccessible pages; grows on demand and is reused."""

    def __init__(self) -> None:
        self._base = 0
        self._span = 0  # bytes between the guard pages

    def _ensure(self, nbytes: int) -> None:
        if nbytes <= self._span:
            return
        self.close()
        span = round_to_page(max(nbytes, PAGE))
        base = _map(span + 2 * PAGE)
        libc.mprotect(base, PAGE, PROT_NONE)
        libc.mprotect(base + PAGE + span, PAGE, PROT_NONE)
        self._base, self._span = base, span

    def work(self, n: int) -> int:
        """Address of n int32 flush against the upper guard page (no canaries): an overrun faults at once."""
        self._ensure(max(4, n * 4))
        return self._base + PAGE + self._span - n * 4

    def place(self, data: bytes) -> int:
        """Copy `data` (an array with its canaries, say) flush against the upper guard page; its address."""
        self._ensure(max(4, len(data)))
        start = self._base + PAGE + self._span - len(data)
        ctypes.memmove(start, data, len(data))
        return start

    def call(self, function: Callable[[int, int], None], values: Sequence[int]) -> list[int]:
        """Run `function(pointer, n)` on the guarded copy of `values`; return the array as left."""
        buf = guarded(values)
        nbytes = len(buf) * 4
        start = self.work(len(buf))  # canaries and all, flush against the upper guard page
        ctypes.memmove(start, buf.buffer_info()[0], nbytes)
        function(start + CANARY_WORDS * 4, len(values))
        out = array("i")
        out.frombytes(ctypes.string_at(start, nbytes))
        return unguarded(out, len(values))

    def close(self) -> None:
        if self._base:
            libc.munmap(self._base, self._span + 2 * PAGE)
            self._base, self._span = 0, 0


class CodeMapping:
    """Machine code in its own mapping, written while read-write, then made read-execute (never both)."""

    def __init__(self, size: int) -> None:
        self.size = round_to_page(size)
        self.address: int = _map(self.size)

    def load(self, code: bytes, at: int = 0) -> None:
        ctypes.memmove(self.address + at, code, len(code))
        if libc.mprotect(self.address, self.size, mmap.PROT_READ | mmap.PROT_EXEC) != 0:
            raise OSError(ctypes.get_errno(), "mprotect to read-execute failed")

    def close(self) -> None:
        if self.address:
            libc.munmap(self.address, self.size)
            self.address = 0

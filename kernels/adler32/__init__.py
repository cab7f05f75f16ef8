"""adler32: `uint32_t adler32(const uint8_t *p, size_t n)` returns zlib's Adler-32 of p[0..n) with the initial
value 1 (the reference is `zlib.adler32`). The bytes may not be written. The contract and the sources are
described in kernels/README.md; every route derives its call from INTERFACE.
"""
import random
import zlib
from collections.abc import Sequence
from pathlib import Path

from kernels.cases import Case, Cases
from kernels.interface import Array, Cost, Interface, Length, Limits, Poly, Workload
from kernels.kernel import Kernel

DIRECTORY = Path(__file__).parent
MODULUS = 65521
# The longest run of bytes whose sums cannot pass 2^32 before a reduction, even when every byte is 0xFF: where
# the compiler's source and zlib defer the modulo to.
NMAX = 5552


def reference(p: Sequence[int]) -> int:
    return zlib.adler32(bytes(p))


def worst_prefix(length: int) -> bytes:
    """`length` bytes after which both Adler sums are 65520, the largest a reduced sum can be: followed by 0xFF
    bytes, the sums grow fastest from there, which a deferred reduction must still survive.

    The bytes sum to 65519 (so a = 1 + 65519), spread evenly; moving a unit from position j to j - step keeps
    that sum and raises b by step, until b is 65520 too.
    """
    c = [65519 // length + (1 if i < 65519 % length else 0) for i in range(length)]
    need = (65520 - (length + sum((length - i) * x for i, x in enumerate(c)))) % MODULUS
    while need:
        step = min(need, length - 1)
        j = next(j for j in range(step, length) if c[j] > 0 and c[j - step] < 255)
        c[j] -= 1
        c[j - step] += 1
        need -= step
    return bytes(c)


def cases() -> tuple[Case, ...]:
    """n = 0, every length 1..67 (random and all 0xFF: the array ends on a 16-byte boundary, so its start takes
    every alignment), runs of 0xFF around the deferred reduction's block length, and the worst state at a
    block's end followed by 0xFF."""
    rng = random.Random(32)
    rand = lambda k: tuple(rng.getrandbits(8) for _ in range(k))  # noqa: E731
    out = [Case("empty", ())]
    for n in range(1, 68):
        out.append(Case(f"random n={n}", rand(n)))
        out.append(Case(f"0xFF n={n}", (255,) * n))
    for n in (1000, 4096, NMAX - 1, NMAX, NMAX + 1):
        out.append(Case(f"random n={n}", rand(n)))
    for n in (NMAX - 1, NMAX, NMAX + 1, 5568, 2 * NMAX - 1, 2 * NMAX, 2 * NMAX + 1, 65536, 100_003):
        out.append(Case(f"0xFF n={n}", (255,) * n))
    # Only a block boundary at exactly its length sees the worst state: NMAX, the largest multiple of 32 below it,
    # and lengths just past it.
    for boundary in (5520, 5536, NMAX, NMAX + 1, 5568, 5584, 2 * NMAX):
        out.append(Case(f"worst state at {boundary}, then 0xFF", tuple(worst_prefix(boundary) + b"\xff" * 6000)))
    return tuple(out)


INTERFACE = Interface(
    name="adler32",
    arguments=(Array("p", element="u8", role="input"), Length("n", of="p")),
    reference=reference,
    result="u32",
    cases=Cases(edge=cases()),
    domain=(0, 255),
    workload=Workload(quick_lengths=(64, 1024, 65536), full_lengths=tuple(2**k for k in range(4, 18)),
                      shapes=("random",)),
    # Steps of one call: the fill of n bytes, then two additions per byte.
    cost=Cost(default=Poly(1, 2)),
    # A byte-at-a-time loop with a division per byte runs well under fifty instructions per byte unoptimized.
    limits=Limits(instructions=Poly(100_000, 50), fuel=Poly(100_000, 50)),
    entry_names=("adler", "adler_32", "Adler32"),
)

KERNEL = Kernel(
    name="adler32",
    directory=DIRECTORY,
    reference=reference,  # type: ignore[arg-type]
    entry_names=INTERFACE.entry_names,
    interface=INTERFACE,
)

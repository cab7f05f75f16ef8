"""dot_i32: `int64_t dot_i32(const int32_t *a, const int32_t *b, size_t n)` returns the sum of a[i]*b[i].

Each product of two int32 is exact in 64 bits; the sum is taken modulo 2^64 and read as a two's-complement
int64 (the C source accumulates in uint64_t, so nothing is undefined). Neither array may be written. The
contract and the sources are described in kernels/README.md; every route derives its call from INTERFACE.
"""
import random
from collections.abc import Sequence
from pathlib import Path

from kernels.cases import INT32_MAX, INT32_MIN, Case, Cases
from kernels.interface import Array, Cost, Interface, Length, Limits, Poly, Workload
from kernels.kernel import Kernel

DIRECTORY = Path(__file__).parent


def reference(a: Sequence[int], b: Sequence[int]) -> int:
    """The exact sum of the products, wrapped to int64 as the C source's uint64_t accumulator wraps."""
    total = sum(x * y for x, y in zip(a, b)) & (2**64 - 1)
    return total - 2**64 if total >= 2**63 else total


# Lengths around every vector width (4 and 8 int32 in SSE and AVX registers, 16 in AVX-512) and unroll factor.
EDGE_LENGTHS = tuple(range(68))
EXTREME_LENGTHS = (1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 67, 1000)
_EXTREMES = (INT32_MIN, INT32_MAX, -1, 0, 1)


def cases() -> tuple[Case, ...]:
    """n = 0, every length 1..67 (full-range and small values), products at the int32 extremes (INT32_MIN *
    INT32_MIN is 2^62, so a few of them wrap the sum), and longer random arrays."""
    rng = random.Random(20261205)
    full = lambda k: tuple(rng.randint(INT32_MIN, INT32_MAX) for _ in range(k))  # noqa: E731
    small = lambda k: tuple(rng.randint(-9, 9) for _ in range(k))  # noqa: E731
    out = [Case("empty", ((), ()))]
    for n in EDGE_LENGTHS[1:]:
        out.append(Case(f"random n={n}", (full(n), full(n))))
        out.append(Case(f"small n={n}", (small(n), small(n))))
    for n in EXTREME_LENGTHS:
        out.append(Case(f"all INT32_MIN n={n}", ((INT32_MIN,) * n, (INT32_MIN,) * n)))
        out.append(Case(f"INT32_MIN*INT32_MAX n={n}", ((INT32_MIN,) * n, (INT32_MAX,) * n)))
        out.append(Case(f"INT32_MAX*INT32_MAX n={n}", ((INT32_MAX,) * n, (INT32_MAX,) * n)))
        out.append(Case(f"-1*INT32_MIN n={n}", ((-1,) * n, (INT32_MIN,) * n)))
        out.append(Case(f"extreme mix n={n}", (tuple(rng.choice(_EXTREMES) for _ in range(n)),
                                               tuple(rng.choice(_EXTREMES) for _ in range(n)))))
    for n in (1000, 4096, 4099):
        out.append(Case(f"random n={n}", (full(n), full(n))))
    return tuple(out)


INTERFACE = Interface(
    name="dot_i32",
    arguments=(Array("a", element="i32", role="input"), Array("b", element="i32", role="input"),
               Length("n", of=("a", "b"))),
    reference=reference,
    result="i64",
    cases=Cases(edge=cases()),
    workload=Workload(quick_lengths=(16, 128, 1024, 4096), full_lengths=tuple(2**k for k in range(3, 17)),
                      shapes=("random",)),
    # Steps of one call: the fill of two arrays, then one multiply-add per element.
    cost=Cost(default=Poly(1, 3)),
    # A scalar loop runs under ten instructions (or wasm operators) per element even unoptimized.
    limits=Limits(instructions=Poly(100_000, 50), fuel=Poly(100_000, 50)),
    entry_names=("dot", "dot_product", "dotProduct"),
)

KERNEL = Kernel(
    name="dot_i32",
    directory=DIRECTORY,
    reference=reference,  # type: ignore[arg-type]
    entry_names=INTERFACE.entry_names,
    interface=INTERFACE,
)

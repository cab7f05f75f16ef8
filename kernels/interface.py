"""A kernel's interface as data: what every route derives its prototype, types, registers, driver and limits from.

A kernel folder's `__init__.py` declares one `Interface`. This module uses the
standard library alone: kernels sit at the bottom of the dependency order
(kernels <- targets <- harness), so this module holds the data and the few
pure functions that turn it into what a route needs (a C prototype, an LLVM
function type, wasm parameters, System V registers, correctness cases, a
step count, a limit).
"""
from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


# ---------------------------------------------------------------------------
# Arguments


@dataclass(frozen=True)
class Int32Array:
    """A contiguous array of signed int32 the kernel reads and rewrites in place.

    `length` fixes the number of elements (sort3: 3); None means the length is
    given at run time by the `Length` argument whose `of` names this array.
    """

    name: str = "a"
    length: int | None = None


@dataclass(frozen=True)
class Length:
    """The element count of an array argument: C `size_t`, LLVM `i64`, wasm `i32` (wasm32 addresses)."""

    name: str = "n"
    of: str = "a"


Argument = Int32Array | Length

# How each argument kind is spelled per language, in argument order. System V passes integer and pointer
# arguments in these registers, in this order.
SYSV_INTEGER_REGISTERS = ("rdi", "rsi", "rdx", "rcx", "r8", "r9")
_C_TYPES = {Int32Array: "int32_t *", Length: "size_t "}
_LLVM_TYPES = {Int32Array: "ptr", Length: "i64"}
_WASM_TYPES = {Int32Array: "i32", Length: "i32"}


# ---------------------------------------------------------------------------
# Numbers that depend on n


@dataclass(frozen=True)
class Poly:
    """c0 + c1*n + c2*n**2: a cost or a limit as a function of the array length n."""

    c0: float = 0
    c1: float = 0
    c2: float = 0

    def __call__(self, n: int) -> float:
        return self.c0 + self.c1 * n + self.c2 * n * n


# ---------------------------------------------------------------------------
# Correctness cases


@dataclass(frozen=True)
class Case:
    name: str
    values: tuple[int, ...]


def weak_orderings(n: int) -> Iterator[tuple[int, ...]]:
    """Every weak ordering of n items as ranks 0..k-1 (the ordered Bell numbers: 1, 3, 13, 75, 541 for n=1..5).

    Each is one pattern of ties in one order; instantiating its ranks with
    chosen values gives inputs that exercise every outcome of every comparison.
    """
    for values in itertools.product(range(n), repeat=n):
        used = set(values)
        if used == set(range(len(used))):
            yield values


@dataclass(frozen=True)
class ValueSet:
    """Strictly increasing values a weak ordering's ranks are mapped to.

    A weak ordering with k distinct ranks uses k of the values: the lowest k
    ("bottom"), or the highest k ("top"), as `alignments` asks, so that with k < len(values) both ends of the
    set still occur.
    """

    name: str
    values: tuple[int, ...]
    alignments: tuple[str, ...] = ("bottom",)

    def instantiate(self, ranks: Sequence[int]) -> list[tuple[str, tuple[int, ...]]]:
        k = max(ranks) + 1 if ranks else 0
        if k > len(self.values):
            raise ValueError(f"value set {self.name!r} has {len(self.values)} values; a weak ordering needs {k}")
        out = []
        for alignment in self.alignments:
            chosen = self.values[:k] if alignment == "bottom" else self.values[len(self.values) - k:]
            out.append((alignment, tuple(chosen[r] for r in ranks)))
        return out


@dataclass(frozen=True)
class RandomCases:
    """`count` seeded random arrays of length in [min_length, max_length]; even-numbered ones take values
    from the whole int32 range, odd-numbered ones from a narrow range around zero, so they hold ties."""

    count: int
    min_length: int
    max_length: int
    seed: int
    narrow: int = 50


@dataclass(frozen=True)
class Cases:
    """The correctness inputs, checked in this order: small and telling first."""

    edge: tuple[Case, ...] = ()
    # Lengths whose every weak ordering is checked, with each value set.
    weak_ordering_lengths: tuple[int, ...] = ()
    value_sets: tuple[ValueSet, ...] = ()
    random: RandomCases | None = None
    # Lengths of one large, nearly sorted array each (cheap for an O(n^2) kernel).
    nearly_sorted: tuple[int, ...] = ()

    def generate(self) -> tuple[Case, ...]:
        cases = list(self.edge)
        for n in self.weak_ordering_lengths:
            for i, ranks in enumerate(weak_orderings(n)):
                for value_set in self.value_sets:
                    for alignment, values in value_set.instantiate(ranks):
                        # The plain rank instantiation keeps the short name older saved runs used.
                        label = "" if (value_set.name, alignment) == ("ranks", "bottom") else \
                            f" {value_set.name}/{alignment}"
                        cases.append(Case(f"ties n={n} #{i}{label}", values))
        if self.random is not None:
            cases += random_cases(self.random)
        cases += [Case(f"nearly sorted n={n}", nearly_sorted(n, self.random.seed if self.random else 0))
                  for n in self.nearly_sorted]
        return tuple(cases)

    def count(self) -> int:
        return len(self.generate())


def random_cases(spec: RandomCases) -> list[Case]:
    rng = random.Random(spec.seed)
    cases = []
    for i in range(spec.count):
        n = rng.randint(spec.min_length, spec.max_length)
        low, high = (INT32_MIN, INT32_MAX) if i % 2 == 0 else (-rng.randint(1, spec.narrow), rng.randint(1, spec.narrow))
        cases.append(Case(f"random #{i} n={n}", tuple(rng.randint(low, high) for _ in range(n))))
    return cases


def nearly_sorted(n: int, seed: int) -> tuple[int, ...]:
    """Sorted with a few neighbours swapped."""
    rng = random.Random(seed)
    values = list(range(-(n // 2), n - n // 2))
    for _ in range(max(1, n // 1000)):
        i = rng.randrange(max(1, n - 1))
        values[i], values[i + 1] = values[i + 1], values[i]
    return tuple(values)


def fixed_size_value_sets(n: int) -> tuple[ValueSet, ...]:
    """Value sets for a kernel on exactly n elements: AlphaDev's ranks, and sets that tell signed from
    unsigned comparison (mixed signs) and catch overflowing compare-by-subtraction (INT32_MIN with INT32_MAX)."""
    mixed = tuple(range(-(n // 2), n - n // 2))  # -1 0 1 for n=3: negatives sort below zero only if signed
    extremes = (INT32_MIN, *range(-(n // 2) + 1, n - n // 2 - 1), INT32_MAX) if n > 2 else (INT32_MIN, INT32_MAX)
    return (
        ValueSet("alphadev", tuple(range(1, n + 1))),
        ValueSet("mixed-sign", mixed, ("bottom", "top")),
        ValueSet("int32-extremes", extremes, ("bottom", "top")),
    )


# ---------------------------------------------------------------------------
# Timing


@dataclass(frozen=True)
class Workload:
    """What timing runs: a loop inside the target calls the kernel on a fresh input each call.

    `min_calls` is the fewest calls one timed round makes (AlphaDev timed
    fixed sorts over batches of 10,000 random inputs); time is reported per call.
    `expect` is what the loop checks after each call: "sorted" (the sorted
    permutation of the input) or "same" (the input unchanged).
    """

    quick_lengths: tuple[int, ...]
    full_lengths: tuple[int, ...]
    shapes: tuple[str, ...]
    expect: str = "sorted"
    min_calls: int = 1
    fresh: bool = True


@dataclass(frozen=True)
class Cost:
    """Estimated steps of one call (the fresh input's fill included), per input shape, as a function of n:
    what sizes a timed round. Shapes not listed cost `default`."""

    per_shape: tuple[tuple[str, Poly], ...] = ()
    default: Poly = Poly(1, 1, 0)

    def steps(self, n: int, shape: str) -> float:
        return dict(self.per_shape).get(shape, self.default)(n)


@dataclass(frozen=True)
class Limits:
    """What one call may execute before it is taken for a runaway: emulated x86-64 instructions and wasm
    operators (fuel), each a function of n."""

    instructions: Poly
    fuel: Poly

    def instructions_for(self, n: int, cap: int = 2_000_000_000) -> int:
        return min(int(self.instructions(n)), cap)

    def fuel_for(self, n: int) -> int:
        return int(self.fuel(n))


# ---------------------------------------------------------------------------
# The interface


@dataclass(frozen=True)
class Interface:
    """Everything a route needs to build, check and time a kernel, as data."""

    name: str
    arguments: tuple[Argument, ...]
    reference: Callable[[Sequence[int]], list[int]]
    cases: Cases
    workload: Workload
    cost: Cost
    limits: Limits
    # The input domain: every array element lies in [low, high].
    domain: tuple[int, int] = (INT32_MIN, INT32_MAX)
    # Names an entry point may carry in a file pasted from anywhere, best first (beside the kernel's name).
    entry_names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        arrays = {a.name: a for a in self.arguments if isinstance(a, Int32Array)}
        lengths = {a.of for a in self.arguments if isinstance(a, Length)}
        if len(arrays) != 1:
            raise ValueError(f"{self.name}: exactly one int32 array argument is supported, got {len(arrays)}")
        (array,) = arrays.values()
        if (array.length is None) != (array.name in lengths):
            raise ValueError(f"{self.name}: array {array.name!r} needs either a fixed length or a Length argument")

    @property
    def array(self) -> Int32Array:
        return next(a for a in self.arguments if isinstance(a, Int32Array))

    @property
    def fixed_length(self) -> int | None:
        """N for a kernel on exactly N elements; None when n is an argument."""
        return self.array.length

    def lengths(self, sizes: Sequence[int]) -> tuple[int, ...]:
        """The lengths this kernel runs at, of a profile's `sizes`: its own N for a fixed-length kernel."""
        return (self.fixed_length,) if self.fixed_length is not None else tuple(sizes)

    @property
    def largest_length(self) -> int:
        """The longest array any check or timing hands the kernel: what its length type must hold."""
        cases = self.cases
        return max((*cases.weak_ordering_lengths, *cases.nearly_sorted, *self.workload.full_lengths,
                    cases.random.max_length if cases.random else 0, *(len(c.values) for c in cases.edge)), default=0)

    def c_prototype(self, name: str | None = None) -> str:
        params = ", ".join(f"{_C_TYPES[type(a)]}{a.name}" for a in self.arguments)
        return f"void {name or self.name}({params})"

    def llvm_type(self) -> str:
        return f"void ({', '.join(_LLVM_TYPES[type(a)] for a in self.arguments)})"

    def wasm_params(self) -> tuple[str, ...]:
        return tuple(_WASM_TYPES[type(a)] for a in self.arguments)

    def sysv_registers(self) -> dict[str, str]:
        """Argument name -> the System V register that carries it."""
        return {a.name: SYSV_INTEGER_REGISTERS[i] for i, a in enumerate(self.arguments)}

    def call_arguments(self, address: int, n: int) -> tuple[int, ...]:
        """The integer arguments of one call on an array at `address` holding n elements."""
        if self.fixed_length is not None and n != self.fixed_length:
            raise ValueError(f"{self.name} sorts exactly {self.fixed_length} elements, not {n}")
        return tuple(address if isinstance(a, Int32Array) else n for a in self.arguments)


def sorted_reference(values: Sequence[int]) -> list[int]:
    return sorted(values)


def fixed_sort(n: int, comparators: int) -> Interface:
    """The interface of `void sort<n>(int32_t *a)`: sorts a[0..n) ascending, in place, signed.

    `comparators` is the size of the kernel's sorting network: its cost in steps beside the fill of n values.
    """
    return Interface(
        name=f"sort{n}",
        arguments=(Int32Array("a", length=n),),
        reference=sorted_reference,
        cases=Cases(
            weak_ordering_lengths=(n,),
            value_sets=fixed_size_value_sets(n),
            # Every weak ordering already decides each comparison, for signed and extreme values too; random
            # inputs add variety of values, and a few hundred are as telling as thousands.
            random=RandomCases(count=300, min_length=n, max_length=n, seed=20261127),
        ),
        workload=Workload(quick_lengths=(n,), full_lengths=(n,), shapes=("random",), min_calls=10_000),
        cost=Cost(default=Poly(1 + n + comparators)),
        # A network of this size runs well under a thousand instructions even unoptimized.
        limits=Limits(instructions=Poly(100_000), fuel=Poly(100_000)),
        entry_names=(f"sort_{n}", f"Sort{n}", "sort"),
    )


# Inputs every kernel over an array of any length is checked on first: small, and each telling.
ARRAY_EDGE_CASES = (
    Case("empty", ()),
    Case("one", (7,)),
    Case("two ascending", (1, 2)),
    Case("two descending", (2, 1)),
    Case("sorted", tuple(range(-5, 11))),
    Case("reversed", tuple(range(10, -6, -1))),
    Case("all equal", (4,) * 9),
    Case("duplicates", (3, 1, 3, 2, 1, 3, 2, 2, 1)),
    Case("negatives", (-1, -7, 0, -3, 5, -2147483647, 2)),
    Case("int32 extremes", (INT32_MAX, INT32_MIN, 0, INT32_MAX, -1, INT32_MIN, 1)),
)


def array_and_length(name: str, reference: Callable[[Sequence[int]], list[int]],
                     entry_names: tuple[str, ...] = (), **changes: object) -> Interface:
    """The interface of `void <name>(int32_t *a, size_t n)` rewriting a[0..n) in place into `reference(a)`:
    edge cases, every weak ordering up to n=5, seeded random arrays up to n=1000 and one nearly sorted array
    of a million, timed at 16..1024 (quick) on four shapes. `changes` replace any field (a cost model, say)."""
    interface = Interface(
        name=name,
        arguments=(Int32Array("a"), Length("n", of="a")),
        reference=reference,
        cases=Cases(
            edge=ARRAY_EDGE_CASES,
            weak_ordering_lengths=(1, 2, 3, 4, 5),
            value_sets=(ValueSet("ranks", (0, 1, 2, 3, 4)),),
            random=RandomCases(count=200, min_length=0, max_length=1000, seed=20261122),
            nearly_sorted=(1_000_000,),
        ),
        workload=Workload(
            quick_lengths=(16, 128, 1024),
            full_lengths=tuple(2**k for k in range(3, 14)),
            shapes=("random", "sorted", "reversed", "few-unique"),
        ),
        cost=Cost(default=Poly(1, 1, 0.5)),
        limits=Limits(instructions=Poly(100_000, 0, 50), fuel=Poly(1_000_000, 0, 200)),
        entry_names=entry_names,
    )
    return replace(interface, **changes) if changes else interface

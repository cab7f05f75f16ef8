"""A kernel's interface as data: what every route derives its prototype, types, registers, driver and limits from.

A kernel folder's `__init__.py` declares one `Interface`. This module uses the
standard library alone: kernels sit at the bottom of the dependency order
(kernels <- targets <- harness), so this module holds the data and the few
pure functions that turn it into what a route needs (a C prototype, an LLVM
function type, wasm parameters and results, System V registers, a step count,
a limit); the correctness inputs are declared with kernels.cases.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kernels.cases import (
    ARRAY_EDGE_CASES, INT32_MAX, INT32_MIN, Cases, RandomCases, ValueSet, fixed_size_value_sets,
)



# ---------------------------------------------------------------------------
# Arguments


@dataclass(frozen=True)
class ElementType:
    """How one element type of an array is spelled and stored: C, LLVM, wasm, Python's `array` typecode."""

    name: str
    size: int
    c: str
    llvm: str
    typecode: str
    low: int
    high: int


ELEMENTS = {e.name: e for e in (
    ElementType("i8", 1, "int8_t", "i8", "b", -(2**7), 2**7 - 1),
    ElementType("u8", 1, "uint8_t", "i8", "B", 0, 2**8 - 1),
    ElementType("i32", 4, "int32_t", "i32", "i", INT32_MIN, INT32_MAX),
    ElementType("u32", 4, "uint32_t", "i32", "I", 0, 2**32 - 1),
    ElementType("i64", 8, "int64_t", "i64", "q", -(2**63), 2**63 - 1),
)}
# A result is a scalar of one of these; wasm has no unsigned types, so a u32 comes back as an i32's bits.
RESULT_TYPES = ("i32", "u32", "i64")
ROLES = ("input", "output", "inout")


@dataclass(frozen=True)
class Array:
    """A contiguous array argument: its elements' type, and whether the kernel reads it (`input`: then it must
    come back unchanged), writes it (`output`) or both (`inout`, an in-place sort's).

    `length` fixes the number of elements (sort3: 3); None means the length is given at run time by the
    `Length` argument whose `of` names this array.
    """

    name: str = "a"
    length: int | None = None
    element: str = "i32"
    role: str = "inout"

    def __post_init__(self) -> None:
        if self.element not in ELEMENTS:
            raise ValueError(f"array {self.name!r}: element type {self.element!r} is not one of {list(ELEMENTS)}")
        if self.role not in ROLES:
            raise ValueError(f"array {self.name!r}: role {self.role!r} is not one of {list(ROLES)}")

    @property
    def type(self) -> ElementType:
        return ELEMENTS[self.element]

    @property
    def written(self) -> bool:
        return self.role != "input"


@dataclass(frozen=True)
class Length:
    """The element count of one or more array arguments (`of` names them; several arrays sharing one length
    are as long as each other): C `size_t`, LLVM `i64`, wasm `i32` (wasm32 addresses)."""

    name: str = "n"
    of: str | tuple[str, ...] = "a"

    @property
    def arrays(self) -> tuple[str, ...]:
        return (self.of,) if isinstance(self.of, str) else tuple(self.of)


Argument = Array | Length

# System V passes integer and pointer arguments in these registers, in this order; an integer result comes back
# in rax (eax for 32 bits, whose upper half is then undefined).
SYSV_INTEGER_REGISTERS = ("rdi", "rsi", "rdx", "rcx", "r8", "r9")
SYSV_RESULT_REGISTERS = {"i32": "eax", "u32": "eax", "i64": "rax"}
_C_RESULT = {None: "void", "i32": "int32_t", "u32": "uint32_t", "i64": "int64_t"}
_LLVM_RESULT = {None: "void", "i32": "i32", "u32": "i32", "i64": "i64"}
_WASM_RESULT = {"i32": "i32", "u32": "i32", "i64": "i64"}


@dataclass(frozen=True)
class Outcome:
    """What one call left: its scalar result (None for a void kernel) and every array argument's contents, in
    argument order."""

    result: int | None
    arrays: tuple[tuple[int, ...], ...]


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
    """Everything a route needs to build, check and time a kernel, as data.

    An input (a Case's `values`) is the array itself for a kernel of one array argument, else a tuple of arrays,
    one per array argument in argument order (an output array's entry is what it holds before the call).
    `reference` takes the arrays as separate arguments and returns what the kernel leaves: its written arrays
    (`output`/`inout`; the list for one, a tuple of lists for several), or its result (an int), or the result
    followed by the written arrays as one tuple. `expected` turns that into an Outcome.
    """

    name: str
    arguments: tuple[Argument, ...]
    reference: Callable[..., Any]
    cases: Cases
    workload: Workload
    cost: Cost
    limits: Limits
    # The input domain of a sort's int32 array: every element lies in [low, high] (other arrays: their element
    # type's range).
    domain: tuple[int, int] = (INT32_MIN, INT32_MAX)
    # Names an entry point may carry in a file pasted from anywhere, best first (beside the kernel's name).
    entry_names: tuple[str, ...] = field(default=())
    # The scalar the kernel returns ("i32", "u32", "i64"), or None for a void kernel.
    result: str | None = None
    # `reference` over many calls at once, for the timing loops' checks (targets.shaped): each array argument as a
    # numpy array of one row per call; it answers as `reference` does, with the results as one int per row and
    # each written array as one row per call. It must equal `reference` row by row (a kernel's tests say so);
    # None: `reference` is called once per row.
    batch_reference: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        arrays = self.arrays
        names = [a.name for a in self.arguments]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: argument names repeat: {names}")
        if not arrays:
            raise ValueError(f"{self.name}: a kernel takes at least one array argument")
        if self.result not in (None, *RESULT_TYPES):
            raise ValueError(f"{self.name}: result type {self.result!r} is not one of {list(RESULT_TYPES)} or None")
        if len(self.arguments) > len(SYSV_INTEGER_REGISTERS):
            raise ValueError(f"{self.name}: {len(self.arguments)} arguments; System V passes at most "
                             f"{len(SYSV_INTEGER_REGISTERS)} in registers")
        by_name = {a.name: a for a in arrays}
        covered: dict[str, str] = {}
        for length in (a for a in self.arguments if isinstance(a, Length)):
            for of in length.arrays:
                if of not in by_name:
                    raise ValueError(f"{self.name}: length {length.name!r} is of {of!r}, which is no array argument")
                if of in covered:
                    raise ValueError(f"{self.name}: array {of!r} has two lengths, {covered[of]!r} and {length.name!r}")
                covered[of] = length.name
        for array in arrays:
            if (array.length is None) != (array.name in covered):
                raise ValueError(f"{self.name}: array {array.name!r} needs either a fixed length or a Length argument")

    @property
    def arrays(self) -> tuple[Array, ...]:
        """The array arguments, in argument order."""
        return tuple(a for a in self.arguments if isinstance(a, Array))

    @property
    def array(self) -> Array:
        """The first array argument (a sort's only one)."""
        return self.arrays[0]

    @property
    def fixed_length(self) -> int | None:
        """N for a kernel on exactly N elements; None when n is an argument."""
        return self.array.length

    @property
    def is_sort_shaped(self) -> bool:
        """One in-place int32 array, and no result: the shape the timing loops' generators and checks know."""
        return (len(self.arrays) == 1 and self.array.element == "i32" and self.array.role == "inout"
                and self.result is None)

    def lengths(self, sizes: Sequence[int], profile: str | None = None) -> tuple[int, ...]:
        """The lengths this kernel runs at: its own N for a fixed-length kernel; else its workload's lengths for
        the "quick" or "full" profile, or the `sizes` asked for."""
        if self.fixed_length is not None:
            return (self.fixed_length,)
        if profile == "quick":
            return self.workload.quick_lengths
        if profile == "full":
            return self.workload.full_lengths
        return tuple(sizes)

    @property
    def largest_length(self) -> int:
        """The longest array any check or timing hands the kernel: what its length type must hold."""
        cases = self.cases
        return max((*cases.weak_ordering_lengths, *cases.nearly_sorted, *self.workload.full_lengths,
                    cases.random.max_length if cases.random else 0,
                    *(len(a) for c in cases.edge for a in self.inputs(c.values))), default=0)

    # -- derivations per language ---------------------------------------------------------------------------

    def c_prototype(self, name: str | None = None) -> str:
        def param(a: Argument) -> str:
            if isinstance(a, Length):
                return f"size_t {a.name}"
            return f"{'const ' if not a.written else ''}{a.type.c} *{a.name}"
        return f"{_C_RESULT[self.result]} {name or self.name}({', '.join(param(a) for a in self.arguments)})"

    def llvm_type(self) -> str:
        params = ", ".join("ptr" if isinstance(a, Array) else "i64" for a in self.arguments)
        return f"{_LLVM_RESULT[self.result]} ({params})"

    def wasm_params(self) -> tuple[str, ...]:
        return tuple("i32" for _ in self.arguments)  # wasm32: an array is its byte address, a length an i32

    def wasm_results(self) -> tuple[str, ...]:
        return (_WASM_RESULT[self.result],) if self.result else ()

    def sysv_registers(self) -> dict[str, str]:
        """Argument name -> the System V register that carries it."""
        return {a.name: SYSV_INTEGER_REGISTERS[i] for i, a in enumerate(self.arguments)}

    def sysv_result_register(self) -> str | None:
        """Where a System V callee leaves the result: eax (32 bits) or rax; None for a void kernel."""
        return SYSV_RESULT_REGISTERS[self.result] if self.result else None

    # -- one call ---------------------------------------------------------------------------------------------

    def inputs(self, values: Any) -> tuple[tuple[int, ...], ...]:
        """An input as one tuple of elements per array argument (see the class's doc for `values`)."""
        if len(self.arrays) == 1:
            return (tuple(values),)
        arrays = tuple(tuple(a) for a in values)
        if len(arrays) != len(self.arrays):
            raise ValueError(f"{self.name}: an input needs {len(self.arrays)} arrays, got {len(arrays)}")
        return arrays

    def call_arguments(self, addresses: int | Sequence[int], lengths: int | Sequence[int]) -> tuple[int, ...]:
        """The integer arguments of one call: each array argument at its address (one per array, in order; an
        int for a kernel of one array), each length argument its array's element count."""
        addresses = (addresses,) if isinstance(addresses, int) else tuple(addresses)
        lengths = (lengths,) if isinstance(lengths, int) else tuple(lengths)
        arrays = self.arrays
        count = dict(zip((a.name for a in arrays), lengths))
        for array in arrays:
            if array.length is not None and count[array.name] != array.length:
                raise ValueError(f"{self.name} takes exactly {array.length} elements in {array.name!r}, "
                                 f"not {count[array.name]}")
        for length in (a for a in self.arguments if isinstance(a, Length)):
            counts = {count[of] for of in length.arrays}
            if len(counts) > 1:
                raise ValueError(f"{self.name}: arrays {', '.join(length.arrays)} share the length {length.name!r} "
                                 f"but hold {sorted(counts)} elements")
        at = dict(zip((a.name for a in arrays), addresses))
        return tuple(at[a.name] if isinstance(a, Array) else count[a.arrays[0]] for a in self.arguments)

    def expected(self, values: Any) -> Outcome:
        """What the reference says one call on `values` leaves: its result, and every array (an input array
        unchanged)."""
        arrays = self.inputs(values)
        answer = self.reference(*arrays)
        written = [i for i, a in enumerate(self.arrays) if a.written]
        if self.result is None:
            result, outputs = None, ((answer,) if len(written) == 1 else tuple(answer))
        elif not written:
            result, outputs = answer, ()
        else:
            result, *rest = answer
            outputs = tuple(rest)
        after = list(arrays)
        for i, output in zip(written, outputs):
            after[i] = tuple(output)
        return Outcome(None if result is None else int(result), tuple(after))


def sorted_reference(values: Sequence[int]) -> list[int]:
    return sorted(values)


def fixed_sort(n: int, comparators: int) -> Interface:
    """The interface of `void sort<n>(int32_t *a)`: sorts a[0..n) ascending, in place, signed.

    `comparators` is the size of the kernel's sorting network: its cost in steps beside the fill of n values.
    """
    return Interface(
        name=f"sort{n}",
        arguments=(Array("a", length=n),),
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


def array_and_length(name: str, reference: Callable[[Sequence[int]], list[int]],
                     entry_names: tuple[str, ...] = (), **changes: object) -> Interface:
    """The interface of `void <name>(int32_t *a, size_t n)` rewriting a[0..n) in place into `reference(a)`:
    edge cases, every weak ordering up to n=5, seeded random arrays up to n=1000 and one nearly sorted array
    of a million, timed at 16..1024 (quick) on four shapes. `changes` replace any field (a cost model, say)."""
    interface = Interface(
        name=name,
        arguments=(Array("a"), Length("n", of="a")),
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

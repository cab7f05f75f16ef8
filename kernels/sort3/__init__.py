"""sort3: `void sort3(int32_t *a)` sorts a[0..3) ascending, in place, as signed int32.

One of the fixed-size sorts AlphaDev optimized for program length (Mankowitz et al., Nature 618, 2023);
the contract and the sources are described in kernels/README.md. Every route derives its call from
INTERFACE (one pointer argument, no length), so KERNEL joins them all.
"""
from pathlib import Path

from kernels.interface import fixed_sort
from kernels.kernel import Kernel

DIRECTORY = Path(__file__).parent
# Comparators in the kernel's sorting network (sort3.c).
COMPARATORS = 3
INTERFACE = fixed_sort(3, COMPARATORS)

KERNEL = Kernel(
    name="sort3",
    directory=DIRECTORY,
    reference=INTERFACE.reference,
    entry_names=INTERFACE.entry_names,
    # sort3.c and sort3.ll: the network with a branch (or select) per comparator; sort3_branchless.c:
    # conditional swaps written so the compilers emit cmov, as libc++ sorts small ranges today.
    algorithm="sorting network",
    algorithms={"sorting network": "sort3", "branchless swaps": "sort3_branchless"},
    interface=INTERFACE,
)

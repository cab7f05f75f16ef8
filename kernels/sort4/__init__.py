"""sort4: `void sort4(int32_t *a)` sorts a[0..4) ascending, in place, as signed int32.

One of the fixed-size sorts AlphaDev optimized for program length (Mankowitz et al., Nature 618, 2023);
the contract and the sources are described in kernels/README.md. Every route derives its call from
INTERFACE (one pointer argument, no length), so KERNEL joins them all.
"""
from pathlib import Path

from kernels.interface import fixed_sort
from kernels.kernel import Kernel

DIRECTORY = Path(__file__).parent
# Comparators in the kernel's sorting network (sort4.c).
COMPARATORS = 5
INTERFACE = fixed_sort(4, COMPARATORS)

KERNEL = Kernel(
    name="sort4",
    directory=DIRECTORY,
    reference=INTERFACE.reference,
    entry_names=INTERFACE.entry_names,
    # sort4.c and sort4.ll: the network with a branch (or select) per comparator; sort4_branchless.c:
    # conditional swaps written so the compilers emit cmov, as libc++ sorts small ranges today.
    algorithm="sorting network",
    algorithms={"sorting network": "sort4", "branchless swaps": "sort4_branchless"},
    interface=INTERFACE,
)

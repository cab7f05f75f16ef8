"""sort3: `void sort3(int32_t *a)` sorts a[0..3) ascending, in place, as signed int32.

One of the fixed-size sorts AlphaDev optimized for program length (Mankowitz et al., Nature 618, 2023);
the contract and the sources are described in kernels/README.md. This folder declares no harness KERNEL
yet: the routes still call `(int32_t *a, size_t n)`, so the kernel joins them once they derive their
calls from INTERFACE.
"""
from pathlib import Path

from kernels.interface import fixed_sort

DIRECTORY = Path(__file__).parent
# Comparators in the kernel's sorting network (sort3.c).
COMPARATORS = 3
INTERFACE = fixed_sort(3, COMPARATORS)

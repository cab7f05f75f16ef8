"""The kernel type and registry live in kernels.kernel (kernels sit below targets and harness); re-exported."""
from kernels.kernel import LANGUAGES, Kernel, UnknownName, all_kernels, get_kernel

__all__ = ["LANGUAGES", "Kernel", "UnknownName", "all_kernels", "get_kernel"]

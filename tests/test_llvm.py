from __future__ import annotations

from kernels.kernel import get_kernel
from harness.source import discover
from targets import get_route
from targets.llvm_jit import LlvmBuilt

KERNEL = get_kernel("insertion_sort")


def build(route: str) -> LlvmBuilt:
    source = next(s for s in discover(KERNEL) if s.name == KERNEL.name and s.language == "llvm")
    built = get_route(route).build(source, KERNEL)
    assert isinstance(built, LlvmBuilt)
    return built


def test_o3_runs_the_optimization_pipeline_over_the_ir() -> None:
    o0, o3 = build("llvm-O0"), build("llvm-O3")
    assert o0.ir_in == o3.ir_in
    assert o3.ir_opt != o0.ir_opt
    # The O3 pipeline infers attributes and rewrites the loops; O0 leaves the function body as written.
    assert "nofree" in o3.ir_opt and "nofree" not in o0.ir_opt
    assert o0.ir_opt.count("\n") >= o0.ir_in.count("\n") - 2

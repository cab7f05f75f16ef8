"""LLVM IR, optimized by LLVM's new-pass-manager pipeline and JIT-compiled in-process with llvmlite MCJIT.

`llvm-O0` and `llvm-O3` are two instances of one class. The optimization level
is set in one place (`LlvmJitTarget.level`) and means both the IR pipeline
(`PassBuilder` at that speed level) and code generation: a TargetMachine's
`opt=` alone leaves the IR untouched.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import llvmlite
import llvmlite.binding as llvm

from kernels.kernel import Kernel
from targets.variant_source import Source
from targets.base import Built, BuildError, Target
from targets.cpu_features import X86_64_BASELINE, host_features
from targets.listing import Rendered
import ctypes

from targets.native.runner import NativeKernel
from targets.x86.disasm import forbidden_instructions
from targets.native.elf import symbol_size

BASELINE_CPU = "x86-64"


@cache
def _initialize() -> None:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    # Inline assembly in IR (`call ... asm "..."`) needs the parser; without it LLVM aborts the whole process.
    llvm.initialize_native_asmparser()


def _located(message: str, source: Source) -> str:
    """LLVM names the buffer `<string>`; name the file and the line as saved instead."""
    return re.sub(r"<string>:(\d+):(\d+)", lambda m: f"{source.where(int(m.group(1)))}:{m.group(2)}", message).strip()


def parse_verified(source: Source, kernel: Kernel) -> tuple[llvm.ModuleRef, str]:
    """The source parsed and verified, and its entry's name; BuildError with LLVM's message otherwise."""
    _initialize()
    try:
        module = llvm.parse_assembly(source.text)
    except RuntimeError as exc:
        raise BuildError(_located(str(exc), source)) from None
    try:
        module.verify()
    except RuntimeError as exc:
        raise BuildError(f"{source.where()}: LLVM verifier: {exc}".strip()) from None
    return module, find_entry(module, source, kernel)


def find_entry(module: llvm.ModuleRef, source: Source, kernel: Kernel) -> str:
    required = kernel.interface.llvm_type()  # `void (ptr, i64)` for an array and its length
    defined = [f for f in module.functions if not f.is_declaration]
    by_name = {f.name: f for f in defined}
    for name in kernel.entry_candidates():
        if name in by_name:
            found = str(by_name[name].global_value_type)
            if found != required:
                raise BuildError(f"{source.where()}: @{name} has type {found}; the contract requires {required}")
            return name
    matching = [f.name for f in defined if str(f.global_value_type) == required]
    if len(matching) == 1:
        return matching[0]
    listing = ", ".join(f"@{f.name}: {f.global_value_type}" for f in defined) or "no functions"
    if not matching:
        raise BuildError(f"{source.where()}: no function of type {required}; the module defines {listing}")
    raise BuildError(f"{source.where()}: several functions of type {required} and none named like the kernel: {listing}")


# Functions a kernel's IR may declare: LLVM's own intrinsics and what its code generator lowers them to.
ALLOWED_DECLARATIONS = ("memcpy", "memmove", "memset")


def refuse_external(module: llvm.ModuleRef, source: Source) -> None:
    """BuildError naming every function or global the IR takes from outside (MCJIT would resolve it against
    this process's libc) other than LLVM intrinsics and memcpy/memmove/memset."""
    outside = [f.name for f in module.functions if f.is_declaration
               and not f.name.startswith("llvm.") and f.name not in ALLOWED_DECLARATIONS]
    outside += [g.name for g in module.global_variables if g.is_declaration]
    if not outside:
        return
    where = []
    for name in outside:
        line = source.first_line(rf"@{re.escape(name)}\b", r"\b(declare|external)\b")
        where.append(f"{source.where(line)}: declares @{name}")
    raise BuildError("the module calls or reads outside itself, which a kernel may not "
                     "(only LLVM intrinsics and memcpy, memmove, memset):\n" + "\n".join(where))


def pipeline_tuning(level: int) -> llvm.PipelineTuningOptions:
    """The pass pipeline's options at -O`level` as clang sets them: llvmlite leaves SLP vectorization off even at
    speed level 3, where clang -O2 and -O3 turn it on, and then llvm-O3 would not be clang's O3 pipeline."""
    tuning = llvm.create_pipeline_tuning_options(speed_level=level)
    tuning.loop_vectorization = tuning.slp_vectorization = level >= 2
    return tuning


def optimize(module: llvm.ModuleRef, machine: llvm.TargetMachine, level: int) -> None:
    """LLVM's new-pass-manager pipeline at -O`level`, for every route that optimizes IR through llvmlite."""
    builder = llvm.create_pass_builder(machine, pipeline_tuning(level))
    builder.getModulePassManager().run(module, builder)


def describe_pipeline(level: int, machine: llvm.TargetMachine) -> list[str]:
    tuning = pipeline_tuning(level)
    options = ("speed_level", "loop_vectorization", "slp_vectorization", "loop_interleaving", "loop_unrolling")
    return [*(f"pipeline {name}={getattr(tuning, name)}" for name in options), f"codegen triple={machine.triple} opt={level}"]


@dataclass
class LlvmBuilt(NativeKernel, Built):
    ir_in: str = ""
    ir_opt: str = ""
    engine: Any = None
    # The TargetMachine the code was generated with, for listings (`machine.emit_assembly(module)`).
    machine: Any = None
    module: Any = None
    address: int = 0

    def entry_address(self) -> int:
        return self.address

    def kernel_bytes(self) -> bytes | None:
        # Reading the JIT's memory is not running it; the size comes from an object of the same module.
        size = self.code_bytes
        return ctypes.string_at(self.address, size) if size and self.address else None

    @cached_property
    def code_bytes(self) -> int | None:  # type: ignore[override]
        # The JIT's code has no symbol table; an object emitted from the same module by the same machine has.
        # Emitting it is a second code generation: once per build, not per loop, placement or listing.
        return symbol_size(self.machine.emit_object(self.module), self.entry)

    def stages(self) -> tuple[dict[str, Callable[[Any, Target], Rendered]], str]:
        """`arena asm`: the IR as parsed, the IR after the pipeline, and the machine code (the default)."""
        return {"ir-in": _listing_ir_in, "ir-opt": _listing_ir_opt, "asm": _listing_asm}, "asm"

    def close(self) -> None:
        self.close_native()


# --- what `arena asm` shows (targets.listing) ---


def _listing_flags(route: Target) -> str:
    level = getattr(route, "level", "?")
    cpu, features = route.cpu_target() if isinstance(route, LlvmJitTarget) else (BASELINE_CPU, "")
    # The features LLVM turned on; the received flags list the ones it turned off as well.
    shown = f", features={','.join(f for f in features.split(',') if f.startswith('+'))}" if features else ""
    return f"PassBuilder speed_level={level}; TargetMachine cpu={cpu}{shown}, opt={level}, jit=True (MCJIT's code model)"


@cache
def host_cpu() -> tuple[str, str]:
    """This machine's CPU as LLVM names it, and the features LLVM detects on it (`+avx2,-amx-tile,...`)."""
    _initialize()
    return llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()


def _listing_ir_in(built: LlvmBuilt, route: Target) -> Rendered:
    return Rendered("llvm", built.ir_in, flags="IR as parsed and verified, before any pass")  # type: ignore[attr-defined]


def _listing_ir_opt(built: LlvmBuilt, route: Target) -> Rendered:
    return Rendered("llvm", built.ir_opt, flags=_listing_flags(route))  # type: ignore[attr-defined]


def _listing_asm(built: LlvmBuilt, route: Target) -> Rendered:
    # The dialect is fixed when a TargetMachine is created, from a process-wide LLVM option: the route's own
    # machine prints AT&T. A twin machine made under `--x86-asm-syntax=intel` prints Intel from a fresh parse of
    # the same optimized IR (the live module has been through MCJIT's codegen, which may rewrite IR in place).
    llvm.set_option("", "--x86-asm-syntax=intel")
    try:
        machine = route.target_machine()  # type: ignore[attr-defined]
    finally:
        llvm.set_option("", "--x86-asm-syntax=att")
    module = llvm.parse_assembly(built.ir_opt)  # type: ignore[attr-defined]
    text = machine.emit_assembly(module)
    size = built.code_bytes
    return Rendered("x86", text, flags=_listing_flags(route) + "; Intel syntax", code_bytes=size)


class LlvmJitTarget(Target):
    language = "llvm"
    native = True

    def __init__(self, name: str, level: int, host_tuned: bool = False) -> None:
        cpu = ", for this machine's CPU and its features" if host_tuned else ""
        super().__init__(name, f"LLVM IR through the O{level} pipeline, JIT-compiled by llvmlite MCJIT{cpu}")
        self.level = level
        self.host_tuned = host_tuned

    def cpu_target(self) -> tuple[str, str]:
        """The TargetMachine's CPU name and feature string."""
        return host_cpu() if self.host_tuned else (BASELINE_CPU, "")

    def cpu_features(self) -> frozenset[str]:
        return host_features() if self.host_tuned else X86_64_BASELINE

    def features_owner(self) -> str:
        return "this machine's CPU" if self.host_tuned else super().features_owner()

    def target_machine(self) -> llvm.TargetMachine:
        _initialize()
        # The baseline routes target the same baseline x86-64 (SSE2, no AVX), as gcc does by default: comparisons
        # then hold across machines, and Unicorn, which has no AVX, can run every build. A host-tuned route gets
        # the CPU LLVM detects here, with its features, as clang -march=native would.
        cpu, features = self.cpu_target()
        return llvm.Target.from_default_triple().create_target_machine(
            cpu=cpu,
            features=features,
            opt=self.level,
            jit=True,
        )

    def optimize(self, module: llvm.ModuleRef, machine: llvm.TargetMachine) -> None:
        optimize(module, machine, self.level)

    def received_flags(self) -> list[str]:
        """What this route hands LLVM through llvmlite (there is no driver to ask): the pipeline's tuning options,
        read back from the object the build uses, and the code generator's level."""
        cpu, features = self.cpu_target()
        host = [f"codegen cpu={cpu}", f"codegen features={features}"] if self.host_tuned else []
        return [*describe_pipeline(self.level, self.target_machine()), *host]

    def build(self, source: Source, kernel: Kernel) -> LlvmBuilt:
        started = time.perf_counter()
        module, entry = parse_verified(source, kernel)
        refuse_external(module, source)
        machine = self.target_machine()
        module.triple = machine.triple
        module.data_layout = str(machine.target_data)
        ir_in = str(module)
        self.optimize(module, machine)
        ir_opt = str(module)
        compiled = time.perf_counter()
        engine = llvm.create_mcjit_compiler(module, machine)
        engine.finalize_object()
        built = LlvmBuilt(
            source=source, route=self.name, entry=entry, ir_in=ir_in, ir_opt=ir_opt, machine=machine, module=module,
            kernel=kernel, host_tuned=self.host_tuned, engine=engine, address=engine.get_function_address(entry),
            phases={"build": compiled - started, "load": time.perf_counter() - compiled},
        )
        code = built.kernel_bytes()
        if code is not None and (found := forbidden_instructions(code)):
            built.close()
            raise BuildError(f"{source.where()}: {self.name}: the compiled kernel contains {found[0]}; "
                             "a kernel may not make system calls")
        return built

    def versions(self) -> dict[str, str]:
        tools = {"llvmlite": llvmlite.__version__, "llvm": ".".join(map(str, llvm.llvm_version_info))}
        return {**tools, "cpu": " ".join(self.cpu_target())} if self.host_tuned else tools


ROUTES = [LlvmJitTarget("llvm-O0", level=0), LlvmJitTarget("llvm-O3", level=3),
          LlvmJitTarget("llvm-O3-native", level=3, host_tuned=True)]

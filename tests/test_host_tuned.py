"""Host-tuned routes and CPU features: builds for this machine form their own substrate, a variant that requires a
feature the CPU lacks is skipped naming it before it runs, and Unicorn skips what it cannot emulate.

No test here depends on this machine's CPU: the feature set is simulated (ARENA_CPU_FEATURES), and the code that
runs natively uses baseline instructions only, whatever its header declares.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from harness.asm import listing
from harness.report import writer as report
from harness.report.analysis import analyse
from harness.check import check
from harness.inputs import Case
from harness.variants import load_source
from targets.variant_source import SourceError
from harness.report.vectors import comparisons
from kernels.insertion_sort import KERNEL
from targets import get_route
from targets.base import HOST_SUBSTRATES, SUBSTRATES
from targets.cpu_features import FEATURES_ENV, features_line, host_features, parse_requires
from targets.vector_width import vector_width
from tests.test_report import bench, synthetic_run

_RNG = random.Random(11)
CASES = [Case("empty", ()), Case("two", (2, 1)), Case("dups", (3, -1, 3, 0, -1)),
         Case("random 50", tuple(_RNG.randint(-(2**31), 2**31 - 1) for _ in range(50)))]
SCALAR_SORT = (KERNEL.variants_dir / "ai-x86-index-loop.s").read_text()
ENTRY = "insertion_sort:\n"


def _variant(tmp_path: Path, name: str, requires: str | None = None, at_entry: str = "") -> Path:
    """The scalar index-loop sort, with a `requires:` line and instructions at its entry."""
    header = f"# requires: {requires}\n" if requires else ""
    path = tmp_path / name
    path.write_text(header + SCALAR_SORT.replace(ENTRY, ENTRY + at_entry, 1))
    return path


def test_cpuinfo_flags_are_read_in_the_compilers_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FEATURES_ENV, raising=False)
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse sse2 pni ssse3 sse4_1 avx2\n\n")
    assert {"sse3", "sse4.1", "avx2", "ssse3"} <= host_features(cpuinfo)
    assert "pni" not in host_features(cpuinfo) and "avx512f" not in host_features(cpuinfo)
    monkeypatch.setenv(FEATURES_ENV, "sse2, SSE4_1")
    assert host_features(cpuinfo) == {"sse2", "sse4.1"}
    # The report's line: the saved run's flags (py-cpuinfo spells them as /proc/cpuinfo does), vector ones only.
    assert features_line(["fpu", "sse2", "sse4_1", "avx2", "avx512bw"]).startswith(
        "CPU vector features: sse2 sse4.1 avx2 avx512bw.")
    assert features_line(None).startswith("CPU vector features: not saved with this run.")


def test_requires_names_known_features_only(tmp_path: Path) -> None:
    assert parse_requires("avx2, sse4.1 simd128") == ("avx2", "sse4.1", "simd128")
    path = _variant(tmp_path, "typo.s", requires="avx2, avx9000")
    with pytest.raises(SourceError, match=rf"{path}:1: requires: unknown CPU feature 'avx9000'"):
        load_source(path, KERNEL)


def test_a_required_feature_the_cpu_lacks_is_a_skip_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FEATURES_ENV, "sse,sse2,avx,avx2")
    source = load_source(_variant(tmp_path, "wide.s", requires="avx2, avx512f"), KERNEL)
    native = check(source, get_route("x86-native"), KERNEL, cases=CASES)
    assert native.verdict == "skip", native.message
    assert "requires avx512f, which this machine's CPU lacks" in native.message and "avx2," not in native.message
    emulated = check(source, get_route("x86-unicorn"), KERNEL, cases=CASES)
    assert emulated.verdict == "skip" and "requires avx2, avx512f" in emulated.message, emulated.message
    assert "Unicorn" in emulated.message


def test_a_cpu_with_the_required_feature_runs_it_natively(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FEATURES_ENV, "sse,sse2,avx,avx2,avx512f")
    source = load_source(_variant(tmp_path, "wide.s", requires="avx512f"), KERNEL)
    native = check(source, get_route("x86-native"), KERNEL, cases=CASES)
    # Unicorn, its gate, cannot host it: checked natively alone, and said so.
    assert native.verdict == "pass", native.message
    assert any("not checked on x86-unicorn first" in note and "avx512f" in note for note in native.notes)


def test_unicorn_skips_an_instruction_it_cannot_emulate_naming_it(tmp_path: Path) -> None:
    source = load_source(_variant(tmp_path, "ymm.s", at_entry="    vpxor %ymm0, %ymm0, %ymm0\n    vzeroupper\n"),
                         KERNEL)
    report = check(source, get_route("x86-unicorn"), KERNEL, cases=CASES)
    assert report.verdict == "skip", report.message
    assert "cannot emulate" in report.message and "vpxor ymm0, ymm0, ymm0" in report.message
    assert f"{source.path}:" in report.message  # the line of the instruction


def test_host_tuned_builds_and_host_variants_form_their_own_substrate(tmp_path: Path) -> None:
    c_source = load_source(KERNEL.directory / "insertion_sort.c", KERNEL)
    wide = load_source(_variant(tmp_path, "wide.s", requires="avx2"), KERNEL)
    baseline_asm = load_source(_variant(tmp_path, "sse2.s", requires="sse2"), KERNEL)
    expected = [
        ("c-gcc-O3", c_source, SUBSTRATES["native"]),
        ("c-gcc-O3-native", c_source, HOST_SUBSTRATES["native"]),
        ("c-clang-O3-native", c_source, HOST_SUBSTRATES["native"]),
        ("llvm-O3-native", load_source(KERNEL.directory / "insertion_sort.ll", KERNEL), HOST_SUBSTRATES["native"]),
        ("wasm-clang-O3", c_source, SUBSTRATES["wasm"]),
        ("wasm-clang-O3-simd", c_source, HOST_SUBSTRATES["wasm"]),
        ("x86-native", wide, HOST_SUBSTRATES["native"]),
        ("x86-native", baseline_asm, SUBSTRATES["native"]),  # SSE2 is every x86-64's
    ]
    for route, source, substrate in expected:
        built = get_route(route).build(source, KERNEL)
        try:
            assert built.substrate == substrate, (route, source.name)
        finally:
            built.close()
    assert HOST_SUBSTRATES["native"] != SUBSTRATES["native"] and HOST_SUBSTRATES["wasm"] != SUBSTRATES["wasm"]


def test_march_native_reaches_the_compiler_proper_as_a_cpu() -> None:
    gcc = get_route("c-gcc-O3-native").received_flags()
    marches = [flag for flag in gcc if flag.startswith("-march=")]
    assert len(marches) == 1 and marches[0] != "-march=native", marches  # the driver named the CPU
    clang = get_route("c-clang-O3-native").received_flags()
    assert clang[clang.index("-target-cpu") + 1] not in ("native", "x86-64")
    baseline = get_route("c-clang-O3").received_flags()
    assert baseline[baseline.index("-target-cpu") + 1] == "x86-64"
    llvm_flags = get_route("llvm-O3-native").received_flags()
    assert any(flag.startswith("codegen cpu=") and flag != "codegen cpu=x86-64" for flag in llvm_flags)
    assert any(flag.startswith("codegen features=+") or flag.startswith("codegen features=-") for flag in llvm_flags)
    simd = get_route("wasm-clang-O3-simd").received_flags()
    assert "+simd128" in simd and "+simd128" not in get_route("wasm-clang-O3").received_flags()


def test_vector_width_is_read_from_the_registers_of_packed_instructions() -> None:
    assert vector_width("x86", ["vpmulld ymm0, ymm1, ymm2", "vpaddd zmm0, zmm0, zmm1", "paddd xmm0, xmm1"]) == \
        "512-bit (zmm: 1, ymm: 1, xmm: 1 instructions)"
    # Scalar float and moves to a general register use xmm without being vector code; pminsd is packed.
    assert vector_width("x86", ["movd xmm0, eax", "addss xmm0, xmm1", "cvtsi2sd xmm0, eax", "mov eax, 1"]) is None
    assert vector_width("x86", ["pminsd xmm0, xmm1"]) == "128-bit (xmm: 1 instructions)"
    assert vector_width("llvm", ["%v = mul <8 x i32> %a, %b", "%w = add <2 x i64> %c, %d"]) == "256-bit (<8 x 32-bit>)"
    assert vector_width("wat", ["(i32x4.add (local.get 0) (local.get 1))"]) == "128-bit (v128)"
    assert vector_width("wat", ["(i32.add (local.get 0) (local.get 1))"]) is None


def test_arena_asm_names_the_vector_width_of_what_the_compiler_emitted(tmp_path: Path) -> None:
    # A loop every compiler vectorizes with SSE2, baseline x86-64's: the same answer on every x86-64 machine.
    path = tmp_path / "scale.c"
    path.write_text("#include <stdint.h>\n#include <stddef.h>\n"
                    "void insertion_sort(int32_t *a, size_t n) { for (size_t i = 0; i < n; i++) a[i] = a[i] * 3 + 1; }\n")
    source = load_source(path, KERNEL)

    def width(route: str, stage: str | None = None) -> list[str]:
        return [line for line in listing(source, get_route(route), KERNEL, stage).header if "vector width" in line]

    [line] = width("c-gcc-O3")
    assert line.startswith("vector width: 128-bit (xmm: ") and "ymm" not in line, line
    assert width("c-gcc-O0") == []
    assert width("wasm-clang-O3-simd", "wat") == ["vector width: 128-bit (v128)"]
    assert width("wasm-clang-O3", "wat") == []


def test_a_run_reads_each_builds_vector_width_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every benchmark of a pair records the width; reading it prints a wasm module as text, so once per pair.
    import harness.measure.bench as bench_module
    from harness.measure.bench import Workbench
    from targets.vector_width import built_vector_width

    path = tmp_path / "scale.c"
    path.write_text("#include <stdint.h>\n#include <stddef.h>\n"
                    "void insertion_sort(int32_t *a, size_t n) { for (size_t i = 0; i < n; i++) a[i] = a[i] * 3 + 1; }\n")
    source = load_source(path, KERNEL)
    read: list[object] = []
    monkeypatch.setattr(bench_module, "built_vector_width", lambda built: read.append(built) or built_vector_width(built))
    workbench = Workbench(jobs=1)
    try:
        pair = (KERNEL, source, get_route("wasm-clang-O3-simd"))
        widths = [workbench.vector_width(*pair) for _ in range(3)]
        assert widths == ["128-bit (v128)"] * 3
        assert read == [workbench.built(*pair)]
    finally:
        workbench.close()


def test_report_compares_host_tuned_rows_only_among_themselves_and_shows_what_vectors_buy() -> None:
    host, base = HOST_SUBSTRATES["native"], SUBSTRATES["native"]
    run = synthetic_run()
    run["benchmarks"] = [
        bench("insertion_sort", "c-gcc-O3", "human", 2e-6, substrate=base),
        bench("insertion_sort", "c-gcc-O3-native", "human", 1e-6, substrate=host, vector_width="256-bit (ymm: 9)"),
        bench("ai-sse2", "x86-native", "ai", 1.5e-6, substrate=base, vector_width="128-bit (xmm: 4)"),
        bench("ai-avx2", "x86-native", "ai", 0.8e-6, substrate=host, vector_width="256-bit (ymm: 6)"),
    ]
    analysis = analyse(run, "run-1")
    rows = {r.label: r for r in analysis.rows}
    assert rows["ai-avx2@x86-native"].compared_with == "insertion_sort@c-gcc-O3-native"
    assert rows["ai-sse2@x86-native"].compared_with == "insertion_sort@c-gcc-O3"
    found = {(e["kind"], e["code"]): e for e in comparisons(analysis.rows)}
    compilers = found[("compiler", "any")]
    assert (compilers["baseline"].route, compilers["host"].route) == ("c-gcc-O3", "c-gcc-O3-native")
    assert compilers["ratio"] == pytest.approx(0.5, rel=0.05) and compilers["verdict"] == "faster"
    assert found[("compiler", "scalar")]["host"] is None and found[("compiler", "vector")]["baseline"] is None
    vector_ai = found[("AI-written", "vector")]
    assert (vector_ai["baseline"].variant, vector_ai["host"].variant) == ("ai-sse2", "ai-avx2")
    text = report.markdown(analysis)
    assert "## What vector width buys: baseline against this CPU" in text
    assert "| insertion_sort | 128 | native x86-64 | AI-written | vector | ai-sse2@x86-native" in text

"""The AI-written vector variants of dot_i32 and adler32: what each header requires is what its code uses, the
listing names the width, and a CPU without a required feature skips the file, naming it, before it runs.

The CPU is simulated (ARENA_CPU_FEATURES): assembling and listing a file runs nothing, and the skips are decided
before anything runs, so no test here depends on this machine's features.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.asm import listing
from harness.check import check
from kernels.kernel import get_kernel
from harness.variants import load_source
from targets import get_route
from targets.base import HOST_SUBSTRATES, SUBSTRATES
from targets.cpu_features import FEATURES_ENV, X86_64_BASELINE

KERNELS = ("dot_i32", "adler32")
VECTOR_FILES = sorted(p for k in KERNELS for p in get_kernel(k).variants_dir.iterdir()
                      if re.search(r"^\W*requires\s*:", p.read_text(), re.MULTILINE))
# The widest register a file may use, by the widest feature it requires.
WIDTH_OF = {"avx512f": "512-bit", "avx2": "256-bit", "sse4.1": "128-bit", "ssse3": "128-bit", "sse2": "128-bit",
            "simd128": "128-bit (v128)"}


def _source(path: Path):  # type: ignore[no-untyped-def]
    return load_source(path, get_kernel(path.parent.parent.name))


def test_each_kernel_has_vector_variants_for_every_width() -> None:
    required = {(p.parent.parent.name, f) for p in VECTOR_FILES for f in _source(p).requires}
    for kernel in KERNELS:
        assert {(kernel, "sse2"), (kernel, "avx2"), (kernel, "simd128")} <= required


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_the_listing_names_the_width_the_header_requires(path: Path) -> None:
    source = _source(path)
    widest = min(source.requires, key=list(WIDTH_OF).index)  # the first of WIDTH_OF it names
    route = "wasmtime" if source.language == "wat" else "x86-native"
    stage = "wat" if source.language == "wat" else None
    header = listing(source, get_route(route), get_kernel(path.parent.parent.name), stage).header
    [width] = [line for line in header if line.startswith("vector width: ")]
    assert width.startswith(f"vector width: {WIDTH_OF[widest]}"), (width, source.requires)


@pytest.mark.parametrize("path", [p for p in VECTOR_FILES if p.suffix == ".s"], ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_a_cpu_without_the_required_features_skips_naming_them(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _source(path)
    kernel = get_kernel(path.parent.parent.name)
    monkeypatch.setenv(FEATURES_ENV, ",".join(X86_64_BASELINE))
    report = check(source, get_route("x86-native"), kernel, cases=[])
    beyond = [f for f in source.requires if f not in X86_64_BASELINE]
    if beyond:
        assert report.verdict == "skip" and f"requires {', '.join(beyond)}, which this machine's CPU lacks" in report.message
    else:  # SSE2: every x86-64 runs it, and its rows stay with the baseline's
        assert report.verdict == "pass", report.message
    built = get_route("x86-native").build(source, kernel)
    try:
        assert built.substrate == (HOST_SUBSTRATES if beyond else SUBSTRATES)["native"]
    finally:
        built.close()

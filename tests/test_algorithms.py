"""Algorithms as data: what the kernel declares, what a variant's header says, and how discovery keeps the
compiler sources of each algorithm apart."""
from __future__ import annotations

from pathlib import Path

import pytest

from kernels.kernel import Kernel, get_kernel
from targets.source import SourceError
from harness.source import discover, load_source

from .test_bad_inputs import arena

KERNEL = get_kernel("insertion_sort")


def test_the_kernel_declares_its_algorithms_and_baseline() -> None:
    assert KERNEL.algorithm == "linear insertion"
    assert KERNEL.algorithms == {"linear insertion": "insertion_sort", "binary insertion": "binary_insertion_sort"}
    assert KERNEL.algorithm_named("  Binary-Insertion ") == "binary insertion"
    with pytest.raises(ValueError, match="baseline algorithm 'bubble'"):
        Kernel(name="k", directory=Path("."), reference=sorted, algorithm="bubble", algorithms={"linear": "k"})


def test_discovery_keeps_each_algorithms_compiler_sources_apart() -> None:
    own = [s for s in discover(KERNEL) if KERNEL.is_compiler_source(s)]
    assert sorted((s.name, s.language, s.algorithm) for s in own) == [
        ("binary_insertion_sort", "c", "binary insertion"), ("binary_insertion_sort", "llvm", "binary insertion"),
        ("insertion_sort", "c", "linear insertion"), ("insertion_sort", "llvm", "linear insertion"),
    ]
    # Each compiler source's own header agrees with what the kernel declares for it.
    assert all(s.header["algorithm"] == s.algorithm and s.origin == "human" for s in own)


def test_every_shipped_variant_names_its_algorithm() -> None:
    variants = [s for s in discover(KERNEL) if not KERNEL.is_compiler_source(s)]
    assert variants and all("algorithm" in s.header for s in variants), [s.name for s in variants if "algorithm" not in s.header]
    binary = {s.name for s in variants if s.algorithm == "binary insertion"}
    assert binary == {"ai-ll-binary-search", "ai-wat-binary-search", "ai-x86-binary-insert"}


def test_a_variant_without_the_key_implements_the_baseline_and_a_namesake_is_no_compiler_source(tmp_path: Path) -> None:
    path = tmp_path / "binary_insertion_sort.c"
    path.write_text("// origin: ai\nvoid insertion_sort(int *a, unsigned long n) {}\n")
    source = load_source(path, KERNEL)
    assert source.algorithm == "linear insertion" and not KERNEL.is_compiler_source(source)


def test_an_unknown_algorithm_names_file_line_and_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "quick.wat"
    path.write_text(";; origin: ai\n;; algorithm: quicksort\n(module)\n")
    with pytest.raises(SourceError) as caught:
        load_source(path, KERNEL)
    assert str(caught.value) == (f"{path}:2: unknown algorithm for kernel 'insertion_sort' 'quicksort'; "
                                 "known: binary insertion, linear insertion")
    with pytest.raises(SourceError, match=r"quick\.wat:2: unknown algorithm"):
        discover(KERNEL, [tmp_path])  # at start-up, before anything is built
    # A file of another kernel is judged against that kernel's algorithms, not this one's.
    path.write_text(";; kernel: noop\n;; algorithm: noop\n(module)\n")
    assert [s.name for s in discover(get_kernel("noop"), [tmp_path])] == ["noop"] * 4 + ["quick"]
    assert discover(KERNEL, [tmp_path])[-1].name != "quick"


def test_arena_check_refuses_an_unknown_algorithm(tmp_path: Path) -> None:
    path = tmp_path / "merge.c"
    path.write_text("// algorithm: merge sort\nvoid insertion_sort(int *a, unsigned long n) {}\n")
    result = arena("check", str(path))
    assert result.returncode == 2
    assert f"{path}:1: unknown algorithm" in result.stderr and "known: binary insertion, linear insertion" in result.stderr

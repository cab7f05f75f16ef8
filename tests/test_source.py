from __future__ import annotations

from pathlib import Path

import pytest

from kernels.kernel import UnknownName, get_kernel
from harness.shrink import shrink
from targets.source import count_lines
from harness.source import discover, load_source, normalize, parse_header
from targets import get_route

KERNEL = get_kernel("insertion_sort")


def test_header_gives_origin_and_notes() -> None:
    header = parse_header(";; origin: ai\n;; model: some model\n;; date: 2026-11-22\n(module)\n;; origin: human\n", "wat")
    assert header == {"origin": "ai", "model": "some model", "date": "2026-11-22"}


def test_every_repo_variant_is_labelled_and_ai_ones_say_by_what() -> None:
    variants = [s for s in discover(KERNEL) if s.path.parent.name == "variants"]
    assert {s.language for s in variants} >= {"wat", "x86"}
    for source in variants:
        assert source.origin in {"ai", "human"}, source.path
        if source.origin == "ai":
            assert {"model", "date", "prompt"} <= source.header.keys(), source.path
    assert {s.language for s in discover(KERNEL) if s.name == "insertion_sort"} == {"c", "llvm"}


def test_line_counts_skip_blank_and_comment_only_lines() -> None:
    text = "// a\nint x; // trailing\n\n/* block\n   still */\nint y;\n"
    assert count_lines(text, "c").total == 6 and count_lines(text, "c").effective == 2
    wat = ";; c\n(module (; inline ;)\n  (; whole ;)\n)\n"
    assert count_lines(wat, "wat").effective == 2
    asm = "# c\n; c\nfoo:  # label\n  ret\n"
    assert count_lines(asm, "x86").effective == 2


def test_normalize_reports_each_change() -> None:
    text, warnings, offset = normalize("\ufeff```wat\r\n(module\r\n\u00a0\u00a0(func))\u200b\r\n```\r\n")
    assert text == "(module\n  (func))\n"
    assert offset == 1
    assert len(warnings) == 5 and any("2 non-breaking" in w for w in warnings)
    assert normalize("(module)\n") == ("(module)\n", [], 0)


def test_fence_keeps_line_numbers_as_saved(tmp_path: Path) -> None:
    path = tmp_path / "x.wat"
    path.write_text("```wat\n(module\n)\n```\n")
    source = load_source(path, KERNEL)
    assert source.where(2) == f"{path}:3"


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(UnknownName, match="known: .*llvm-O3"):
        get_route("llvm-O2")
    with pytest.raises(UnknownName, match="known: .*insertion_sort"):
        get_kernel("quicksort")


def test_shrink_finds_a_smallest_failing_input() -> None:
    def unsigned_sort_is_wrong(values: list[int]) -> bool:
        return sorted(values, key=lambda v: v & 0xFFFFFFFF) != sorted(values)

    found = shrink([5, -70000, 12, 9, -3, 44, 0, 18], unsigned_sort_is_wrong)
    assert len(found) == 2 and unsigned_sort_is_wrong(found) and sorted(found) == [-1, 0]

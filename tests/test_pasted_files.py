"""A correct variant saved anywhere, pasted from a web page with no header, passes without any change to the code."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.kernel import get_kernel
from harness.source import discover

from .test_bad_inputs import arena

KERNEL = get_kernel("insertion_sort")
# One correct source per language, from the repo: the human-written ones first.
SAMPLES = {s.language: s for s in reversed(discover(KERNEL))}


def pasted(text: str, fence: str) -> str:
    """What a chat window's copy button gives: no header, NBSP indentation, CRLF, a markdown fence."""
    body = "\n".join(line for line in text.splitlines() if ":" not in line or not line.lstrip().startswith((";", "#", "//")))
    body = body.replace("    ", "\u00a0\u00a0\u00a0\u00a0")
    return f"```{fence}\n{body}\n```\n".replace("\n", "\r\n")


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_pasted_file_outside_the_repo_passes(language: str, tmp_path: Path) -> None:
    source = SAMPLES[language]
    target = tmp_path / f"from-a-chat{source.path.suffix}"
    target.write_bytes(pasted(source.text, language).encode())
    result = arena("check", str(target), "--json")
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stdout + result.stderr
    assert reports and all(r["verdict"] == "pass" and r["origin"] == "supplied" for r in reports)
    warnings = " | ".join(reports[0]["warnings"])
    assert "non-breaking space" in warnings and "CRLF" in warnings and "code fence" in warnings


def test_variants_dir_joins_the_listing(tmp_path: Path) -> None:
    shutil.copy(SAMPLES["c"].path, tmp_path / "my-own.c")
    listing = json.loads(arena("list", "--json", "--variants", str(tmp_path)).stdout)
    names = [v["variant"] for v in listing["kernels"]["insertion_sort"]]
    assert "my-own" in names and "insertion_sort" in names
    # A user's file implements the default kernel unless its header names another.
    assert "my-own" not in [v["variant"] for v in listing["kernels"]["noop"]]
    (tmp_path / "my-noop.c").write_text("// kernel: noop\n#include <stddef.h>\n#include <stdint.h>\n"
                                        "void noop(int32_t *a, size_t n) { (void)a; (void)n; }\n")
    listing = json.loads(arena("list", "--json", "--variants", str(tmp_path)).stdout)
    assert "my-noop" in [v["variant"] for v in listing["kernels"]["noop"]]
    assert "my-noop" not in [v["variant"] for v in listing["kernels"]["insertion_sort"]]
    assert {r["route"] for r in listing["routes"]} >= {"llvm-O0", "llvm-O3", "wasmtime", "x86-unicorn", "c-gcc-O0", "c-gcc-O3"}

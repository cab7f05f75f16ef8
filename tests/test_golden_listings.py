"""Golden listings: `arena asm` output for a few fixed variants and routes, kept in tests/golden/.

A change in what a compiler, Keystone or Cranelift produces, or in how `arena asm` shows it, then shows up
in review as a change to these files. Load addresses are normalized; the tool versions are recorded in
each file's header. `ARENA_BLESS=1` rewrites the files from the current output (as Cranelift's filetests do).
"""
from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

from harness.asm import COMMENT
from harness.cli import main

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
BLESS = "ARENA_BLESS"
HOW_TO_BLESS = f"{BLESS}=1 python -m pytest tests/test_golden_listings.py"

# (variant, route, stage or None for the route's default, the kind of text: a key of COMMENT)
CASES = [
    ("ai-x86-pointer-walk", "x86-unicorn", None, "x86"),
    ("insertion_sort", "llvm-O3", "ir-opt", "llvm"),
    ("ai-wat-index-loop", "wasmtime", None, "x86"),
    ("insertion_sort", "c-gcc-O3", None, "x86"),
]
# Addresses (five hex digits or more) move with where the code was loaded; displacements and immediates stay.
_ADDRESS = re.compile(r"\b0x[0-9a-f]{5,}\b")


def golden_path(variant: str, route: str, stage: str | None, kind: str) -> Path:
    suffix = {"x86": ".s", "llvm": ".ll", "wat": ".wat"}[kind]
    return GOLDEN / f"{variant}@{route}{'.' + stage if stage else ''}{suffix}"


def normalize(text: str, kind: str) -> tuple[str, str]:
    """The listing with addresses replaced, and its tools line taken out (recorded in the golden's header)."""
    marker = COMMENT[kind]
    tools = ""
    lines = []
    for line in text.splitlines():
        if line.startswith(f"{marker} tools: "):
            tools = line[len(f"{marker} tools: "):]
            line = f"{marker} tools: (recorded above)"
        lines.append(_ADDRESS.sub("0x<address>", line))
    return "\n".join(lines) + "\n", tools


def golden_text(command: str, tools: str, body: str, kind: str) -> str:
    marker = COMMENT[kind]
    return (f"{marker} golden listing: {command}\n{marker} blessed with: {tools}\n"
            f"{marker} rewrite with: {HOW_TO_BLESS}\n{body}")


def split_golden(text: str, kind: str) -> tuple[str, str]:
    """(tools recorded when blessed, the normalized listing) of a golden file."""
    marker = COMMENT[kind]
    parts = text.split("\n", 3)
    head, body = parts[:3], parts[3] if len(parts) == 4 else ""
    tools = next((h[len(f"{marker} blessed with: "):] for h in head if h.startswith(f"{marker} blessed with: ")), "")
    return tools, body


@pytest.mark.parametrize("variant,route,stage,kind", CASES,
                         ids=[f"{v}@{r}{'.' + s if s else ''}" for v, r, s, _ in CASES])
def test_listing_matches_golden(variant: str, route: str, stage: str | None, kind: str,
                                capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # listings name their source relative to the working directory
    argv = ["asm", variant, "--route", route] + (["--stage", stage] if stage else [])
    assert main(argv) == 0
    body, tools = normalize(capsys.readouterr().out, kind)
    path = golden_path(variant, route, stage, kind)
    command = "arena " + " ".join(argv)
    if os.environ.get(BLESS) == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(golden_text(command, tools, body, kind))
        return
    if not path.exists():
        pytest.fail(f"no golden listing {path.relative_to(REPO)}: create it with {HOW_TO_BLESS}")
    recorded_tools, expected = split_golden(path.read_text(), kind)
    if body != expected:
        changes = "".join(difflib.unified_diff(expected.splitlines(True), body.splitlines(True),
                                               fromfile=f"{path.relative_to(REPO)} (golden)", tofile=command))
        versions = ("" if recorded_tools == tools else
                    f"\nthe tools changed since it was blessed: {recorded_tools} -> {tools}")
        pytest.fail(f"`{command}` no longer matches {path.relative_to(REPO)}:{versions}\n{changes}\n"
                    f"If the new listing is right, rewrite the golden files with: {HOW_TO_BLESS}", pytrace=False)


def test_normalize_replaces_addresses_but_keeps_displacements() -> None:
    text = ("# tools: keystone-engine 0.9.2\n\t0x400000  48 83 fe 01  cmp rsi, 1\n"
            "\tmov rax, qword ptr [rdi + 0x38]\n\t0x7f704db7d013  jle 0x7f704db7d020\n")
    body, tools = normalize(text, "x86")
    assert tools == "keystone-engine 0.9.2"
    assert body == ("# tools: (recorded above)\n\t0x<address>  48 83 fe 01  cmp rsi, 1\n"
                    "\tmov rax, qword ptr [rdi + 0x38]\n\t0x<address>  jle 0x<address>\n")


# Cranelift's x86-64 settings for CPU features it detects on the host and may use in the code it emits.
CRANELIFT_HOST_FEATURES = ("has_sse3", "has_ssse3", "has_sse41", "has_sse42", "has_popcnt", "has_avx", "has_avx2",
                           "has_bmi1", "has_bmi2", "has_lzcnt", "has_fma", "has_avx512f", "has_avx512vl",
                           "has_avx512dq", "has_avx512bitalg", "has_avx512vbmi")


def test_the_wasmtime_golden_listing_holds_on_a_cpu_without_optional_features() -> None:
    """Cranelift compiles for the CPU it runs on. The golden wasmtime listing must be what any x86-64 machine
    gets: the same machine code with every optional feature Cranelift detects turned off."""
    import wasmtime

    from targets.native.elf import text_and_functions
    from targets.wasm.engines import engine_config

    wat = (REPO / "kernels" / "insertion_sort" / "variants" / "ai-wat-index-loop.wat").read_text()

    def code(baseline: bool) -> tuple[tuple[bytes, int], list[tuple[str, int, int]]]:
        config = engine_config()
        for feature in CRANELIFT_HOST_FEATURES if baseline else ():
            config.cranelift_flag_set(feature, "false")
        return text_and_functions(wasmtime.Module(wasmtime.Engine(config), wat).serialize())

    assert code(baseline=True) == code(baseline=False)

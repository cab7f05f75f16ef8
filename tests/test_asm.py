"""`arena asm`: each listing must be the real code of its route, and the filters, diff and llvm-mca must hold."""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import wasmtime

from harness import asm
from harness import mca as mca_module
from harness.cli import main, resolve_sources
from kernels.kernel import get_kernel
from targets import get_route
from targets.listing import wasm_to_text
from targets.x86.listing_x86 import round_trip

KERNEL = get_kernel("insertion_sort")
# An x86-64 instruction line as the filtered listings print it: tab, mnemonic.
X86_LINE = re.compile(r"^\t(?:0x[0-9a-f]+\s+(?:[0-9a-f]{2} )+\s*)?([a-z][a-z0-9]*)\b", re.MULTILINE)


def listing(variant: str, route: str, stage: str | None = None, raw: bool = False) -> asm.Listing:
    return asm.listing_of(f"{variant}@{route}", KERNEL, stage, raw)


def mnemonics(result: asm.Listing) -> list[str]:
    return X86_LINE.findall("\n".join(result.body))


@pytest.mark.parametrize("route", ["llvm-O0", "llvm-O3"])
def test_ir_stages_are_the_routes_own_ir(route: str) -> None:
    # What the pipeline does to the IR is tests/test_llvm.py's; here: each stage shows that stage's text.
    source = next(s for s in resolve_sources("insertion_sort", KERNEL) if s.language == "llvm")
    built = get_route(route).build(source, KERNEL)
    try:
        assert listing("insertion_sort", route, "ir-in", raw=True).raw_text == built.ir_in  # type: ignore[attr-defined]
        optimized = listing("insertion_sort", route, "ir-opt", raw=True)
        assert optimized.raw_text == built.ir_opt  # type: ignore[attr-defined]
        assert any(line.startswith("define void @insertion_sort") for line in optimized.body)
    finally:
        built.close()


def test_llvm_asm_listing_is_x86_with_the_entry_label() -> None:
    result = listing("insertion_sort", "llvm-O3")
    assert result.kind == "x86" and "insertion_sort:" in result.body
    ops = mnemonics(result)
    assert "ret" in ops and any(op.startswith("j") for op in ops) and "cmp" in ops
    # Intel syntax: no AT&T register sigils.
    assert not any("%r" in line for line in result.body)
    assert result.code_bytes and result.code_bytes > 0
    assert result.header[0].startswith("insertion_sort@llvm-O3")


def test_wasmtime_native_listing_is_x86_64_machine_code() -> None:
    result = listing("ai-wat-index-loop", "wasmtime")
    ops = mnemonics(result)
    assert "cmp" in ops and "ret" in ops and any(op.startswith("j") for op in ops)
    assert result.code_bytes and result.code_bytes > 0
    assert "insertion_sort:" in result.body
    # The checked engine meters fuel; its code is longer than the timed engine's and calls the out-of-gas hook.
    fueled = listing("ai-wat-index-loop", "wasmtime", "native-fuel")
    assert any("out_of_gas" in line for line in fueled.body)


def test_wat_stage_is_the_text_as_written_or_disassembled_from_a_binary() -> None:
    written = listing("ai-wat-index-loop", "wasmtime", "wat", raw=True)
    source = resolve_sources("ai-wat-index-loop", KERNEL)[0]
    assert written.raw_text == source.text
    text = wasm_to_text(wasmtime.wat2wasm(source.text))
    assert "(func $insertion_sort" in text and "i32.load" in text
    # The disassembled text is a module wasmtime accepts again: a real round trip.
    wasmtime.wat2wasm(text)


def test_keystone_round_trip_reproduces_the_instruction_count() -> None:
    result = listing("ai-x86-pointer-walk", "x86-unicorn")
    assert not result.problems
    assert any("round trip" in line and "they match" in line for line in result.header)
    source = resolve_sources("ai-x86-pointer-walk", KERNEL)[0]
    from targets.x86.assemble import assemble

    assembled = assemble(source, KERNEL)
    decoded, problems = round_trip(assembled)
    assert not problems and len(decoded) == len(assembled.lines) == 18
    assert len(mnemonics(result)) == 18


def test_keystone_round_trip_reports_a_mismatch_loudly() -> None:
    from targets.x86.assemble import assemble

    source = resolve_sources("ai-x86-pointer-walk", KERNEL)[0]
    assembled = assemble(source, KERNEL)
    # Claim one more instruction line than the bytes hold: the check must say so.
    forged = type(assembled)(**{**assembled.__dict__, "lines": (*assembled.lines, (len(assembled.code) - 2, 99))})
    _, problems = round_trip(forged)
    assert problems and "MISMATCH" in problems[0]


def test_gcc_o0_and_o3_listings_differ() -> None:
    o0, o3 = listing("insertion_sort", "c-gcc-O0"), listing("insertion_sort", "c-gcc-O3")
    assert o0.body != o3.body
    assert "ret" in mnemonics(o0) and "ret" in mnemonics(o3)
    assert o0.code_bytes != o3.code_bytes
    # The compiler's listing was checked against the library that ran.
    assert any("the same" in line for line in o3.header)


def test_side_by_side_diff_fits_120_columns_and_shows_changes() -> None:
    a, b = listing("insertion_sort", "llvm-O0"), listing("insertion_sort", "llvm-O3")
    lines = asm.diff(a, b)
    assert max(len(line) for line in lines) <= 120
    assert any(" | " in line for line in lines)
    assert "changed" in lines[-1]
    unified = asm.diff(a, b, unified=True)
    assert any(line.startswith("--- insertion_sort@llvm-O0") for line in unified)
    assert any(line.startswith("+") and not line.startswith("+++") for line in unified)


def test_filters_hide_directives_that_raw_shows() -> None:
    raw = listing("insertion_sort", "llvm-O3", raw=True)
    filtered = listing("insertion_sort", "llvm-O3")
    directive = re.compile(r"^\s*\.(p2align|cfi_|section|globl|type|size)")
    assert any(directive.match(line) for line in raw.body)
    assert not any(directive.match(line) for line in filtered.body)
    assert not any(line.strip().startswith("#") for line in filtered.body)


def test_unused_labels_are_hidden_and_used_ones_kept() -> None:
    text = "\t.text\n\t.globl f\nf:\n.Lunused:\n\tjmp\t.Lused\n.Lused:\n\tret  # done\n\t.p2align 4\nlocal:\n"
    # A function's label stays although nothing jumps to it; a local label nothing references goes.
    assert asm.filter_gas(text) == ["f:", "\tjmp\t.Lused", ".Lused:", "\tret"]


def test_mca_summarises_the_inner_loop_or_says_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    result = listing("ai-x86-pointer-walk", "x86-unicorn")
    loop = mca_module.inner_loop(result.code)
    # The innermost backward branch of this variant closes .Linner: 7 instructions, ending in its jne.
    assert len(loop) == 7 and loop[-1].split() == ["jne", ".Linner"]
    if mca_module.find_llvm_mca():
        summary = mca_module.mca(result)
        assert "IPC" in summary and "Block RThroughput" in summary
    monkeypatch.setenv("PATH", "/nonexistent")
    assert mca_module.find_llvm_mca() is None
    message = mca_module.mca(result)
    assert "llvm-mca" in message and "not found" in message and "skipped" in message


@pytest.mark.skipif(not mca_module.find_llvm_mca(), reason="llvm-mca is not on PATH")
def test_mca_reads_the_compiler_listings_too() -> None:
    assert "IPC" in mca_module.mca(listing("insertion_sort", "c-gcc-O3"))


@pytest.mark.skipif(not mca_module.find_llvm_mca(), reason="llvm-mca is not on PATH")
def test_llvm_mca_runs_once_per_loop_and_is_read_from_the_cache_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_CACHE", str(tmp_path))
    tool = mca_module.find_llvm_mca()
    assert tool is not None
    loop = mca_module.inner_loop(listing("ai-x86-pointer-walk", "x86-unicorn").code)
    first = mca_module.run_mca(loop, tool)
    assert first.returncode == 0 and (first.total_cycles() or 0) > 0
    runs: list[Any] = []
    real_run = mca_module.subprocess.run
    monkeypatch.setattr(mca_module.subprocess, "run", lambda *a, **k: runs.append(a) or real_run(*a, **k))
    assert mca_module.run_mca(loop, tool) == first and runs == []
    longer = mca_module.run_mca(["add eax, 1", *loop], tool)
    assert len(runs) == 1 and longer.stdout != first.stdout


def test_write_listing_names_the_file_after_variant_and_route(tmp_path: Path) -> None:
    source = resolve_sources("ai-wat-index-loop", KERNEL)[0]
    route = get_route("wasmtime")
    path = asm.write_listing(tmp_path, source, route, KERNEL)
    assert path == tmp_path / "ai-wat-index-loop@wasmtime.s"
    assert path.read_text().startswith("# ai-wat-index-loop@wasmtime")
    wat = asm.write_listing(tmp_path, source, route, KERNEL, stage="wat")
    assert wat.name == "ai-wat-index-loop@wasmtime.wat"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_prints_a_headed_listing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asm", "insertion_sort", "--route", "llvm-O3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# insertion_sort@llvm-O3")
    assert "tools: llvmlite" in out and "code:" in out and "bytes" in out


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["asm", "insertion_sort", "--route", "no-such-route"], ["llvm-O3", "wasmtime"]),
        (["asm", "insertion_sort", "--route", "llvm-O3", "--stage", "bogus"], ["ir-in", "ir-opt", "asm"]),
    ],
)
def test_cli_unknown_route_or_stage_exits_2_listing_the_known(
    argv: list[str], names: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert all(name in err for name in names)


def test_cli_diff(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asm", "--diff", "insertion_sort@llvm-O0", "insertion_sort@llvm-O3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert max(map(len, out)) <= 120 and "changed" in out[-1]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")
def test_v8_native_listing_is_x86_64_when_node_is_there() -> None:
    result = listing("ai-wat-index-loop", "wasm-v8")
    assert "ret" in mnemonics(result) and result.code_bytes


@pytest.mark.parametrize("route_name", ["c-gcc-O3", "wasm-clang-O3-v8"])
def test_a_listing_is_made_once_and_then_read_from_the_cache(route_name: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from targets import listing as listing_module
    from targets.wasm import v8_route as wasm_v8

    if route_name.endswith("-v8") and shutil.which("node") is None:
        pytest.skip("node is not on PATH")
    monkeypatch.setenv("ARENA_CACHE", str(tmp_path))
    kernel, route = get_kernel("insertion_sort"), get_route(route_name)
    source = asm.pick_source(resolve_sources("insertion_sort", kernel), route)
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counted(command: list[str], *args: object, **kwargs: object) -> object:
        calls.append(command)
        return real_run(command, *args, **kwargs)

    built = route.build(source, kernel)  # built first: only the listing's own compiler and node runs are counted
    try:
        for module in (listing_module, wasm_v8):
            monkeypatch.setattr(module.subprocess, "run", counted)
        first = asm.render(built, route, None)
        made = len(calls)
        again = asm.render(built, route, None)
    finally:
        built.close()
    assert made >= 1 and len(calls) == made, calls  # the second listing ran no compiler and no node
    assert again.text() == first.text() and again.code_bytes == first.code_bytes

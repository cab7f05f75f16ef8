"""The explanation of a pair (harness.explain) on builds whose cause is known by construction: the same code
under two names, the same code with a multiply chain added to its inner loop, and another algorithm."""
from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.asm import render
from harness.explain import (
    ANOTHER_ALGORITHM, IDENTICAL_CODE, MORE, SAME_COUNT, cycles_of, explain, listing_code,
)
from harness.interleave import identical_code
from kernels.kernel import get_kernel
from harness.mca import find_llvm_mca, inner_loop
from harness.analysis import analyse
from harness.source import load_source
from targets import get_route

REPO = Path(__file__).resolve().parent.parent
VARIANTS = REPO / "kernels" / "insertion_sort" / "variants"
INDEX_LOOP = VARIANTS / "ai-x86-index-loop.s"
BINARY = VARIANTS / "ai-x86-binary-insert.s"
# Three chained multiplies added to each shift step: more instructions, and each of them waits longer.
SLOWED = REPO / "tests" / "slowed_variants" / "ai-x86-index-loop-slowed.s"
FIXTURE = REPO / "tests" / "fixtures" / "small_run" / "0001_small.json"


@pytest.fixture(scope="module")
def values() -> list[int]:
    rng = random.Random(7)
    return [rng.randint(-2**31, 2**31 - 1) for _ in range(128)]


class Built:
    """One source built on x86-native (its machine code) and on x86-unicorn (its exact count)."""

    def __init__(self, path: Path, values: list[int], name: str | None = None) -> None:
        kernel = get_kernel("insertion_sort")
        self.source = load_source(path, kernel, name=name)
        self.native = get_route("x86-native").build(self.source, kernel)
        counted = get_route("x86-unicorn").build(self.source, kernel)
        try:
            self.count = counted.executed(values)["instructions"]
        finally:
            counted.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def builds(values: list[int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Built]]:
    twin = tmp_path_factory.mktemp("twin") / "ai-x86-twin.s"
    shutil.copy(INDEX_LOOP, twin)
    found = {name: Built(path, values, name=name) for name, path in
             (("original", INDEX_LOOP), ("twin", twin), ("slowed", SLOWED), ("binary", BINARY))}
    yield found
    for built in found.values():
        built.native.close()  # type: ignore[attr-defined]


def reading(a: Built, b: Built, **time: Any) -> Any:
    return explain(time_ratio=time.get("ratio"), time_ci=time.get("ci"), executed_ratio=a.count / b.count,
                   same_code=identical_code(a.native, b.native), algorithms=(a.source.algorithm, b.source.algorithm))


def test_the_same_code_under_another_name_reads_as_identical_machine_code(builds: dict[str, Built]) -> None:
    found = reading(builds["twin"], builds["original"], ratio=0.9, ci=(0.85, 0.95))
    assert found.reading == IDENTICAL_CODE and found.executed_ratio == 1.0
    assert "noise or placement" in found.text  # a time difference between identical bytes explains nothing


def test_a_dependency_chain_reads_as_more_instructions_each_slower(builds: dict[str, Built]) -> None:
    slowed, original = builds["slowed"], builds["original"]
    found = reading(slowed, original)
    # Three multiplies on a shift step of seven instructions: well over the tolerance, under half again.
    assert found.reading == MORE and 1.2 < found.executed_ratio < 1.5
    tool = find_llvm_mca()
    if tool is None:
        pytest.skip("llvm-mca not found on PATH: the per-instruction half of this case needs its predicted cycles")
    route = get_route("x86-native")
    cycles = [cycles_of(inner_loop(render(b.native, route).code), tool) for b in (slowed, original)]
    assert None not in cycles
    predicted = cycles[0] / cycles[1]  # type: ignore[operator]
    # The chain is latency: the predicted time grows far more than the count, so each instruction costs more.
    with_cycles = reading(slowed, original, ratio=predicted, ci=(predicted, predicted))
    assert predicted > 2 * found.executed_ratio
    assert with_cycles.reading == MORE and "slower per instruction" in with_cycles.text


def test_another_algorithm_is_named_before_any_count(builds: dict[str, Built]) -> None:
    found = reading(builds["binary"], builds["original"], ratio=0.5, ci=(0.45, 0.55))
    assert found.reading == ANOTHER_ALGORITHM
    assert "binary insertion against linear insertion" in found.text and found.executed_ratio < 1


@pytest.mark.parametrize("ci, word", [((0.70, 0.80), "faster per instruction"), ((1.2, 1.3), "slower per instruction"),
                                      ((0.99, 1.01), "the same time per instruction")])
def test_the_same_count_in_another_time_is_read_per_instruction(ci: tuple[float, float], word: str) -> None:
    found = explain(time_ratio=sum(ci) / 2, time_ci=ci, executed_ratio=1.004, same_code=False)
    assert found.reading == f"{SAME_COUNT}, {word}"


def test_fewer_instructions_that_account_for_the_time_say_so() -> None:
    found = explain(time_ratio=0.5, time_ci=(0.495, 0.505), executed_ratio=0.5, same_code=False, code_ratio=0.8)
    assert found.reading == "fewer instructions" and "the count accounts for the time" in found.text
    assert "0.80x the size" in found.text


def test_listing_files_give_back_their_instructions_for_llvm_mca() -> None:
    body = ["insertion_sort:", "\t0x7f00  48 83 fe 01              cmp rsi, 1                         # line 17",
            ".Linner:", "\tmov\tecx, DWORD PTR -4[rax]", "\t0x7f04  75 eb                    jne .Linner   # line 31"]
    assert listing_code(body) == ["insertion_sort:", "cmp rsi, 1", ".Linner:", "mov\tecx, DWORD PTR -4[rax]",
                                  "jne .Linner"]


def test_every_headline_pair_of_a_saved_run_is_explained() -> None:
    analysis = analyse(json.loads(FIXTURE.read_text()), FIXTURE.stem)
    assert analysis.headline and all(h.explanation and h.reading for h in analysis.headline)
    wasm = [h for h in analysis.headline if h.substrate == "wasmtime"]
    # The saved run counted the AI's wasm at 1.39-1.44x the compiler's fuel: the reading follows the counts.
    assert wasm and all(h.reading == MORE for h in wasm)


def test_headline_explanations_carry_the_hot_loops_predicted_cycles_or_say_why_not() -> None:
    run = json.loads(FIXTURE.read_text())
    run["arena"]["listings"] = str(FIXTURE.parent / "asm")  # the listings the run wrote, kept beside it
    analysis = analyse(run, FIXTURE.stem)
    x86 = [h for h in analysis.headline if h.substrate in ("native x86-64", "wasmtime")]
    if find_llvm_mca() is None:
        assert "llvm-mca not found" in analysis.explanation_note
        assert all("llvm-mca" not in h.explanation for h in x86)
    else:
        assert analysis.explanation_note == ""
        assert x86 and all("cycles per iteration of the hot loop" in h.explanation for h in x86)

"""Why one build is faster than another: the executed work of the same two builds set against their time.

The time ratio alone says who is faster; the executed-instruction ratio of the
same two builds (Unicorn's exact count of the native bytes, the `-unicorn` twin
routes; wasm fuel in wasmtime for wasm) says whether it is because one does
less work or does the same work in fewer cycles per instruction:

- `identical machine code`: both sides run the same bytes; the time can differ
  only by noise or placement.
- `another algorithm`: the two implement different algorithms, so the counts
  differ by the algorithm before any code generation.
- `fewer instructions` / `more instructions`: the count differs by more than
  COUNT_TOLERANCE; the time per instruction (time ratio / count ratio, with the
  time's interval) then says whether the count accounts for the time.
- `same instructions, faster per instruction` (or slower, or the same time):
  the same count, so the difference is in how the instructions run (latency
  chains, branches, memory).

llvm-mca's predicted cycles per iteration of each side's innermost loop, where
llvm-mca is installed (it is optional), and the code size ratio are added as
evidence. Every reading is computed from the run's figures; none is written by
hand.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.measure.interleave import IDENTICAL, SAME_MARGIN

# Counts within this fraction of each other are the same work: the same loop on the same input can differ by a
# setup instruction or two, never by a share of the inner loop.
COUNT_TOLERANCE = 0.02

IDENTICAL_CODE = "identical machine code"
ANOTHER_ALGORITHM = "another algorithm"
FEWER = "fewer instructions"
MORE = "more instructions"
SAME_COUNT = "same instructions"
NOT_COUNTED = "not counted"


@dataclass(frozen=True)
class Explanation:
    reading: str  # one of the words above, with the per-instruction clause for SAME_COUNT
    text: str  # one sentence a reader takes in at once
    executed_ratio: float | None = None
    per_instruction: tuple[float, float] | None = None  # the time interval divided by the count ratio
    cycles: tuple[float, float] | None = None  # llvm-mca's cycles per loop iteration: (first side, second side)
    code_ratio: float | None = None


def _per_instruction_word(low: float, high: float) -> str:
    if high < 1.0:
        return "faster per instruction"
    if low > 1.0:
        return "slower per instruction"
    return "the same time per instruction" if low >= 1 / (1 + SAME_MARGIN) and high <= 1 + SAME_MARGIN else \
        "per-instruction cost unsure"


def explain(*, time_ratio: float | None, time_ci: tuple[float, float] | None, executed_ratio: float | None,
            same_code: bool, algorithms: tuple[str, str] = ("", ""), code_ratio: float | None = None,
            cycles: tuple[float, float] | None = None) -> Explanation:
    """The reading of a / b (ratios below 1: a is faster, executes less, is smaller)."""
    extras = []
    if cycles is not None:
        extras.append(f"llvm-mca predicts {cycles[0]:.1f} vs {cycles[1]:.1f} cycles per iteration of the hot loop")
    if code_ratio is not None:
        extras.append(f"code {code_ratio:.2f}x the size")
    tail = "; ".join(extras)

    def done(reading: str, text: str, per: tuple[float, float] | None = None) -> Explanation:
        return Explanation(reading, text + (f" ({tail})" if tail else ""), executed_ratio, per, cycles, code_ratio)

    if same_code:
        return done(IDENTICAL_CODE, "identical machine code: any difference in time is noise or placement")
    count = "" if executed_ratio is None else f"{executed_ratio:.2f}x the instructions"
    a_algorithm, b_algorithm = algorithms
    if a_algorithm and b_algorithm and a_algorithm != b_algorithm:
        return done(ANOTHER_ALGORITHM, f"another algorithm ({a_algorithm} against {b_algorithm})"
                    + (f": {count}" if count else ""))
    if executed_ratio is None:
        return done(NOT_COUNTED, "no executed count for this pair: the time alone decides")
    per = None
    if time_ratio is not None and time_ci is not None:
        per = (time_ci[0] / executed_ratio, time_ci[1] / executed_ratio)
    if abs(executed_ratio - 1) <= COUNT_TOLERANCE:
        if per is None:
            return done(SAME_COUNT, f"same instructions ({count})")
        word = _per_instruction_word(*per)
        return done(f"{SAME_COUNT}, {word}", f"same instructions ({count}), {word}", per)
    reading = FEWER if executed_ratio < 1 else MORE
    if per is None:
        return done(reading, f"{reading} ({count})")
    word = _per_instruction_word(*per)
    follows = "the count accounts for the time" if word == "the same time per instruction" else word
    return done(reading, f"{reading} ({count}), {follows}", per)


# --- the hot loop's predicted cycles ------------------------------------------------------------------------------


def loop_cycles(listing_path: Path, tool: str | None) -> float | None:
    """llvm-mca's cycles per iteration of a listing's innermost loop; None when there is no x86 loop to model."""
    from harness.asm import SUFFIX
    from harness.mca import inner_loop

    if tool is None or listing_path.suffix != SUFFIX["x86"] or not listing_path.is_file():
        return None
    # The header's comment lines fall away with every other comment.
    loop = inner_loop(listing_code(listing_path.read_text(errors="replace").splitlines()))
    return cycles_of(loop, tool) if loop else None


# A disassembled line of a listing file: address, the bytes, the instruction, then the source line it came from.
_ADDRESSED = re.compile(r"^\s*0x[0-9a-fA-F]+\s+(?:[0-9a-fA-F]{2} )*[0-9a-fA-F]{2}\s+(.*?)\s*(?:#.*)?$")


def listing_code(body: Sequence[str]) -> list[str]:
    """The labels and instructions of a listing file's body, without addresses, bytes or comments."""
    out = []
    for line in body:
        found = _ADDRESSED.match(line)
        text = found.group(1) if found else line.split("#")[0].strip()
        if text:
            out.append(text)
    return out


def cycles_of(loop: Sequence[str], tool: str) -> float | None:
    """Cycles per iteration of `loop` (Intel syntax), as llvm-mca models it repeated (harness.mca.run_mca)."""
    from harness.mca import run_mca

    return run_mca(loop, tool).total_cycles()


def _cycles_pair(a: Any, b: Any, listings: str | None, tool: str | None, cache: dict[str, float | None]
                 ) -> tuple[float, float] | None:
    if tool is None or not listings or not a.listing or not b.listing:
        return None
    found = []
    for row in (a, b):
        if row.listing not in cache:
            cache[row.listing] = loop_cycles(Path(listings) / row.listing, tool)
        found.append(cache[row.listing])
    return (found[0], found[1]) if None not in found else None  # type: ignore[return-value]


def attach(analysis: Any) -> str:
    """Set the explanation of every headline pair and every supplied comparison; returns why llvm-mca's figures
    are missing ("" when it ran)."""
    from harness.report.headline import executed_total, same_code
    from harness.mca import find_llvm_mca

    tool = find_llvm_mca()
    skipped = "" if tool else "llvm-mca not found on PATH: hot-loop cycles skipped"
    cache: dict[str, float | None] = {}
    by_label = {(r.kernel, r.substrate, r.n, r.shape, r.label): r for r in analysis.rows}

    def reading(a: Any, b: Any, time_ratio: float | None, ci: Any) -> Explanation:
        total_a, total_b = executed_total(a, analysis.rows), executed_total(b, analysis.rows)
        executed = total_a / total_b if total_a is not None and total_b else None
        return explain(time_ratio=time_ratio, time_ci=tuple(ci) if ci else None, executed_ratio=executed,
                       same_code=same_code(a, b), algorithms=(a.algorithm, b.algorithm),
                       code_ratio=a.code_bytes / b.code_bytes if a.code_bytes and b.code_bytes else None,
                       cycles=_cycles_pair(a, b, analysis.listings, tool, cache))

    for h in analysis.headline:
        a = by_label.get((h.kernel, h.substrate, h.n, "random", h.ai))
        b = by_label.get((h.kernel, h.substrate, h.n, "random", h.compiler))
        if a is None or b is None:
            continue
        found = reading(a, b, h.time_ratio, h.time_ci)
        if h.verdict == IDENTICAL:  # decided by the code identity, which the reading shares
            found = explain(time_ratio=None, time_ci=None, executed_ratio=found.executed_ratio, same_code=True,
                            code_ratio=found.code_ratio, cycles=found.cycles)
        h.reading, h.explanation = found.reading, found.text
    kernel_of = {}
    for r in analysis.rows:
        kernel_of.setdefault((r.variant, r.route, r.n, r.shape), r)
    for c in (analysis.supplied or {}).get("comparisons", []):
        a = kernel_of.get((c["variant"], c["route"], c["n"], c["shape"]))
        b = next((r for r in analysis.rows if a is not None and r.label == c.get("compiler")
                  and (r.kernel, r.substrate, r.n, r.shape) == (a.kernel, a.substrate, a.n, a.shape)), None)
        if a is None or b is None:
            continue
        found = reading(a, b, c.get("time_ratio"), c.get("ci"))
        c["reading"], c["explanation"] = found.reading, found.text
    return skipped

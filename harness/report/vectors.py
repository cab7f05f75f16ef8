"""What vector width buys: per kernel and n, the best scalar and the best vector build, of compilers and of
AI-written code, on each baseline substrate against its host-tuned one (this CPU's vector units, wasm SIMD), and
the best of either.

Whether a build is vector code is read from its code (targets.vector_width), not from what its route or header
intends: a compiler build that did not vectorize is scalar whatever flags it had.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.measure.interleave import LEVEL
from harness.report.formatting import fmt_time
from harness.report.headline import base_cost, time_comparison
from targets.base import HOST_SUBSTRATES, SUBSTRATES

# (what runs the code, its baseline substrate, its host-tuned one)
PLATFORMS = (
    ("native x86-64", SUBSTRATES["native"], HOST_SUBSTRATES["native"]),
    ("wasmtime", SUBSTRATES["wasm"], HOST_SUBSTRATES["wasm"]),
    ("V8", "V8 (node)", "V8 (node), SIMD128"),
)
KINDS = ("compiler", "AI-written")
CODES = ("scalar", "vector", "any")


def _kind(row: Any) -> str | None:
    if row.compiler_source:
        return "compiler"
    return "AI-written" if row.origin == "ai" else None


def _best(rows: Sequence[Any]) -> Any | None:
    return min(rows, key=base_cost, default=None)  # as the headline picks the fastest build


def _width(row: Any) -> str:
    return row.vector_width.split(" ", 1)[0] if row.vector_width else "scalar"


def _cell(row: Any | None) -> str:
    return f"{row.label} {fmt_time(row.median)} ({_width(row)})" if row is not None else "none"


def comparisons(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Per kernel, n, platform, kind of author and scalar or vector code (random input): the best baseline row,
    the best host-tuned row, and host / baseline with its interval and verdict where both exist."""
    timed = [r for r in rows if r.shape == "random" and r.timing != "emulated" and _kind(r) is not None]
    out = []
    for kernel in sorted({r.kernel for r in timed if r.substrate in {h for _, _, h in PLATFORMS}}):
        for n in sorted({r.n for r in timed if r.kernel == kernel}):
            for platform, base, host in PLATFORMS:
                for kind in KINDS:
                    for code in CODES:
                        here = [r for r in timed if (r.kernel, r.n, _kind(r)) == (kernel, n, kind)
                                and code in ("any", "vector" if r.vector_width else "scalar")]
                        b = _best([r for r in here if r.substrate == base])
                        h = _best([r for r in here if r.substrate == host])
                        if b is None and h is None:
                            continue
                        entry = {"kernel": kernel, "n": n, "platform": platform, "kind": kind, "code": code,
                                 "baseline": b, "host": h, "ratio": None, "low": None, "high": None, "verdict": ""}
                        if b is not None and h is not None:
                            ratio, ci, verdict = time_comparison(h, b)
                            entry.update(ratio=ratio, low=ci[0] if ci else None, high=ci[1] if ci else None,
                                         verdict=verdict)
                        out.append(entry)
    return out


def markdown(analysis: Any) -> list[str]:
    found = comparisons(analysis.rows)
    if not found:
        return []
    out = ["## What vector width buys: baseline against this CPU", "",
           "Per kernel and n, the best scalar and the best vector build of compilers and of AI-written code on each "
           "baseline substrate (x86-64 for any machine, wasm without SIMD) and on its host-tuned one (this CPU's "
           "vector units, wasm SIMD). Vector or scalar is read from the code that ran (its widest vector register "
           "or v128), the width in brackets. `host / baseline` below 1: the host-tuned build is faster; `faster` "
           f"and `slower` only when the whole {LEVEL} interval clears 1. `any`: the best build whatever its code.", "",
           f"| kernel | n | platform | author | code | best baseline | best host-tuned | host / baseline [{LEVEL} CI] | "
           "verdict |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for e in found:
        ratio = "" if e["ratio"] is None else f"{e['ratio']:.3f}" + (
            f" [{e['low']:.3f}, {e['high']:.3f}]" if e["low"] is not None else "")
        out.append(f"| {e['kernel']} | {e['n']} | {e['platform']} | {e['kind']} | {e['code']} | {_cell(e['baseline'])} | "
                   f"{_cell(e['host'])} | {ratio} | {e['verdict']} |")
    return [*out, ""]

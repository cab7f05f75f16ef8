"""Deterministic metrics (instructions executed, wasm operators) are identical from run to run and build to build."""
from __future__ import annotations

import pytest

from harness.bench import workload
from kernels.kernel import get_kernel
from harness.source import discover
from targets import routes_for

KERNEL = get_kernel("insertion_sort")
# Routes that time native code count nothing themselves; their code is counted by its -unicorn route.
PAIRS = [(s, r) for s in discover(KERNEL) for r in routes_for(s.language) if r.counts]


@pytest.mark.parametrize("source, route", PAIRS, ids=[f"{s.name}/{r.name}" for s, r in PAIRS])
def test_executed_counts_repeat_exactly(source, route) -> None:  # type: ignore[no-untyped-def]
    values = workload(64, "random")
    first = route.build(source, KERNEL)
    counts = first.executed(values)
    again = first.executed(values)
    first.close()
    second = route.build(source, KERNEL)
    fresh = second.executed(values)
    bigger = second.executed(workload(128, "random"))
    second.close()
    assert counts and counts == again == fresh
    assert all(v > 0 for v in counts.values())
    assert all(bigger[k] > counts[k] for k in counts)

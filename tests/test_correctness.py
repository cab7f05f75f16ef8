"""Every variant on every route, against the reference: the fixed, exhaustive, random and large inputs,
then a hypothesis property test on the same built code."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.measure.bench import Workbench
from harness.check import Report
from harness.inputs import correctness_cases
from kernels.kernel import Kernel
from targets.variant_source import Source
from kernels.interface import Interface
from kernels.cases import INT32_MAX, INT32_MIN
from targets.base import Built, Target

int32_arrays = st.lists(st.integers(INT32_MIN, INT32_MAX), max_size=300) | st.lists(
    st.integers(-3, 3), max_size=60
)


@pytest.fixture(scope="module")
def checked(variant_route: tuple[Kernel, Source, Target], workbench: Workbench) -> Report:
    return workbench.checked(*variant_route)


@pytest.fixture(scope="module")
def built(variant_route: tuple[Kernel, Source, Target], checked: Report) -> Iterator[Built]:
    kernel, source, route = variant_route
    if not checked.passed:
        what = "skipped by" if checked.verdict == "skip" else "failed"
        pytest.skip(f"{what} the correctness check, not run in-process: {checked.message.splitlines()[0]}")
    artifact = route.build(source, kernel)
    yield artifact
    artifact.close()


def test_sorts_like_the_reference(variant_route: tuple[Kernel, Source, Target], checked: Report) -> None:
    if checked.verdict == "skip":
        pytest.skip(checked.message)
    assert checked.verdict == "pass", checked.message
    # Every input of the kernel's own cases, none skipped.
    assert checked.inputs_checked == len(correctness_cases(variant_route[0].interface))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_sorted_permutation(
    variant_route: tuple[Kernel, Source, Target], built: Built, data: st.DataObject
) -> None:
    kernel = variant_route[0]
    interface = kernel.interface
    assert interface is not None
    # Native code runs only in its build's sandboxed child, here too: a --variants file is anybody's code.
    if not interface.is_sort_shaped:
        values = data.draw(_several_arrays(interface))
        call = built.call_sandboxed if variant_route[2].native else built.call  # type: ignore[attr-defined]
        assert call(values) == interface.expected(values)
        return
    # A fixed-length kernel gets arrays of its own length only, with the same value ranges.
    fixed = interface.fixed_length
    values = data.draw(int32_arrays if fixed is None else (
        st.lists(st.integers(INT32_MIN, INT32_MAX), min_size=fixed, max_size=fixed)
        | st.lists(st.integers(-3, 3), min_size=fixed, max_size=fixed)))
    run = built.run_sandboxed if variant_route[2].native else built.run  # type: ignore[attr-defined]
    assert run(values) == kernel.reference(values)


def _several_arrays(interface: Interface) -> st.SearchStrategy:
    """One input of every array argument, each over its element type's whole range or a narrow one around its
    low end (ties, small sums), all arrays that take a length as long as each other."""
    def arrays(n: int) -> st.SearchStrategy:
        each = [st.lists(st.integers(a.type.low, a.type.high) | st.integers(a.type.low, a.type.low + 3)
                         | st.sampled_from((a.type.low, a.type.high)), min_size=a.length or n, max_size=a.length or n)
                for a in interface.arrays]
        return each[0] if len(each) == 1 else st.tuples(*each)  # one array: the input is the array itself
    return st.integers(0, 300).flatmap(arrays)

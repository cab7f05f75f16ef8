from __future__ import annotations

from pathlib import Path

import pytest

from harness.kernel import Kernel, all_kernels
from harness.source import Source, discover
from targets import routes_for
from targets.base import Target

REPO = Path(__file__).resolve().parent.parent
BAD_INPUTS = REPO / "tests" / "bad_inputs"


def matrix(config: pytest.Config) -> list[tuple[Kernel, Source, Target]]:
    """Every (kernel, variant, route) pair: the repo's variants and those of any --variants DIR."""
    extra = [Path(d) for d in config.getoption("--variants")]
    return [
        (kernel, source, route)
        for kernel in all_kernels().values()
        for source in discover(kernel, extra)
        for route in routes_for(source.language)
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "variant_route" in metafunc.fixturenames:
        pairs = matrix(metafunc.config)
        metafunc.parametrize(
            "variant_route", pairs, ids=[f"{k.name}/{s.name}/{r.name}" for k, s, r in pairs], scope="module"
        )

"""Top-level conftest: puts the repository on sys.path and adds the arena's pytest options."""
from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("arena")
    group.addoption(
        "--variants",
        action="append",
        default=[],
        metavar="DIR",
        help="also check (and benchmark) every variant file in DIR, without copying it into the repo",
    )

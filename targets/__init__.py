"""The route registry: every module in this package lists its routes in `ROUTES`.

A new target is one module here; a new route of an existing target is one more
instance in that module's `ROUTES`. All names are checked when the registry is
first read: every duplicate is reported at once, then it fails.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from kernels.kernel import UnknownName
from targets.base import Target

_NOT_TARGETS = {"base", "native"}


@cache
def all_routes() -> dict[str, Target]:
    routes: dict[str, Target] = {}
    duplicates: list[str] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name in _NOT_TARGETS:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for route in getattr(module, "ROUTES", ()):
            if route.name in routes:
                duplicates.append(f"{route.name} ({info.name} and {type(routes[route.name]).__module__})")
            routes[route.name] = route
    if duplicates:
        raise RuntimeError("duplicate route names: " + "; ".join(duplicates))
    return routes


def get_route(name: str) -> Target:
    routes = all_routes()
    if name not in routes:
        raise UnknownName("route", name, list(routes))
    return routes[name]


def routes_for(language: str) -> list[Target]:
    return [route for route in all_routes().values() if route.language == language]

"""The route registry: every module in this package and its subpackages lists its routes in `ROUTES`.

A new target is one module in the family it belongs to (targets/native/, targets/wasm/,
targets/x86/); a new route of an existing target is one more instance in that module's
`ROUTES`. All names are checked when the registry is first read: every duplicate is
reported at once, then it fails.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from kernels.kernel import UnknownName
from targets.base import Target

# The order routes are listed and reported in; a route module not named here comes after these, by name.
_ORDER = (
    "native.c_cffi",
    "native.llvm_jit",
    "x86.unicorn_compiled",
    "wasm.wasmtime_route",
    "wasm.compiled",
    "wasm.v8_route",
    "x86.native_route",
    "x86.unicorn_route",
)


def _route_modules() -> list[str]:
    names = [info.name.removeprefix(f"{__name__}.") for info in pkgutil.walk_packages(__path__, f"{__name__}.")
             if not info.ispkg and not info.name.rpartition(".")[2].startswith("_")]
    return sorted(names, key=lambda name: (_ORDER.index(name) if name in _ORDER else len(_ORDER), name))


@cache
def all_routes() -> dict[str, Target]:
    routes: dict[str, Target] = {}
    duplicates: list[str] = []
    for name in _route_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        for route in getattr(module, "ROUTES", ()):
            if route.name in routes:
                duplicates.append(f"{route.name} ({name} and {type(routes[route.name]).__module__})")
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

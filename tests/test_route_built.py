"""A built artifact is complete when its route makes it: what describes it is there at construction, and a route
(or anything else) that changes it afterwards is refused, so reports read the artifact as it was made."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from harness.variants import load_source
from kernels.insertion_sort import KERNEL
from targets import all_routes, get_route
from targets.base import Built, LateChange, Unavailable
from targets.wasm.wasmtime_route import WasmBuilt, WasmtimeTarget

# One source of the kernel per language, so every route builds something.
SOURCES = {
    "c": KERNEL.directory / "insertion_sort.c",
    "llvm": KERNEL.directory / "insertion_sort.ll",
    "wat": KERNEL.directory / "variants" / "ai-wat-index-loop.wat",
    "x86": KERNEL.directory / "variants" / "ai-x86-index-loop.s",
}


def build(route_name: str, path: Path | None = None) -> Built:
    route = get_route(route_name)
    try:
        return route.build(load_source(path or SOURCES[route.language], KERNEL), KERNEL)
    except Unavailable as exc:
        pytest.skip(f"{route_name}: {exc}")


def describing(built: Built) -> list[str]:
    """The public attributes the artifact holds (its dataclass fields and what its constructor set)."""
    names = {f.name for f in fields(built)} | set(vars(built))
    return sorted(n for n in names if not n.startswith("_") and n not in type(built).runtime_state)


@pytest.mark.parametrize("route_name", list(all_routes()))
def test_every_route_makes_its_artifact_whole(route_name: str) -> None:
    # A route that set anything on its artifact after making it fails here, in build(), with LateChange.
    built = build(route_name)
    try:
        route = get_route(route_name)
        assert built.route == route_name and built.kernel is KERNEL
        assert built.source.path == SOURCES[route.language]
        assert built.host_tuned == route.host_tuned
        assert "build" in built.phases
        assert isinstance(built.notes, tuple)
        stages, default = built.stages()
        assert default in stages
        assert built.code_bytes and built.code_bytes > 0
        assert built.entry == "insertion_sort"  # the same field on every route, whatever its code is
    finally:
        built.close()


@pytest.mark.parametrize("route_name", list(all_routes()))
def test_no_describing_attribute_changes_once_made(route_name: str) -> None:
    built = build(route_name)
    try:
        names = describing(built)
        assert {"source", "route", "kernel", "notes", "host_tuned", "phases", "entry"} <= set(names)
        for name in names:
            before = getattr(built, name)
            with pytest.raises(LateChange, match=rf"\.{name} describes the built artifact of {route_name}"):
                setattr(built, name, None)
            with pytest.raises(LateChange):
                delattr(built, name)
            assert getattr(built, name) is before
    finally:
        built.close()


def test_run_time_state_stays_writable() -> None:
    built = build("wasmtime")
    try:
        assert built.run([3, -1, 2]) == [-1, 2, 3]  # the run itself sets fuel_used, base, instantiations
        assert isinstance(built, WasmBuilt) and built.fuel_used and built.instantiations == 1
        built._store = None  # private state: the next call makes a fresh instance
        assert built.run([2, 1]) == [1, 2] and built.instantiations == 2
    finally:
        built.close()


class _PatchingRoute(WasmtimeTarget):
    """A route of the old kind: it makes its artifact, then patches what describes it."""

    def build(self, source, kernel):  # type: ignore[no-untyped-def]
        built = super().build(source, kernel)
        built.notes = ("patched after construction",)
        return built


def test_a_route_that_patches_its_artifact_is_refused() -> None:
    route = _PatchingRoute("patching", "WAT, with notes set after the artifact was made")
    with pytest.raises(LateChange, match=r"WasmBuilt\.notes describes the built artifact of patching"):
        route.build(load_source(SOURCES["wat"], KERNEL), KERNEL)

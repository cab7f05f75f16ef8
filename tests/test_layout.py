"""The package layout: dependencies run one way (kernels <- targets <- harness), no import cycles, short modules,
families in their own packages and no two modules with the same file name.

Every import statement counts, wherever it sits (a function-level import is a
dependency too; deferring it only hides a cycle). The walk reads the source
with `ast`, so nothing is imported to check it.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import REPO

PACKAGES = ("kernels", "targets", "harness")
# A package may import only the packages listed before it.
LAYER = {name: i for i, name in enumerate(PACKAGES)}
MAX_LINES = 500


def module_files() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is one of our modules."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {m for a in node.names if (m := _resolve(a.name, modules))}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                if m := _resolve(f"{base}.{alias.name}", modules) or _resolve(base, modules):
                    found.add(m)
    found.discard(module)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def back_edges(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{source} imports {target}"
        for source, targets in graph.items()
        for target in targets
        if LAYER[target.split(".")[0]] > LAYER[source.split(".")[0]]
    )


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def shared_file_names(paths: list[Path]) -> dict[str, list[str]]:
    """File names (other than `__init__.py`) that more than one module has, with where each lives."""
    by_name: dict[str, list[str]] = {}
    for path in paths:
        if path.name != "__init__.py":
            by_name.setdefault(path.name, []).append(str(path.relative_to(REPO)))
    return {name: where for name, where in by_name.items() if len(where) > 1}


def family_strays(root: Path) -> list[str]:
    """Modules left beside a family's package, named for it: `targets/wasm_extra.py` next to `targets/wasm/`."""
    strays = []
    for package in sorted(p for p in root.rglob("__init__.py")):
        folder = package.parent
        for module in sorted(folder.glob("*.py")):
            family = folder / module.stem.split("_")[0]
            if not module.stem.startswith("_") and module.stem != family.name and (family / "__init__.py").exists():
                strays.append(str(module.relative_to(root.parent)))
    return strays


def test_no_two_modules_share_a_file_name() -> None:
    assert shared_file_names(list(module_files().values())) == {}


def test_a_family_module_lives_in_its_package() -> None:
    for package in PACKAGES:
        assert family_strays(REPO / package) == []


def test_subpackage_init_holds_only_a_docstring() -> None:
    """targets/native/, harness/report/ and the like only group modules; they define and re-export nothing."""
    for package in ("targets", "harness"):
        for init in sorted((REPO / package).glob("*/__init__.py")):
            body = ast.parse(init.read_text()).body
            assert len(body) == 1 and isinstance(body[0], ast.Expr), f"{init.relative_to(REPO)} holds more than a docstring"


def test_the_layout_checks_catch_what_they_guard(tmp_path: Path) -> None:
    paths = [REPO / "targets" / "x" / "listing.py", REPO / "harness" / "listing.py", REPO / "targets" / "__init__.py"]
    assert shared_file_names(paths) == {"listing.py": ["targets/x/listing.py", "harness/listing.py"]}
    root = tmp_path / "targets"
    for name in ("__init__.py", "wasm/__init__.py", "wasm/compiled.py", "wasm_extra.py", "base.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    assert family_strays(root) == ["targets/wasm_extra.py"]


def test_the_walk_sees_every_package_and_real_edges() -> None:
    graph = import_graph()
    assert {name.split(".")[0] for name in graph} == set(PACKAGES)
    assert "targets.base" in graph["targets.native.c_cffi"]
    assert "kernels.interface" in graph["kernels.kernel"]


def test_dependencies_run_one_way() -> None:
    assert back_edges(import_graph()) == []


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_the_checks_catch_what_they_guard() -> None:
    graph = {"kernels.a": {"targets.b"}, "targets.b": {"harness.c"}, "harness.c": {"targets.b"}}
    assert back_edges(graph) == ["kernels.a imports targets.b", "targets.b imports harness.c"]
    assert cycles(graph) == [["harness.c", "targets.b"]]


def test_relative_and_function_level_imports_count(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from .base import Built\n    import harness.check\n")
    modules = {"targets.m": path, "targets.base": path, "harness.check": path}
    assert imports_of("targets.m", path, modules) == {"targets.base", "harness.check"}


@pytest.mark.parametrize("module", sorted(module_files()))
def test_module_is_short(module: str) -> None:
    lines = len(module_files()[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it along a natural seam"

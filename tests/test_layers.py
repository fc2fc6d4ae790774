"""The layers of the README's diagram, as the code imports them: each may use only those below.

HTTP comes in through the pages or the routes, both call the use cases; the service talks to
Temporal with the workflows' contracts and never runs an activity; activities do the I/O with
core; the workflows are deterministic and reach activities only by reference.
"""

import ast
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT

# What each package (or sub-package) may import from the project, per the diagram.
MAY_IMPORT: dict[str, set[str]] = {
    "workflows": {"workflows", "activities"},
    "core": {"core", "workflows"},
    "activities": {"activities", "core", "workflows"},
    "service.use_cases": {"service", "core", "workflows"},
    "service.routes": {"service", "core", "workflows"},
    "service.pages": {"service", "core", "workflows"},
    "service": {"service", "core", "workflows"},
}
# Within the service: the pages and the routes stand side by side over the use cases.
MAY_NOT_IMPORT: dict[str, set[str]] = {
    "service.pages": {"service.routes"},
    "service.routes": {"service.pages"},
    "service.use_cases": {"service.routes", "service.pages"},
}
PROJECT_PACKAGES = {"workflows", "core", "activities", "service", "cli"}


def _imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {module for module in modules if module.split(".")[0] in PROJECT_PACKAGES}


def _layer_of(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    for depth in (2, 1):
        name = ".".join(parts[:depth])
        if name in MAY_IMPORT:
            return name
    raise AssertionError(f"{path} is in no layer")


def _modules(package: str) -> list[Path]:
    return sorted((PROJECT_ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", ["workflows", "core", "activities", "service"])
def test_each_layer_imports_only_the_layers_below_it(package: str) -> None:
    modules = _modules(package)
    assert len(modules) > 3
    for path in modules:
        layer = _layer_of(path)
        imported = _imported_modules(path.read_text())
        outside = {m for m in imported if m.split(".")[0] not in MAY_IMPORT[layer]}
        assert outside == set(), f"{path.relative_to(PROJECT_ROOT)} imports {sorted(outside)}"
        barred = MAY_NOT_IMPORT.get(layer, set())
        crossing = {m for m in imported if any(m.startswith(b) for b in barred)}
        assert crossing == set(), f"{path.relative_to(PROJECT_ROOT)} imports {sorted(crossing)}"


def test_the_check_sees_a_page_importing_a_route() -> None:
    imported = _imported_modules("from service.routes import pilots\n")
    assert {m for m in imported if m.startswith("service.routes")} == {
        "service.routes",
        "service.routes.pilots",
    }

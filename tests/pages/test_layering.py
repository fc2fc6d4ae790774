"""The pages stand beside the API: they call the use cases, never the API's route functions."""

import ast

from core.settings import PROJECT_ROOT


def _imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return modules


def test_no_page_module_imports_the_api_s_routes() -> None:
    pages = sorted((PROJECT_ROOT / "service" / "pages").glob("*.py"))
    assert len(pages) > 10
    for path in pages:
        imported = _imported_modules(path.read_text())
        assert not {m for m in imported if m.startswith("service.routes")}, path.name

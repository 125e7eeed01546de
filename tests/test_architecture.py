"""The layer rules of DESIGN.md section 3, enforced by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "resolutionflow_app"
APP = "resolutionflow_app"

# layer -> prefixes it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "domain": ("reflex", "sqlmodel", "sqlalchemy", "httpx", "openai", "mcp", "fastapi", f"{APP}.db", f"{APP}.services", f"{APP}.integrations", f"{APP}.api", f"{APP}.state", f"{APP}.pages", f"{APP}.components"),
    "db": ("reflex", "httpx", "fastapi", f"{APP}.services", f"{APP}.integrations", f"{APP}.api", f"{APP}.state", f"{APP}.pages", f"{APP}.components"),
    "services": ("reflex", "fastapi", f"{APP}.api", f"{APP}.state", f"{APP}.pages", f"{APP}.components"),
    "integrations": ("reflex", "fastapi", f"{APP}.services", f"{APP}.api", f"{APP}.state", f"{APP}.pages", f"{APP}.components"),
    "entry": ("reflex", "fastapi", f"{APP}.api", f"{APP}.state", f"{APP}.pages", f"{APP}.components"),
    "api": ("reflex", f"{APP}.state", f"{APP}.pages", f"{APP}.components"),
    "state": (f"{APP}.pages", f"{APP}.api"),
    "components": (f"{APP}.services", f"{APP}.db", f"{APP}.pages", f"{APP}.api", "sqlmodel", "sqlalchemy"),
    "pages": (f"{APP}.api",),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    problems = []
    for path in _modules(layer):
        for name in _imports(path):
            for bad in FORBIDDEN[layer]:
                if name == bad or name.startswith(bad + "."):
                    problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not problems, "\n".join(problems)


def test_pages_never_import_another_page() -> None:
    problems = []
    for path in _modules("pages"):
        for name in _imports(path):
            if name.startswith(f"{APP}.pages."):
                problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not problems, "\n".join(problems)


def test_every_module_has_a_docstring() -> None:
    missing = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if ast.get_docstring(ast.parse(p.read_text())) is None]
    assert not missing, f"modules without a docstring: {missing}"


def test_the_architecture_check_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('"""x."""\nimport sqlmodel\nfrom resolutionflow_app.services import auth\n')
    assert "sqlmodel" in _imports(bad) and f"{APP}.services" in _imports(bad)

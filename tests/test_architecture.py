"""The layer rules of DESIGN.md section 3, enforced by walking every module's imports (relative ones too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "resolutionflow_app"
APP = "resolutionflow_app"

# Pages and states reach data only through the entry point (`AuthState.call` -> `entry.call`): no
# DB session, no ORM, no user lookup and no rate limiter of their own.
_UI_NO_DATA = (f"{APP}.db", "sqlmodel", "sqlalchemy", f"{APP}.domain.rate_limit")

# layer -> prefixes it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "domain": (
        "reflex",
        "sqlmodel",
        "sqlalchemy",
        "httpx",
        "openai",
        "mcp",
        "fastapi",
        f"{APP}.db",
        f"{APP}.services",
        f"{APP}.integrations",
        f"{APP}.api",
        f"{APP}.state",
        f"{APP}.pages",
        f"{APP}.components",
    ),
    "db": (
        "reflex",
        "httpx",
        "fastapi",
        f"{APP}.services",
        f"{APP}.integrations",
        f"{APP}.api",
        f"{APP}.state",
        f"{APP}.pages",
        f"{APP}.components",
    ),
    "services": ("reflex", "fastapi", f"{APP}.api", f"{APP}.state", f"{APP}.pages", f"{APP}.components"),
    "integrations": (
        "reflex",
        "fastapi",
        f"{APP}.services",
        f"{APP}.api",
        f"{APP}.state",
        f"{APP}.pages",
        f"{APP}.components",
    ),
    "entry": ("reflex", "fastapi", f"{APP}.api", f"{APP}.state", f"{APP}.pages", f"{APP}.components"),
    "api": ("reflex", f"{APP}.state", f"{APP}.pages", f"{APP}.components"),
    "state": (f"{APP}.pages", f"{APP}.api", *_UI_NO_DATA),
    "components": (f"{APP}.services", f"{APP}.db", f"{APP}.pages", f"{APP}.api", "sqlmodel", "sqlalchemy"),
    "pages": (f"{APP}.api", *_UI_NO_DATA),
    # The desktop shell starts the app as a separate server: it never imports the UI or the API.
    "desktop": ("reflex", f"{APP}.api", f"{APP}.state", f"{APP}.pages", f"{APP}.components"),
}

# TEMPORARY EXCEPTIONS: a page being moved to the entry point may be listed here with the prefixes
# it may still import. Every page is converted now; `test_allow_list_has_no_stale_entries` fails when
# an entry is no longer needed, so the list cannot hide a regression.
PENDING_ENTRY_CONVERSION: dict[str, tuple[str, ...]] = {}


def _package_of(path: Path, root: Path) -> list[str]:
    """The dotted package a module lives in, e.g. ['resolutionflow_app', 'pages']."""
    # pkg/a/b.py and pkg/a/__init__.py both live in package pkg.a.
    return list(path.relative_to(root.parent).with_suffix("").parts[:-1])


def _imports(path: Path, root: Path = PACKAGE) -> list[str]:
    """Every module `path` imports, as absolute dotted names: `import x`, `from x import y` (also
    `x.y`, which may be a submodule), relative `from ..db import z` resolved against `root`, and
    `importlib.import_module("x")` / `__import__("x")` with a literal name."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(path, root)
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.append(module)
            names.extend(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__"):
                names.append(node.args[0].value)
    return names


def _modules(layer: str, root: Path = PACKAGE) -> list[Path]:
    return sorted((root / layer).rglob("*.py"))


def layer_problems(layer: str, root: Path = PACKAGE, allowed: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """Imports in `layer` that its rules forbid (minus the allow-list's temporary exceptions)."""
    allowed = PENDING_ENTRY_CONVERSION if allowed is None else allowed
    problems = []
    for path in _modules(layer, root):
        rel = str(path.relative_to(root))
        for name in sorted(set(_imports(path, root))):
            for bad in FORBIDDEN[layer]:
                if (name == bad or name.startswith(bad + ".")) and bad not in allowed.get(rel, ()):
                    problems.append(f"{rel} imports {name}")
    return problems


def own_user_lookups(root: Path = PACKAGE, allowed: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """Pages/states that look the user up themselves (`self.actor(session)`) instead of `self.call(...)`."""
    allowed = PENDING_ENTRY_CONVERSION if allowed is None else allowed
    found = []
    for layer in ("pages", "state"):
        for path in _modules(layer, root):
            rel = str(path.relative_to(root))
            if rel in allowed:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "actor":
                    found.append(f"{rel}:{node.lineno} calls .actor(...)")
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    problems = layer_problems(layer)
    assert not problems, "\n".join(problems)


def test_pages_and_states_do_not_look_up_the_user_themselves() -> None:
    found = own_user_lookups()
    assert not found, "\n".join(found)


def test_allow_list_has_no_stale_entries() -> None:
    """An allow-listed file that no longer needs its exception must leave the list (so it cannot regress)."""
    stale = []
    for rel, prefixes in PENDING_ENTRY_CONVERSION.items():
        path = PACKAGE / rel
        if not path.exists():
            stale.append(f"{rel} (file gone)")
            continue
        names = _imports(path)
        stale.extend(f"{rel}: {bad}" for bad in prefixes if not any(n == bad or n.startswith(bad + ".") for n in names))
    assert not stale, "remove from PENDING_ENTRY_CONVERSION: " + ", ".join(stale)


def test_pages_never_import_another_page() -> None:
    problems = []
    for path in _modules("pages"):
        for name in _imports(path):
            if name.startswith(f"{APP}.pages."):
                problems.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not problems, "\n".join(problems)


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if ast.get_docstring(ast.parse(p.read_text())) is None
    ]
    assert not missing, f"modules without a docstring: {missing}"


# ---------------------------------------------------------------- the checks catch what they should

_RULES = [(layer, bad) for layer, bads in sorted(FORBIDDEN.items()) for bad in bads]


def _plant(tmp_path: Path, layer: str, source: str) -> Path:
    root = tmp_path / APP
    (root / layer).mkdir(parents=True)
    (root / "__init__.py").write_text('"""x."""\n')
    (root / layer / "__init__.py").write_text('"""x."""\n')
    (root / layer / "planted.py").write_text('"""A planted violation."""\n' + source)
    return root


def _variants(bad: str) -> list[str]:
    """Ways to import `bad`: absolute, from-import, and (inside the app) relative and `from .. import`."""
    head, _, tail = bad.rpartition(".")
    out = [f"import {bad}\n", f"from {bad} import something\n"]
    if head:
        out.append(f"from {head} import {tail}\n")
    if bad.startswith(APP + "."):
        inner = bad[len(APP) + 1 :]
        out.append(f"from ..{inner} import something\n")
        inner_head, _, inner_tail = inner.rpartition(".")
        out.append(f"from ..{inner_head} import {inner_tail}\n" if inner_head else f"from .. import {inner_tail}\n")
    return out


@pytest.mark.parametrize(("layer", "bad"), _RULES, ids=[f"{layer}-x-{bad}" for layer, bad in _RULES])
def test_each_rule_fails_on_a_planted_violation(tmp_path: Path, layer: str, bad: str) -> None:
    for i, source in enumerate(_variants(bad)):
        root = _plant(tmp_path / str(i), layer, source)
        problems = layer_problems(layer, root, allowed={})
        assert problems, f"the {layer} rule against {bad} missed: {source!r}"


def test_a_planted_pages_to_db_import_fails_the_real_rule(tmp_path: Path) -> None:
    root = _plant(tmp_path, "pages", "from ..db.engine import session_scope\n")
    assert layer_problems("pages", root, allowed={}) == [
        "pages/planted.py imports resolutionflow_app.db.engine",
        "pages/planted.py imports resolutionflow_app.db.engine.session_scope",
    ]
    # The allow-list exempts only the files it names.
    assert layer_problems("pages", root, allowed={"pages/other.py": (f"{APP}.db",)})


def test_dynamic_imports_are_seen(tmp_path: Path) -> None:
    root = _plant(tmp_path, "state", 'import importlib\nimportlib.import_module("resolutionflow_app.db.engine")\n')
    assert layer_problems("state", root, allowed={})


def test_a_planted_own_user_lookup_fails(tmp_path: Path) -> None:
    root = _plant(tmp_path, "state", "def load(self, session):\n    return self.actor(session)\n")
    assert own_user_lookups(root, allowed={}) == ["state/planted.py:3 calls .actor(...)"]

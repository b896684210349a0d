"""Who may do what is decided in accounts/access.py alone, and accounts sits below records."""

import ast
from pathlib import Path

import citesmart

SRC = Path(citesmart.__file__).parent
HIGHER_APPS = ("records", "units", "analytics", "api", "portal", "reports", "targets")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_access_imports_no_higher_app():
    modules = imported_modules(SRC / "accounts" / "access.py")
    assert not [m for m in modules if m.split(".")[1:2] and m.split(".")[1] in HIGHER_APPS]


def test_no_module_outside_accounts_reads_roles_to_decide():
    """role_of and the Role constants are accounts' own: other apps ask accounts.access."""
    deciding = [
        path.relative_to(SRC)
        for path in SRC.rglob("*.py")
        if "accounts" not in path.parts
        and "management" not in path.parts  # commands pick accounts by role (demo data)
        and "migrations" not in path.parts
        and {"citesmart.accounts.roles"} & imported_modules(path)
        | ({"role_of"} & _names_from_access(path))
    ]
    assert deciding == []


def _names_from_access(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "citesmart.accounts.access"
        for alias in node.names
    }

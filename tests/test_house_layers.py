"""The house's floors, read from the code's own imports (issue 16).

Every import of src/citesmart is read with `ast` - at module level and inside functions, since
an import moved into a function to dodge a cycle is still a dependency - and checked against
FLOORS: an app imports only apps on lower floors, never a peer on its own floor nor one above.
So there is no import cycle between apps; the test also refuses a cycle between modules, a
module over 500 lines and a function over 60 (migrations, which Django writes, are left out).
docs/ARCHITECTURE.md ("Floors") explains the order.
"""

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "citesmart"

# Bottom to top. An app may import the apps of the floors below its own, nothing else.
# "citesmart" is the package itself (its version); "project" gathers the modules that wire
# the apps together (settings, urls, admin_menu, cli, __main__, asgi, wsgi).
FLOORS: list[tuple[str, ...]] = [
    ("citesmart", "lib"),  # lib: Django-free helpers
    ("geo", "presentation"),  # INEI ubigeo; how figures look (formatting, SVG charts)
    ("network",),  # the registry: centers, catalogue, its change token
    ("accounts",),  # staff, roles, who may do what; the registry's back office
    ("units",),  # productive units and their lookup by identity
    ("records",),  # service reports, audit, closings, import; unit writes and merges
    ("analytics", "service_requests"),  # the read model; requests from the public
    ("historic", "ops", "publications", "targets"),
    ("api", "opendata", "portal", "reports"),  # the outputs: peers, none imports another
    ("demo",),  # the demo data generator: writes through every app's actions
    ("project",),
]
PROJECT = {"settings", "urls", "admin_menu", "cli", "__main__", "asgi", "wsgi"}

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60

# Known offenders that other work in progress removes, each kept here only until then.
# To be removed when issue 16 lands: the lead empties these after merging the branches.
KNOWN_CLIMBS = {
    # accounts.access reads records.models.ReportStatus (role decisions move there, issue 16)
    ("citesmart/accounts/access.py", "records"),
}
KNOWN_MODULE_CYCLES = {
    # analytics is being split by responsibility (vocabulary, scan, public functions)
    frozenset(
        {
            "citesmart.analytics.build",
            "citesmart.analytics.cube",
            "citesmart.analytics.disclosure",
            "citesmart.analytics.queries",
            "citesmart.analytics.refresh",
        }
    ),
}
KNOWN_LONG_MODULES = {
    # analytics and the open data's catalogue, split by responsibility (issue 16)
    "citesmart/analytics/queries.py",
    "citesmart/analytics/cube.py",
    "citesmart/analytics/source.py",
    "citesmart/opendata/catalog.py",
}
KNOWN_LONG_FUNCTIONS = {
    # analytics split by responsibility (issue 16)
    "citesmart/analytics/build.py:_reload_reports",
    "citesmart/analytics/cube.py:build",
    "citesmart/analytics/cube.py:_update",
    "citesmart/analytics/cube.py:_intersected",
    "citesmart/analytics/source.py:_ranged_csv",
    # the records' and targets' actions, being reworked (role decisions to accounts.access)
    "citesmart/records/actions.py:record_service_report",
    "citesmart/targets/actions.py:set_target",
}


@dataclass(frozen=True)
class Import:
    path: str  # relative to src/, e.g. citesmart/units/queries.py
    line: int
    module: str  # the module imported, absolute


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "citesmart"
    return "project" if parts[1] in PROJECT else parts[1]


def source_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def imports_of(path: Path, tree: ast.AST) -> list[Import]:
    """Every import of citesmart in the file, wherever it stands (module, function, class)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from citesmart.x import y` may name a module y: count it as the deeper one.
            names = [f"{base}.{alias.name}" for alias in node.names] if base else []
            names = [name if _is_module(name) else base for name in names]
        else:
            continue
        rel = str(path.relative_to(SRC))
        names = [n for n in dict.fromkeys(names) if n.split(".")[0] == "citesmart"]
        found += [Import(rel, node.lineno, name) for name in names]
    return found


def _is_module(name: str) -> bool:
    target = SRC.joinpath(*name.split("."))
    return target.with_suffix(".py").is_file() or (target / "__init__.py").is_file()


@pytest.fixture(scope="module")
def house() -> dict[Path, ast.AST]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in source_files()}


def floor_of(app: str) -> int:
    for number, apps in enumerate(FLOORS):
        if app in apps:
            return number
    raise AssertionError(f"{app} stands on no floor: add it to FLOORS (and ARCHITECTURE.md)")


def test_every_app_stands_on_one_floor():
    apps = [app for floor in FLOORS for app in floor]
    assert len(apps) == len(set(apps))
    on_disk = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    on_disk |= {"citesmart", "project"}
    assert on_disk - {"static", "templates"} == set(apps)


def test_no_app_imports_a_peer_or_one_above(house):
    climbs = []
    for path, tree in house.items():
        for imp in imports_of(path, tree):
            source, target = app_of(module_name(path)), app_of(imp.module)
            if source == target or (imp.path, target) in KNOWN_CLIMBS:
                continue
            if floor_of(target) >= floor_of(source):
                climbs.append(f"{imp.path}:{imp.line} ({source}) imports {imp.module} ({target})")
    assert not climbs, "imports that climb (see FLOORS):\n" + "\n".join(climbs)


def test_no_import_cycle_between_apps(house):
    graph: dict[str, set[str]] = defaultdict(set)
    for path, tree in house.items():
        for imp in imports_of(path, tree):
            source, target = app_of(module_name(path)), app_of(imp.module)
            if source != target and (imp.path, target) not in KNOWN_CLIMBS:
                graph[source].add(target)
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    assert not cycles, f"apps that import each other: {cycles}"


def test_no_import_cycle_between_modules(house):
    graph: dict[str, set[str]] = defaultdict(set)
    for path, tree in house.items():
        source = module_name(path)
        for imp in imports_of(path, tree):
            if imp.module != source and not source.startswith(f"{imp.module}."):
                graph[source].add(imp.module)  # a package's own face is not a cycle
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    cycles = [c for c in cycles if frozenset(c) not in KNOWN_MODULE_CYCLES]
    assert not cycles, f"modules that import each other: {cycles}"


def test_no_module_over_500_lines(house):
    long = []
    for path in house:
        rel = str(path.relative_to(SRC))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES and rel not in KNOWN_LONG_MODULES:
            long.append(f"{rel}: {lines} lines")
    assert not long, "split these by responsibility:\n" + "\n".join(long)


def test_no_function_over_60_lines(house):
    long = []
    for path, tree in house.items():
        rel = str(path.relative_to(SRC))
        for name, node in functions(tree):
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_FUNCTION_LINES and f"{rel}:{name}" not in KNOWN_LONG_FUNCTIONS:
                long.append(f"{rel}:{node.lineno} {name}: {lines} lines")
    assert not long, "shorten these:\n" + "\n".join(long)


def test_the_reader_sees_what_it_must_refuse(tmp_path):
    """The checks can fail: a climb inside a function and a relative import are both read."""
    tree = ast.parse(
        "def merge():\n    from citesmart.records.models import Service\n"
        "from ..accounts import access\n"
    )
    path = PACKAGE / "units" / "fake.py"
    found = {(i.line, i.module) for i in imports_of(path, tree)}
    assert found == {(2, "citesmart.records.models"), (3, "citesmart.accounts.access")}
    assert floor_of(app_of("citesmart.records.models")) > floor_of(app_of("citesmart.units"))
    assert strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"], ["c"]]
    assert [name for name, _ in functions(ast.parse("class A:\n def f(self): pass\n"))] == ["A.f"]


def functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, node) of every function and method, nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}{node.name}", node
            yield from functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}{node.name}.")
        else:
            yield from functions(node, prefix)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, each sorted, in order of discovery."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

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
            result.append(sorted(component))

    for node in sorted(set(graph) | {n for targets in graph.values() for n in targets}):
        if node not in index:
            visit(node)
    return result

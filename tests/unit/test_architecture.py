"""Rules of the house that hold themselves (DESIGN.md): only store/ speaks SQL, no import runs up a floor, and
the module-level import graph has no circle. The allow-lists name what is still to be moved; they may only
shrink, and are empty when the layout is done."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PKG = SRC / "simexit"

# The floors, lowest first: a module may import from its own floor and the floors below it. The composition
# root (bootstrap, asgi) sits above every door; simulators are separate programs beside the doors.
FLOORS: dict[str, int] = {
    "domain": 0, "clock": 0, "config": 0,
    "store": 1, "integrations": 1,
    "services": 2,
    "demo": 3, "worker": 3, "api": 3, "web": 3, "simulators": 3,
    "cli": 4, "bootstrap": 4,
    "asgi": 5,
}

# Modules outside store/ that still import SQLAlchemy or the table objects. Grouped by capability so that
# each move shrinks its own block.
SQL_ALLOWED_ACCESS: set[str] = set()
SQL_ALLOWED_CLOSURE: set[str] = {
    "simexit.services.closure.application_queries",
    "simexit.services.closure.applications",
    "simexit.services.closure.line_changes",
    "simexit.services.closure.lines_query",
    "simexit.services.closure.precheck",
    "simexit.services.closure.public_cancellation",
    "simexit.services.closure.review_queue",
}
SQL_ALLOWED_EXECUTION: set[str] = {
    "simexit.services.execution.closing_steps",
    "simexit.services.execution.esim_notifications",
    "simexit.services.execution.outbox",
    "simexit.services.execution.receipts",
    "simexit.services.execution.refunds",
    "simexit.services.execution.scheduling",
}
SQL_ALLOWED_NUMBERS: set[str] = {
    "simexit.services.numbers.disconnects",
    "simexit.services.numbers.relying_parties",
}
SQL_ALLOWED_PRIVACY: set[str] = set()
SQL_ALLOWED_BULK: set[str] = {
    "simexit.services.bulk.closure",
    "simexit.services.bulk.decision",
}
SQL_ALLOWED_IMPORTS: set[str] = {
    "simexit.services.imports.importer",
}
SQL_ALLOWED_REST: set[str] = {
    "simexit.cli.api",
    "simexit.demo.data",
    "simexit.demo.simulator_seed",
    "simexit.worker.outbox_dispatch",
    "simexit.worker.runner",
    "simexit.worker.sweeps",
    "simexit.worker.timers",
}
SQL_ALLOWED = (SQL_ALLOWED_ACCESS | SQL_ALLOWED_CLOSURE | SQL_ALLOWED_EXECUTION | SQL_ALLOWED_NUMBERS
               | SQL_ALLOWED_PRIVACY | SQL_ALLOWED_BULK | SQL_ALLOWED_IMPORTS | SQL_ALLOWED_REST)

# Packages whose modules still import each other in a circle (the CLI until its groups load lazily).
CIRCLES_ALLOWED: set[str] = set()

# Imports that still run up a floor: "importer -> imported".
UPWARD_ALLOWED: set[str] = set()


def _modules() -> dict[str, Path]:
    out = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(path: Path, *, top_level_only: bool) -> list[str]:
    """Names imported by a module (absolute), without ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text())
    found: list[str] = []

    def visit(nodes: list[ast.stmt], top: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                found.extend(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append(node.module)
                found.extend(f"{node.module}.{a.name}" for a in node.names)
            if top_level_only and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            for field in ("body", "orelse", "finalbody", "handlers"):
                child = getattr(node, field, None)
                if isinstance(child, list):
                    visit([c for c in child if isinstance(c, ast.stmt | ast.ExceptHandler)], top)

    visit(tree.body, True)
    return found


def _floor(module: str) -> tuple[str, int] | None:
    parts = module.split(".")
    if parts[0] != "simexit" or len(parts) < 2:
        return None
    name = parts[1]
    return (name, FLOORS[name]) if name in FLOORS else None


def test_every_top_level_module_has_a_floor() -> None:
    tops = {m.split(".")[1] for m in _modules() if m.count(".") >= 1}
    assert tops <= set(FLOORS), sorted(tops - set(FLOORS))


def test_only_store_speaks_sql() -> None:
    offenders = set()
    for module, path in _modules().items():
        if module.startswith("simexit.store"):
            continue
        for name in _imports(path, top_level_only=False):
            if name.split(".")[0] == "sqlalchemy" or name.startswith("simexit.store.tables"):
                offenders.add(module)
    assert offenders <= SQL_ALLOWED, sorted(offenders - SQL_ALLOWED)
    assert not (SQL_ALLOWED - offenders), f"no longer needed, remove: {sorted(SQL_ALLOWED - offenders)}"


def test_no_import_runs_up_a_floor() -> None:
    modules = _modules()
    upward = set()
    for module, path in modules.items():
        mine = _floor(module)
        if mine is None:
            continue
        for name in _imports(path, top_level_only=False):
            theirs = _floor(name)
            if theirs is not None and theirs[1] > mine[1]:
                upward.add(f"{module} -> {'.'.join(name.split('.')[:2])}")
    assert upward <= UPWARD_ALLOWED, sorted(upward - UPWARD_ALLOWED)
    assert not (UPWARD_ALLOWED - upward), f"no longer needed, remove: {sorted(UPWARD_ALLOWED - upward)}"


def test_the_module_import_graph_has_no_circle() -> None:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        deps = set()
        for name in _imports(path, top_level_only=True):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                deps.add(name)
        graph[module] = deps
    # A package's __init__ importing its own submodules is not a circle of modules.
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                circles.append([*stack[stack.index(d):], d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    circles = [c for c in circles if not any(all(m.startswith(p + ".") for m in c) for p in CIRCLES_ALLOWED)]
    assert not circles, circles[:5]

"""The package's layers: a lower layer never imports a higher one, modules import each other
without cycles, and the Treaty arithmetic reads no file."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "model"
#: Layers from the bottom up; a module may import its own layer and those below it.
LAYERS = [
    {"model.errors", "model.io", "model.stats", "model.version"},
    {"model.treaty"},
    {"model.inputs"},
    {"model.abm"},
    {"model.experiments"},
    {"model.validation"},
    {"model.reporting"},
    {"model.api"},
    {"model.explore"},
    {"model.cli"},
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(name: str) -> int | None:
    for rank, prefixes in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return rank
    return None


def _runtime_nodes(tree: ast.AST):
    """Every node but those under ``if TYPE_CHECKING:`` (imports for type hints only)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(path: Path) -> set[str]:
    """The package modules ``path`` imports at run time (absolute names), anywhere in it."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        out |= {c for c in candidates if c == "model" or c.startswith("model.")}
    return out


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py") if p.name != "__main__.py"}


def test_every_module_belongs_to_a_layer():
    unplaced = [m for m in MODULES if m != "model" and layer_of(m) is None]
    assert unplaced == []


def test_no_layer_imports_a_higher_one():
    offences = []
    for name, path in MODULES.items():
        rank = layer_of(name)
        if rank is None:
            continue
        for target in imports_of(path):
            other = layer_of(target)
            if other is not None and other > rank:
                offences.append(f"{name} imports {target}")
    assert offences == []


def test_modules_import_each_other_without_cycles():
    graph = {}
    for name, path in MODULES.items():
        graph[name] = {t for t in imports_of(path) if t in MODULES and t != name}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_the_treaty_arithmetic_reads_no_file():
    readers = {"pathlib", "csv", "tomllib", "pandas.read_csv", "model.inputs"}
    for name, path in MODULES.items():
        if not name.startswith("model.treaty"):
            continue
        tree = ast.parse(path.read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not imported & readers, (name, imported & readers)
        calls = {n.func.id for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert "open" not in calls or name == "model.treaty.blocking", name

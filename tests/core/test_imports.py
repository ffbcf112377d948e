"""The core's modules import each other without a circle (type-checking imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

import dephealth_core

PACKAGE = Path(dephealth_core.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = ["dephealth_core", *path.relative_to(PACKAGE).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """Core modules ``path`` imports anywhere: top level, in functions, under TYPE_CHECKING."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            module = node.module or ""
            if node.level:
                module = f"{base}.{module}" if module else base
            targets = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        for target in targets:
            # "from . import _config" names a module; "from ._x import y" names a module too.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(path) for path in paths}
    graph = {module_name(path): imported_modules(path, known) for path in paths}
    # A package's __init__ re-exports its modules; importing a package's module imports the
    # package first, which is not an edge back from the module.
    return {
        name: {t for t in targets if not name.startswith(f"{t}.")}
        for name, targets in graph.items()
    }


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` as a path, or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (circle := visit(target)) is not None:
                return circle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (circle := visit(node)) is not None:
            return circle
    return None


def test_no_import_circle_in_the_core() -> None:
    """No module of dephealth_core imports, directly or not, a module that imports it."""
    circle = find_circle(import_graph())
    assert circle is None, " -> ".join(circle or [])


def test_the_circle_finder_finds_a_circle() -> None:
    """The finder reports a circle through three modules (so the test above can fail)."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_circle(graph) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None


def test_readers_do_not_import_the_engine() -> None:
    """The metrics collector, the background runner and the fork handling never import it."""
    graph = import_graph()
    for reader in ("_metrics", "_background", "_fork", "_protocols"):
        assert "dephealth_core._engine" not in graph[f"dephealth_core.{reader}"], reader


def test_the_graph_sees_type_checking_and_function_imports() -> None:
    """Imports under TYPE_CHECKING and inside functions count as edges."""
    graph = import_graph()
    assert "dephealth_core._protocols" in graph["dephealth_core._metrics"]  # TYPE_CHECKING
    assert "dephealth_core._kinds" in graph["dephealth_core._config"]  # in a function

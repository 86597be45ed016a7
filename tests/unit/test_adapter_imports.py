"""Adapter modules import each other in one direction only: no circles, not even
under ``TYPE_CHECKING`` (a helper that needs its tracker back is the smell)."""

from __future__ import annotations

import ast
from pathlib import Path

import onepiece

SRC = Path(onepiece.__file__).parent
ADAPTERS = "onepiece.adapters"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Modules of ``known`` that ``path`` imports, at any depth in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def _adapter_graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in (SRC / "adapters").rglob("*.py")}
    known = set(paths)
    return {name: _imports(path, name, known) for name, path in paths.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in ``graph`` (package ``__init__`` edges to children excluded)."""
    done: set[str] = set()
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in stack:
            return [*stack[stack.index(node) :], node]
        if node in done:
            return None
        stack.append(node)
        for target in sorted(graph[node]):
            if target.startswith(node + "."):
                continue  # a package re-exporting its own modules is not a circle
            found = visit(target)
            if found:
                return found
        stack.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start)
        if found:
            return found
    return None


def test_adapter_modules_import_each_other_without_circles() -> None:
    graph = _adapter_graph()
    assert f"{ADAPTERS}.trackers.shotgrid.versions" in graph
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_shotgrid_and_local_helpers_do_not_import_their_tracker() -> None:
    graph = _adapter_graph()
    for tracker in ("shotgrid", "local"):
        tracker_module = f"{ADAPTERS}.trackers.{tracker}.tracker"
        for helper in ("hierarchy", "playlists", "versions"):
            name = f"{ADAPTERS}.trackers.{tracker}.{helper}"
            if name in graph:
                assert tracker_module not in graph[name], name


def test_the_cycle_finder_sees_a_circle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]

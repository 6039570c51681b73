"""The package's import arrows: cli/ and server/ → engine/ → io/, params, exceptions, never back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "worker" / "bgoptimizer"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every bgoptimizer module ``path`` imports, function-local imports included."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("bgoptimizer")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            elif (node.module or "").startswith("bgoptimizer"):
                target = node.module or ""
            else:
                continue
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imports_of(path) & set(modules) for name, path in modules.items()}


def test_the_walk_sees_the_arrows_it_checks():
    edges = graph()
    assert "bgoptimizer.engine.fit.result" in edges["bgoptimizer.engine.model"]
    assert "bgoptimizer.engine.pipeline" in edges["bgoptimizer.files"]
    assert len(edges) > 40


@pytest.mark.parametrize("layer", ["bgoptimizer.engine", "bgoptimizer.io"])
def test_lower_layers_never_import_the_cli_or_the_server(layer):
    upward = {
        (name, target)
        for name, targets in graph().items()
        if name.startswith(layer)
        for target in targets
        if target.startswith(
            ("bgoptimizer.cli", "bgoptimizer.server", "bgoptimizer.files", "bgoptimizer.batch")
        )
    }
    assert not upward


def test_io_does_not_import_the_engine():
    edges = graph()
    assert not {
        (n, t)
        for n, ts in edges.items()
        if n.startswith("bgoptimizer.io")
        for t in ts
        if t.startswith("bgoptimizer.engine")
    }


def test_there_is_no_import_cycle():
    edges = graph()
    for node in edges:  # a package imports its own modules only by name: not an arrow back
        edges[node] = {t for t in edges[node] if not (node + ".").startswith(t + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not cycles

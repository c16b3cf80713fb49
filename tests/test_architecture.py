"""The import rules of ARCHITECTURE.md, checked on the source: which layer may import which,
no import cycle between modules, and no module over about 400 lines.

Imports under ``if TYPE_CHECKING:`` are for annotations only and are not counted; imports
inside functions (lazy ones) are counted as the edges they are.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tim_topics"
MAX_LINES = 420

#: Modules of the client side: the request path and what it stands on.
CLIENT_SIDE = {
    "tim_topics.adaptive",
    "tim_topics.answers",
    "tim_topics.calls",
    "tim_topics.client",
    "tim_topics.endpoints",
    "tim_topics.errors",
    "tim_topics.gc_tuning",
    "tim_topics.limiter",
    "tim_topics.messages",
    "tim_topics.metrics",
    "tim_topics.models",
    "tim_topics.redaction",
    "tim_topics.redis_limiter",
    "tim_topics.request_builder",
    "tim_topics.request_path",
    "tim_topics.retry",
    "tim_topics.send_window",
    "tim_topics.telemetry",
    "tim_topics.usersig",
    "tim_topics.validation",
    "tim_topics.wire",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, name: str, is_package: bool) -> Iterator[tuple[str, bool]]:
    """(imported module, lazy) for every import of ``tree`` outside TYPE_CHECKING."""

    def walk(node: ast.AST, lazy: bool) -> Iterator[tuple[str, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    yield from walk(other, lazy)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, lazy
            elif isinstance(child, ast.ImportFrom):
                yield from _from_import(child, name, is_package, lazy)
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            yield from walk(child, inner)

    yield from walk(tree, False)


def _from_import(
    node: ast.ImportFrom, name: str, is_package: bool, lazy: bool
) -> Iterator[tuple[str, bool]]:
    if node.level:
        base = name.split(".")
        base = base if is_package else base[:-1]
        base = base[: len(base) - node.level + 1]
        prefix = ".".join(base)
        target = f"{prefix}.{node.module}" if node.module else prefix
    else:
        target = node.module or ""
    yield target, lazy
    for alias in node.names:  # ``from . import x`` may name a module
        yield f"{target}.{alias.name}", lazy


def graph(*, include_lazy: bool) -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = set()
        for target, lazy in _imports(tree, name, path.name == "__init__.py"):
            if lazy and not include_lazy:
                continue
            if target in known and target != name:
                targets.add(target)
        edges[name] = targets
    return edges


def importers_of(prefix: str, edges: dict[str, set[str]]) -> dict[str, set[str]]:
    return {
        name: {t for t in targets if t == prefix or t.startswith(prefix + ".")}
        for name, targets in edges.items()
        if any(t == prefix or t.startswith(prefix + ".") for t in targets)
    }


def test_the_graph_sees_imports() -> None:
    edges = graph(include_lazy=True)
    assert "tim_topics.request_path" in edges["tim_topics.client"]
    assert "tim_topics.errors" in edges["tim_topics.request_path"]


def test_the_client_side_imports_no_outer_layer() -> None:
    """The client side stands alone: no bulk, CLI, emulator or webhooks (lazy included)."""
    edges = graph(include_lazy=True)
    outer = ("tim_topics.bulk", "tim_topics.cli", "tim_topics.emulator", "tim_topics.webhooks")
    allowed_lazy = {("tim_topics.client", "tim_topics.bulk")}  # import_topics / export_topics
    eager = graph(include_lazy=False)
    found = []
    for name in CLIENT_SIDE & set(edges):
        for target in edges[name]:
            if target.startswith(outer):
                lazy_only = target not in eager[name]
                if not (lazy_only and (name, ".".join(target.split(".")[:2])) in allowed_lazy):
                    found.append(f"{name} -> {target}")
    assert found == []


def test_bulk_uses_the_client_never_the_reverse() -> None:
    """Bulk talks to a client through its own protocol: it never imports the client module,
    so the client's lazy ``import_topics`` / ``export_topics`` make no cycle."""
    assert (
        importers_of(
            "tim_topics.client",
            {
                name: targets
                for name, targets in graph(include_lazy=True).items()
                if name.startswith("tim_topics.bulk")
            },
        )
        == {}
    )


def test_only_the_cli_imports_the_cli() -> None:
    edges = graph(include_lazy=True)
    outside = {n: t for n, t in importers_of("tim_topics.cli", edges).items()}
    assert {n for n in outside if not n.startswith("tim_topics.cli")} == set()


def test_webhooks_stand_apart_from_the_client_bulk_and_cli() -> None:
    edges = graph(include_lazy=True)
    found = {
        f"{name} -> {target}"
        for name, targets in edges.items()
        if name.startswith("tim_topics.webhooks")
        for target in targets
        if target.startswith(("tim_topics.client", "tim_topics.bulk", "tim_topics.cli"))
        or target.startswith("tim_topics.emulator")
    }
    assert found == set()


def test_no_import_cycle_between_modules() -> None:
    """Module-level imports (what runs at import time) form no cycle. Package
    ``__init__`` modules re-export their children and are left out."""
    edges = {
        name: {t for t in targets if not modules()[t].name == "__init__.py"}
        for name, targets in graph(include_lazy=False).items()
        if modules()[name].name != "__init__.py"
    }
    seen: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if seen.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in seen:
                visit(target)
        stack.pop()
        seen[node] = 2

    for name in sorted(edges):
        if name not in seen:
            visit(name)


@pytest.mark.parametrize("name", sorted(modules()), ids=str)
def test_modules_stay_small(name: str) -> None:
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it by job (about 400 at most)"

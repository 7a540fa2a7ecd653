"""The package's layout, drawn from its imports: layers, no circles, no private names crossing.

The general library (windowing, layers, networks, classifiers, meta-estimator, look-ahead
checker, persistence, plotting, out-of-core, scaling) never imports the market application
(``sktemporal.market``) or the command line; no module imports another module's private
names; and no two modules import each other, directly or through others. Imports under
``if TYPE_CHECKING:`` are for annotations only and do not count.
"""

import ast
import importlib
from pathlib import Path

import pytest

import sktemporal

PACKAGE = Path(sktemporal.__file__).parent
# Modules kept at their old paths, re-exporting what moved into sktemporal.market.
OLD_PATHS = (
    "sktemporal.backtest",
    "sktemporal.datasets",
    "sktemporal.direction_model",
    "sktemporal.evaluation",
    "sktemporal.features",
    "sktemporal.labels",
    "sktemporal.report",
)


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree):
    """Import statements outside ``if TYPE_CHECKING:`` blocks, at any depth."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skipped
    ]


def _import_graph():
    """``{module: {(imported module, name or None), ...}}`` for every sktemporal module."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges.update((a.name, None) for a in node.names if a.name in paths)
                continue
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            for alias in node.names:
                if f"{module}.{alias.name}" in paths:  # a submodule
                    edges.add((f"{module}.{alias.name}", None))
                elif module in paths:
                    edges.add((module, alias.name))
        graph[name] = edges
    return graph


GRAPH = _import_graph()


def test_no_module_imports_another_modules_private_names():
    crossing = sorted(
        (module, f"{target}.{name}")
        for module, edges in GRAPH.items()
        for target, name in edges
        if name and name.startswith("_") and not name.startswith("__")
    )
    assert crossing == []


def test_there_are_no_import_circles():
    modules = {module: {target for target, _ in edges} for module, edges in GRAPH.items()}

    def reaches(start, goal, seen):
        for nxt in modules.get(start, ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                if reaches(nxt, goal, seen):
                    return True
        return False

    # A package importing its own submodules is how packages export; not a circle.
    circles = sorted(
        (module, target)
        for module, targets in modules.items()
        for target in targets
        if not module.startswith(target + ".")
        and not target.startswith(module + ".")
        and reaches(target, module, {target})
    )
    assert circles == []


def test_the_library_core_never_imports_the_market_application_or_the_cli():
    application = ("sktemporal.market", "sktemporal.cli", *OLD_PATHS)
    core = [
        module
        for module in GRAPH
        if not module.startswith(application)
        and module not in ("sktemporal", "sktemporal.__main__")
    ]
    assert "sktemporal.classifiers._base" in core and "sktemporal.persistence" in core
    upward = sorted(
        (module, target)
        for module in core
        for target, _ in GRAPH[module]
        if target.startswith(application)
    )
    assert upward == []


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_names_that_moved_into_market_still_import_from_their_old_path(old):
    market = [
        importlib.import_module(module)
        for module in GRAPH
        if module.startswith("sktemporal.market")
    ]
    old_module = importlib.import_module(old)
    assert old_module.__all__
    for name in old_module.__all__:
        value = getattr(old_module, name)
        assert any(getattr(module, name, None) is value for module in market), name

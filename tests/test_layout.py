"""The package's layout, drawn from its imports and its files.

The general library (windowing, layers, networks, classifiers, meta-estimator, look-ahead
checker, persistence, plotting, out-of-core, scaling) never imports the market application
(``sktemporal.market``) or the command line; no module imports another module's private
names; no two modules import each other, directly or through others (imports under
``if TYPE_CHECKING:`` included: an annotation that points back is a circle in the design
too); no module is longer than about 600 lines (a sign that it holds two concepts); and no
module only re-exports another's names (an unreleased package has no old paths to keep).
"""

import ast
import importlib
from pathlib import Path

import pytest

import sktemporal

PACKAGE = Path(sktemporal.__file__).parent
MAX_LINES = 600


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree, annotations=True):
    """Import statements at any depth; ``if TYPE_CHECKING:`` blocks only with ``annotations``."""
    skipped = set()
    for node in ast.walk(tree):
        if (
            not annotations
            and isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test)
        ):
            skipped.update(id(child) for child in ast.walk(node))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skipped
    ]


def _import_graph(annotations=True):
    """``{module: {(imported module, name or None), ...}}`` for every sktemporal module."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _imports(tree, annotations):
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
# What runs: the library core may name the application in annotations only.
RUNTIME_GRAPH = _import_graph(annotations=False)


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
    application = ("sktemporal.market", "sktemporal.cli")
    core = [
        module
        for module in RUNTIME_GRAPH
        if not module.startswith(application)
        and module not in ("sktemporal", "sktemporal.__main__")
    ]
    assert "sktemporal.classifiers._base" in core and "sktemporal.persistence" in core
    upward = sorted(
        (module, target)
        for module in core
        for target, _ in RUNTIME_GRAPH[module]
        if target.startswith(application)
    )
    assert upward == []


def test_the_old_top_level_paths_of_the_market_names_are_gone():
    # 0.x and unreleased: the names that moved into sktemporal.market have one path only.
    for old in (
        "backtest",
        "datasets",
        "direction_model",
        "evaluation",
        "features",
        "labels",
        "report",
    ):
        assert not (PACKAGE / f"{old}.py").exists(), old
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(f"sktemporal.{old}")


def test_no_module_is_over_the_size_that_signals_two_concepts():
    lengths = {
        path.relative_to(PACKAGE.parent).as_posix(): len(
            path.read_text(encoding="utf-8").splitlines()
        )
        for path in PACKAGE.rglob("*.py")
    }
    too_long = sorted(f"{path} ({n} lines)" for path, n in lengths.items() if n > MAX_LINES)
    assert too_long == []


def _only_reexports(tree):
    """Whether a module's body is a docstring, imports of names and ``__all__``, nothing else."""
    body = [
        node
        for node in tree.body
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    ]
    imports_names = False
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            imports_names = True
        elif isinstance(node, ast.Import):
            imports_names = True
        elif not (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["__all__"]
        ):
            return False
    return imports_names


def test_no_module_only_re_exports_another_modules_names():
    # A package's __init__ gathering its submodules' public names is how packages export
    # (sklearn.ensemble); a plain module doing so is an old path kept for nobody.
    reexporting = sorted(
        _module_name(path)
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
        and _only_reexports(ast.parse(path.read_text(encoding="utf-8")))
    )
    assert reexporting == []

"""The shape of the package, read from its source: imports point down.

The import graph is built with :mod:`ast` from every module under
``custom_components/smets`` (the Home Assistant layer and the HAN library), so
a new module is checked the day it appears. An import inside an
``if TYPE_CHECKING:`` block is an annotation only (it never runs) and is no
edge; an import inside a function is refused in the Home Assistant layer
(that is how a cycle hides).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
import sys

import pytest

from custom_components.smets import PLATFORMS

PACKAGE = "custom_components.smets"
ROOT = Path(__file__).parent.parent / "custom_components" / "smets"

#: Modules Home Assistant loads as platforms of the integration: none imports another.
PLATFORM_MODULES = frozenset(
    {f"{PACKAGE}.{platform.value}" for platform in PLATFORMS}
    | {f"{PACKAGE}.diagnostics", f"{PACKAGE}.device_trigger"}
)

#: The only modules of the Home Assistant layer that may know the simulator.
KNOWS_THE_SIMULATOR = frozenset({f"{PACKAGE}.connection", f"{PACKAGE}.config_flow"})
SIMULATOR = f"{PACKAGE}.han.simulator"
SIMULATOR_NAMES = frozenset(
    {"simulator", "HanSimulator", "SimClock", "SimulatedApplication"}
)


def module_name(path: Path) -> str:
    """Return the dotted name of a module file of the package."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that runs (not those for type checkers alone)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child
            stack.append(child)


def imported(
    name: str, is_package: bool, node: ast.Import | ast.ImportFrom
) -> set[str]:
    """The package's modules one import statement of module ``name`` loads."""
    known = modules()
    targets: set[str] = set()
    if isinstance(node, ast.Import):
        candidates = [alias.name for alias in node.names]
    else:
        if node.level:
            base = name.split(".") if is_package else name.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            source = ".".join([*base, *([node.module] if node.module else [])])
        else:
            source = node.module or ""
        # ``from pkg import module`` loads that module; ``from m import name``, m
        candidates = [
            f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
            for alias in node.names
        ]
    for candidate in candidates:
        # the module itself, or the innermost package of the package holding it
        found = candidate
        while found and found not in known:
            found = found.rpartition(".")[0]
        if found.startswith(PACKAGE) and found != name:
            targets.add(found)
    return targets


def graph() -> dict[str, set[str]]:
    """The package's import graph: module -> modules it imports when it runs."""
    edges: dict[str, set[str]] = {}
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        edges[name] = set()
        for node in runtime_imports(tree):
            edges[name] |= imported(name, is_package, node)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """Return one import cycle of ``edges`` (its modules in order), or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in done and (found := visit(nxt)) is not None:
                return found
        on_path.discard(path.pop())
        done.add(node)
        return None

    for start in sorted(edges):
        if start not in done and (found := visit(start)) is not None:
            return found
    return None


def ha_layer() -> dict[str, Path]:
    """The Home Assistant layer's modules (the HAN library left out)."""
    return {
        name: path
        for name, path in modules().items()
        if not name.startswith(f"{PACKAGE}.han")
    }


def test_the_checks_can_fail() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from .const import DOMAIN\n"
        "if TYPE_CHECKING:\n    from .sensor import X\n"
        "def f():\n    from . import button\n"
    )
    found = set()
    for node in runtime_imports(tree):
        found |= imported(f"{PACKAGE}.event", False, node)
    assert found == {f"{PACKAGE}.const", f"{PACKAGE}.button"}


def test_the_graph_sees_the_layers() -> None:
    edges = graph()
    assert f"{PACKAGE}.models" in edges[f"{PACKAGE}.sensor"]
    assert f"{PACKAGE}.han.link" in edges[f"{PACKAGE}.connection"]
    assert SIMULATOR in edges[f"{PACKAGE}.connection"]


#: The HAN library's decoding: one module per cluster behind one package.
MODEL = f"{PACKAGE}.han.model"


def model_modules() -> dict[str, Path]:
    """The modules of ``han/model/`` (its ``__init__`` left out), by dotted name."""
    return {
        name: path for name, path in modules().items() if name.startswith(f"{MODEL}.")
    }


def test_the_model_is_split_by_cluster() -> None:
    # the graph sees the package's modules, and the package sees each of them
    edges = graph()
    assert set(model_modules()) <= edges[MODEL]
    assert f"{MODEL}.values" in edges[f"{MODEL}.scaling"]
    assert f"{MODEL}.price" in edges[f"{MODEL}.gas"]


def test_the_model_is_pure() -> None:
    """The model imports the standard library, itself and the alert table only."""
    checked = {MODEL: ROOT / "han" / "model" / "__init__.py", **model_modules()}
    allowed = {*checked, f"{PACKAGE}.han.alerts"}
    for name, path in checked.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in runtime_imports(tree):
            assert imported(name, path.name == "__init__.py", node) <= allowed, name
            if isinstance(node, ast.ImportFrom) and node.level:
                continue  # relative: inside the package, checked just above
            roots = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for root in roots:
                assert root.startswith(PACKAGE) or (
                    root.partition(".")[0] in sys.stdlib_module_names
                ), f"{name}: {root}"


def _public_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.TypeAlias) and isinstance(node.name, ast.Name):
            names.add(node.name.id)
    return {name for name in names if not name.startswith("_")}


def test_the_model_exports_every_public_name_of_its_modules() -> None:
    """``model.X`` is the one way in: what a model module defines, the package exports."""
    tree = ast.parse((ROOT / "han" / "model" / "__init__.py").read_text("utf-8"))
    exported = next(
        {ast.literal_eval(element) for element in node.value.elts}
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.List)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    )
    defined: set[str] = set()
    for path in model_modules().values():
        defined |= _public_names(ast.parse(path.read_text(encoding="utf-8")))
    assert defined == exported


def test_no_import_cycle() -> None:
    assert find_cycle(graph()) is None


@pytest.mark.parametrize("platform", sorted(PLATFORM_MODULES))
def test_no_platform_imports_another(platform: str) -> None:
    assert not graph()[platform] & (PLATFORM_MODULES - {platform})


def test_the_han_library_imports_no_home_assistant_layer() -> None:
    for name, targets in graph().items():
        if name.startswith(f"{PACKAGE}.han"):
            assert all(t.startswith(f"{PACKAGE}.han") for t in targets), name


def test_no_import_of_our_own_hides_in_a_function() -> None:
    # (compat.py imports Home Assistant's newer names in functions, by release)
    for name, path in ha_layer().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(function):
                    if isinstance(node, ast.Import | ast.ImportFrom):
                        assert not imported(name, False, node), (
                            f"{name}: an import inside {function.name}()"
                        )


def test_only_the_connection_knows_the_simulator() -> None:
    for name, path in ha_layer().items():
        if name in KNOWS_THE_SIMULATOR:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                assert SIMULATOR not in imported(name, False, node), name
            named = (
                node.id
                if isinstance(node, ast.Name)
                else node.attr
                if isinstance(node, ast.Attribute)
                else node.arg
                if isinstance(node, ast.arg)
                else node.name
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                else None
            )
            # the entry's connection kind is configuration, not knowledge
            if named is None or named == "CONNECTION_SIMULATOR":
                continue
            assert named not in SIMULATOR_NAMES, f"{name}: {named}"
            assert "simulator" not in named.lower(), f"{name}: {named}"


#: The development tools: they live in ``smets_dev/`` (tests, scripts, CI), never
#: in what HACS installs.
DEVELOPMENT_MODULES = ("ncp", "bench", "hostile", "__main__")


def test_the_integration_ships_no_development_tool() -> None:
    """``custom_components/smets`` holds only what runs; ``smets_dev`` the rest."""
    shipped = {path.stem for path in ROOT.rglob("*.py")}
    assert not shipped & set(DEVELOPMENT_MODULES)
    dev = ROOT.parent.parent / "smets_dev"
    assert {f"{name}.py" for name in DEVELOPMENT_MODULES} <= {
        path.name for path in dev.glob("*.py")
    }
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("smets_dev"), path
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("smets_dev") for a in node.names), path

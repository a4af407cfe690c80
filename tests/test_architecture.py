"""The house rules of the code base (issue 17, "Done when"): no module of the packages is
over ~500 lines, no import cycle between their modules (top-level and function-level
imports alike), and the domain imports no UI, storage or rendering library.

The import graph is read from the source with ``ast`` (nothing is imported to build it).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

# Known exceptions, while other work in flight removes them: empty this list as it lands.
# A path: a module allowed over the size limit for now. "a <-> b <-> ...": a group of modules
# allowed to import each other for now (a cycle found is allowed when all its modules are in
# one such group).
KNOWN_EXCEPTIONS = [
]

PACKAGES = ("receivables", "store", "publish", "tui", "cli", "derived")
MAX_LINES = 500
FORBIDDEN_IN_DOMAIN = {"textual", "tinydb", "jinja2", "weasyprint"}


# -- the import graph --------------------------------------------------------------------------------

def modules_of(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of ``packages`` under ``root``: dotted name -> file (a package by its __init__)."""
    found: dict[str, Path] = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """The dotted names a module imports anywhere in its body (functions and classes included),
    relative imports resolved; ``from X import y`` gives X.y (a submodule, or a name in X).
    An import under ``if TYPE_CHECKING:`` never runs (it names a type for the checker): it is
    left out."""
    names: set[str] = set()
    base = module.split(".") if is_package else module.split(".")[:-1]
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                up = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                origin = ".".join(up + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            names.update(f"{origin}.{alias.name}" if origin else alias.name for alias in node.names)
    return names


def _runtime_nodes(tree: ast.AST):
    """Every node, as ``ast.walk``, except the bodies of ``if TYPE_CHECKING:`` blocks."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the modules of the packages it imports: a name that is not a module (a
    function, a class) counts as the module it is taken from. Importing ``a.b`` runs the
    package ``a`` first, but only a name taken from ``a`` itself is an import of ``a``."""
    modules = modules_of(root, packages)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = set()
        for imported in _imported_names(tree, name, path.name == "__init__.py"):
            while imported and imported not in modules:  # pkg.mod.function -> pkg.mod
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path a -> b -> ... -> a) for each group of modules that import each
    other, sorted."""
    return sorted((_a_cycle(graph, g) for g in cyclic_groups(graph)), key=lambda c: c[0])


def cyclic_groups(graph: dict[str, set[str]]) -> list[set[str]]:
    """The groups of modules that import each other, directly or not (the strongly connected
    components with more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    counter = 0

    for start in sorted(graph):  # Tarjan's algorithm, iterative (no recursion limit)
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return groups


def _a_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest cycle through the group's first module, by breadth-first search."""
    first = min(group)
    came_from: dict[str, str] = {}
    frontier = [first]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & group):
                if child == first:
                    path = [node]
                    while path[-1] != first:
                        path.append(came_from[path[-1]])
                    return [first, *reversed(path[:-1]), first] if node != first else [first, first]
                if child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle in {group}")  # (a strongly connected group always has one)


def _path_of(module: str, root: Path = REPO) -> str:
    path = modules_of(root, (module.split(".")[0],))[module]
    return path.relative_to(root).as_posix()


def _known_cycles() -> list[set[str]]:
    return [{p.strip() for p in entry.split("<->")} for entry in KNOWN_EXCEPTIONS if "<->" in entry]


# -- the rules -----------------------------------------------------------------------------------------

def test_no_module_is_over_500_lines():
    known = {entry for entry in KNOWN_EXCEPTIONS if "<->" not in entry}
    too_long = []
    for path in modules_of(REPO, PACKAGES).values():
        rel = path.relative_to(REPO).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and rel not in known:
            too_long.append(f"{rel}: {lines} lines")
    assert not too_long, "split these into modules under 500 lines: " + "; ".join(sorted(too_long))


def test_no_import_cycle_between_modules():
    known = _known_cycles()
    graph = import_graph(REPO, PACKAGES)
    found = []
    for group in cyclic_groups(graph):
        if not any({_path_of(m) for m in group} <= allowed for allowed in known):
            found.append(" -> ".join(_path_of(m) for m in _a_cycle(graph, group)))
    assert not found, "import cycles: " + "; ".join(sorted(found))


def test_the_domain_imports_no_ui_storage_or_rendering_library():
    code = (
        "import importlib, pkgutil, sys, receivables\n"
        "for m in pkgutil.walk_packages(receivables.__path__, 'receivables.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {sorted(FORBIDDEN_IN_DOMAIN)!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == ""
    # and the check can fail: the same scan of publish names jinja2
    out = subprocess.run([sys.executable, "-c", code.replace("receivables", "publish")],
                         capture_output=True, text=True, cwd=REPO, check=True)
    assert "jinja2" in out.stdout.split(",")
    # nor does any function-level import in the domain's source name one of them
    for path in modules_of(REPO, ("receivables",)).values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            assert not {n.split(".")[0] for n in names} & FORBIDDEN_IN_DOMAIN, (path, names)


# -- the checker itself, on small made-up packages -----------------------------------------------------

def _package(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_checker_finds_a_cycle_through_a_function_level_relative_import(tmp_path):
    root = _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg.b import thing\n",
        "pkg/b.py": "def thing():\n    from .sub import c\n    return c\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": "def later():\n    from ..a import thing\n",
        "pkg/d.py": "import pkg.a\n",  # imports into the cycle, not part of it
    })
    graph = import_graph(root, ("pkg",))
    assert graph["pkg.b"] == {"pkg.sub.c"}
    assert graph["pkg.sub.c"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]]


def test_the_checker_finds_no_cycle_where_there_is_none(tmp_path):
    root = _package(tmp_path, {
        "pkg/__init__.py": "from pkg.a import x\n",
        "pkg/a.py": "import os\nfrom pkg import b\nx = 1\n",
        "pkg/b.py": "from . import c\n",
        "pkg/c.py": "import json\n",
        "other/__init__.py": "from pkg.a import x\n",
    })
    graph = import_graph(root, ("pkg", "other"))
    assert graph["pkg.a"] == {"pkg.b"}  # "from pkg import b": the module b
    assert graph["pkg"] == {"pkg.a"}
    assert cycles(graph) == []
    # an import for the type checker only never runs: no cycle; the same import at run time: one
    (root / "pkg/c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import x\n"
                                   "else:\n    import json\n", encoding="utf-8")
    assert cycles(import_graph(root, ("pkg", "other"))) == []
    (root / "pkg/c.py").write_text("import typing\nif typing.TYPE_CHECKING:\n    pass\nelse:\n    from pkg.a import x\n",
                                   encoding="utf-8")
    assert cycles(import_graph(root, ("pkg", "other"))) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
    # a name taken from the package whose __init__ imports the taker: a cycle
    (root / "pkg/c.py").write_text("def f():\n    from pkg import x\n", encoding="utf-8")
    assert cycles(import_graph(root, ("pkg", "other"))) == [["pkg", "pkg.a", "pkg.b", "pkg.c", "pkg"]]


@pytest.mark.parametrize("length", [2, 5])
def test_the_checker_reports_each_cycle_once_with_its_path(tmp_path, length):
    files = {"pkg/__init__.py": ""}
    for k in range(length):
        files[f"pkg/m{k}.py"] = f"import pkg.m{(k + 1) % length}\n"
    files["q/__init__.py"] = ""
    files["q/x.py"] = "from q import y\n"
    files["q/y.py"] = "from q.x import *\n"
    found = cycles(import_graph(_package(tmp_path, files), ("pkg", "q")))
    assert found == [["pkg.m0", *(f"pkg.m{k}" for k in range(1, length)), "pkg.m0"], ["q.x", "q.y", "q.x"]]

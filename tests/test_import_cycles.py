"""No import cycle hidden inside a function: a function-level import never closes a cycle.

An import inside a function that would be a cycle at the top of the module runs fine, and hides that two
modules depend on each other. The graph below has one edge per import statement between modules of the
package, at the top of a module or inside a function (imports under ``if TYPE_CHECKING:`` never run and
are left out); an import inside a function must not lead back to the module that holds it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import gradcheck

SRC = Path(gradcheck.__file__).parent


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if path.name == "__init__.py" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement that can run, with whether it sits inside a function."""

    def walk(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            elif isinstance(child, ast.If) and _is_type_checking(child):
                yield from (pair for orelse in child.orelse for pair in walk_one(orelse, in_function))
            else:
                inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                yield from walk(child, inner)

    def walk_one(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, in_function
        else:
            yield from walk(node, in_function)

    yield from walk(tree, False)


def _targets(node: ast.Import | ast.ImportFrom, here: str, is_package: bool, modules: set[str]) -> list[str]:
    """The modules of the package an import statement loads by name (not the parent packages it runs)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            base = here.split(".") if is_package else here.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            module = ".".join([*base, *([node.module] if node.module else [])])
        else:
            module = node.module or ""
        names = [f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names]
    return sorted({n for n in names if n in modules})


def import_graph(root: Path) -> dict[tuple[str, str], bool]:
    """Edges ``(importer, imported)`` between modules under ``root``; the value: only ever inside functions."""
    paths = sorted(root.rglob("*.py"))
    modules = {_module_name(p, root) for p in paths}
    edges: dict[tuple[str, str], bool] = {}
    for path in paths:
        here = _module_name(path, root)
        for node, in_function in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(node, here, path.name == "__init__.py", modules):
                if target != here:
                    edges[(here, target)] = edges.get((here, target), True) and in_function
    return edges


def _reaches(edges: dict[tuple[str, str], bool], start: str, goal: str) -> list[str] | None:
    """A path of modules from ``start`` to ``goal`` along ``edges``, or None."""
    after: dict[str, list[str]] = {}
    for a, b in edges:
        after.setdefault(a, []).append(b)
    came: dict[str, str] = {start: start}
    todo = [start]
    while todo:
        node = todo.pop()
        if node == goal:
            path = [goal]
            while path[-1] != start:
                path.append(came[path[-1]])
            return path[::-1]
        for nxt in sorted(after.get(node, ())):
            if nxt not in came:
                came[nxt] = node
                todo.append(nxt)
    return None


def hidden_cycles(root: Path) -> list[str]:
    """Each import inside a function whose target imports (maybe through others) the module holding it."""
    edges = import_graph(root)
    found = []
    for (a, b), only_in_functions in sorted(edges.items()):
        if only_in_functions:
            back = _reaches(edges, b, a)
            if back is not None:
                found.append(f"{a} imports {b} inside a function, and {' -> '.join(back)}")
    return found


def test_no_import_cycle_hides_inside_a_function() -> None:
    edges = import_graph(SRC)
    assert sum(edges.values()) > 10, "the walk found almost no function-level imports: is it reading the sources?"
    assert hidden_cycles(SRC) == []


def test_the_walk_finds_a_hidden_cycle(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from .. import a\n    from . import c\n")
    (pkg / "sub" / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import b\n\n\ndef g():\n    import pkg.sub.d\n"
    )
    (pkg / "sub" / "d.py").write_text("x = 1\n")
    assert import_graph(pkg) == {
        ("pkg.a", "pkg.sub.b"): False,
        ("pkg.sub.b", "pkg.a"): True,
        ("pkg.sub.b", "pkg.sub.c"): True,
        ("pkg.sub.c", "pkg.sub.d"): True,
    }
    assert hidden_cycles(pkg) == ["pkg.sub.b imports pkg.a inside a function, and pkg.a -> pkg.sub.b"]

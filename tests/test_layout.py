"""Module boundaries: no module imports another module's private names or another package's private modules."""

from __future__ import annotations

import ast
from pathlib import Path

import gradcheck

SRC = Path(gradcheck.__file__).parent


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _package_of(path: Path, root: Path) -> tuple[str, ...]:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return parts if path.name == "__init__.py" else parts[:-1]


def _target(path: Path, root: Path, node: ast.ImportFrom) -> tuple[str, ...]:
    """The absolute dotted path of the module a from-import reads, as parts."""
    module = tuple(node.module.split(".")) if node.module else ()
    if node.level == 0:
        return module
    base = _package_of(path, root)
    return base[: len(base) - (node.level - 1)] + module


def crossings(root: Path) -> list[str]:
    """Each from-import under ``root`` that takes a private name, or a private module from outside its package."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            where = f"{path.relative_to(root.parent)}:{node.lineno}"
            target = _target(path, root, node)
            private = [a.name for a in node.names if _is_private(a.name)]
            if private:
                found.append(f"{where} imports {', '.join(private)} from {'.'.join(target)}")
            for i, part in enumerate(target):
                owner = target[:i]
                if _is_private(part) and _package_of(path, root)[: len(owner)] != owner:
                    found.append(f"{where} imports from {'.'.join(target)}, a private module of {'.'.join(owner)}")
                    break
    return found


def test_no_private_name_crosses_a_module() -> None:
    assert list(SRC.rglob("*.py")), f"no sources found under {SRC}"
    assert crossings(SRC) == []


def test_the_walk_finds_a_crossing(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from ._own import fine\n")
    (pkg / "sub" / "_own.py").write_text("fine = 1\n_hidden = 2\n")
    (pkg / "a.py").write_text("from .sub._own import fine\nfrom .sub import fine as ok\n\n\ndef f():\n    from .sub._own import _hidden\n")
    found = crossings(pkg)
    assert len(found) == 3, found
    assert any("a.py:1" in f and "private module of pkg.sub" in f for f in found), found
    assert any("a.py:6" in f and "_hidden" in f for f in found), found


def private_attributes(root: Path) -> list[str]:
    """Each ``module._name`` read under ``root`` where ``module`` is a module of the package imported by name."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] == root.name):
                modules |= {a.asname or a.name for a in node.names}
            elif isinstance(node, ast.Import):
                modules |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.split(".")[0] == root.name}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules
                    and _is_private(node.attr)):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno} reads {node.value.id}.{node.attr}")
    return found


def test_no_private_name_is_read_off_another_module() -> None:
    assert private_attributes(SRC) == []


def test_the_walk_finds_a_private_attribute(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "b.py").write_text("def _hidden():\n    return 1\n")
    (pkg / "a.py").write_text("from . import b as other\n\n\ndef f():\n    return other._hidden() + other.__name__.count('b')\n")
    assert private_attributes(pkg) == ["pkg/a.py:5 reads other._hidden"]

"""Nothing in the package evaluates text as code: no eval/exec/compile, no sympify of strings,
and YAML only through the safe loader (cost.spec.yamlio)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cost"
SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(PACKAGE)) for p in SOURCES])
def test_no_code_from_text(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else "")
            bare = isinstance(node.func, ast.Name)  # builtins; re.compile, module.eval() are fine
            assert not (bare and name in ("eval", "exec", "compile", "__import__")), \
                f"{path.name}:{node.lineno}: {name}()"
            assert name != "parse_expr", f"{path.name}:{node.lineno}: sympy's parser evaluates"
            if name == "sympify":  # only on values cost built itself, never on a string literal
                assert not any(isinstance(a, ast.Constant) and isinstance(a.value, str)
                               for a in node.args), f"{path.name}:{node.lineno}"
            if name in ("load", "load_all", "unsafe_load", "full_load"):
                owner = node.func.value.id if isinstance(node.func, ast.Attribute) and isinstance(
                    node.func.value, ast.Name) else ""
                assert owner != "yaml", (
                    f"{path.name}:{node.lineno}: yaml.{name} (use cost.spec.yamlio)")

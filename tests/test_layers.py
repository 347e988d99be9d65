"""The package's layout holds: the layer contracts of pyproject.toml (`lint-imports`), no module
below the command line going back up through the top-level package, and no `# noqa` for a rule
the project does not enable (such a comment documents nothing and hides nothing)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cost"
SOURCES = sorted(PACKAGE.rglob("*.py"))
LAYERS = [line.strip() for line in tomllib.loads((ROOT / "pyproject.toml").read_text())
          ["tool"]["importlinter"]["contracts"][0]["layers"]]


def test_lint_imports_keeps_every_contract() -> None:
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_every_subpackage_and_module_is_in_a_layer() -> None:
    named = {name.strip() for layer in LAYERS for name in layer.split("|")}
    top = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
           if (p.is_dir() and (p / "__init__.py").exists())
           or (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))}
    assert {f"cost.{t}" for t in top} == named


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(PACKAGE)) for p in SOURCES])
def test_no_module_imports_the_top_level_package(path: Path) -> None:
    """`cost/__init__.py` imports the layers; a layer importing `cost` itself (to call
    `cost.load`, say) would depend on every layer above it. The command line, the top layer,
    calls the public API as a user would."""
    if (path.parent == PACKAGE and path.stem in ("__init__", "__main__")) or \
            path.parent.name == "cli":
        return
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            assert all(a.name != "cost" for a in node.names), f"{path}:{node.lineno}: import cost"
        if isinstance(node, ast.ImportFrom) and node.module == "cost":
            for alias in node.names:  # `from cost import ops` names a subpackage: fine
                module = PACKAGE / alias.name
                assert module.is_dir() or module.with_suffix(".py").is_file(), \
                    f"{path}:{node.lineno}: from cost import {alias.name}"


def test_noqa_only_for_enabled_rules() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    enabled = tuple(config["select"])
    for path in [*SOURCES, *sorted((ROOT / "tests").glob("*.py")),
                 *sorted((ROOT / "benchmarks").glob("*.py"))]:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = re.search(r"#\s*noqa:\s*([A-Z0-9, ]+)", line)
            if m:
                for code in filter(None, (c.strip() for c in m.group(1).split(","))):
                    assert code.startswith(enabled), f"{path}:{n}: noqa {code} is not a rule " \
                                                     f"the project enables ({', '.join(enabled)})"

"""`cost profile` in every format, and the invariants its numbers must keep (torchinfo-style:
column sums equal the printed totals)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import cost
from cost.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
G3 = str(ROOT / "specs" / "shufflenet_g3.yaml")


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_table_shows_layers_totals_and_convention() -> None:
    out = invoke("profile", G3)
    assert "stage3/unit2/pw1" in out and "channel_shuffle" in out
    assert "total madds:  137,460,672" in out        # SNv1 Table 1: 137M (g = 3)
    assert "total params: 1,864,728" in out
    assert out.rstrip().splitlines()[-1].startswith("convention: madds = multiply-adds")


def test_json_has_integers_and_column_sums_equal_totals() -> None:
    doc = json.loads(invoke("profile", G3, "--format", "json"))
    assert set(doc) >= {"spec", "bindings", "convention", "total", "layers"}
    assert set(doc["total"]) == {"madds", "params", "mem_read", "mem_write", "mem", "intensity",
                                 "peak_mem"}
    assert doc["bindings"] == {"n": 1, "r": 224, "s": 1, "g": 3, "classes": 1000}
    for key in ("madds", "params", "mem_read", "mem_write"):
        assert sum(layer[key] for layer in doc["layers"]) == doc["total"][key]
        assert all(isinstance(layer[key], int) for layer in doc["layers"])
    assert doc["total"]["mem"] == doc["total"]["mem_read"] + doc["total"]["mem_write"]
    first = doc["layers"][0]
    read, write = 3 * 224 * 224 + 27 * 24, 24 * 112 * 112
    assert first == {"path": "conv1", "op": "conv", "in_shapes": [[1, 3, 224, 224]],
                     "out_shape": [1, 24, 112, 112], "madds": 112 * 112 * 27 * 24,
                     "params": 27 * 24, "mem_read": read, "mem_write": write,
                     "mem": read + write, "intensity": 112 * 112 * 27 * 24 / (read + write),
                     "live": 3 * 224 * 224 + 24 * 112 * 112}


def test_csv_and_markdown() -> None:
    rows = list(csv.DictReader(io.StringIO(invoke("profile", G3, "--format", "csv"))))
    assert sum(int(r["madds"]) for r in rows) == 137_460_672
    md = invoke("profile", G3, "--format", "markdown")
    assert "| path" in md and "- convention:" in md


def test_depth_aggregates_blocks_and_keeps_totals() -> None:
    doc = json.loads(invoke("profile", G3, "--format", "json", "--depth", "1"))
    paths = [layer["path"] for layer in doc["layers"]]
    assert paths == ["conv1", "bn", "relu", "pool1", "stage2", "stage3", "stage4", "pool",
                     "flatten", "fc"]
    assert sum(layer["madds"] for layer in doc["layers"]) == doc["total"]["madds"]
    table = invoke("profile", G3, "--depth", "2")
    assert "stage3/unit7" in table and "stage3/unit7/pw1" not in table


def test_set_preset_and_dtype_bytes() -> None:
    doc = json.loads(invoke("profile", str(ROOT / "specs" / "shufflenet_v1.yaml"),
                            "--preset", "megvii-0.5x-g8", "--format", "json"))
    assert doc["bindings"]["stem"] == 16 and doc["total"]["madds"] == 40_469_760  # README: 40M
    doc4 = json.loads(invoke("profile", G3, "--format", "json", "--dtype-bytes", "4"))
    doc1 = json.loads(invoke("profile", G3, "--format", "json"))
    assert doc4["total"]["mem_bytes"] == 4 * doc1["total"]["mem"]
    doc = json.loads(invoke("profile", str(ROOT / "specs" / "shufflenet_v1.yaml"),
                            "--set", "g=8", "--format", "json"))
    assert doc["total"]["madds"] == 138_365_952      # --set g=8 alone selects c = 384 (Table 1)


def test_symbolic_prints_closed_forms() -> None:
    out = invoke("profile", G3, "--symbolic")
    assert "free: n, r, s, classes" in out
    assert "total madds  = " in out and "r**2" in out
    out = invoke("profile", G3, "--keep", "r")
    assert "free: r" in out and "total madds  = " in out


def test_python_api() -> None:
    p = cost.profile(cost.load(G3, s=1, r=224, n=1))
    assert p.total.madds == 137_460_672 and p.formula("madds") == 137_460_672
    df = p.table()
    assert df["madds"].sum() == p.total.madds
    assert sum(c.madds for c in p.by_op().values()) == p.total.madds
    assert p.total.flops == 2 * p.total.madds


def test_python_dash_m_and_ops_listing() -> None:
    out = subprocess.run([sys.executable, "-m", "cost", "ops"], capture_output=True, text=True,
                         check=True).stdout
    assert "channel_shuffle" in out and "groups" in out


def test_profile_under_a_tool_convention() -> None:
    doc = json.loads(invoke("profile", G3, "--format", "json", "--convention", "fvcore"))
    assert doc["counting"]["convention"] == "fvcore"
    assert sum(layer["fvcore"] for layer in doc["layers"]) == doc["counting"]["total"]
    bn = [layer for layer in doc["layers"] if layer["op"] == "bn"][0]
    assert bn["fvcore"] == 2 * 24 * 112 * 112           # fvcore: BN in eval = 2 per element
    table = invoke("profile", G3, "--convention", "torch")
    assert "total torch: 274,921,344" in table          # 2 FLOPs per multiply-add: 2·137,460,672


def test_fuse_names_its_assumption() -> None:
    doc = json.loads(invoke("profile", G3, "--format", "json", "--fuse"))
    assert doc["total"]["madds"] == 137_460_672 and doc["assumptions"][0].startswith("fused:")
    assert not [layer for layer in doc["layers"] if layer["op"] == "bn"]


# --- one number formatter, one JSON converter, one NAME=VALUE parser ------------------------------


def test_render_docstring_examples() -> None:
    import doctest
    import importlib

    for name in ("cost.render.format", "cost.render.experiments", "cost.spec.bindings"):
        result = doctest.testmod(importlib.import_module(name))
        assert result.attempted > 0 and result.failed == 0, name


def test_jsonable_keeps_ints_exact_and_writes_the_rest_as_json_types() -> None:
    from fractions import Fraction

    import numpy as np
    import sympy

    from cost.render.format import dumps, jsonable

    r = sympy.Symbol("r", positive=True)
    value = {"big": 2**70, "s": Fraction(3, 2), "madds": 43527 * r**2 / 16 + 960000,
             "n": np.int64(7), "x": np.float64(0.5), "ok": np.bool_(True), "missing": float("nan"),
             "shape": (1, np.int64(24)), "none": None, "flag": False, "rows": np.array([1, 2])}
    assert jsonable(value) == {"big": 2**70, "s": "3/2", "madds": "43527*r**2/16 + 960000",
                               "n": 7, "x": 0.5, "ok": True, "missing": None, "shape": [1, 24],
                               "none": None, "flag": False, "rows": [1, 2]}
    assert type(jsonable(np.int64(7))) is int and type(jsonable(np.bool_(False))) is bool
    assert json.loads(dumps(value))["big"] == 2**70  # never through a float


def test_counts_format_the_same_everywhere() -> None:
    import numpy as np

    from cost.render.format import exact, format_count, signed_count

    assert [format_count(v) for v in (999, 1000, 39_552, 1_864_728, 137_460_672)] == \
        ["999", "1K", "39.6K", "1.86M", "137M"]
    assert exact(np.int64(1_864_728)) == exact(1_864_728) == "1,864,728"
    assert format_count(np.int64(8_128_512)) == "8.13M" and signed_count(0) == "0"
    # the unit follows the value rounded to 3 figures: 999,500 rounds to 1.00M, not "1000K"
    assert [format_count(v) for v in (999_499, 999_500, 999_999_999)] == ["999K", "1M", "1G"]


def test_one_name_value_parser_names_the_option() -> None:
    import pytest

    from cost.design.solve import SolveError, parse_target
    from cost.design.sweep import SweepError, parse_grid
    from cost.errors import BindingError
    from cost.papers.zoo import parse_bind
    from cost.spec.bindings import parse_assignment, parse_bindings

    assert parse_assignment("g = 8", option="--set") == ("g", "8")
    assert parse_assignment("a=b=c", option="--set") == ("a", "b=c")  # split at the first '='
    for bad in ("g", "=8", "g=", " = "):
        with pytest.raises(BindingError, match=r"--set .* is not NAME=VALUE"):
            parse_bindings([bad], option="--set")
    with pytest.raises(BindingError, match="binding 's' is not NAME=VALUE"):
        parse_bind("s;r=160")
    with pytest.raises(SweepError, match="--grid 'g' is not NAME=VALUES"):
        parse_grid(["g"])
    with pytest.raises(SolveError, match="--target 'madds' is not METRIC=VALUE"):
        parse_target("madds")
    with pytest.raises(BindingError, match="--set 'g=two': unknown name 'two'"):
        parse_bindings(["g=two"], option="--set")


def test_step_errors_name_the_step_option() -> None:
    result = CliRunner().invoke(main, ["solve", G3, "--target", "madds=40e6", "--for", "s",
                                       "--step", "x=1"])
    assert result.exit_code == 2 and "--step 'x=1'" in result.stderr


def test_the_frame_is_engine_data_and_takes_extra_columns() -> None:
    import ast

    from cost.conventions import count
    from cost.engine.frame import frame

    for module in ("frame", "profile"):
        tree = ast.parse((ROOT / "cost" / "engine" / f"{module}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {m for m in imported if m and m.startswith(("cost.render", "cost.conv"))}
    p = cost.profile(cost.load(G3))
    thop = count(p, "thop")
    df = frame(p, depth=1, extra={"thop": thop.values})
    assert list(df.columns[4:6]) == ["madds", "thop"] and df["thop"].sum() == thop.total
    assert df["madds"].sum() == p.total.madds


def test_long_lists_are_written_compactly_with_the_same_value() -> None:
    """A profile of 100,000 layers as JSON: one layer a line, by the C encoder, same value."""
    from cost.render.format import COMPACT_ROWS, dumps

    doc = {"name": "big", "total": {"madds": 10**20}, "layers": [
        {"path": f"l{i}", "madds": i, "shape": [1, i]} for i in range(COMPACT_ROWS + 1)]}
    text = dumps(doc)
    assert json.loads(text) == doc
    # a line a layer (10,001), and 7 line breaks around them: {, name, total {, madds, }, layers [
    # ... ], }
    assert text.count("\n") == (COMPACT_ROWS + 1) + 7
    small = {"layers": doc["layers"][:3]}
    assert dumps(small) == json.dumps(small, indent=2)

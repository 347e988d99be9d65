"""Graph features of the engine: `when`, `repeat`, names and paths, multi-output references."""

from __future__ import annotations

from pathlib import Path

import pytest

import cost

SPEC = """\
spec: 1
symbols:
  n: {default: 1}
  r: {default: 16}
  t: {default: 1}
input: [n, 8, r, r]
blocks:
  unit:
    params: {stride: 1, cout: cin}
    layers:
      - {id: expand, op: conv, out: cin*t, k: 1, when: t != 1}
      - {id: dw, op: conv, k: 3, stride: stride, pad: 1, groups: depthwise}
      - {id: project, op: conv, out: cout, k: 1}
      - {id: residual, op: add, in: [prev, x], when: stride == 1 and cin == cout}
network:
  - {id: a, op: unit}
  - {id: b, op: unit, stride: 2, cout: 16}
  - {id: c, op: unit, repeat: 2}
  - {id: split, op: channel_split}
  - {op: concat, in: [split.1, split.0]}
"""


def load(tmp_path: Path, text: str = SPEC, **bind) -> cost.Profile:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return cost.profile(cost.load(path, **bind))


def test_when_keeps_layers_only_where_the_condition_holds(tmp_path: Path) -> None:
    paths = [layer.path for layer in load(tmp_path).layers]
    assert paths == ["a/dw", "a/project", "a/residual",          # t = 1: no expand
                     "b/dw", "b/project",                        # stride 2: no shortcut
                     "c1/dw", "c1/project", "c1/residual", "c2/dw", "c2/project", "c2/residual",
                     "split", "concat"]
    paths = [layer.path for layer in load(tmp_path, t=6).layers]
    assert paths[:4] == ["a/expand", "a/dw", "a/project", "a/residual"]


def test_multi_output_references(tmp_path: Path) -> None:
    p = load(tmp_path)
    assert p.layers[-1].in_shapes == ((1, 8, 8, 8), (1, 8, 8, 8))
    with pytest.raises(cost.SpecError, match="has 2 outputs; name one"):
        load(tmp_path, SPEC.replace("in: [split.1, split.0]", "in: [split, split.0]"))
    with pytest.raises(cost.SpecError, match=r"allowed: split.0 to split.1"):
        load(tmp_path, SPEC.replace("in: [split.1, split.0]", "in: [split.2, split.0]"))


def test_when_on_free_symbols_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    with pytest.raises(cost.SpecError, match="when = t != 1 depends on free symbols"):
        cost.profile(cost.load(path, keep=("t",)))


def test_sources_name_the_producers(tmp_path: Path) -> None:
    p = load(tmp_path)
    index = {layer.path: i for i, layer in enumerate(p.layers)}
    residual = p.layers[index["a/residual"]]
    assert residual.sources == ((index["a/project"], 0), (-1, 0))   # prev and the block input x
    concat = p.layers[index["concat"]]
    assert concat.sources == ((index["split"], 1), (index["split"], 0))

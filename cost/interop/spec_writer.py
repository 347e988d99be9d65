"""A folded graph (`cost.interop.fold.Layout`) as spec text: one layer per line, ids from module
paths, `in:` by name, `n` and `r` as symbols with the source's sizes as defaults.

`write(graph)` folds and renders; `load_text(text, path)` reads the text back as a `Spec` (the
importer checks every spec it writes this way before anything is written to disk).
"""

from __future__ import annotations

import math
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

from cost.interop.fold import Layout, Line, fold
from cost.interop.graph import INPUT, Graph


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Fraction):
        return str(v) if v.denominator != 1 else str(v.numerator)
    return str(v)


def _line(line: Line, refs: dict[tuple[str, int], str], prev: tuple | None) -> str:
    parts = [f"id: {line.id}", f"op: {line.op}"]
    names = [refs.get(r, "x") for r in line.inputs]
    if not (len(line.inputs) == 1 and prev is not None and line.inputs[0] == prev):
        parts.append("in: " + (names[0] if len(names) == 1 else "[" + ", ".join(names) + "]"))
    if line.repeat != 1:
        parts.append(f"repeat: {line.repeat}")
    parts += [f"{k}: {_value(v)}" for k, v in line.args.items()]
    text = "{" + ", ".join(parts) + "}"
    if line.module and line.repeat == 1 and line.module.replace(".", "_") != line.id:
        text += f"  # {line.module}"
    return text


def _lines(lines: list[Line], indent: str) -> list[str]:
    refs: dict[tuple[str, int], str] = {}
    out = []
    made = {o for line in lines for o in line.outputs}
    outside = [r for line in lines for r in line.inputs if r not in made]
    prev = outside[0] if outside else None  # the list's input: a block's x, the network's input
    for line in lines:
        out.append(f"{indent}- {_line(line, refs, prev)}")
        for k, o in enumerate(line.outputs):
            refs[o] = line.id if len(line.outputs) == 1 else f"{line.id}.{k}"
        prev = line.outputs[0] if len(line.outputs) == 1 else None
    return out


def downsampling(graph: Graph) -> int | None:
    """The network's total stride when it divides the input size exactly (224 / 7 = 32): the
    multiple `r` is declared a multiple of, so that closed forms in `r` need no floors."""
    h = graph.input_shape[2]
    smallest = min((s[2] for n in graph.nodes for s in n.out_shapes if len(s) == 4
                    and n.op not in ("global_avgpool", "mean", "adaptive_avgpool")), default=h)
    if smallest < 1 or h % smallest:
        return None
    factor = h // smallest
    return factor if factor > 1 and factor & (factor - 1) == 0 else None


def render(layout: Layout, name: str, doc: str = "") -> str:
    g = layout.graph
    shape = g.input_shape
    if len(shape) != 4:
        raise ValueError("an NCHW input is needed")
    n, c, h, w = shape
    lines = [f"# Imported by `cost import` from {g.source or g.name}.",
             "# ids are module paths (layer1.0.conv1 -> layer1_0/conv1); a `repeat` numbers its "
             "layers from 1.",
             "spec: 1", f"name: {name}"]
    if doc:
        lines.append(f"doc: {doc}")
    lines += ["", "symbols:", f"  n: {{default: {n}, doc: batch size}}"]
    if h == w:
        m = downsampling(g)
        multiple = f", multiple_of: {m}" if m else ""
        lines.append(f"  r: {{default: {h}{multiple}, doc: input height = width}}")
        lines += ["", f"input: [n, {c}, r, r]"]
    else:
        lines += [f"  h: {{default: {h}, doc: input height}}",
                  f"  w: {{default: {w}, doc: input width}}", "", f"input: [n, {c}, h, w]"]
    if layout.blocks:
        lines += ["", "blocks:"]
        for block in layout.blocks.values():
            lines.append(f"  {block.name}:{' ' * max(1, 30 - len(block.name))}# {block.cls}")
            if block.params:
                lines.append("    params: {" + ", ".join(f"{p}: null" for p in block.params)
                             + "}")
            lines.append("    layers:")
            lines += _lines(block.lines, "      ")
    lines += ["", "network:"]
    lines += _lines(layout.network, "  ")
    return "\n".join(lines) + "\n"


def write(graph: Graph, name: str | None = None) -> str:
    """The spec text of `graph`, folded into blocks and repeats."""
    import re

    title = re.sub(r"[^A-Za-z0-9_.\-]", "_", name or graph.name) or "imported"
    return render(fold(graph), title, graph.doc)


def load_text(text: str, path: str = "imported.yaml") -> Any:
    """Read spec text as a `Spec` whose errors name `path`."""
    import dataclasses

    from cost.spec.parse import read_spec

    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "spec.yaml"
        file.write_text(text)
        spec = read_spec(file)
    return dataclasses.replace(spec, path=path)


__all__ = ["INPUT", "downsampling", "load_text", "math", "render", "write"]

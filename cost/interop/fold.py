"""Fold a flat `Graph` into the shape of a spec a person would write: blocks and repeats.

Modules become blocks: the nodes a module runs (contiguous in execution order) form a block call
when they read one value from outside and only their last output is used after them; a plain
`nn.Sequential` is transparent (its children are listed in its parent). Calls of the same module
class with the same structure share one block; their arguments that differ become the block's
parameters, except where a fixed multiple of the block's input channels says it (`out: cin/4`).
Consecutive identical calls chained one into the next become one line with `repeat`. In an ONNX
graph, with no modules, the importer gives each node the scope of the subgraph it found.

>>> Line("conv1", "conv", {"out": 64, "k": 7}).args["k"]
7
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cost.interop.graph import Graph, Node

TRANSPARENT = frozenset({"Sequential", "ModuleList", "ModuleDict"})
CHANNEL_ARGS = ("out", "groups")  # arguments that may follow the block's input channels


@dataclass
class Line:
    """One layer line: an op or a block call."""

    id: str
    op: str
    args: dict[str, Any]
    inputs: tuple[tuple[str, int], ...] = ()  # graph values read
    outputs: tuple[tuple[str, int], ...] = ()  # graph values made (a call: its last node's)
    body: list[Line] | None = None  # a block call's lines, before folding into a block
    cls: str = ""  # the module class of a call
    module: str = ""  # the module path
    cin: int = 0  # channels of the call's input
    repeat: int = 1
    depth: int = 0


@dataclass
class Block:
    name: str
    cls: str
    params: list[str]
    lines: list[Line]


@dataclass
class Layout:
    graph: Graph
    blocks: dict[str, Block] = field(default_factory=dict)
    network: list[Line] = field(default_factory=list)


def local_id(name: str, prefix: str, op: str) -> str:
    """The id of `name` inside the module at `prefix`: `layer1.0.conv1` -> `conv1`; dots become
    underscores, and an id starting with a digit (a Sequential's child) gets the op in front."""
    rel = name[len(prefix) + 1:] if prefix and name.startswith(prefix + ".") else name
    text = re.sub(r"[^A-Za-z0-9_]", "_", rel)
    if not text or not text[0].isalpha():
        text = f"{op}_{text}".rstrip("_")
    return text


def _lines(graph: Graph, nodes: list[Node], depth: int, prefix: str, users: dict) -> list[Line]:
    out: list[Line] = []
    i = 0
    while i < len(nodes):
        node = nodes[i]
        if len(node.scope) <= depth:
            out.append(Line(local_id(node.name, prefix, node.op), node.op, dict(node.args),
                            node.inputs, tuple((node.name, j) for j in
                                               range(len(node.out_shapes)))))
            i += 1
            continue
        path, cls = node.scope[depth]
        j = i
        while j < len(nodes) and len(nodes[j].scope) > depth and nodes[j].scope[depth][0] == path:
            j += 1
        group = nodes[i:j]
        i = j
        inner = _lines(graph, group, depth + 1, path if cls not in TRANSPARENT else prefix,
                       users)
        if cls in TRANSPARENT or not _callable(group, users):
            if cls not in TRANSPARENT:  # inlined: ids keep the module's path
                for line in inner:
                    line.id = local_id(path, prefix, line.op) + "_" + line.id
            out.extend(inner)
            continue
        names = {n.name for n in group}
        (x,) = {r for n in group for r in n.inputs if r[0] not in names}
        last = group[-1]
        out.append(Line(local_id(path, prefix, cls), cls, {}, (x,),
                        tuple((last.name, k) for k in range(len(last.out_shapes))),
                        inner, cls, path, graph.shape_of(x)[1], depth=depth))
    return out


def _callable(group: list[Node], users: dict) -> bool:
    """One value read from outside, one output (the last node's) used after it."""
    names = {n.name for n in group}
    outside = {r for n in group for r in n.inputs if r[0] not in names}
    if len(outside) != 1 or len(group[-1].out_shapes) != 1:
        return False
    for n in group[:-1]:
        if any(u not in names for u in users.get(n.name, ())):
            return False
    return True


def fold(graph: Graph) -> Layout:
    users: dict[str, set[str]] = {}
    for n in graph.nodes:
        for r in n.inputs:
            users.setdefault(r[0], set()).add(n.name)
    users.setdefault(graph.nodes[-1].name, set()).add("<output>")
    layout = Layout(graph)
    layout.network = _lines(graph, graph.nodes, 0, "", users)
    calls: list[Line] = []

    def collect(lines: list[Line]) -> None:
        for line in lines:
            if line.body is not None:
                collect(line.body)
                calls.append(line)

    collect(layout.network)
    for depth in sorted({c.depth for c in calls}, reverse=True):  # innermost blocks first
        level = [c for c in calls if c.depth == depth]
        families: dict[Any, list[Line]] = {}
        for call in level:
            call.body = _repeats(call.body)
            families.setdefault((call.cls, _structure(call.body)), []).append(call)
        for (cls, _), members in families.items():
            _define(layout, cls, members)
    layout.network = _repeats(layout.network)
    return layout


def _value_slots(lines: list[Line]) -> list[tuple[int, str]]:
    return [(i, k) for i, line in enumerate(lines) for k, v in sorted(line.args.items())
            if _numeric(v)] + [(i, "repeat") for i, line in enumerate(lines)]


def _numeric(v: Any) -> bool:
    return isinstance(v, (int, Fraction)) and not isinstance(v, bool)


def _refs(lines: list[Line]) -> list[tuple]:
    """Each line's inputs as local references: (line index, output index), or ("x",) for a value
    from outside the list (a block's input)."""
    made: dict[tuple[str, int], tuple] = {}
    refs = []
    for i, line in enumerate(lines):
        refs.append(tuple(made.get(r, ("x",)) for r in line.inputs))
        for k, o in enumerate(line.outputs):
            made[o] = (i, k)
    return refs


def _structure(lines: list[Line]) -> tuple:
    """What two bodies must share to be one block: ids, ops, argument names and non-numbers,
    wiring. Numbers may differ (they become parameters)."""
    wiring = _refs(lines)
    return tuple((line.id, line.op, tuple(sorted((k, None if _numeric(v) else v)
                                                 for k, v in line.args.items())), w)
                 for line, w in zip(lines, wiring, strict=True))


def _define(layout: Layout, cls: str, members: list[Line]) -> None:
    template = members[0].body
    assert template is not None
    name = _block_name(layout, cls, template)
    params: list[str] = []
    vectors: dict[tuple, str] = {}
    lines = [Line(line.id, line.op, dict(line.args), line.inputs, line.outputs,
                  repeat=line.repeat) for line in template]
    for i, key in _value_slots(template):
        values = [(m.body[i].repeat if key == "repeat" else m.body[i].args[key])  # type: ignore
                  for m in members]
        if len(set(values)) == 1:
            continue  # the same everywhere: the number stays in the block
        expr = None
        if key in CHANNEL_ARGS and all(m.cin for m in members):
            ratios = {Fraction(v, m.cin) for v, m in zip(values, members, strict=True)}
            if len(ratios) == 1:
                expr = _times_cin(ratios.pop())
        if expr is None:
            vector = tuple(values)
            if vector not in vectors:
                pname = key if key not in params and key not in ("repeat",) else \
                    f"{lines[i].id}_{key}"
                while pname in params:
                    pname += "_"
                params.append(pname)
                vectors[vector] = pname
                for m, v in zip(members, values, strict=True):
                    m.args[pname] = v
            expr = vectors[vector]
        if key == "repeat":
            lines[i].repeat = expr  # type: ignore[assignment]
        else:
            lines[i].args[key] = expr
    layout.blocks[name] = Block(name, cls, params, lines)
    for m in members:
        m.op = name
        m.body = None


def _times_cin(ratio: Fraction) -> str:
    if ratio == 1:
        return "cin"
    if ratio.denominator == 1:
        return f"{ratio.numerator}*cin"
    if ratio.numerator == 1:
        return f"cin/{ratio.denominator}"
    return f"cin*{ratio.numerator}/{ratio.denominator}"


def _block_name(layout: Layout, cls: str, lines: list[Line]) -> str:
    from cost import ops

    base = re.sub(r"[^A-Za-z0-9_]", "_", cls) or "block"
    if not base[0].isalpha():
        base = "block_" + base
    if ops.is_registered(base):
        base += "_block"
    if base not in layout.blocks:
        return base
    first = {line.id for line in layout.blocks[base].lines}
    extra = [line.id for line in lines if line.id not in first]
    name = f"{base}_{re.sub(r'_?[0-9]+$', '', extra[0]) or extra[0]}" if extra else f"{base}_2"
    i = 2
    while name in layout.blocks:
        i += 1
        name = f"{base}_{i}"
    return name


def _repeats(lines: list[Line]) -> list[Line]:
    """Runs of identical calls, each fed by the one before and not read elsewhere, as one line."""
    read: dict[tuple[str, int], int] = {}
    for line in lines:
        for r in line.inputs:
            read[r] = read.get(r, 0) + 1
    out: list[Line] = []
    taken = {line.id for line in lines}
    i = 0
    while i < len(lines):
        line = lines[i]
        j = i + 1
        if line.body is None and line.op not in _OPS_CACHE():
            while j < len(lines) and lines[j].op == line.op and lines[j].args == line.args and \
                    lines[j].inputs == lines[j - 1].outputs and lines[j].repeat == 1 and \
                    read.get(lines[j - 1].outputs[0], 0) == 1:
                j += 1
        if j - i >= 2:
            run = lines[i:j]
            stem = re.sub(r"\d+$", "", run[0].id)
            ident = stem if stem and stem not in taken else run[0].id + "_"
            taken.add(ident)
            out.append(Line(ident, line.op, dict(line.args), line.inputs, run[-1].outputs,
                            cls=line.cls, module=line.module, cin=line.cin, repeat=j - i,
                            depth=line.depth))
        else:
            out.append(line)
        i = j
    return out


def _OPS_CACHE() -> set[str]:  # noqa: N802 - registered op names (repeats fold block calls only)
    from cost import ops

    return set(ops.names())

"""The importers' common form: a flat list of op applications, in execution order.

Each `Node` is one registered op (`cost.ops`) with its arguments as concrete values, the values it
reads (`(node name, output index)`, "input" for the network input), the modules it sits in
(outermost first: `(path, class name)`, for folding into blocks) and its output shapes as the
source computed them. The last node's first output is the network's output.

>>> g = Graph("tiny", (1, 3, 8, 8), [Node("conv1", "conv", {"out": 4, "k": 3, "pad": 1},
...     (("input", 0),), (), ((1, 4, 8, 8),))])
>>> g.nodes[-1].name
'conv1'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cost.errors import SpecError

INPUT = "input"


class SourceError(SpecError):
    """A model source cannot be read or expressed as a spec: missing, corrupt, an unsupported op,
    control flow a tracer cannot follow, a module path that does not import."""


@dataclass
class Node:
    name: str  # unique in the graph: the module path ("layer1.0.conv1") or the function's name
    op: str  # a registered op
    args: dict[str, Any]  # its arguments (ints, bools, Fractions), defaults left out
    inputs: tuple[tuple[str, int], ...]  # (node name or INPUT, output index)
    scope: tuple[tuple[str, str], ...]  # enclosing modules, outermost first: (path, class name)
    out_shapes: tuple[tuple[int, ...], ...]
    kind: str = ""  # what the source called it (module class, function, ONNX op type)


@dataclass
class Graph:
    name: str
    input_shape: tuple[int, ...]
    nodes: list[Node] = field(default_factory=list)
    source: str = ""  # where it came from, for the spec's header
    doc: str = ""

    def shape_of(self, ref: tuple[str, int]) -> tuple[int, ...]:
        if ref[0] == INPUT:
            return self.input_shape
        return self.by_name()[ref[0]].out_shapes[ref[1]]

    def by_name(self) -> dict[str, Node]:
        cache = self.__dict__.get("_by_name")
        if cache is None or len(cache) != len(self.nodes):
            cache = {n.name: n for n in self.nodes}
            self.__dict__["_by_name"] = cache
        return cache


def unique(name: str, taken: set[str]) -> str:
    """`name`, or `name_1`, `name_2`, ... if taken; the result is added to `taken`."""
    found, i = name, 0
    while found in taken:
        i += 1
        found = f"{name}_{i}"
    taken.add(found)
    return found

"""Peak memory footprint: the activations alive at once over the walk order, plus the weights.

A tensor lives from the layer that produces it to its last consumer, both included: the network
input from the start to its last consumer, the network output (the last layer's outputs) to the
end, an output no layer reads only while its producer runs. A view (`Op.view`: flatten, dropout)
allocates nothing: its output is its input's storage, which then lives until the view's last
consumer. `live(layers)[i]` is what layer i holds while it runs: its inputs, its outputs and
every earlier tensor still waiting for a later consumer (counted in elements, like `mem`). The
peak footprint is the largest of these plus every parameter (`peak_mem`): the memory an inference
that frees each tensor after its last use needs, in this order, without reusing buffers in place.

With symbols free the sizes are expressions and the peak is a sympy `Max` of them: sympy drops
the terms it can prove smaller when there are at most `MAX_SIMPLIFIED_TERMS` distinct ones; past
that the Max is kept whole (its pairwise comparisons of floor-laden sizes take minutes), and it
still binds to the exact number.

>>> from cost.engine.memory import peak
>>> peak([3, 7, 5]), peak([])
(7, 0)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from cost.symbolic import is_concrete, normalize, numel, sint, sp, to_sympy, total

INPUT = (-1, 0)  # Layer.sources' name for the network input
MAX_SIMPLIFIED_TERMS = 12  # distinct symbolic sizes sympy may compare to simplify a peak


def peak(values: Iterable[sint]) -> sint:
    """The largest of `values`: an int when all are numbers, else a sympy Max (0 for none)."""
    values = list(values)
    if not values:
        return 0
    if all(is_concrete(v) for v in values):
        return max(values)
    s = sp()
    terms = list(dict.fromkeys(to_sympy(v) for v in values))  # each distinct size once
    if len(terms) > MAX_SIMPLIFIED_TERMS:  # sympy compares terms pairwise: keep them all
        return s.Max(*terms, evaluate=False)
    return normalize(s.Max(*terms))


def live(layers: Sequence[Any]) -> list[sint]:
    """Elements of activations held while each layer of `layers` (walk order, each with
    `sources`, `in_shapes`, `out_shapes` and `node`) runs."""
    storage: dict[tuple[int, int], tuple[int, int]] = {}  # tensor -> the tensor owning its memory
    size: dict[tuple[int, int], sint] = {}  # owning tensor -> elements
    born: dict[tuple[int, int], int] = {}
    last: dict[tuple[int, int], int] = {}
    for i, layer in enumerate(layers):
        for shape, source in zip(layer.in_shapes, layer.sources, strict=True):
            if source == INPUT and INPUT not in storage:
                storage[INPUT] = INPUT
                size[INPUT], born[INPUT] = numel(shape), 0
        for source in layer.sources:
            last[storage[source]] = i
        view = getattr(layer.node, "view", False) and len(layer.sources) == 1
        for j, shape in enumerate(layer.out_shapes):
            if view:  # no allocation: the output is the input's memory under another shape
                storage[i, j] = storage[layer.sources[0]]
            else:
                storage[i, j] = (i, j)
                size[i, j], born[i, j] = numel(shape), i
                last[i, j] = i
    if layers:  # the network output is held to the end
        end = len(layers) - 1
        for j in range(len(layers[-1].out_shapes)):
            last[storage[end, j]] = end
    change: list[list[sint]] = [[] for _ in range(len(layers) + 1)]  # allocated minus freed
    for tensor, first in born.items():
        change[first].append(size[tensor])
        change[last[tensor] + 1].append(-size[tensor])
    out: list[sint] = []
    held: sint = 0
    for i in range(len(layers)):
        held = total([held, *change[i]])
        out.append(held)
    return out

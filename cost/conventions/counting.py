"""Counting primitives for the conventions of `cost.conventions`, and what a count returns.

A rule is a function of one engine `Layer` that returns a count (an `sint`: an int once bound, a
sympy expression while symbols are free). Rules read only the layer's shapes (`in_shapes`,
`out_shapes`) and what its op declares (`Op.madds`, `Op.weights`, `Op.variant`, a pooling op's
`window_args`), never an op's arguments by name; the primitives below are the quantities the
profilers' formulas are built from, so each convention's table reads as its tool's source does.
A contraction's multiply-adds are the op's own formula (`own_madds`), which every tool that counts
them shares.

>>> from types import SimpleNamespace as L
>>> from cost.ops.conv import Conv
>>> dw = L(node=Conv(k=3, stride=2, pad=1, groups="depthwise", bias=True),
...        in_shapes=((1, 8, 10, 10),), out_shapes=((1, 8, 5, 5),))
>>> param_count(dw), bias_adds(dw)  # 8·1·3·3 weights + 8 biases; one add per output element
(80, 200)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cost.errors import SpecError
from cost.symbolic import div, is_concrete, normalize, numel, sint, sp, to_sympy, total

if TYPE_CHECKING:
    from cost.engine.walk import Layer

Rule = Callable[["Layer"], sint]


# --- primitives ---------------------------------------------------------------------------------


def zero(layer: Layer) -> int:
    """0: the op costs nothing in the convention (each table says why, next to the entry)."""
    return 0


def own_madds(layer: Layer) -> sint:
    """The op's own multiply-adds (`Op.madds`, the paper convention of `cost.ops`), as the engine
    computed them for the layer: conv's n·h'·w' · k²·(cin/g)·cout, linear's n · fin · out."""
    return layer.cost.madds


def batch(layer: Layer) -> sint:
    """n, the batch size: dimension 0 of the first input."""
    return layer.in_shapes[0][0]


def in_numel(layer: Layer) -> sint:
    """Elements of the first input."""
    return numel(layer.in_shapes[0])


def out_numel(layer: Layer) -> sint:
    """Elements of the (first) output."""
    return numel(layer.out_shapes[0])


def param_count(layer: Layer) -> sint:
    """Learnable elements of the layer (weights and biases as `Op.weights` declares them)."""
    return total(numel(w) for w in layer.node.weights(layer.in_shapes).values())


def bias_adds(layer: Layer) -> sint:
    """One add per output element when the layer has a bias (a weight named "bias", PyTorch's
    name: conv, linear), else 0."""
    return out_numel(layer) if "bias" in layer.node.weights(layer.in_shapes) else 0


def window_inputs(layer: Layer) -> sint:
    """Σ over a pooling layer's outputs of its window's size, per (n, c) plane: the window is
    clipped to the padded input [−pad, size + pad) (zero padding counted, PyTorch's
    count_include_pad=True, which `avgpool` follows); only a ceil_mode overhang is cut off.

    Without ceil_mode every window lies inside the padded input (the floor rule), so this is
    h'·kh · w'·kw. With ceil_mode the sizes must be numbers.
    """
    ks, strides, pads, ceil_mode = layer.node.window_args()
    _, _, h, w = layer.in_shapes[0]
    _, _, ho, wo = layer.out_shapes[0]
    per_axis = []
    for size, out, k, stride, pad in zip((h, w), (ho, wo), ks, strides, pads, strict=True):
        if not ceil_mode:
            per_axis.append(out * k)
            continue
        if not all(is_concrete(v) for v in (size, out, k, stride, pad)):
            raise SpecError("a ceil_mode window sum needs numbers", where=layer.path,
                            hint="bind the symbols (--set) to count it")
        per_axis.append(sum(max(min(i * stride - pad + k, size + pad) - max(i * stride - pad, -pad),
                                0) for i in range(out)))
    return normalize(per_axis[0] * per_axis[1])


def pooled_inputs(layer: Layer) -> sint:
    """n · c · `window_inputs`: one add per pooled input element, over the whole batch."""
    n, c, _, _ = layer.in_shapes[0]
    return normalize(n * c * window_inputs(layer))


def bin_inputs(length: sint, size: sint) -> sint:
    """Σ of the lengths of an adaptive pool's `size` bins on an axis of `length` inputs, bin i
    being [floor(i·length/size), ceil((i+1)·length/size)) (PyTorch's; `cost.ops.pool`):
    length + size − gcd(length, size).

    Σ (floor((i+1)·L/s) − floor(i·L/s)) telescopes to L; each ceiling adds 1 to its floor unless
    (i+1)·L/s is whole, which it is for the gcd(L, s) values of i + 1 that s/gcd(L, s) divides.
    With `length` free and `size` a number, the gcd is the largest divisor d of size with
    d | length, a Piecewise that binds to a number; a free `size` is an error.

    >>> bin_inputs(7, 3), bin_inputs(5, 6), bin_inputs(13, 1)  # 3+3+3; 1+2+2+2+2+1; 13
    (9, 10, 13)
    """
    if is_concrete(length) and is_concrete(size):
        return length + size - math.gcd(length, size)
    if not is_concrete(size):
        raise SpecError("an adaptive pool's window sum needs a number for its size",
                        hint="bind the symbols (--set) to count it")
    s = sp()
    divisors = sorted((d for d in range(1, size + 1) if size % d == 0), reverse=True)
    gcd = s.Piecewise(*((d, s.Eq(s.Mod(to_sympy(length), d), 0)) for d in divisors[:-1]),
                      (1, True))
    return normalize(to_sympy(length) + size - gcd)


def adaptive_pooled_inputs(layer: Layer) -> sint:
    """n · c · `bin_inputs`(h) · `bin_inputs`(w): one add per pooled input element of an
    adaptive pool, over the whole batch; inputs in overlapping bins count once per bin."""
    n, c, h, w = layer.in_shapes[0]
    _, _, ho, wo = layer.out_shapes[0]
    return normalize(n * c * bin_inputs(h, ho) * bin_inputs(w, wo))


def out_positions(layer: Layer) -> sint:
    """n · the output's spatial positions: prod(output[:1] + output[2:]), torchinfo's factor for
    the weights of a "Conv…" module (n·h'·w'); n alone for an (n, features) output."""
    y = layer.out_shapes[0]
    return numel((y[0], *y[2:]))


def params_per_position(layer: Layer) -> sint:
    """The layer's parameter count × `out_positions`: every weight and bias once per output
    position (torchinfo's Conv rule; for conv it equals madds + bias adds)."""
    return normalize(param_count(layer) * out_positions(layer))


def by_variant(rules: dict[str, Rule]) -> Rule:
    """The rule of the op's `Op.variant()` (upsample's mode, layernorm's data format), for a
    tool that counts an op's forms apart; a variant without a rule is an error."""

    def dispatched(layer: Layer) -> sint:
        variant = layer.node.variant()
        if variant not in rules:
            raise SpecError(f"no rule for {layer.op} in its form {variant!r}", where=layer.path,
                            hint="add it to the convention's table in cost/conventions/tools.py")
        return rules[variant](layer)

    dispatched.__name__ = "by variant: " + ", ".join(f"{v} {r.__name__}" for v, r in rules.items())
    return dispatched


def batch_params(layer: Layer) -> sint:
    """n · the layer's parameter count."""
    return normalize(batch(layer) * param_count(layer))


def per_image(rule: Rule) -> Rule:
    """`rule` divided by the batch size: a count averaged over the images of the batch."""

    def averaged(layer: Layer) -> sint:
        return div(rule(layer), batch(layer))

    averaged.__doc__ = f"({rule.__name__}) / n"
    averaged.__name__ = f"per_image({rule.__name__})"
    return averaged


def times(factor: int, rule: Rule) -> Rule:
    """`factor` × `rule`."""

    def scaled(layer: Layer) -> sint:
        return normalize(factor * rule(layer))

    scaled.__name__ = f"{factor}*{rule.__name__}"
    return scaled


def plus(*rules: Rule) -> Rule:
    """The sum of several rules (a module hook and a patched function both firing)."""

    def summed(layer: Layer) -> sint:
        return total(r(layer) for r in rules)

    summed.__name__ = " + ".join(r.__name__ for r in rules)
    return summed


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """Per-layer counts of a profile under one convention (aligned with `profile.layers`).

    `values[i]` is layer i's count; `total` their sum; `by_op` the sums per op type.
    """

    convention: str
    ops: tuple[str, ...]  # op name of each layer
    values: tuple[sint, ...]

    @property
    def total(self) -> sint:
        return total(self.values)

    def by_op(self) -> dict[str, sint]:
        """Sum per op type, in order of first appearance."""
        out: dict[str, list[sint]] = {}
        for op, v in zip(self.ops, self.values, strict=True):
            out.setdefault(op, []).append(v)
        return {op: total(vs) for op, vs in out.items()}

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, i: int) -> sint:
        return self.values[i]


def difference(a: Count, b: Count) -> tuple[sint, dict[str, sint]]:
    """a − b in total and per op type, the op types whose counts differ only, largest first.

    >>> a = Count("thop", ("conv", "bn"), (10, 8)); b = Count("paper", ("conv", "bn"), (10, 0))
    >>> difference(a, b)
    (8, {'bn': 8})
    """
    ours, theirs = a.by_op(), b.by_op()
    parts = {op: normalize(ours[op] - theirs.get(op, 0)) for op in ours}
    parts = {op: d for op, d in parts.items() if d != 0}
    if all(is_concrete(d) for d in parts.values()):
        parts = dict(sorted(parts.items(), key=lambda kv: -abs(kv[1])))
    return normalize(a.total - b.total), parts


def table_rows(counts: Sequence[Count]) -> list[tuple[str, list[Any]]]:
    """(op, [count under each convention]) for every op type, in order of first appearance."""
    ops = list(dict.fromkeys(op for c in counts for op in c.ops))
    sums = [c.by_op() for c in counts]
    return [(op, [s.get(op, 0) for s in sums]) for op in ops]

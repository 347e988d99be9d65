"""Predicted latency: the profile's kernels as the runtime runs them, each timed by its model.

A spec's layers become kernels in two steps:

1. deployment fusion, `cost.engine.fusion.fuse`: bn folds into the conv/linear before it, and so
   does the activation right after such a bn;
2. the runtime's activation fusion: an activation that directly follows a conv/linear (fed by it
   alone) runs in the same kernel (onnxruntime's ConvActivationFusion, torch's fused conv-relu).

Views (flatten, dropout) run no kernel. Every other kernel has a kind (`device.KINDS`), decided
from what the ops declare (kind, weights, `is_pointwise`, `is_depthwise`, inputs and outputs), never
from op names, and its time is its kind's model in the device profile (`cost.latency.device`),
or the model of its op ("activation.hard_swish") or of its window ("depthwise.k5") where the
profile has one (`model_key`):

    t = max(m·a, y·b) + o + G·e    (roofline)      or      t = m·a + y·b + o + G·e    (additive)

with m the kernel's multiply-adds, y its memory access in bytes (elements × dtype_bytes), G its
groups (a convolution's in-channels over its weight's; 1 for other kernels), a and b the device's
seconds per multiply-add and per byte (1/peak, 1/bandwidth, as exact attoseconds), o its
per-kernel overhead and e its per-group overhead. A kernel with weights has one more ceiling,
w·c: its weight bytes w streamed at the device's in-network weight rate c (1/weight_bandwidth:
in a network a layer's weights have left the caches since the last run, unlike in a
micro-benchmark; it binds where each weight is used a few times only: fully connected layers,
1×1 convs on 1×1 maps), so t = max(model, w·c) + o + G·e. The network's latency is
`run_overhead` plus the sum over kernels. Its bound is the largest of the three terms (compute
m·a, memory max(y·b, w·c), overhead o + G·e).

For a symbolic profile the same sum is a closed form (sympy `Max`, and `Piecewise` where a kind
depends on a free symbol, e.g. groups g = 1 or not), which `cost.design` sweeps and solves exactly.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cost.engine.fusion import FUSION_ASSUMPTION, absorbs_affine, is_epilogue, plan
from cost.engine.profile import Profile
from cost.engine.walk import Layer
from cost.latency.device import Device, KindModel
from cost.symbolic import is_concrete, sp, to_sympy

ACTIVATION_FUSION = (
    "runtime: an activation fed by a conv/linear alone runs in that kernel (onnxruntime "
    "ConvActivationFusion)"
)
FUSION_RULES = (FUSION_ASSUMPTION, ACTIVATION_FUSION)
BOUNDS = ("compute", "memory", "overhead")


@dataclass(frozen=True)
class Kernel:
    """One kernel: the layer that runs it, the layers folded into it, and its predicted time."""

    path: str
    op: str
    kind: Any  # a KINDS key, or a sympy Piecewise of them while it depends on free symbols
    folded: tuple[str, ...]
    madds: Any
    bytes: Any
    groups: Any
    compute: Any  # seconds (exact Fraction when bound, sympy otherwise)
    memory: Any
    overhead: Any  # o + G·e
    time: Any

    @property
    def bound(self) -> str:
        """Which term dominates: compute, memory or overhead (ties: the first)."""
        terms = {"compute": self.compute, "memory": self.memory, "overhead": self.overhead}
        if not all(is_concrete(v) for v in terms.values()):
            return "?"
        return max(BOUNDS, key=lambda b: terms[b])


@dataclass(frozen=True)
class Prediction:
    """Per-kernel predicted times and the total (seconds)."""

    profile: Profile
    device: Device
    kernels: list[Kernel]
    run_overhead: Fraction
    total: Any  # exact Fraction when bound, a sympy closed form otherwise

    def by_kind(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k in self.kernels:
            out[str(k.kind)] = out.get(str(k.kind), 0) + k.time
        return out

    def by_bound(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k in self.kernels:
            out[k.bound] = out.get(k.bound, 0) + k.time
        return out


# --- kernels -------------------------------------------------------------------------------------


def kernel_layers(profile: Profile, epilogues: tuple[str, ...] | None = None
                  ) -> list[tuple[Layer, tuple[str, ...]]]:
    """The layers that run a kernel after both fusion steps, with the paths folded into each.

    `epilogues`: the activations (op names) the runtime fuses into a conv/linear; None: all of
    them (the engine's assumption, `cost.engine.fusion`). An activation not listed runs as a
    kernel of its own even after a folded bn. The absorbing layer carries the bias it gains.
    """
    layers = profile.layers
    fused = {i: t for i, t in plan(layers).into.items()
             if epilogues is None or not is_epilogue(layers[i]) or layers[i].op in epilogues}
    consumers = Counter(src for layer in layers for src, _ in layer.sources if src >= 0)
    with_epilogue = {t for i, t in fused.items() if is_epilogue(layers[i])}
    for i, layer in enumerate(layers):  # the runtime's rule: an activation right after a conv
        if i in fused or not is_epilogue(layer):
            continue
        if epilogues is not None and layer.op not in epilogues:
            continue
        (src, _), = layer.sources
        if src < 0 or consumers[src] != 1:
            continue
        target = fused.get(src, src)
        if absorbs_affine(layers[target]) and target not in with_epilogue:
            fused[i] = target
            with_epilogue.add(target)
    affine = {t for i, t in fused.items() if not is_epilogue(layers[i])}
    out = []
    for i, layer in enumerate(layers):
        if i in fused or type(layer.node).view:
            continue
        if i in affine:  # a folded bn's shift became its bias
            node = layer.node.with_bias()
            if node is not layer.node:
                layer = dataclasses.replace(layer, node=node,
                                            cost=node.cost(layer.in_shapes, layer.out_shapes))
        out.append((layer, tuple(layers[j].path for j in sorted(fused) if fused[j] == i)))
    return out


def kind_of(layer: Layer) -> Any:
    """The kernel kind of a layer (a KINDS key), or a Piecewise over kinds while undecided."""
    node = type(layer.node)
    if node.view:
        return None
    if node.kind == "contraction":
        weights = layer.node.weights(layer.in_shapes)
        shape = max(weights.values(), key=len) if weights else ()
        if len(shape) <= 2:
            return "linear"
        if layer.node.is_depthwise(layer.in_shapes):
            return "depthwise"
        dense = "pointwise" if layer.node.is_pointwise() else "dense"
        s = sp()
        same = s.Eq(to_sympy(shape[1]), to_sympy(layer.in_shapes[0][1]))
        if same is s.true:
            return dense
        if same is s.false:
            return "grouped"
        return s.Piecewise((s.Symbol(dense), same), (s.Symbol("grouped"), True))
    if node.kind in ("activation", "norm"):
        return node.kind
    if node.kind == "elementwise_binary":
        return "binary"
    if node.kind in ("pool", "adaptive_pool"):
        return "pool"
    if node.kind == "global_pool":
        return "global_pool"
    if len(layer.in_shapes) > 1:
        return "gather"
    if len(layer.out_shapes) > 1:
        return "scatter"
    return "permute"


def variant_of(layer: Layer) -> str | None:
    """A contraction's spatial window as the name of its variant ("k3", "k5", "k1x7"), None for
    other layers and for a window that depends on a free symbol. A kind's model can have a
    variant of its own (`model_key`): a runtime runs a 5×5 depthwise conv on another code path
    than a 3×3 one, at a different cost per multiply-add."""
    if type(layer.node).kind != "contraction":
        return None
    weights = layer.node.weights(layer.in_shapes)
    shape = max(weights.values(), key=len) if weights else ()
    window = shape[2:]
    if not window or not all(is_concrete(v) for v in window):
        return None
    sizes = [int(v) for v in window]
    return f"k{sizes[0]}" if len(set(sizes)) == 1 else "k" + "x".join(map(str, sizes))


def model_key(models: Any, kind: str, layer: Layer) -> str:
    """Which model of `models` (a mapping keyed by kind, "kind.op" or "kind.variant") times
    `layer`: the op's own model, else its variant's, else its kind's."""
    for key in (f"{kind}.{layer.op}", f"{kind}.{variant_of(layer)}"):
        if key in models:
            return key
    return kind


def groups_of(layer: Layer) -> Any:
    """A convolution's groups (in-channels over the weight's second dimension); 1 otherwise."""
    if type(layer.node).kind != "contraction":
        return 1
    weights = layer.node.weights(layer.in_shapes)
    shape = max(weights.values(), key=len) if weights else ()
    if len(shape) <= 2:
        return 1
    cin = layer.in_shapes[0][1]
    if is_concrete(cin) and is_concrete(shape[1]):
        return Fraction(cin) / Fraction(shape[1])
    s = sp()
    return s.cancel(to_sympy(cin) / to_sympy(shape[1]))


def _terms(model: KindModel, madds: Any, nbytes: Any, groups: Any, wbytes: Any = 0,
           cold: Fraction = Fraction(0)) -> tuple[Any, Any, Any, Any]:
    """(compute, memory, fixed, time) of one kernel; the weights' in-network streaming time
    wbytes·cold is one more ceiling: time = max(model's top, wbytes·cold) + fixed, and memory
    is reported as the larger of the two memory terms."""
    a, b = model.seconds_per_madd, model.seconds_per_byte
    o, e = model.overhead_seconds, model.group_seconds
    compute, memory = madds * a, nbytes * b
    cache, spill = model.cache_bytes, model.spill_seconds_per_byte
    if is_concrete(compute) and is_concrete(memory) and is_concrete(groups):
        compute, memory = Fraction(compute), Fraction(memory)
        if cache is not None:
            memory += max(0, nbytes - cache) * spill
        fixed = o + Fraction(groups) * e
        top = max(compute, memory) if model.form == "roofline" else compute + memory
        weights = Fraction(wbytes) * cold
        return compute, max(memory, weights), fixed, max(top, weights) + fixed
    s = sp()
    r = s.Rational
    compute = to_sympy(madds) * r(a.numerator, a.denominator)
    memory = to_sympy(nbytes) * r(b.numerator, b.denominator)
    if cache is not None:
        memory += s.Max(0, to_sympy(nbytes) - cache) * r(spill.numerator, spill.denominator)
    fixed = r(o.numerator, o.denominator) + to_sympy(groups) * r(e.numerator, e.denominator)
    top = s.Max(compute, memory) if model.form == "roofline" else compute + memory
    weights = to_sympy(wbytes) * r(cold.numerator, cold.denominator)
    return compute, s.Max(memory, weights), fixed, s.Max(top, weights) + fixed


def predict(profile: Profile, device: Device) -> Prediction:
    """Per-kernel predicted times of `profile` on `device`, and the total (see the docstring)."""
    kernels = []
    for layer, folded_paths in kernel_layers(profile, device.epilogues):
        kind = kind_of(layer)
        madds = layer.cost.madds
        nbytes = layer.cost.mem * device.dtype_bytes
        groups = groups_of(layer)
        extra = (layer.cost.params * device.dtype_bytes, device.weight_seconds_per_byte)
        if isinstance(kind, str):
            model = device.model(model_key(device.kinds, kind, layer), layer.path)
            compute, memory, overhead, time = _terms(model, madds, nbytes, groups, *extra)
        else:  # a Piecewise over kinds: each branch timed by its own model
            s = sp()
            branches = [(_terms(device.model(model_key(device.kinds, str(k), layer),
                                             layer.path), madds, nbytes, groups,
                                *extra), c) for k, c in kind.args]
            compute, memory, overhead, time = (
                s.Piecewise(*((to_sympy(t[i]), c) for t, c in branches)) for i in range(4))
        kernels.append(Kernel(layer.path, layer.op, kind, folded_paths, madds, nbytes, groups,
                              compute, memory, overhead, time))
    run = device.run_overhead_seconds
    times = [k.time for k in kernels]
    if all(is_concrete(t) for t in times):
        total: Any = run + sum(times, Fraction(0))
    else:
        s = sp()
        total = s.Add(s.Rational(run.numerator, run.denominator), *map(to_sympy, times))
    return Prediction(profile, device, kernels, run, total)


def latency(profile: Profile, device: Device) -> Any:
    """The predicted latency in seconds: an exact Fraction, or a closed form in the free symbols
    (internal symbols, as `Profile.total`'s metrics)."""
    return predict(profile, device).total


def with_device(device: Device, **changes: Any) -> Device:
    """A copy of the device with some fields changed (tests, what-if)."""
    return dataclasses.replace(device, **changes)

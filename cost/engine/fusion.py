"""Deployment fusion: fold batch norm, and the activation right after it, into the conv before them.

At inference a BN is an affine map per channel, y = a·x + b, so it can be folded into the conv
(or linear) that produces its input: the weights are scaled by a and b becomes the conv's bias.
An activation that directly follows such a BN is then applied by the same kernel, on its output
(cuDNN, TensorRT, TFLite and PyTorch's `fuse_modules` all do this). The folded layers run no
kernel: their memory access and their parameters disappear. The conv gains a bias of c_out
parameters, counted in its params and read with its weights (`cost.measures`: params are what
the deployed layer holds); a conv that already has a bias keeps it. Multiply-adds do not change.

Which layers fold is decided from properties the ops declare (`cost.ops.base.Op`), never from
op names:

- absorber: `absorbs_affine` (conv, linear), which gains a bias through `Op.with_bias`;
- foldable affine: `folds_into_previous` with weights (bn);
- epilogue activation: `folds_into_previous` without weights (relu, relu6, sigmoid, hard_swish,
  ...), folded only right after a folded BN.

A BN folds only when its producer's output goes to that BN alone (otherwise the unnormalized
output is still needed and must be written); an activation folds only when the BN's output goes
to it alone.

>>> import cost  # doctest: +SKIP
>>> p = cost.profile(cost.load("specs/shufflenet_g3.yaml"))  # doctest: +SKIP
>>> fuse(p).total.madds == p.total.madds  # doctest: +SKIP
True
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

from cost.engine.profile import Profile
from cost.engine.walk import Layer

FUSION_ASSUMPTION = (
    "fused: each bn is folded into the conv/linear that feeds it alone, and so is an activation "
    "right after it (fed by it alone); folded layers move no memory and hold no params; the "
    "conv/linear gains a bias of c_out params (read with its weights), madds unchanged"
)


def absorbs_affine(layer: Layer) -> bool:
    """Can fold a per-channel affine map into its weights and carry the bias (conv, linear)."""
    return type(layer.node).absorbs_affine


def _folds(layer: Layer) -> bool:
    return type(layer.node).folds_into_previous and len(layer.sources) == 1


def is_foldable_affine(layer: Layer) -> bool:
    """A per-channel affine map with learned parameters (bn)."""
    return _folds(layer) and bool(layer.node.weights(layer.in_shapes))


def is_epilogue(layer: Layer) -> bool:
    """A one-input element-wise activation without parameters (relu, relu6, hard_swish, ...)."""
    return _folds(layer) and not layer.node.weights(layer.in_shapes)


@dataclass(frozen=True)
class Folding:
    """Which layers fold into which: folded layer index -> absorbing layer index."""

    into: dict[int, int]

    def groups(self, layers: list[Layer]) -> dict[str, tuple[str, ...]]:
        """Absorbing layer path -> the paths folded into it, in order."""
        out: dict[str, list[str]] = {}
        for folded, target in sorted(self.into.items()):
            out.setdefault(layers[target].path, []).append(layers[folded].path)
        return {k: tuple(v) for k, v in out.items()}


def plan(layers: list[Layer]) -> Folding:
    """Decide the folds: bn into its conv/linear producer, then an activation into the same."""
    consumers = Counter(src for layer in layers for src, _ in layer.sources if src >= 0)
    into: dict[int, int] = {}
    has_affine: set[int] = set()
    has_epilogue: set[int] = set()
    for i, layer in enumerate(layers):
        if len(layer.sources) != 1:
            continue
        (src, _), = layer.sources
        if src < 0 or consumers[src] != 1:
            continue
        if is_foldable_affine(layer):
            producer = layers[src]
            if src not in into and absorbs_affine(producer) and src not in has_affine:
                into[i] = src
                has_affine.add(src)
        elif is_epilogue(layer) and src in into and into[src] not in has_epilogue:
            into[i] = into[src]  # src is a folded bn: the activation joins the same kernel
            has_epilogue.add(into[src])
    return Folding(into)


def _with_bias(layer: Layer) -> Layer:
    """The absorbing layer after folding: a bias added (if it had none, `Op.with_bias`), costs
    recomputed."""
    node = layer.node.with_bias()
    if node is layer.node:
        return layer
    return dataclasses.replace(layer, node=node, cost=node.cost(layer.in_shapes, layer.out_shapes))


def fuse(profile: Profile) -> Profile:
    """The profile as deployed with BN (and the activation after it) folded into the conv.

    Folded layers are removed; their consumers read the absorbing layer instead (the shapes are
    the same: bn and activations keep the shape). The assumption is `FUSION_ASSUMPTION`.
    """
    layers = profile.layers
    folding = plan(layers)
    absorbers = set(folding.into.values())
    index: dict[int, int] = {-1: -1}
    kept: list[Layer] = []
    for i, layer in enumerate(layers):
        if i in folding.into:
            index[i] = index[folding.into[i]]
            continue
        index[i] = len(kept)
        kept.append(_with_bias(layer) if i in absorbers else layer)
    remapped = [dataclasses.replace(layer, sources=tuple((index[s], o) for s, o in layer.sources))
                for layer in kept]
    return Profile(profile.spec, profile.env, remapped, list(profile.constraints),
                   (*profile.assumptions, FUSION_ASSUMPTION))


def folded(profile: Profile) -> dict[str, tuple[str, ...]]:
    """What `fuse` would fold: absorbing layer path -> folded layer paths."""
    return plan(profile.layers).groups(profile.layers)

"""Calibrate a device profile from micro-benchmarks: one small network per kernel kind and size,
and random networks for the context in which kernels run.

The suite (`suite`) is a fixed list of tiny specs (pointwise, grouped, depthwise and dense convs,
linear layers, element-wise ops, pooling, global pooling, concat, channel split and shuffle) at a
grid of channel counts and resolutions, each built and measured exactly as `cost bench` measures
a network (`cost.bench.runtime`, `cost.bench.bench.measure`). Each micro network's kernels come
from `cost.latency.predict.kernel_layers`, so a micro-benchmark is described by the same
multiply-adds and bytes as a layer of a real network. None of the evaluated networks is used.

Fitting, per kind, to the kernel times t_i (run time minus the runtime's per-run overhead, minus
the predicted time of any helper kernel of an already fitted kind):

* roofline  t = max(m·a, y·b) + o, by a search over log-spaced a, b (coarse, then fine) with the
  best o >= 0 in closed form for each;
* additive  t = m·a + y·b + o, by non-negative least squares;

both minimise the squared relative error; the form with the smaller one is kept (the data decide).
Kinds without multiply-adds fit y·b + o. The per-run overhead comes from two trivial networks
(1 and 5 tiny activations): run = t1 − (t5 − t1)/4. A subgroup of a kind that its model misses
by more than 10% (median) gets a model of its own: per op ("activation.hard_swish") or per
window ("depthwise.k5": onnxruntime runs 5×5 depthwise convs 1.5-2× slower per multiply-add
than 3×3 ones; "grouped.k3" for RegNet's and ResNeXt's grouped 3×3 convs).

Kernels measured alone run on data that stay in the caches from one run to the next; inside a
network the other layers' tensors and weights have been through the caches in between, and
memory-bound kernels run slower (MobileNet v2's 1×1 convs: 10-70% slower inside the network
than alone; its 3×3 depthwise and ResNet's dense convs: no slower). The *context* is measured
on 40 random network-like architectures (`cost.bench.synthetic`: inverted residual, ShuffleNet
v1/v2, basic residual and grouped-3×3 blocks at random widths, depths and resolutions; none is
an evaluated network):

    measured ≈ sum over kernels of max(top(compute, k·memory), c·weight bytes) + f·fixed

with compute, memory and fixed the kernel's terms as fitted alone (`context`, a grid search).
Every kind's bandwidths are divided by k (the memory context factor), its overheads multiplied
by f (recorded under `calibration: context`), and 1/c is the device's `weight_bandwidth`, a
ceiling for weight-streaming kernels (fully connected layers, 1×1 convs on 1×1 maps). Compute
rates are left as measured alone.

Which activations the runtime fuses into the conv before them is detected, not assumed
(`detect_epilogues`): a conv, bn and each registered activation are built and the runtime's
profiler says whether one kernel ran or two (onnxruntime fuses relu, relu6 as Clip, sigmoid,
hard_sigmoid; hard_swish runs as kernels of its own).
"""

from __future__ import annotations

import itertools
import math
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cost.latency.device import KINDS, Device, KindModel
from cost.latency.predict import (
    FUSION_RULES,
    groups_of,
    kernel_layers,
    kind_of,
    model_key,
    variant_of,
)

REPEAT = 7
COMPOSITES = 40  # random networks in which the context is measured (`cost.bench.synthetic`)
COMPOSITE_SEED = 0
MIN_TIME = 0.005
FIT_ORDER = ("pointwise", "grouped", "depthwise", "dense", "linear", "activation", "norm",
             "global_pool", "binary", "pool", "gather", "scatter", "permute")


@dataclass(frozen=True)
class Micro:
    """One micro-benchmark: a tiny spec whose `kind` kernel is measured (kind "": a composite,
    measured whole)."""

    name: str
    kind: str
    input: tuple[int, ...]
    layers: tuple[str, ...]  # YAML flow mappings, one per layer

    def yaml(self) -> str:
        body = "\n".join(f"  - {layer}" for layer in self.layers)
        return f"spec: 1\nname: {self.name}\ninput: {list(self.input)}\nnetwork:\n{body}\n"


def _conv(cin: int, cout: int, r: int, k: int = 1, stride: int = 1, groups: Any = 1,
          act: bool = True) -> tuple[tuple[int, ...], tuple[str, ...]]:
    pad = k // 2
    g = "depthwise" if groups == "depthwise" else groups
    conv = f"{{op: conv, out: {cout}, k: {k}, stride: {stride}, pad: {pad}, groups: {g}}}"
    layers = (conv, "{op: bn}") + (("{op: relu}",) if act else ())
    return (1, cin, r, r), layers


def suite(reduced: bool = False) -> list[Micro]:
    """The micro-benchmarks, in fit order. `reduced`: two small points per kind of a few kinds
    (for tests; not a calibration to use)."""
    out: list[Micro] = []

    def add(kind: str, shape: tuple[int, ...], layers: tuple[str, ...], tag: str) -> None:
        out.append(Micro(f"{kind}_{tag}", kind, shape, layers))

    if reduced:
        for c, r in ((16, 14), (32, 28)):
            add("pointwise", *_conv(c, c, r), f"{c}_{r}")
            add("depthwise", *_conv(c, c, r, 3, 1, "depthwise", act=False), f"{c}_{r}")
            add("activation", (1, c, r, r), ("{op: relu}",), f"relu_{c}_{r}")
        return out
    for cin, cout, r in ((16, 16, 56), (32, 32, 56), (64, 64, 28), (128, 128, 28),
                         (256, 256, 14), (512, 512, 7), (24, 116, 28), (58, 58, 28),
                         (116, 116, 14), (232, 232, 7), (464, 1024, 7), (160, 960, 7),
                         (960, 160, 7), (32, 192, 56), (96, 24, 56), (64, 256, 56),
                         (1024, 1024, 14), (3, 64, 56), (576, 144, 1), (144, 576, 1),
                         (16, 8, 1), (96, 24, 1), (672, 168, 1), (240, 64, 1), (64, 128, 4),
                         (128, 256, 4), (256, 512, 2), (48, 96, 8), (24, 48, 14)):
        add("pointwise", *_conv(cin, cout, r), f"{cin}_{cout}_{r}")
    for c, g, r in ((240, 3, 28), (480, 3, 14), (960, 3, 7), (384, 8, 28), (768, 8, 14),
                    (1536, 8, 7), (272, 4, 28), (544, 4, 14), (200, 2, 28), (400, 2, 14),
                    (800, 2, 7), (90, 2, 56), (128, 4, 56), (184, 8, 56), (360, 8, 56),
                    (60, 3, 56)):
        add("grouped", *_conv(c, c, r, 1, 1, g), f"{c}_g{g}_{r}")
    for c, g, r in ((60, 3, 8), (120, 3, 4), (240, 3, 4), (96, 8, 8), (48, 2, 8)):  # small maps
        add("grouped", *_conv(c, c, r, 1, 1, g), f"{c}_g{g}_{r}")
    for c, g, r, s in ((32, 2, 56, 1), (64, 4, 28, 1), (160, 10, 14, 1), (400, 25, 7, 1),
                       (64, 4, 56, 2), (160, 10, 28, 2), (400, 25, 14, 2), (128, 32, 56, 1),
                       (256, 32, 28, 1), (512, 32, 14, 1), (96, 6, 28, 1), (240, 15, 14, 1),
                       (48, 3, 56, 1), (192, 12, 7, 1)):  # 3×3, group widths 4 to 16
        add("grouped", *_conv(c, c, r, 3, s, g), f"{c}_g{g}_{r}_k3s{s}")
    for c, r, k, s in ((16, 112, 3, 1), (32, 112, 3, 2), (64, 56, 3, 1), (96, 112, 3, 2),
                       (144, 56, 3, 1), (144, 56, 3, 2), (192, 28, 3, 1), (384, 14, 3, 1),
                       (576, 14, 3, 1), (960, 7, 3, 1), (116, 28, 3, 1), (232, 14, 3, 1),
                       (464, 7, 3, 1), (240, 28, 5, 1), (672, 14, 5, 2), (72, 56, 5, 2),
                       (480, 14, 5, 1), (24, 56, 3, 2), (60, 8, 3, 1), (120, 4, 3, 1),
                       (240, 8, 3, 2), (480, 4, 3, 1), (960, 2, 3, 1), (96, 16, 3, 2),
                       (120, 28, 5, 1), (480, 7, 5, 1), (1152, 7, 5, 1), (144, 56, 5, 2),
                       (40, 112, 5, 2), (240, 14, 5, 2), (672, 7, 5, 1), (96, 28, 5, 1)):
        add("depthwise", *_conv(c, c, r, k, s, "depthwise", act=False), f"{c}_{r}_k{k}s{s}")
    for cin, cout, r, k, s in ((3, 24, 224, 3, 2), (3, 32, 224, 3, 2), (3, 16, 224, 3, 2),
                               (3, 64, 224, 7, 2), (3, 96, 224, 11, 4), (16, 16, 56, 3, 1),
                               (32, 32, 28, 3, 1), (64, 64, 56, 3, 1), (128, 128, 28, 3, 1),
                               (256, 256, 14, 3, 1), (512, 512, 7, 3, 1), (64, 192, 28, 3, 1),
                               (96, 256, 27, 5, 1), (48, 48, 28, 5, 1), (256, 256, 56, 3, 1),
                               (512, 512, 28, 3, 1), (512, 512, 14, 3, 1), (16, 16, 14, 3, 1),
                               (32, 32, 7, 3, 1), (64, 64, 7, 3, 1), (128, 128, 4, 3, 1),
                               (24, 48, 28, 3, 2), (64, 128, 14, 3, 2), (128, 256, 8, 3, 2),
                               (256, 256, 4, 3, 1), (48, 96, 56, 3, 2)):
        add("dense", *_conv(cin, cout, r, k, s), f"{cin}_{cout}_{r}_k{k}s{s}")
    for fin, fout in ((1024, 1000), (1280, 1000), (576, 1024), (960, 1280), (2048, 1000),
                      (4096, 4096), (9216, 4096), (1536, 1000), (512, 10),
                      (4096, 1000), (4096, 2048)):
        add("linear", (1, fin), (f"{{op: linear, out: {fout}}}",), f"{fin}_{fout}")
    activations = (("relu", 24, 112), ("relu", 64, 56), ("relu", 128, 28), ("relu", 256, 14),
                   ("relu", 512, 7), ("relu", 32, 112), ("relu", 256, 56),
                   ("hard_swish", 16, 112), ("hard_swish", 240, 14), ("hard_swish", 960, 7),
                   ("hard_swish", 72, 28), ("hard_swish", 480, 14), ("sigmoid", 240, 28),
                   ("sigmoid", 96, 1), ("sigmoid", 120, 28), ("sigmoid", 576, 7),
                   ("hard_sigmoid", 72, 1), ("hard_sigmoid", 576, 1), ("hard_sigmoid", 96, 14))
    listed = {op for op, _, _ in activations}  # every other registered activation a runtime
    activations += tuple((op, c, r) for op in activation_ops() if op not in listed  # can run
                         for c, r in ((32, 112), (96, 56), (240, 14), (960, 7), (576, 1)))
    for op, c, r in activations:
        add("activation", (1, c, r, r), (f"{{op: {op}}}",), f"{op}_{c}_{r}")
    for c, r in ((64, 56), (512, 7), (128, 28), (256, 14), (32, 112)):
        add("norm", (1, c, r, r), ("{op: bn}",), f"bn_{c}_{r}")
    for op, c, r in (("add", 24, 56), ("add", 64, 28), ("add", 160, 7), ("add", 256, 56),
                     ("add", 512, 14), ("add", 32, 28), ("add", 96, 14), ("mul", 72, 56),
                     ("mul", 480, 14), ("mul", 120, 28)):
        add("binary", (1, c, r, r), (f"{{op: {op}, in: [x, x]}}",), f"{op}_{c}_{r}")
    for c, r in ((72, 56), (240, 14), (960, 7), (120, 28)):  # a gate: (c, r, r) × (c, 1, 1)
        add("binary", (1, c, r, r), ("{op: global_avgpool}", "{op: mul, in: [x, prev]}"),
            f"gate_{c}_{r}")
    for op, c, r, k, s, p in (("maxpool", 24, 112, 3, 2, 1), ("maxpool", 64, 112, 3, 2, 1),
                              ("maxpool", 192, 56, 3, 2, 1), ("maxpool", 480, 28, 3, 2, 1),
                              ("maxpool", 832, 14, 2, 2, 0), ("maxpool", 64, 224, 2, 2, 0),
                              ("maxpool", 256, 56, 2, 2, 0), ("maxpool", 512, 14, 2, 2, 0),
                              ("maxpool", 96, 55, 3, 2, 0), ("maxpool", 256, 28, 3, 1, 1),
                              ("avgpool", 240, 28, 3, 2, 1), ("avgpool", 24, 56, 3, 2, 1),
                              ("avgpool", 480, 14, 3, 2, 1)):
        add("pool", (1, c, r, r), (f"{{op: {op}, k: {k}, stride: {s}, pad: {p}}}",),
            f"{op}_{c}_{r}_k{k}s{s}")
    for c, r, size in ((512, 14, 7), (256, 12, 6)):  # sizes dividing the map: ONNX export
        add("pool", (1, c, r, r), (f"{{op: adaptive_avgpool, size: {size}}}",),
            f"adaptive_{c}_{r}")
    for c, r in ((1024, 7), (1280, 7), (2048, 7), (960, 7), (576, 7), (16, 56), (72, 28),
                 (240, 14), (120, 28), (672, 14), (1000, 13)):
        add("global_pool", (1, c, r, r), ("{op: global_avgpool}",), f"{c}_{r}")
    for c, r in ((24, 56), (58, 28), (116, 28), (232, 14), (464, 7), (120, 28), (240, 14),
                 (64, 56), (256, 14), (512, 7), (32, 112)):
        add("gather", (1, c, r, r), ("{op: concat, in: [x, x]}",), f"{c}_{r}")
    for c, r in ((116, 28), (232, 14), (464, 7), (48, 28), (96, 14), (192, 7), (176, 28),
                 (352, 14), (704, 7), (244, 28)):  # split, then a concat (a fitted gather) so
        add("scatter", (1, c, r, r), ("{id: split, op: channel_split, parts: 2}",  # that both
                                      "{op: concat, in: [split.1, split.0]}"),  # outputs live
            f"{c}_{r}")
    for c, g, r in ((116, 2, 28), (232, 2, 14), (464, 2, 7), (240, 3, 28), (480, 3, 14),
                    (960, 3, 7), (384, 8, 28), (768, 8, 14), (48, 2, 56), (24, 2, 112)):
        add("permute", (1, c, r, r), (f"{{op: channel_shuffle, groups: {g}}}",), f"{c}_g{g}_{r}")
    return out


# --- measuring -----------------------------------------------------------------------------------


@dataclass
class Point:
    """One measured micro-benchmark: its target kernel's madds, bytes and time."""

    name: str
    kind: str
    madds: int
    bytes: int
    groups: int
    seconds: float  # the whole run, median
    spread: float  # IQR / median of the whole run
    helpers: tuple[tuple[str, int, int, int], ...] = ()  # other kernels: kind, madds, bytes, G
    kernel: float = float("nan")  # the target kernel's time, set by `fit`
    op: str = ""  # the op of the target kernel's layer
    variant: str = ""  # its window, for a contraction (`cost.latency.predict.variant_of`)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "madds": self.madds, "bytes": self.bytes,
                "groups": self.groups, "seconds": self.seconds, "spread": self.spread,
                "kernel": self.kernel,
                "helpers": ";".join(":".join(map(str, h)) for h in self.helpers)}


def _profile(micro: Micro, folder: Path) -> Any:
    from cost.engine.profile import profile
    from cost.spec import load

    path = folder / f"{micro.name}.yaml"
    path.write_text(micro.yaml())
    return profile(load(path))


def measure_suite(micros: Iterable[Micro], runtime: str = "onnxruntime", threads: int = 1, *,
                  optimization: str = "extended", repeat: int = REPEAT,
                  min_time: float = MIN_TIME, dtype_bytes: int = 4, clock: str = "wall",
                  progress: Callable[[str], None] | None = None) -> tuple[list[Point], float]:
    """Measure every micro-benchmark and the per-run overhead; (points, run_overhead)."""
    from cost.bench.bench import measure
    from cost.bench.runtime import build

    def timed(p: Any) -> Any:
        net = build(p, runtime, threads, optimization=optimization)
        try:
            return measure(net.run, repeat=repeat, min_time=min_time, clock=clock)
        finally:
            net.close()

    points = []
    with tempfile.TemporaryDirectory(prefix="cost-calibrate-") as tmp:
        folder = Path(tmp)
        trivial = [Micro(f"trivial_{n}", "", (1, 8, 1, 1), ("{op: relu}",) * n) for n in (1, 5)]
        t1, t5 = (timed(_profile(m, folder)).median for m in trivial)
        per_node = max(0.0, (t5 - t1) / 4)
        run_overhead = max(0.0, t1 - per_node)
        for micro in micros:
            p = _profile(micro, folder)
            layers = [layer for layer, _ in kernel_layers(p)]
            kernels = [(str(kind_of(layer)), int(layer.cost.madds),
                        int(layer.cost.mem) * dtype_bytes, int(groups_of(layer)))
                       for layer in layers]
            target = [k for k in kernels if k[0] == micro.kind]
            layer = next(layer for layer in layers if str(kind_of(layer)) == micro.kind)
            if len(target) != 1:
                raise RuntimeError(f"micro-benchmark {micro.name}: expected one {micro.kind} "
                                   f"kernel, found {[k[0] for k in kernels]}")
            helpers = tuple(k for k in kernels if k[0] != micro.kind)
            stats = timed(p)
            points.append(Point(micro.name, micro.kind, *target[0][1:], stats.median,
                                stats.spread, helpers, op=layer.op,
                                variant=variant_of(layer) or ""))
            if progress is not None:
                progress(micro.name)
    return points, run_overhead


def composites() -> list[Micro]:
    """The random network-like architectures of `cost.bench.synthetic` in which the context is
    measured; never an evaluated network."""
    from cost.bench.synthetic import networks

    return [Micro(n.name, "", n.input, n.layers)
            for n in networks(COMPOSITES, seed=COMPOSITE_SEED)]


@dataclass(frozen=True)
class Context:
    """How kernels run inside a network rather than alone: their bytes move `memory` times
    slower (the caches are cold: other layers' tensors and weights went through them since),
    their fixed costs are `overhead` times theirs alone, and a layer's weights stream at no
    more than 1/`per_weight_byte` bytes/s (0: no such ceiling). Compute is unchanged."""

    memory: float = 1.0
    overhead: float = 1.0
    per_weight_byte: float = 0.0


def context(chains: list[tuple[str, float, list[tuple[str, float, float, float, float]]]]
            ) -> Context:
    """The context minimising the squared relative error over the composites of
    measured ≈ sum over kernels of max(top(compute, k·memory), c·weight bytes) + f·fixed
    (top: max for a roofline kind, + for an additive one; compute, memory, fixed: the kernel's
    terms as fitted alone): k and f by a grid search (k from 0.8 to 2.5, f from 0.3 to 1.5),
    then c (log-spaced, or no weight ceiling)."""
    t = np.array([m for _, m, _ in chains])
    width = max(len(k) for _, _, k in chains)
    roof, compute, memory, fixed, w = (np.zeros((len(chains), width)) for _ in range(5))
    for i, (_, _, kernels) in enumerate(chains):
        for j, (form, cp, mem, fx, wb) in enumerate(kernels):
            roof[i, j] = form == "roofline"
            compute[i, j], memory[i, j], fixed[i, j], w[i, j] = cp, mem, fx, wb
    roof = roof.astype(bool)

    def tops(k: float) -> np.ndarray:
        return np.where(roof, np.maximum(compute, k * memory), compute + k * memory)

    def loss(pred: np.ndarray) -> np.ndarray:
        return (((pred - t) / t) ** 2).sum(-1)

    ks, fs = np.linspace(0.8, 2.5, 86), np.linspace(0.3, 1.5, 61)
    fixed_sum = fixed.sum(-1)
    grid = np.array([loss(tops(k).sum(-1)[None, :] + fs[:, None] * fixed_sum) for k in ks])
    i, j = np.unravel_index(np.argmin(grid), grid.shape)
    k, f = float(ks[i]), float(fs[j])
    cs = np.concatenate([[0.0], np.logspace(-13, -9, 81)])
    pred = (np.maximum(tops(k)[None], cs[:, None, None] * w[None]) + f * fixed).sum(-1)
    return Context(round(k, 4), round(f, 4), float(cs[np.argmin(loss(pred))]))


def activation_ops() -> list[str]:
    """The registered activations that the runtimes can run (a torch translation exists)."""
    from cost.ops.registry import get, names
    from cost.reference.torch_module import translates

    return [name for name in names() if get(name).kind == "activation" and translates(get(name))]


def detect_epilogues(runtime: str = "onnxruntime", threads: int = 1,
                     optimization: str = "extended") -> tuple[str, ...] | None:
    """The activation ops the runtime runs inside the conv before them (None for torch, which
    runs every layer as its own kernel but is modelled with the engine's folding)."""
    if runtime != "onnxruntime":
        return None
    import json

    from cost.bench.runtime import build

    fused = []
    with tempfile.TemporaryDirectory(prefix="cost-epilogues-") as tmp:
        for name in activation_ops():
            micro = Micro(f"epilogue_{name}", "", (1, 8, 4, 4),
                          ("{op: conv, out: 8, k: 1}", "{op: bn}", f"{{op: {name}}}"))
            net = build(_profile(micro, Path(tmp)), runtime, threads,
                        optimization=optimization, profiling=True)
            try:
                net.run()
                trace = Path(net.session.end_profiling())
                events = json.loads(trace.read_text())
                trace.unlink(missing_ok=True)
            finally:
                net.close()
            nodes = {e["name"] for e in events
                     if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time")}
            if len(nodes) == 1:
                fused.append(name)
    return tuple(fused)


def measure_chains(chains: Iterable[Micro], kinds: dict[str, KindModel],
                   epilogues: tuple[str, ...] | None, run_overhead: float,
                   runtime: str = "onnxruntime", threads: int = 1, *,
                   optimization: str = "extended", repeat: int = REPEAT,
                   min_time: float = MIN_TIME, clock: str = "wall",
                   dtype_bytes: int = 4) -> list[tuple[str, float, list]]:
    """Per composite: (name, measured time − run overhead, per kernel (its model's form, and
    its compute, memory and fixed seconds as fitted alone, its weight bytes)); composites with
    a kind that was not fitted are left out."""
    from cost.bench.bench import measure
    from cost.bench.runtime import build

    out = []
    with tempfile.TemporaryDirectory(prefix="cost-chains-") as tmp:
        for chain in chains:
            p = _profile(chain, Path(tmp))
            layers = [layer for layer, _ in kernel_layers(p, epilogues)]
            if any(str(kind_of(layer)) not in kinds for layer in layers):
                continue
            terms = []
            for layer in layers:
                kind = str(kind_of(layer))
                model = kinds[model_key(kinds, kind, layer)]
                parts = _parts(model, int(layer.cost.madds), int(layer.cost.mem) * dtype_bytes,
                               int(groups_of(layer)))
                terms.append((model.form, *parts, int(layer.cost.params) * dtype_bytes))
            net = build(p, runtime, threads, optimization=optimization)
            try:
                t = measure(net.run, repeat=repeat, min_time=min_time, clock=clock).median
            finally:
                net.close()
            out.append((chain.name, max(t - run_overhead, 1e-9), terms))
    return out


# --- fitting -------------------------------------------------------------------------------------


@dataclass
class Fit:
    form: str
    a: float  # seconds per madd
    b: float  # seconds per byte
    o: float  # seconds per kernel
    e: float  # seconds per group
    errors: np.ndarray = field(repr=False)  # relative errors on the fitted points
    cache: float = math.inf  # bytes; beyond them, also `spill` seconds per byte
    spill: float = 0.0

    def predict(self, m: np.ndarray, y: np.ndarray, g: np.ndarray) -> np.ndarray:
        cm, cy = self.a * m, self.b * y
        if self.spill:
            cy = cy + self.spill * np.maximum(0.0, y - self.cache)
        top = np.maximum(cm, cy) if self.form == "roofline" else cm + cy
        return top + self.o + self.e * g

    @property
    def loss(self) -> float:
        return float(np.sqrt(np.mean(self.errors ** 2)))


def _fixed_terms(u: np.ndarray, t: np.ndarray, g: np.ndarray | None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row of candidate times u (..., n): o, e >= 0 minimising
    sum(((u + o + e·g − t) / t)^2) (e = 0 without g), and that loss."""
    w = 1 / t ** 2
    d = t - u
    zero = np.zeros(u.shape[:-1])

    def loss(o: np.ndarray, e: np.ndarray) -> np.ndarray:
        gg = 0 if g is None else g
        return (w * (o[..., None] + e[..., None] * gg - d) ** 2).sum(-1)

    o1 = np.maximum(0.0, (w * d).sum(-1) / w.sum())
    candidates = [(o1, zero), (zero, zero)]
    if g is not None:
        swg, swgg = (w * g).sum(), (w * g * g).sum()
        e1 = np.maximum(0.0, (w * g * d).sum(-1) / swgg)
        det = w.sum() * swgg - swg ** 2
        if det > 0:
            o2 = ((w * d).sum(-1) * swgg - swg * (w * g * d).sum(-1)) / det
            e2 = (w.sum() * (w * g * d).sum(-1) - swg * (w * d).sum(-1)) / det
            ok = (o2 >= 0) & (e2 >= 0)
            candidates.append((np.where(ok, o2, o1), np.where(ok, e2, zero)))
        candidates.append((zero, e1))
    best_o, best_e = candidates[0]
    best = loss(best_o, best_e)
    for o, e in candidates[1:]:
        here = loss(o, e)
        better = here < best
        best_o, best_e = np.where(better, o, best_o), np.where(better, e, best_e)
        best = np.minimum(here, best)
    return best_o, best_e, best


def fit_roofline(m: np.ndarray, y: np.ndarray, t: np.ndarray, g: np.ndarray | None = None) -> Fit:
    """t = max(a·m, b·y) + o (+ e·g) by a coarse-to-fine search over log a, log b (o and e in
    closed form for each)."""
    has_m = bool(np.any(m > 0))
    grid_a = np.logspace(-14, -8, 61) if has_m else np.array([0.0])
    grid_b = np.logspace(-13, -8, 61)
    best = (0.0, 0.0, 0.0, 0.0)
    for _ in range(3):
        u = np.maximum(grid_a[:, None, None] * m, grid_b[None, :, None] * y)
        o, e, loss = _fixed_terms(u, t, g)
        i, j = np.unravel_index(np.argmin(loss), loss.shape)
        best = (grid_a[i], grid_b[j], o[i, j], e[i, j])
        if has_m:
            step = grid_a[1] / grid_a[0]
            grid_a = np.geomspace(best[0] / step, best[0] * step, 41)
        step = grid_b[1] / grid_b[0]
        grid_b = np.geomspace(best[1] / step, best[1] * step, 41)
    f = Fit("roofline", *map(float, best), np.zeros(len(t)))
    f.errors = f.predict(m, y, 0 if g is None else g) / t - 1
    return f


def fit_additive(m: np.ndarray, y: np.ndarray, t: np.ndarray, g: np.ndarray | None = None) -> Fit:
    """t = a·m + b·y + s·max(0, y − C) + o (+ e·g), all >= 0, by least squares on relative
    errors over every subset of the terms; C (a cache size) from a grid of powers of two, tried
    only where at least two points move more bytes than C, and kept only if it lowers the error
    by a tenth (the data must call for it)."""
    best = None
    caches = [math.inf] + [float(2**k) for k in range(18, 28) if np.sum(y > 2**k) >= 2
                           and np.sum(y <= 2**k) >= 2]
    for cache in caches:
        spill = np.zeros_like(t) if math.isinf(cache) else np.maximum(0.0, y - cache)
        columns = [m, y, np.ones_like(t), np.zeros_like(t) if g is None else g, spill]
        for size in (5, 4, 3, 2, 1):
            for subset in itertools.combinations(range(5), size):
                if any(not np.any(columns[c] > 0) for c in subset):
                    continue
                x = np.stack([columns[c] / t for c in subset], axis=1)
                coef, *_ = np.linalg.lstsq(x, np.ones_like(t), rcond=None)
                if np.any(coef < 0):
                    continue
                full = [0.0] * 5
                for c, v in zip(subset, coef, strict=True):
                    full[c] = float(v)
                f = Fit("additive", *full[:4], np.zeros(len(t)),
                        cache if full[4] > 0 else math.inf, full[4])
                f.errors = f.predict(m, y, columns[3]) / t - 1
                margin = 0.9 if f.spill else 1.0
                if best is None or f.loss < best.loss * margin:
                    best = f
    assert best is not None
    return best


def _kind_model(f: Fit, n: int) -> KindModel:
    errors = np.abs(f.errors)
    quality = {"points": n, "median_abs_error": round(float(np.median(errors)), 4),
               "max_abs_error": round(float(np.max(errors)), 4)}
    peak = math.inf if f.a <= 0 else 1 / f.a
    bandwidth = math.inf if f.b <= 0 else 1 / f.b
    spill = math.inf if f.spill <= 0 else 1 / f.spill
    return KindModel(f.form, peak, bandwidth, max(0.0, f.o), max(0.0, f.e),
                     f.cache if f.spill > 0 else math.inf, spill, quality)


def fit(points: list[Point], run_overhead: float) -> dict[str, KindModel]:
    """Per kind, the better of the two forms (see the module docstring), in `FIT_ORDER`."""
    models: dict[str, KindModel] = {}
    for kind in FIT_ORDER:
        mine = [p for p in points if p.kind == kind]
        if not mine:
            continue
        for p in mine:
            helper = sum(_time(models[k], mm, yy, gg) for k, mm, yy, gg in p.helpers)
            p.kernel = max(p.seconds - run_overhead - helper, 1e-7)
        m = np.array([p.madds for p in mine], float)
        y = np.array([p.bytes for p in mine], float)
        t = np.array([p.kernel for p in mine], float)
        g = np.array([p.groups for p in mine], float)
        g = g if np.any(g > 1) else None
        fits = [fit_roofline(m, y, t, g), fit_additive(m, y, t, g)]
        best = min(fits, key=lambda f: f.loss)
        models[kind] = _kind_model(best, len(mine))
        # a subgroup the kind's model misses by more than 10% (median, 3 points or more) gets a
        # model of its own: an op's, "kind.op" (hard_swish and sigmoid cost more per byte than
        # relu), or a window's, "kind.k5" (a 5×5 depthwise conv runs another code path than a
        # 3×3 one); `cost.latency.predict.model_key` picks it
        for key, sel in _subgroups(mine):
            if sel.sum() >= 3 and np.median(np.abs(best.errors[sel])) > 0.10:
                gs = None if g is None else g[sel]
                own = [fit_roofline(m[sel], y[sel], t[sel], gs),
                       fit_additive(m[sel], y[sel], t[sel], gs)]
                models[f"{kind}.{key}"] = _kind_model(min(own, key=lambda f: f.loss),
                                                      int(sel.sum()))
    return models


def _subgroups(points: list[Point]) -> list[tuple[str, np.ndarray]]:
    """The points of one kind split by op and by window, as (key, boolean mask) pairs; a split
    that leaves every point in one group is no split."""
    out = []
    for attr in ("op", "variant"):
        values = np.array([getattr(p, attr) for p in points])
        if len(set(values)) > 1:
            out += [(v, values == v) for v in sorted(set(values)) if v]
    return out


def _parts(model: KindModel, madds: int, nbytes: int, groups: int = 1
           ) -> tuple[float, float, float]:
    """(compute, memory, fixed) seconds of one kernel under `model` (see `cost.latency.device`)."""
    a = 0.0 if math.isinf(model.peak) else 1 / model.peak
    b = 0.0 if math.isinf(model.bandwidth) else 1 / model.bandwidth
    mem = b * nbytes
    if not math.isinf(model.cache):
        mem += max(0.0, nbytes - model.cache) / model.spill_bandwidth
    return a * madds, mem, model.overhead + model.group_overhead * groups


def _time(model: KindModel, madds: int, nbytes: int, groups: int = 1) -> float:
    compute, memory, fixed = _parts(model, madds, nbytes, groups)
    top = max(compute, memory) if model.form == "roofline" else compute + memory
    return top + fixed


def calibrate(runtime: str = "onnxruntime", threads: int = 1, *, optimization: str = "extended",
              reduced: bool = False, repeat: int = REPEAT, min_time: float = MIN_TIME,
              name: str | None = None, clock: str = "wall",
              progress: Callable[[str], None] | None = None) -> tuple[Device, list[Point]]:
    """Run the suite, fit every kind, and return the device profile and the measured points."""
    import datetime
    import os

    from cost.bench.runtime import machine_info, runtime_info

    start = time.perf_counter()
    micros = suite(reduced)
    points, run = measure_suite(micros, runtime, threads, optimization=optimization,
                                repeat=repeat, min_time=min_time, clock=clock,
                                progress=progress)
    kinds = fit(points, run)
    epilogues = detect_epilogues(runtime, threads, optimization)
    chains = [] if reduced else measure_chains(
        composites(), kinds, epilogues, run, runtime, threads, optimization=optimization,
        repeat=repeat, min_time=min_time, clock=clock)
    found = context(chains) if chains else Context()  # a reduced suite: none
    kinds = {k: in_context(m, found) for k, m in kinds.items()}
    info = runtime_info(runtime, threads, optimization if runtime == "onnxruntime" else None)
    machine = machine_info()
    calibration = {
        "suite": "reduced" if reduced else "full", "micro_benchmarks": len(points),
        "repeats": repeat, "clock": clock, "seconds": round(time.perf_counter() - start, 1),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fit": "per kind: roofline max(m/peak, y/bandwidth) + overhead or additive "
               "m/peak + y/bandwidth + overhead, whichever has the smaller squared relative error",
        "composites": len(chains),
        "context": {"memory": found.memory, "overhead": found.overhead},
    }
    weight_bandwidth = 1 / found.per_weight_byte if found.per_weight_byte > 0 else math.inf
    device = Device(name or f"{machine['cpu']} / {runtime} {threads}t", kinds, run, 4,
                    weight_bandwidth, FUSION_RULES, epilogues, machine, info, calibration)
    return Device.from_dict(device.as_dict()), points  # rounded as written: a YAML round trip
    #                                                     gives the same profile


def in_context(model: KindModel, found: Context) -> KindModel:
    """The model as inside a network: bandwidths divided by `found.memory`, overheads
    multiplied by `found.overhead`, peak unchanged."""
    import dataclasses

    return dataclasses.replace(model, bandwidth=model.bandwidth / found.memory,
                               spill_bandwidth=model.spill_bandwidth / found.memory,
                               overhead=model.overhead * found.overhead,
                               group_overhead=model.group_overhead * found.overhead)


__all__ = ["KINDS", "Micro", "Point", "calibrate", "fit", "measure_suite", "suite"]

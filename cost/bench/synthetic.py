"""Random network-like architectures: the context in which calibration sees kernels run.

A kernel measured alone runs faster than the same kernel inside a network: alone, its input,
output and weights stay in the caches from one run to the next; inside a network, the other
layers' tensors and weights pass through the caches in between (measured here: pointwise and
depthwise convs of MobileNet v2 run 10-70% slower in the network than alone). Calibration
measures that on these networks (`cost.bench.calibrate.context`), never on an evaluated one.

Each network is drawn from one of five block families, seeded, at a random resolution, stem
width, 4 or 5 stages of 2 to 5 blocks (as deep as mobile networks, so that weights and tensors
pass through the caches as in real ones), with widths growing 1.5-2.5× per stage:

* ``inverted``: expand 1×1, depthwise 3×3 or 5×5, optional squeeze-excite gate, project 1×1,
  residual add (the MobileNet v2/v3, MnasNet, EfficientNet family);
* ``shuffle2``: channel split, 1×1, depthwise, 1×1, concat, shuffle (ShuffleNet v2);
* ``shuffle1``: grouped 1×1, shuffle, depthwise, grouped 1×1, add or avgpool-concat
  (ShuffleNet v1);
* ``basic``: two dense 3×3 convs with a shortcut (ResNet-18);
* ``grouped3``: 1×1, grouped 3×3 with group width 8 or 16, 1×1, shortcut (RegNetX, ResNeXt).

>>> nets = networks(2, seed=0)
>>> nets[0].name, nets[0].input[:2]
('synthetic_0_0_inverted', (1, 3))
>>> networks(2, seed=0) == nets  # seeded: the same networks every time
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FAMILIES = ("inverted", "shuffle2", "shuffle1", "basic", "grouped3")
ACTIVATIONS = ("relu", "relu6", "hard_swish", "silu")


@dataclass(frozen=True)
class Network:
    """One random network: a name, an input shape and its layers as YAML flow mappings."""

    name: str
    input: tuple[int, ...]
    layers: tuple[str, ...]


class _Builder:
    """Appends layers; `last` is the id of the current output, `c` its channels."""

    def __init__(self, rng: random.Random, c: int) -> None:
        self.rng, self.c, self.layers, self.n = rng, c, [], 0
        self.last = "stem"

    def add(self, *layers: str) -> None:
        self.layers.extend(layers)

    def block(self, family: str, out: int, stride: int, style: dict) -> None:
        self.n += 1
        getattr(self, "_" + family)(f"b{self.n}", out, stride, style)

    def _inverted(self, b: str, out: int, stride: int, style: dict) -> None:
        c, act = self.c, style["act"]
        e, k = self.rng.choice((3, 4, 6)), self.rng.choice((3, style["k"]))
        self.add(f"{{op: conv, in: {self.last}, out: {c * e}, k: 1}}", "{op: bn}",
                 f"{{op: {act}}}",
                 f"{{op: conv, k: {k}, stride: {stride}, pad: {k // 2}, groups: depthwise}}",
                 "{op: bn}", f"{{id: {b}_dw, op: {act}}}")
        source = f"{b}_dw"
        if style["se"]:
            self.add("{op: global_avgpool}",
                     f"{{op: conv, out: {max(8, c * e // 4)}, k: 1, bias: true}}", "{op: relu}",
                     f"{{op: conv, out: {c * e}, k: 1, bias: true}}", "{op: hard_sigmoid}",
                     f"{{id: {b}_se, op: mul, in: [{b}_dw, prev]}}")
            source = f"{b}_se"
        self.add(f"{{op: conv, in: {source}, out: {out}, k: 1}}", f"{{id: {b}_pj, op: bn}}")
        if stride == 1 and out == c:
            self.add(f"{{id: {b}, op: add, in: [{self.last}, {b}_pj]}}")
            self.last = b
        else:
            self.last = f"{b}_pj"
        self.c = out

    def _shuffle2(self, b: str, out: int, stride: int, style: dict) -> None:
        half = max(8, out // 2 // 4 * 4) if stride == 2 else self.c // 2
        branch = (f"{{op: conv, out: {half}, k: 1}}", "{op: bn}", "{op: relu}",
                  f"{{op: conv, k: 3, stride: {stride}, pad: 1, groups: depthwise}}", "{op: bn}",
                  f"{{op: conv, out: {half}, k: 1}}", "{op: bn}", "{op: relu}")
        if stride == 2:
            self.add(f"{{op: conv, in: {self.last}, k: 3, stride: 2, pad: 1, groups: depthwise}}",
                     "{op: bn}", f"{{op: conv, out: {half}, k: 1}}", "{op: bn}",
                     f"{{id: {b}_left, op: relu}}",
                     branch[0].replace("{op: conv,", f"{{op: conv, in: {self.last},"), *branch[1:],
                     f"{{op: concat, in: [{b}_left, prev]}}")
        else:
            self.add(f"{{id: {b}_split, op: channel_split, parts: 2, in: {self.last}}}",
                     branch[0].replace("{op: conv,", f"{{op: conv, in: {b}_split.1,"),
                     *branch[1:], f"{{op: concat, in: [{b}_split.0, prev]}}")
        self.add(f"{{id: {b}, op: channel_shuffle, groups: 2}}")
        self.last, self.c = b, 2 * half

    def _shuffle1(self, b: str, out: int, stride: int, style: dict) -> None:
        g, c = style["groups"], self.c
        if stride == 2:  # a multiple of 4g above c: the avgpool shortcut keeps c channels,
            out = max(out, c + 1) + (-max(out, c + 1)) % (4 * g)  # the branch adds the rest
        else:
            out = c
        mid = max(g, out // 4 // g * g)
        g_in = g if c % g == 0 and c >= 4 * g else 1  # the stem's few channels: a dense 1×1
        self.add(f"{{op: conv, in: {self.last}, out: {mid}, k: 1, groups: {g_in}}}", "{op: bn}",
                 "{op: relu}", f"{{op: channel_shuffle, groups: {g}}}",
                 f"{{op: conv, k: 3, stride: {stride}, pad: 1, groups: depthwise}}", "{op: bn}")
        if stride == 2:
            g_out = g if (out - c) % g == 0 else 1
            self.add(f"{{op: conv, out: {out - c}, k: 1, groups: {g_out}}}", "{op: bn}",
                     f"{{id: {b}_right, op: relu}}",
                     f"{{op: avgpool, k: 3, stride: 2, pad: 1, in: {self.last}}}",
                     f"{{op: concat, in: [prev, {b}_right]}}", f"{{id: {b}, op: relu}}")
        else:
            self.add(f"{{op: conv, out: {out}, k: 1, groups: {g}}}", "{op: bn}",
                     f"{{op: add, in: [{self.last}, prev]}}", f"{{id: {b}, op: relu}}")
        self.last, self.c = b, out

    def _shortcut(self, b: str, out: int, stride: int) -> None:
        if stride == 2 or out != self.c:
            self.add(f"{{op: conv, in: {self.last}, out: {out}, k: 1, stride: {stride}}}",
                     "{op: bn}", f"{{op: add, in: [{b}_main, prev]}}", f"{{id: {b}, op: relu}}")
        else:
            self.add(f"{{op: add, in: [{b}_main, {self.last}]}}", f"{{id: {b}, op: relu}}")
        self.last, self.c = b, out

    def _basic(self, b: str, out: int, stride: int, style: dict) -> None:
        self.add(f"{{op: conv, in: {self.last}, out: {out}, k: 3, stride: {stride}, pad: 1}}",
                 "{op: bn}", "{op: relu}", f"{{op: conv, out: {out}, k: 3, pad: 1}}",
                 f"{{id: {b}_main, op: bn}}")
        self._shortcut(b, out, stride)

    def _grouped3(self, b: str, out: int, stride: int, style: dict) -> None:
        width = style["group_width"]
        out = max(width, out // width * width)
        self.add(f"{{op: conv, in: {self.last}, out: {out}, k: 1}}", "{op: bn}", "{op: relu}",
                 f"{{op: conv, k: 3, stride: {stride}, pad: 1, groups: {out // width}}}",
                 "{op: bn}", "{op: relu}", f"{{op: conv, out: {out}, k: 1}}",
                 f"{{id: {b}_main, op: bn}}")
        self._shortcut(b, out, stride)


def networks(count: int, seed: int = 0) -> list[Network]:
    """`count` random networks, the families in turn (see the module docstring)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        family = FAMILIES[i % len(FAMILIES)]
        r, c = rng.choice((128, 160, 192, 224, 256)), rng.choice((16, 24, 32))
        style = {"k": rng.choice((3, 3, 5)), "act": rng.choice(ACTIVATIONS),
                 "se": rng.random() < 0.3, "groups": rng.choice((2, 3, 4, 8)),
                 "group_width": rng.choice((8, 16))}
        net = _Builder(rng, c)
        net.add(f"{{op: conv, out: {c}, k: 3, stride: 2, pad: 1}}", "{op: bn}",
                "{id: stem, op: relu}")
        if rng.random() < 0.5:
            net.add("{id: stem_pool, op: maxpool, k: 3, stride: 2, pad: 1}")
            net.last = "stem_pool"
        for _ in range(rng.randint(4, 5)):  # 8 to 25 blocks, as deep as mobile networks
            out_c = min(640, int(net.c * rng.choice((1.5, 2, 2.5))) // 8 * 8)
            for j in range(rng.randint(2, 5)):
                net.block(family, out_c if j == 0 else net.c, 2 if j == 0 else 1, style)
        head = rng.choice((0, 1024, 1280))
        if head:
            net.add(f"{{op: conv, in: {net.last}, out: {head}, k: 1}}", "{op: bn}",
                    "{id: head, op: relu}")
            net.last = "head"
        net.add(f"{{op: global_avgpool, in: {net.last}}}", "{op: flatten}",
                "{op: linear, out: 1000}")
        out.append(Network(f"synthetic_{seed}_{i}_{family}", (1, 3, r, r), tuple(net.layers)))
    return out

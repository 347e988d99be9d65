"""ShuffleNet V2's four guidelines (Ma et al. 2018, Sec. 2) as an analysis of a profiled spec.

Units. A *block* is a call of a spec block that holds ops itself: for each layer, the outermost
enclosing block call with at least one op layer directly inside (`stage2/unit1` in ShuffleNet, not
`stage2`, which only calls units; a helper block called inside a unit belongs to that unit).
Layers outside every block (stem, head) count for the whole network only; a spec without blocks
is analysed as one block.

Memory access is the engine's `mem` (`cost.measures`; ShuffleNet V2's "MAC"), B the madds.
A *pointwise* conv is a conv with k = 1 whose output map has the input's n, h, w; P = n·h·w.

G1  Equal channel width minimizes memory access. For a pointwise conv c1 -> c2 with g groups,
    B = P·c1·c2/g and mem = P(c1 + c2) + c1·c2/g >= 2·sqrt(g·P·B) + B/P = 2P·sqrt(c1·c2) + c1·c2/g,
    with equality iff c1 = c2 (mean-value inequality). For g = 1 this is the paper's Eq. (1),
    2·sqrt(hwB) + B/hw. Groups: the bound is taken at the same B *and the same g*, so G1 measures
    channel imbalance only and the cost of the groups is G2's.
    Score: the avoidable share, sum(mem - bound) / sum(mem) over the pointwise convs.
G2  Excessive group convolution increases memory access. At the same B and c1, g = 1 needs
    c2/g outputs: mem_1 = P·c1 + B/c1 + B/P (the paper's Eq. (2) at g = 1), so the groups cost
    mem - mem_1 = P·c2·(1 - 1/g). Score: sum(mem - mem_1) / sum(mem) over the pointwise convs.
G3  Network fragmentation reduces parallelism. Per block: ops (layers that run a kernel: every
    layer but views) and branches, the number of distinct paths from the block's input to its
    output in the layer graph (`Layer.sources`): 1 for a chain, 2 for a residual or a
    split/concat unit, 4 for a 4-way Inception-like fan-out. Score: the most branches in a block.
G4  Element-wise operations are non-negligible. Share of memory access spent in element-wise
    ops: the registry's `elementwise` ops (bn, relu, add, mul, ...) and, as the paper chooses
    ("we also consider depthwise convolution as an element-wise operator as it also has a high
    MAC/FLOPs ratio"), depthwise convs (k² multiply-adds per output element, one input channel
    each). Concat, split and shuffle are pure data movement and are not counted. Both parts are
    reported. Score: that share of the network's memory access.

Thresholds (from first principles, not fitted to the paper's verdicts):

- G1, G2: `AVOIDABLE_TOLERANCE` = 1 - 2·sqrt(2)/3 ≈ 5.72%, the avoidable share of a pointwise conv
  that doubles its width (c -> 2c): a network that grows must double somewhere, so that much
  imbalance is structural. A network violates G1 (G2) when the avoidable share of its pointwise
  traffic exceeds it. The same tolerance serves both, so their scores compare.
- G3: `MAX_BRANCHES` = 2: a residual or split/concat unit needs one computing path and one
  identity path; every further path is a fragment scheduled and synchronized on its own.
- G4: `ELEMENTWISE_MAJORITY` = 1/2: the network spends most of its memory traffic in ops that do
  (almost) no arithmetic per element moved.

Fusion (`cost.engine.fusion`) changes G4 most: with BN and activations folded, only adds,
activations after adds, and depthwise convs remain element-wise.

>>> import cost  # doctest: +SKIP
>>> r = analyze(cost.profile(cost.load("specs/shufflenet_g3.yaml")))  # doctest: +SKIP
>>> r.verdicts["G2"].violated  # doctest: +SKIP
True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cost.engine.profile import Profile
from cost.engine.walk import Layer
from cost.errors import SpecError
from cost.symbolic import div, sp, to_sympy, total

GUIDELINES = ("G1", "G2", "G3", "G4")
TITLES = {
    "G1": "equal channel width minimizes memory access",
    "G2": "excessive group convolution increases memory access",
    "G3": "network fragmentation reduces the degree of parallelism",
    "G4": "element-wise operations are non-negligible",
}


def avoidable_tolerance() -> Any:
    """1 - 2·sqrt(2)/3: the avoidable share of a pointwise conv c -> 2c (weights neglected)."""
    s = sp()
    return 1 - 2 * s.sqrt(2) / 3


AVOIDABLE_TOLERANCE_TEXT = "5.72% = 1 - 2·sqrt(2)/3, what a c -> 2c 1x1 conv could avoid"
MAX_BRANCHES = 2
ELEMENTWISE_MAJORITY = Fraction(1, 2)
WORST = 3  # blocks listed as evidence per guideline


# --- the formulas ---------------------------------------------------------------------------------


def g1_lower_bound(pixels: Any, madds: Any, groups: Any = 1) -> Any:
    """2·sqrt(g·P·B) + B/P: the least memory access of a pointwise conv with B madds on P pixels.

    With g = 1 and P = hw this is ShuffleNet V2's Eq. (1). Works on numbers and sympy symbols.
    """
    s = sp()
    p, b, g = (to_sympy(v) for v in (pixels, madds, groups))
    return 2 * s.sqrt(g * p * b) + b / p


def g2_mem_at_g1(pixels: Any, c_in: Any, madds: Any) -> Any:
    """P·c1 + B/c1 + B/P: memory access of the ungrouped pointwise conv with the same B and c1."""
    return pixels * c_in + div(madds, c_in) + div(madds, pixels)


# --- what a layer is ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pointwise:
    """One pointwise conv: c_in -> c_out with g groups on P pixels, its mem and its bounds."""

    path: str
    c_in: Any
    c_out: Any
    groups: Any
    pixels: Any
    madds: Any
    mem: Any
    bound: Any  # G1 lower bound at the same B and g
    mem_g1: Any  # G2: memory access at g = 1, same B and c_in

    @property
    def waste(self) -> Any:
        return to_sympy(self.mem) - self.bound

    @property
    def extra(self) -> Any:
        return self.mem - self.mem_g1

    @property
    def ratio(self) -> Any:
        """c_out / c_in."""
        return div(self.c_out, self.c_in)

    @property
    def over_bound(self) -> Any:
        """mem / bound (1 when balanced)."""
        return to_sympy(self.mem) / self.bound


def pointwise(layer: Layer) -> Pointwise | None:
    """The layer as a pointwise conv (`Op.is_pointwise`), or None. Groups come from the count:
    g = P·c1·c2 / B."""
    if not layer.node.is_pointwise() or len(layer.in_shapes) != 1 or len(layer.out_shapes) != 1:
        return None
    x, y = layer.in_shapes[0], layer.out_shapes[0]
    madds = layer.cost.madds
    if len(x) != 4 or len(y) != 4 or madds == 0:
        return None
    n, c1, h, w = x
    if (y[0], y[2], y[3]) != (n, h, w):
        return None  # strided: the paper's formulas assume one map size
    c2 = y[1]
    pixels = n * h * w
    groups = div(pixels * c1 * c2, madds)
    mem = layer.cost.mem
    other = mem - (pixels * (c1 + c2) + div(madds, pixels))  # a bias: charged to both sides
    return Pointwise(layer.path, c1, c2, groups, pixels, madds, mem,
                     g1_lower_bound(pixels, madds, groups) + other,
                     g2_mem_at_g1(pixels, c1, madds) + other)


def is_depthwise(layer: Layer) -> bool:
    """A conv whose every output element reads one input channel: k² madds per output element
    (`Op.is_depthwise`)."""
    if layer.cost.madds == 0 or len(layer.out_shapes) != 1:
        return False
    return layer.node.is_depthwise(layer.in_shapes)


def is_elementwise(layer: Layer) -> bool:
    return bool(type(layer.node).elementwise)


def runs_kernel(layer: Layer) -> bool:
    return not type(layer.node).view


# --- blocks ---------------------------------------------------------------------------------------


def units(layers: Sequence[Layer]) -> dict[str, tuple[str, list[int]]]:
    """Block path -> (block name, layer indices): the outermost call that holds ops directly."""
    owners = {layer.blocks[-1][0] for layer in layers if layer.blocks}
    out: dict[str, tuple[str, list[int]]] = {}
    for i, layer in enumerate(layers):
        for path, name in layer.blocks:
            if path in owners:
                out.setdefault(path, (name, []))[1].append(i)
                break
    return out


def branches(layers: Sequence[Layer], members: Sequence[int]) -> int:
    """Distinct paths from the block's input(s) to its output through its layers."""
    inside = set(members)
    consumed_inside: Counter = Counter()
    paths: dict[int, int] = {}
    for i in sorted(members):
        paths[i] = sum(paths[s] if s in inside else 1 for s, _ in layers[i].sources)
        for s, _ in layers[i].sources:
            if s in inside:
                consumed_inside[s] += 1
    consumed_outside = {s for j, layer in enumerate(layers) if j not in inside
                        for s, _ in layer.sources if s in inside}
    exits = [i for i in members if i in consumed_outside or not consumed_inside[i]]
    return sum(paths[i] for i in exits)


# --- the analysis -------------------------------------------------------------------------------


@dataclass
class Block:
    """One unit's evidence for all four guidelines."""

    path: str
    name: str
    layers: list[Layer]
    convs: list[Pointwise]
    branches: int

    @property
    def mem(self) -> Any:
        return total(layer.cost.mem for layer in self.layers)

    @property
    def madds(self) -> Any:
        return total(layer.cost.madds for layer in self.layers)

    @property
    def ops(self) -> int:
        return sum(runs_kernel(layer) for layer in self.layers)

    def score(self, guideline: str) -> Any:
        """The block's score (None when it has nothing the guideline is about)."""
        if guideline == "G3":
            return self.branches
        if guideline == "G4":
            return share(self.elementwise_mem + self.depthwise_mem, self.mem)
        return pointwise_share(self.convs, guideline)

    @property
    def elementwise_mem(self) -> Any:
        return total(la.cost.mem for la in self.layers if is_elementwise(la))

    @property
    def depthwise_mem(self) -> Any:
        return total(la.cost.mem for la in self.layers if is_depthwise(la))


def share(part: Any, whole: Any) -> Any:
    return None if whole == 0 else div(part, whole)


def pointwise_share(convs: Sequence[Pointwise], guideline: str) -> Any:
    """G1: sum(mem - bound)/sum(mem); G2: sum(mem - mem at g=1)/sum(mem); None without convs."""
    if not convs:
        return None
    mem = total(c.mem for c in convs)
    if guideline == "G1":
        return sp().Add(*(c.waste for c in convs)) / to_sympy(mem)
    return div(total(c.extra for c in convs), mem)


@dataclass
class Verdict:
    guideline: str
    violated: bool
    score: Any
    threshold: Any
    worst: list[Block] = field(default_factory=list)
    unscored: str | None = None  # why the guideline does not apply (no score), else None

    @property
    def applicable(self) -> bool:
        return self.unscored is None


NOT_APPLICABLE = {  # why a guideline has no score: the network has nothing it is about
    "G1": "the network has no 1x1 convs, whose in/out channel widths G1 compares",
    "G2": "the network has no 1x1 convs, whose groups G2 weighs against g = 1",
    "G3": "the network has no layers",
    "G4": "the network moves no memory",
}


@dataclass
class Report:
    """The analysis of one profile: per-block evidence and a verdict per guideline."""

    profile: Profile
    blocks: list[Block]
    network: Block
    verdicts: dict[str, Verdict]
    fused: bool = False


def _greater(value: Any, threshold: Any) -> bool:
    if value is None:
        return False
    return bool(to_sympy(value) > to_sympy(threshold))


def _rank(blocks: Sequence[Block], guideline: str) -> list[Block]:
    """The blocks with the highest non-zero scores (evidence), at most `WORST`."""
    scored = [b for b in blocks if b.score(guideline)]
    return sorted(scored, key=lambda b: -float(b.score(guideline)))[:WORST]


def analyze(profile: Profile, *, fused: bool = False) -> Report:
    """Evidence per block and the network's verdict per guideline (see the module docstring)."""
    if profile.symbolic:
        raise SpecError("guidelines need numbers: symbols " + ", ".join(profile.env.free)
                        + " are free", hint="bind them with --set, or drop --symbolic/--keep")
    layers = profile.layers
    convs = {i: pw for i, layer in enumerate(layers) if (pw := pointwise(layer)) is not None}
    found = units(layers)
    if not found:
        found = {"": (profile.spec.name, list(range(len(layers))))}
    blocks = [Block(path, name, [layers[i] for i in members],
                    [convs[i] for i in members if i in convs], branches(layers, members))
              for path, (name, members) in found.items()]
    network = Block("", profile.spec.name, list(layers), list(convs.values()),
                    max((b.branches for b in blocks), default=1))
    thresholds = {"G1": avoidable_tolerance(), "G2": avoidable_tolerance(),
                  "G3": MAX_BRANCHES, "G4": ELEMENTWISE_MAJORITY}
    verdicts = {}
    for g in GUIDELINES:
        score = network.score(g)
        verdicts[g] = Verdict(g, _greater(score, thresholds[g]), score, thresholds[g],
                              _rank(blocks, g), NOT_APPLICABLE[g] if score is None else None)
    return Report(profile, blocks, network, verdicts, fused)


def number(value: Any) -> Any:
    """A score for display or JSON: ints stay ints, exact non-integers become floats."""
    if value is None or isinstance(value, (int, bool, float)):
        return value
    if isinstance(value, Fraction):
        return float(value)
    return float(to_sympy(value).evalf(17))

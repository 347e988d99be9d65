"""The `Op` base class and the declaration helpers for op arguments.

An op is a frozen dataclass whose fields are the keyword arguments a spec may give it. Each field
says what kind of value it takes (`size`: a whole number or expression; `number`: any exact
number; `flag`: true/false; `choice`: one of a few words), so the engine can evaluate and check
every argument without knowing any op by name. An op defines, together:

- `output(xs, check)`: the shape rule (or `outputs` for several outputs), checking its conditions
  through `check` so that undecidable ones become constraints;
- `weights(xs)`: the shapes of its learnable tensors (params are their element count);
- `madds(xs, ys)`: its multiply-adds under `cost.measures` (0 unless it is conv or linear);
- memory access follows `cost.measures.memory_access` for every op;
- `forward(xs, weights, tally)`: the numpy reference kernel (float32 arrays in, a tuple out),
  counting the multiply-adds it executes in `tally` (`cost.ops.kernels.Tally`); `cost check`
  compares its output shapes and that count with the shape rule and `madds`;
- `torch_module(in_shape)`: the PyTorch module computing it (torch.nn's, or a small one of the
  op's own), for the test oracle (`cost.reference.torch_module`) and the tools' conventions;
  torch is imported inside the method, never by `import cost`;
- `kind`: what kind of op it is, one of `KINDS`. The profilers' counting rules are written per
  kind (`cost.conventions.tools`), so a new op of a known kind is counted under every convention
  without a line there, unless a tool treats that very op specially. The kind also decides
  `elementwise` and `view` (`ELEMENTWISE_KINDS`, `VIEW_KINDS`).

The kinds (a closed set: a new kind needs a rule in every convention, which
tests/test_conventions.py checks):

>>> sorted(KINDS)  # doctest: +NORMALIZE_WHITESPACE
['activation', 'adaptive_pool', 'contraction', 'data_movement', 'elementwise_binary',
 'global_pool', 'norm', 'pool', 'resample', 'view']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import MISSING, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from cost.errors import ShapeError
from cost.measures import Cost, memory_access
from cost.symbolic import (
    Checker,
    Shape,
    ceildiv,
    decide,
    floordiv,
    is_concrete,
    normalize,
    numel,
    render_shape,
    sint,
    size_exceeds,
    sp,
    to_sympy,
    total,
)

if TYPE_CHECKING:
    import numpy as np

    from cost.ops.kernels import Tally

REQUIRED = MISSING

KINDS: dict[str, str] = {
    "contraction": "products summed over a weight tensor, the paper's multiply-adds (conv, linear)",
    "norm": "an affine map of each element from statistics: folded at inference (bn), or "
            "computed per position (layernorm)",
    "activation": "a unary function applied to each element (relu, sigmoid, gelu, silu, ...)",
    "pool": "a reduction over sliding k×k windows (maxpool, avgpool)",
    "adaptive_pool": "a reduction over bins that tile the map into size×size (adaptive_avgpool)",
    "global_pool": "a reduction of each whole map to one value per channel (global_avgpool)",
    "elementwise_binary": "arithmetic between the elements of two or more broadcast inputs "
                          "(add, mul)",
    "data_movement": "elements copied or reordered, no arithmetic (concat, channel_split, "
                     "channel_shuffle)",
    "resample": "each map interpolated to another size from the nearest input points "
                "(upsample: nearest, bilinear)",
    "view": "a reshape or the identity at inference: no kernel, no traffic (flatten, dropout)",
}
ELEMENTWISE_KINDS = frozenset({"norm", "activation", "elementwise_binary"})  # `Op.elementwise`
VIEW_KINDS = frozenset({"view"})  # `Op.view`


def size(default: Any = REQUIRED, *, minimum: int = 1, keywords: tuple[str, ...] = (),
         pair: bool = False, doc: str = "") -> Any:
    """A whole-number argument (channels, kernel, stride), given as a number or an expression.

    `keywords` lists words accepted instead of a number (conv's groups: "depthwise").
    `None` as default means "derived from the input" (conv's out defaults to in-channels).
    `pair` also accepts `[h, w]`, one value per spatial axis (the value is then a tuple of two,
    unless both are equal); read it with `pair(value)`.
    """
    meta = {"kind": "size", "minimum": minimum, "keywords": keywords, "pair": pair, "doc": doc}
    return field(default=default, metadata=meta)


def choice(default: str, options: tuple[str, ...], *, doc: str = "") -> Any:
    """One of a few words (upsample's mode: nearest or bilinear)."""
    return field(default=default, metadata={"kind": "choice", "keywords": options, "doc": doc})


def pair(value: Any) -> tuple[Any, Any]:
    """(h, w) of an argument declared with `size(pair=True)`: a pair as is, one value twice.

    >>> pair(3), pair((1, 7))
    ((3, 3), (1, 7))
    """
    return value if isinstance(value, tuple) else (value, value)


def number(default: Any = REQUIRED, *, low: Any = None, high: Any = None, doc: str = "") -> Any:
    """An exact number argument that need not be whole (dropout's p), low <= v < high."""
    return field(default=default, metadata={"kind": "number", "low": low, "high": high, "doc": doc})


def flag(default: bool, *, doc: str = "") -> Any:
    """A true/false argument (conv's bias, pooling's ceil_mode)."""
    return field(default=default, metadata={"kind": "flag", "doc": doc})


@dataclass(frozen=True)
class Op:
    """Base of every registered op. Subclasses are frozen dataclasses registered by name."""

    name: ClassVar[str] = ""
    arity: ClassVar[int | None] = 1  # number of inputs; None means two or more
    kind: ClassVar[str] = ""  # one of KINDS; `register` refuses an op without one
    # both follow from `kind` (set for each subclass by __init_subclass__, never by hand):
    elementwise: ClassVar[bool] = False  # pure per-element op (ShuffleNet V2's G4 "element-wise")
    view: ClassVar[bool] = False  # a view or the identity at inference: no kernel, no traffic
    # deployment fusion (cost.engine.fusion): a per-channel affine map (bn) and the activation
    # after it fold into the layer before them when that layer can absorb them (conv, linear)
    absorbs_affine: ClassVar[bool] = False
    folds_into_previous: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for trait in ("elementwise", "view"):
            if trait in cls.__dict__:
                raise TypeError(f"{cls.__name__} sets {trait!r}: declare its kind instead "
                                "(cost.ops.base.KINDS)")
        cls.elementwise = cls.kind in ELEMENTWISE_KINDS
        cls.view = cls.kind in VIEW_KINDS

    # --- shape rule -------------------------------------------------------------------------
    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        raise NotImplementedError

    def outputs(self, xs: Sequence[Shape], check: Checker) -> tuple[Shape, ...]:
        """All output shapes; single-output ops define `output` instead."""
        return (self.output(xs, check),)

    # --- costs ------------------------------------------------------------------------------
    def weights(self, xs: Sequence[Shape]) -> dict[str, Shape]:
        """Learnable tensors and their shapes, in PyTorch's layout (conv: cout, cin/g, k, k)."""
        return {}

    def madds(self, xs: Sequence[Shape], ys: Sequence[Shape]) -> sint:
        """Multiply-adds under `cost.measures`: 0 for every op but conv and linear."""
        return 0

    def variant(self) -> str:
        """The form the op takes where a profiler counts its forms apart ("" if it has one form):
        upsample's mode, layernorm's data format. Conventions may dispatch on it
        (`cost.conventions.counting.by_variant`), never on an argument by name."""
        return ""

    def cost(self, xs: Sequence[Shape], ys: Sequence[Shape]) -> Cost:
        params = total(numel(w) for w in self.weights(xs).values())
        read, write = memory_access(xs, ys, params, view=self.view)
        return Cost(madds=self.madds(xs, ys), params=params, mem_read=read, mem_write=write)

    # --- reference forward (numpy) ------------------------------------------------------------
    def buffers(self, xs: Sequence[Shape]) -> dict[str, Shape]:
        """Non-learnable tensors the forward also needs (BN's running statistics); not params."""
        return {}

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        """The outputs for float32 inputs `xs`, with `weights` shaped as `weights` and `buffers`
        say; multiply-adds of contractions are counted in `tally`, never taken from `madds`."""
        raise NotImplementedError(f"op {self.name!r} has no reference forward")

    def calibrate(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray]
                  ) -> dict[str, np.ndarray]:
        """Random weights made realistic for inputs `xs`: statistics buffers (BN's running mean
        and variance) estimated from them, as a network's first batch would. The identity here."""
        return weights

    # --- PyTorch translation (the test oracle) ------------------------------------------------
    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        """The stock `torch.nn` module computing this op on a first input of `in_shape` (bound
        ints), called with the op's inputs as arguments; its parameters and buffers are named
        and laid out as `weights` and `buffers` say. Import torch inside the method."""
        raise NotImplementedError(f"op {self.name!r} has no PyTorch translation")

    # --- what the guidelines ask of a contraction (cost.guidelines) ---------------------------
    def is_pointwise(self) -> bool:
        """A 1×1 contraction over channels (conv with k = 1): ShuffleNet V2's G1 and G2."""
        return False

    def is_depthwise(self, xs: Sequence[Shape]) -> bool:
        """A contraction whose every output element reads one input channel: k² multiply-adds
        per output element (ShuffleNet V2's G4 counts it as element-wise)."""
        return False

    # --- deployment fusion (cost.engine.fusion) -----------------------------------------------
    def with_bias(self) -> Op:
        """The op once a folded bn's shift became its bias (an op that `absorbs_affine`):
        itself when it has a bias already, or cannot have one."""
        return self


def feature_map(x: Shape, op: str) -> tuple[sint, sint, sint, sint]:
    """Destructure an NCHW shape, or say clearly that the op needs one."""
    if len(x) != 4:
        raise ShapeError(
            f"{op} expects a 4-d input (n, c, h, w), got {render_shape(x)}",
            hint="flatten only right before linear layers",
        )
    n, c, h, w = x
    return n, c, h, w


MAX_CEIL_NODES = 120  # a symbolic size ceil_mode pooling may take (sympy time grows ~20x a step)


def window_out(size_in: sint, k: sint, stride: sint, pad: sint, dilation: sint = 1,
               ceil_mode: bool = False, pad_after: sint | None = None) -> sint:
    """Output length of a sliding window (conv, pooling), as PyTorch computes it.

    floor((size + 2·pad − dilation·(k − 1) − 1) / stride) + 1; with ceil_mode the ceiling, minus
    one if the last window would start inside the right padding (torch's pooling rule).
    `pad_after` pads the end differently from the start (`pad: same` with an even kernel).
    """
    after = pad if pad_after is None else pad_after
    span = size_in + pad + after - dilation * (k - 1) - 1
    if not ceil_mode:
        return normalize(floordiv(span, stride) + 1)
    out = normalize(ceildiv(span, stride) + 1)
    starts_in_padding = (out - 1) * stride >= size_in + pad
    if is_concrete(out) and is_concrete(size_in):
        return out - 1 if starts_in_padding else out
    if size_exceeds(size_in, MAX_CEIL_NODES):  # each ceil_mode window nests the size again
        raise ShapeError("ceil_mode on a size this complex cannot stay symbolic (more than "
                         f"{MAX_CEIL_NODES} terms; the next would be ~4x larger and take minutes)",
                         hint="bind the symbols the size depends on (--set), or give them "
                         "multiple_of so the rounding cancels")
    verdict = decide(starts_in_padding)
    if verdict is not None:
        return out - 1 if verdict else out
    s = sp()
    return normalize(s.Piecewise((to_sympy(out) - 1, starts_in_padding), (to_sympy(out), True)))

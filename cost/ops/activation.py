"""Element-wise activations, made by one factory: same shape out, 0 madds, traffic only.

Formulas (for the reference forward): relu max(x, 0); relu6 min(max(x, 0), 6);
sigmoid 1/(1+e^-x); hard_sigmoid relu6(x+3)/6; hard_swish x·relu6(x+3)/6; silu (swish)
x·sigmoid(x); gelu x·Φ(x) = x/2·(1 + erf(x/√2)), the exact form; dropout is the identity at
inference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, make_dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from cost.ops.base import Op, number
from cost.ops.registry import register
from cost.symbolic import Checker, Shape

if TYPE_CHECKING:
    import numpy as np

    from cost.ops.kernels import Tally


@dataclass(frozen=True)
class Elementwise(Op):
    """A unary element-wise op: output shape = input shape."""

    kind = "activation"
    folds_into_previous = True  # applied by the kernel before it, after a folded bn
    kernel: ClassVar[str] = ""  # the function of that name in cost.ops.kernels (set by the factory)
    torch_class: ClassVar[str] = ""  # the torch.nn module of that name (set by the factory)

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        return xs[0]

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        from cost.ops import kernels  # numpy is imported only when a forward runs

        return (getattr(kernels, self.kernel)(xs[0]),)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        from torch import nn

        return getattr(nn, self.torch_class)()


def elementwise(name: str, torch_class: str, doc: str, aliases: tuple[str, ...] = ()
                ) -> type[Op]:
    """Register an element-wise op; its forward is the function `name` of cost.ops.kernels, its
    PyTorch module `torch.nn.<torch_class>()`."""
    cls = make_dataclass(name.title().replace("_", ""), [], bases=(Elementwise,), frozen=True)
    cls.__doc__ = doc
    cls.kernel = name
    cls.torch_class = torch_class
    return register(name, aliases=aliases)(cls)


elementwise("relu", "ReLU", "max(x, 0).")
elementwise("relu6", "ReLU6", "min(max(x, 0), 6) (MobileNet v2).")
elementwise("sigmoid", "Sigmoid", "1 / (1 + exp(-x)) (squeeze-and-excitation gates).")
elementwise("hard_sigmoid", "Hardsigmoid", "relu6(x + 3) / 6 (MobileNet v3).")
elementwise("hard_swish", "Hardswish", "x · relu6(x + 3) / 6 (MobileNet v3).")
elementwise("silu", "SiLU", "x · sigmoid(x), also named swish (EfficientNet, MnasNet-A1).",
            aliases=("swish",))
elementwise("gelu", "GELU", "x · Φ(x) = x/2 · (1 + erf(x/√2)), exact (ConvNeXt; torch's default).")


@register("dropout")
@dataclass(frozen=True)
class Dropout(Op):
    """Dropout: the identity at inference; `p` is recorded for the record (and for PyTorch).

    No work at inference: a no-op (kind `view`), not an element-wise kernel.
    """

    kind = "view"
    p: object = number(Fraction(1, 2), low=0, high=1, doc="drop probability (training only)")

    def output(self, xs: Sequence[Shape], check: Checker) -> Shape:
        return xs[0]

    def forward(self, xs: Sequence[np.ndarray], weights: dict[str, np.ndarray],
                tally: Tally) -> tuple[np.ndarray, ...]:
        return (xs[0],)

    def torch_module(self, in_shape: tuple[int, ...]) -> Any:
        from torch import nn

        return nn.Dropout(float(self.p))

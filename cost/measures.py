"""What `cost` measures and how: the paper convention, in one place, and `Cost`, one layer's
measures.

Every total is printed with `CONVENTION`.

madds     multiply-adds of conv and linear layers, one per multiply-add: what the ShuffleNet,
          MobileNet, SqueezeNet and GhostNet papers call "FLOPs" or "MAdds". Bias additions, BN
          (folded into the conv before it at inference), activations, pooling, add, mul, concat,
          split and shuffle count 0. Each op's formula sits next to its shape rule in `cost.ops`.
flops     FLOPS_PER_MADD x madds: the convention of torch.utils.flop_counter and TF's profiler,
          where a multiply and an add are two operations. Printed only where asked for.
params    every learnable parameter as declared: conv/linear weights and biases, BN scale and
          shift. This is PyTorch's `sum(p.numel() for p in model.parameters())`.
mem       memory access cost, ShuffleNet V2 Sec. 2 ("MAC" there; never `mac` in this code, where
          it would collide with multiply-accumulate): each layer reads its inputs and its weights
          and writes its outputs, counted in elements (in bytes with dtype_bytes). For a 1x1 conv
          with c1 inputs, c2 outputs and g groups on an h x w map this is hw(c1 + c2) + c1*c2/g,
          the paper's Eq. (2). Every layer is charged on its own: no fusion, no cache reuse across
          layers (the paper's assumption of a cache large enough for one layer).

The tools' conventions (fvcore, thop, ptflops, torchinfo, torch) are `cost.conventions`.

>>> memory_access(inputs=[(1, 240, 28, 28)], outputs=[(1, 240, 28, 28)], params=240 * 240 // 3)
(207360, 188160)
>>> c = Cost(madds=10, params=4, mem_read=30, mem_write=20) + Cost(madds=5, mem_read=1)
>>> c.madds, c.mem, c.flops
(15, 51, 30)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields

from cost.symbolic import Shape, div, is_concrete, normalize, numel, sint, total

FLOPS_PER_MADD = 2
DEFAULT_DTYPE_BYTES = 1  # memory is counted in elements unless the user asks for bytes

CONVENTION = (
    "madds = multiply-adds of conv + linear, 1 per multiply-add (papers' FLOPs; "
    f"FLOPs(2x) = {FLOPS_PER_MADD} x madds), BN/activations/pool/add/shuffle 0; "
    "params = all learnable (weights, biases, BN scale+shift); "
    "mem = elements read (inputs + weights) + written (outputs) per layer (ShuffleNet V2 MAC)"
)


def memory_access(
    inputs: Sequence[Shape], outputs: Sequence[Shape], params: sint, *, view: bool = False
) -> tuple[sint, sint]:
    """(read, write) of one layer in elements: its inputs and weights in, its outputs out.

    A view (flatten) or an inference-time identity (dropout) runs no kernel and moves nothing.
    """
    if view:
        return 0, 0
    read = total([*(numel(x) for x in inputs), params])
    write = total(numel(y) for y in outputs)
    return read, write


def convention_line(dtype_bytes: int = DEFAULT_DTYPE_BYTES) -> str:
    unit = "elements" if dtype_bytes == 1 else f"bytes at {dtype_bytes} bytes per element"
    return f"convention: {CONVENTION}; mem in {unit}"


METRICS = ("madds", "params", "mem_read", "mem_write")


@dataclass(frozen=True)
class Cost:
    """Cost of one node or of a whole network; the convention is `cost.measures`.

    madds: multiply-adds; params: learnable parameters; mem_read / mem_write: elements moved.
    """

    madds: sint = 0
    params: sint = 0
    mem_read: sint = 0
    mem_write: sint = 0

    @property
    def mem(self) -> sint:
        """Memory access cost: ShuffleNet V2's "MAC", elements read plus written."""
        return normalize(self.mem_read + self.mem_write)

    @property
    def flops(self) -> sint:
        """FLOPs in the two-per-multiply-add convention (torch.utils.flop_counter)."""
        return normalize(FLOPS_PER_MADD * self.madds)

    @property
    def intensity(self) -> sint:
        """Arithmetic intensity: multiply-adds per element moved (0 when nothing moves)."""
        return 0 if self.mem == 0 else div(self.madds, self.mem)

    def __add__(self, other: Cost) -> Cost:
        return Cost(*(normalize(getattr(self, m) + getattr(other, m)) for m in METRICS))

    @staticmethod
    def sum(costs: Iterable[Cost]) -> Cost:
        costs = list(costs)
        return Cost(*(total(getattr(c, m) for c in costs) for m in METRICS))

    def map(self, f: Callable[[sint], sint]) -> Cost:
        return Cost(*(f(getattr(self, m)) for m in METRICS))

    def is_concrete(self) -> bool:
        return all(is_concrete(getattr(self, f.name)) for f in fields(self))

    def as_dict(self) -> dict[str, sint]:
        return {m: getattr(self, m) for m in METRICS} | {"mem": self.mem}

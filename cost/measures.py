"""`Cost`: what one layer (or a sum of layers) costs, as exact numbers or sympy expressions.

>>> c = Cost(madds=10, params=4, mem_read=30, mem_write=20) + Cost(madds=5, mem_read=1)
>>> c.madds, c.mem, c.flops
(15, 51, 30)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields

from cost.conventions import FLOPS_PER_MADD
from cost.symbolic import div, is_concrete, normalize, sint, total

METRICS = ("madds", "params", "mem_read", "mem_write")


@dataclass(frozen=True)
class Cost:
    """Cost of one node or of a whole network; the convention is `cost.conventions`.

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

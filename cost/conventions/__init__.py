"""Named counting conventions: how fvcore, thop, ptflops, torchinfo and torch's FlopCounterMode
count, kind of op by kind of op (`tools`), the primitives their rules are built from
(`counting`), and `count`, a profile's per-layer counts under one of them. The paper convention
is `cost.measures`.
"""

from cost.conventions.counting import Count, difference
from cost.conventions.tools import CONVENTIONS, Convention, count, gaps, get

__all__ = ["CONVENTIONS", "Convention", "Count", "count", "difference", "gaps", "get"]

"""Two profiles side by side: layers aligned by kind and order (views such as flatten left out,
so `x.mean((2, 3))` meets `global_avgpool` + `flatten`), the first layer where output size, madds
or params differ, and the totals.

>>> Difference(None, None, "madds", 1, 2).metric
'madds'
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from cost.symbolic import numel

METRICS = ("madds", "params", "mem")


@dataclass
class Difference:
    a: Any  # engine Layer or None (missing on that side)
    b: Any
    metric: str  # what differs: "layer" (unmatched), "size", "madds", "params"
    value_a: Any
    value_b: Any


@dataclass
class Report:
    name_a: str
    name_b: str
    totals: dict[str, tuple[Any, Any]]
    first: Difference | None = None
    pairs: int = 0
    differing: list[Difference] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return self.first is None and all(a == b for a, b in self.totals.values())


def _layers(p: Any) -> list[Any]:
    return [layer for layer in p.layers if not layer.node.view]


def _key(layer: Any) -> str:
    return type(layer.node).kind


def _compare(a: Any, b: Any) -> Difference | None:
    for metric, fa in (("size", lambda x: numel(x.out_shapes[0])),
                       ("madds", lambda x: x.cost.madds), ("params", lambda x: x.cost.params)):
        if fa(a) != fa(b):
            return Difference(a, b, metric, fa(a), fa(b))
    return None


def diff(pa: Any, pb: Any, name_a: str = "A", name_b: str = "B") -> Report:
    la, lb = _layers(pa), _layers(pb)
    totals = {m: (getattr(pa.total, m), getattr(pb.total, m)) for m in METRICS}
    report = Report(name_a, name_b, totals)
    matcher = difflib.SequenceMatcher(None, [_key(x) for x in la], [_key(x) for x in lb],
                                      autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for a, b in zip(la[i1:i2], lb[j1:j2], strict=True):
                report.pairs += 1
                found = _compare(a, b) if tag == "equal" else Difference(a, b, "layer", a.op,
                                                                        b.op)
                if found:
                    report.differing.append(found)
        else:
            a = la[i1] if i1 < i2 else None
            b = lb[j1] if j1 < j2 else None
            report.differing.append(Difference(a, b, "layer", a and a.op, b and b.op))
    report.first = report.differing[0] if report.differing else None
    return report

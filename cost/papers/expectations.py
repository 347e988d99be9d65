"""Checking a spec's `expect:` entries: the numbers it must reproduce, each with its source.

>>> results = check(read_spec("specs/shufflenet_g3.yaml"))  # doctest: +SKIP
>>> all(r.ok for r in results)  # doctest: +SKIP
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cost.engine.profile import profile
from cost.spec.parse import Expectation, Expected, Spec


@dataclass(frozen=True)
class Result:
    """One checked metric of one expectation."""

    expectation: Expectation
    metric: str
    expected: Expected
    actual: Any

    @property
    def ok(self) -> bool:
        return self.expected.holds(self.actual)

    @property
    def deviation(self) -> float:
        """(actual − expected) / expected, as a fraction."""
        return float((self.actual - self.expected.value) / self.expected.value)

    def __str__(self) -> str:
        e = self.expectation
        how = f"preset {e.preset} " if e.preset else ""
        how += " ".join(f"{k}={v}" for k, v in e.bind.items())
        verdict = "ok" if self.ok else "FAILS"
        return (f"{e.at.file}:{e.at.line}: {how or 'defaults'}: {self.metric} = {self.actual:,} "
                f"expected {self.expected} ({self.deviation:+.2%}) {verdict} [{e.source}]")


def check(spec: Spec) -> list[Result]:
    """Profile the spec under each expectation's preset and bindings; one Result per metric."""
    results = []
    for e in spec.expect:
        bound = spec.with_bindings(preset=e.preset, **e.bind)
        total = profile(bound).total.as_dict()
        for metric, expected in e.metrics.items():
            results.append(Result(e, metric, expected, total[metric]))
    return results

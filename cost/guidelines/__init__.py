"""ShuffleNet V2's guidelines G1–G4 as an analysis of a profiled spec: `analyze` gives per-block
evidence and a verdict per guideline; `cost.render.guidelines` turns it into tables and JSON.
The definitions, formulas and thresholds are documented in `cost.guidelines.analysis`.

>>> import cost  # doctest: +SKIP
>>> report = analyze(cost.profile(cost.load("specs/shufflenet_v2.yaml")))  # doctest: +SKIP
>>> report.verdicts["G1"].violated, report.verdicts["G2"].violated  # doctest: +SKIP
(False, False)
"""

from __future__ import annotations

from cost.guidelines.analysis import (
    AVOIDABLE_TOLERANCE_TEXT,
    ELEMENTWISE_MAJORITY,
    GUIDELINES,
    MAX_BRANCHES,
    TITLES,
    Block,
    Pointwise,
    Report,
    Verdict,
    analyze,
    avoidable_tolerance,
    branches,
    g1_lower_bound,
    g2_mem_at_g1,
    pointwise,
    units,
)

__all__ = ["AVOIDABLE_TOLERANCE_TEXT", "ELEMENTWISE_MAJORITY", "GUIDELINES", "MAX_BRANCHES",
           "TITLES", "Block", "Pointwise", "Report", "Verdict", "analyze", "avoidable_tolerance",
           "branches", "g1_lower_bound", "g2_mem_at_g1", "pointwise", "units"]

"""`cost check`: the reference forward's report as text or JSON (numbers and JSON values written by
`cost.render.format`). The report itself is `cost.reference.forward.check`.
"""

from __future__ import annotations

from typing import Any

from cost.render.format import dumps, exact, fixed
from cost.symbolic import render

LISTED = 10  # mismatches shown in the table format (all of them are in the JSON)


def render_text(report: Any) -> str:
    """Spec, bindings, the verdict, executed and counted madds, time and peak memory, and the
    first LISTED mismatches (`report`: a `cost.reference.forward.Report`)."""
    bindings = ", ".join(f"{k}={render(v)}" for k, v in report.bindings.items()) or "(none)"
    verdict = ("every output shape and madds count agrees with the engine" if report.ok
               else f"{len(report.mismatches)} disagreement(s) with the engine")
    lines = [
        f"spec            {report.spec}",
        f"bindings        {bindings}",
        f"layers checked  {report.layers_checked}: {verdict}",
        f"madds           {exact(report.madds_executed)} executed, "
        f"{exact(report.madds_counted)} counted",
        f"forward         {fixed(report.forward_seconds, 3)} s, "
        f"peak {fixed(report.peak_bytes / 2**20, 1)} MiB (tracemalloc)",
    ]
    for m in report.mismatches[:LISTED]:
        lines.append(f"  mismatch      {m}")
    if len(report.mismatches) > LISTED:
        lines.append(f"  ... and {len(report.mismatches) - LISTED} more (--format json lists all)")
    return "\n".join(lines)


def to_json(report: Any) -> str:
    """`report.as_dict()`: the keys of `cost check --format json`."""
    return dumps(report.as_dict())


def render_check(report: Any, fmt: str = "table") -> str:
    """The report in `fmt`: table or json."""
    return to_json(report) if fmt == "json" else render_text(report)

"""Text and JSON of `cost import` (what was written, the totals or their formulas) and of
`cost diff` (`cost.interop.diff.Report`)."""

from __future__ import annotations

from typing import Any

from cost.render.format import dumps, exact, jsonable, shape_text


def render_import(p: Any, written: str | None) -> str:
    lines = [f"wrote {written}"] if written else []
    where = "" if not p.symbolic else " (" + ", ".join(p.env.free) + " free)"
    lines.append(f"{p.spec.name}: {len(p.layers)} layers{where}")
    for metric in ("madds", "params", "mem"):
        value = p.formula(metric)
        lines.append(f"  {metric:<7} {exact(value)}")
    return "\n".join(lines) + "\n"


def _side(layer: Any) -> str:
    if layer is None:
        return "(none)"
    return (f"{layer.path} ({layer.op}) out {shape_text(layer.out_shapes[0])} "
            f"madds {exact(layer.cost.madds)} params {exact(layer.cost.params)}")


def render_diff(report: Any, fmt: str = "table") -> str:
    if fmt == "json":
        first = report.first
        return dumps({
            "same": report.same, "a": report.name_a, "b": report.name_b,
            "totals": {m: {"a": jsonable(a), "b": jsonable(b)} for m, (a, b) in
                       report.totals.items()},
            "layers_compared": report.pairs, "layers_differing": len(report.differing),
            "first": None if first is None else {
                "metric": first.metric, "a": first.a and first.a.path,
                "b": first.b and first.b.path, "value_a": jsonable(first.value_a),
                "value_b": jsonable(first.value_b)},
        }) + "\n"
    lines = [f"A: {report.name_a}", f"B: {report.name_b}", ""]
    width = max(len(exact(v)) for pair in report.totals.values() for v in pair)
    lines.append(f"{'':8}{'A':>{width}}  {'B':>{width}}")
    for metric, (a, b) in report.totals.items():
        mark = "" if a == b else "  differs"
        lines.append(f"{metric:<8}{exact(a):>{width}}  {exact(b):>{width}}{mark}")
    lines.append("")
    if report.first is None:
        lines.append(f"no difference: {report.pairs} layers aligned"
                     + ("" if report.same else "; the totals differ"))
    else:
        d = report.first
        va, vb = ((d.value_a, d.value_b) if d.metric == "layer"
                  else (exact(d.value_a), exact(d.value_b)))
        lines += [f"first difference ({d.metric}: {va} vs {vb}):",
                  f"  A {_side(d.a)}", f"  B {_side(d.b)}",
                  f"{len(report.differing)} of {report.pairs} aligned layers differ"]
    return "\n".join(lines) + "\n"

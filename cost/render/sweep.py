"""Rendering of sweeps and solutions (numbers and JSON values written by `cost.render.format`).

Sweep rows carry the bindings, madds, params, mem, intensity, valid, reason and pareto. Metrics
are exact integers (blank, or null in JSON, where the point is invalid); binding values are
exact (`0.25`, or `1/3` when no short decimal is exact: `value_text`; in JSON a number where
a short decimal is exact, `decimal_value`); intensity (madds per element moved) has 4 significant
figures in tables and full float precision in CSV and JSON. With a device profile, a last
column `latency` (predicted seconds: 3 significant figures and a unit in tables, a float in
CSV and JSON).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from cost.design.writers import COLUMNS, INT_COLUMNS, csv_header, csv_rows
from cost.measures import convention_line
from cost.render.format import (
    decimal_value,
    dumps,
    duration,
    exact,
    fixed,
    format_count,
    significant,
    value_text,
)
from cost.symbolic import render


def _rows(sweep: Any, rows: str = "kept", sort: str | None = None) -> Any:
    """The shown rows (`sweep.rows`), ordered by `sort` (a metric or swept name, largest first;
    `cost.design.sweep.sort_block`) if given."""
    block = sweep.rows(rows)
    if sort is None:
        return block
    from cost.design.sweep import sort_block

    return sort_block(block, sort, sweep.grid)


def _columns(sweep: Any, rows: str = "kept", sort: str | None = None) -> dict[str, np.ndarray]:
    """Per shown point (`sweep.rows`, sorted by `sort`): binding values (exact, as Python
    objects) and metrics (ints, None where invalid), from `cost.design.chunks.columns`."""
    from cost.design.chunks import columns

    cols = columns(_rows(sweep, rows, sort), sweep.grid, sweep.reasons)
    valid = cols["valid"]
    for metric in INT_COLUMNS:
        v = cols[metric].astype(object)
        v[~valid] = None
        cols[metric] = v
    return cols


def header(sweep: Any) -> str:
    spec = sweep.form.spec
    parts = [f"{spec.name} ({spec.path})"]
    if spec.preset:
        parts.append(f"preset {spec.preset}")
    if sweep.form.fixed:
        parts.append(", ".join(f"{k}={render(v)}" for k, v in sweep.form.fixed.items()))
    dims = " × ".join(f"{n} ({len(v)})" for n, v in sweep.grid.items())
    parts.append(f"sweep {dims}")
    return " · ".join(parts)


def objectives_text(sweep: Any) -> str:
    """The front's objectives as written: "madds:min, params:max"."""
    from cost.design.pareto import DEFAULT_OBJECTIVES

    goal = getattr(sweep, "goal", None)
    return ", ".join(map(str, goal.objectives)) if goal is not None else \
        DEFAULT_OBJECTIVES.replace(",", ", ")


def summary_lines(sweep: Any) -> list[str]:
    s = sweep.summary()
    lines = [f"points: {exact(s['points'])} · valid: {exact(s['valid'])}"
             + (f" · kept by --where {sweep.where!r}: {exact(s['kept'])}" if sweep.where else "")
             + f" · Pareto front ({objectives_text(sweep)}): {exact(s['pareto'])}"]
    for metric in INT_COLUMNS:
        if s[metric] is not None:
            lo, hi = s[metric]
            lines.append(f"{metric}: {format_count(lo)} to {format_count(hi)}")
    if s.get("latency") is not None:
        lo, hi = s["latency"]
        lines.append(f"latency: {duration(lo)} to {duration(hi)} (predicted on "
                     f"{sweep.form.device.name})")
    for reason, count in list(s["invalid_reasons"].items())[:5]:
        lines.append(f"invalid ({exact(count)}): {reason}")
    if len(s["invalid_reasons"]) > 5:
        lines.append(f"invalid: {len(s['invalid_reasons']) - 5} more reasons")
    return lines


def report_lines(sweep: Any, index: Any) -> list[str]:
    """What `cost sweep --report DIR` prints: the header, the summary and where the report is."""
    return [header(sweep), *summary_lines(sweep), f"report: {index} (+ sweep.csv, summary.md)"]


def render_table(sweep: Any, fmt: str = "table", sort: str | None = None) -> str:
    """Terminal table or markdown, with a header, a summary and the convention line."""
    from tabulate import tabulate

    cols = _columns(sweep, sort=sort)
    names = list(sweep.grid)
    body = []
    for i in range(len(cols["valid"])):
        row = [value_text(cols[n][i]) for n in names]
        for metric in INT_COLUMNS:
            v = cols[metric][i]
            row.append("" if v is None else exact(v))
        x = cols["intensity"][i]
        row += ["" if np.isnan(x) else significant(x, 4), "yes" if cols["valid"][i] else "no",
                cols["reason"][i], "yes" if cols["pareto"][i] else ""]
        if "latency" in cols:
            t = cols["latency"][i]
            row.append("" if np.isnan(t) else duration(t))
        body.append(row)
    style = "github" if fmt == "markdown" else "simple"
    extra = ("latency",) if "latency" in cols else ()
    table = tabulate(body, headers=[*names, *COLUMNS, *extra], tablefmt=style,
                     disable_numparse=True,
                     colalign=(*("right",) * (len(names) + len(INT_COLUMNS) + 1),
                                "left", "left", "left",
                               *("right",) * len(extra)))
    lines = [header(sweep), "", table, "", *summary_lines(sweep), convention_line(1)]
    if fmt == "markdown":
        return "\n".join([lines[0], "", table, "", *(f"- {x}" for x in lines[4:])])
    return "\n".join(lines)


def to_csv(sweep: Any, rows: str = "kept", sort: str | None = None) -> str:
    """The header and the rows (`csv_rows`) of a sweep held in memory or reduced (a last
    column `latency` with a device profile)."""
    return csv_header(sweep.grid, sweep.form.totals) + csv_rows(
        _rows(sweep, rows, sort), sweep.grid, sweep.reasons)


def to_json(sweep: Any, sort: str | None = None) -> str:
    cols = _columns(sweep, sort=sort)
    names = list(sweep.grid)
    summary = sweep.summary()
    doc = {
        "spec": sweep.form.spec.path,
        "name": sweep.form.spec.name,
        "preset": sweep.form.spec.preset,
        "fixed": {k: decimal_value(v) for k, v in sweep.form.fixed.items()},
        "grid": {n: [decimal_value(v) for v in vs] for n, vs in sweep.grid.items()},
        "where": sweep.where,
        "pareto_objectives": objectives_text(sweep).replace(" ", ""),
        "convention": convention_line(1),
        "summary": {k: (list(map(decimal_value, v)) if isinstance(v, tuple) else v)
                    for k, v in summary.items()},
        "rows": [
            {**{n: decimal_value(cols[n][i]) for n in names},
             **{m: cols[m][i] for m in INT_COLUMNS},
             "intensity": None if np.isnan(cols["intensity"][i]) else float(cols["intensity"][i]),
             "valid": bool(cols["valid"][i]), "reason": cols["reason"][i],
             "pareto": bool(cols["pareto"][i]),
             **({"latency": None if np.isnan(cols["latency"][i]) else float(cols["latency"][i])}
                if "latency" in cols else {})}
            for i in range(len(cols["valid"]))
        ],
    }
    return dumps(doc)


def render_sweep(sweep: Any, fmt: str, sort: str | None = None) -> str:
    """The shown rows as `fmt`, ordered by `sort` (a metric or swept name, largest first)."""
    if fmt == "json":
        return to_json(sweep, sort)
    if fmt == "csv":
        return to_csv(sweep, sort=sort)
    return render_table(sweep, fmt, sort)


# --- solutions -----------------------------------------------------------------------------------


def _solution_rows(sol: Any) -> list[dict[str, Any]]:
    rows = []
    for k, root in enumerate(sol.roots):
        nearest = root.nearest(sol.target, sol.metric)
        for side, n in (("below", root.below), ("above", root.above)):
            if n is None:
                continue
            rows.append({"root": k, "side": side, sol.name: n.value, **n.metrics,
                         "nearest": n is nearest})
    return rows


def render_solution(sol: Any, fmt: str = "table") -> str:
    if fmt == "json":
        return dumps(solution_doc(sol))
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["root", "solution", "side", sol.name, "madds", "params", "mem", "nearest"])
        for r in _solution_rows(sol):
            root = sol.roots[r["root"]]
            w.writerow([r["root"], "" if root.value is None else repr(root.value), r["side"],
                        value_text(r[sol.name]), r["madds"], r["params"], r["mem"],
                        str(r["nearest"]).lower()])
        return buf.getvalue()
    return _solution_text(sol, fmt)


def _solution_text(sol: Any, fmt: str) -> str:
    from tabulate import tabulate

    spec = sol.spec
    parts = [f"{spec.name} ({spec.path})"]
    if spec.preset:
        parts.append(f"preset {spec.preset}")
    if sol.fixed:
        parts.append(", ".join(f"{k}={render(v)}" for k, v in sol.fixed.items()))
    target = duration(sol.target) if sol.metric == "latency" else exact(sol.target)
    parts.append(f"solve {sol.metric}({sol.name}) = {target}")
    lines = [" · ".join(parts), "", f"{sol.metric}({sol.name}) = {sol.formula}"]
    lines += [f"  where {k} = {v}" for k, v in sol.where.items()]
    for root in sol.roots:
        if root.exact is not None:
            lines.append(f"solution (exact): {sol.name} = {root.exact} "
                         f"≈ {significant(root.value, 6)}")
        elif root.value is not None:
            lines.append(f"solution (numeric): {sol.name} ≈ {significant(root.value, 6)}")
        else:
            lines.append(f"solution: between {sol.name} = {value_text(root.below.value)} and "
                         f"{value_text(root.above.value)} ({sol.name} takes no values between)")
        if root.below is None and root.above is None:
            lines.append("no lattice of valid values: give --step to list valid neighbours")
            continue
        step = f" (valid step {value_text(root.step)})" if root.step is not None else ""
        lines.append(f"nearest valid {sol.name}{step}:")
        nearest = root.nearest(sol.target, sol.metric)
        body = []
        for side, n in (("below", root.below), ("above", root.above)):
            if n is None:
                body.append([side, "none", "", "", "", "", ""])
                continue
            delta = Fraction(n.metrics[sol.metric]) - Fraction(sol.target)
            body.append([side, value_text(n.value), *(exact(n.metrics[m]) for m in
                                                       ("madds", "params", "mem")),
                         (("+" if delta >= 0 else "-") + duration(abs(delta)))
                         if sol.metric == "latency" else fixed(delta, 0, sign=True, grouped=True),
                         "nearest" if n is nearest else ""])
        style = "github" if fmt == "markdown" else "simple"
        lines.append(tabulate(body, headers=["", sol.name, "madds", "params", "mem",
                                             f"Δ {sol.metric}", ""],
                              tablefmt=style, disable_numparse=True,
                              colalign=("left", "right", "right", "right", "right", "right",
                                        "left")))
    lines += ["", f"method: {sol.method}; valid = every constraint of the spec holds "
              "(channels whole, groups dividing channels, sizes >= 1)", convention_line(1)]
    return "\n".join(lines)


def _metric_data(metrics: dict[str, Any]) -> dict[str, Any]:
    """The metrics as JSON data: counts stay exact integers; the predicted latency (an exact
    Fraction of seconds on the device's attosecond grid) is a number of seconds, as in the
    sweep's `latency` column."""
    return {k: float(v) if k == "latency" else v for k, v in metrics.items()}


def solution_doc(sol: Any) -> dict[str, Any]:
    return {
        "spec": sol.spec.path, "name": sol.spec.name, "preset": sol.spec.preset,
        "fixed": {k: decimal_value(v) for k, v in sol.fixed.items()},
        "solve_for": sol.name, "metric": sol.metric, "target": decimal_value(sol.target),
        "formula": str(sol.formula), "where": {str(k): str(v) for k, v in sol.where.items()},
        "method": sol.method,
        "roots": [
            {"exact": None if r.exact is None else str(r.exact), "value": r.value,
             "step": None if r.step is None else decimal_value(r.step),
             **{side: None if n is None else {"value": decimal_value(n.value),
                                              **_metric_data(n.metrics),
                                              "nearest": n is r.nearest(sol.target, sol.metric)}
                for side, n in (("below", r.below), ("above", r.above))}}
            for r in sol.roots
        ],
        "convention": convention_line(1),
    }

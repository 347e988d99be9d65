"""Rendering of sweeps and solutions: numbers become text only here (and in cost.render.html).

Sweep rows carry the bindings, madds, params, mem, intensity, valid, reason and pareto. Metrics
are exact integers (blank, or null in JSON, where the point is invalid); binding values are
exact (`0.25`, or `1/3` when no short decimal is exact); intensity (madds per element moved) has
4 significant figures in tables and full float precision in CSV and JSON.

>>> value_text(Fraction(1, 4)), value_text(Fraction(1, 3)), value_text(224)
('0.25', '1/3', '224')
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import numpy as np

from cost.measures import convention_line
from cost.render.profile import format_count
from cost.symbolic import render

COLUMNS = ("madds", "params", "mem", "intensity", "valid", "reason", "pareto")


def value_text(v: Any) -> str:
    """An exact binding value: ints plainly, finite decimals as decimals, else p/q."""
    if isinstance(v, Fraction):
        q = v.denominator
        for p in (2, 5):
            while q % p == 0:
                q //= p
        if q == 1:
            text = f"{float(v):.15g}"
            if Fraction(text) == v:
                return text
        return render(v)
    return str(v)


def _json_value(v: Any) -> Any:
    if isinstance(v, Fraction):
        text = value_text(v)
        return float(text) if "/" not in text else text
    if isinstance(v, np.generic):
        return v.item()
    return v


def _columns(sweep: Any, rows: str = "kept") -> dict[str, np.ndarray]:
    """Per shown point (`sweep.rows`): binding values (exact, as Python objects) and metrics
    (ints, None where invalid), from `cost.design.chunks.columns`."""
    from cost.design.chunks import columns

    cols = columns(sweep.rows(rows), sweep.grid, sweep.reasons)
    valid = cols["valid"]
    for metric in ("madds", "params", "mem"):
        v = cols[metric].astype(object)
        v[~valid] = None
        cols[metric] = v
    return cols


def _text(values: tuple) -> np.ndarray:
    return np.array([value_text(v) for v in values], dtype=object)


def _csv_field(text: str) -> str:
    import csv
    import io

    if not text:
        return ""  # as csv.writer writes an empty field in a row of several
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([text])
    return buf.getvalue()


def csv_rows(block: Any, grid: dict[str, tuple], reasons: list[str]) -> str:
    """The rows of a block as CSV lines (no header): exact binding values, integer metrics
    (blank where invalid), intensity as repr(float), true/false flags. Fast enough to write
    10^7 rows: one text per distinct value, joined per row."""
    from cost.design.chunks import columns

    if not len(block):
        return ""
    cols = columns(block, grid, reasons, lookup=_text)
    valid = cols["valid"]
    fields = [cols[n] for n in grid]
    for metric in ("madds", "params", "mem"):
        v = cols[metric]
        text = (v.astype(str) if v.dtype == np.int64 else np.array(list(map(str, v.tolist()))))
        text = text.astype(object)
        text[~valid] = ""
        fields.append(text)
    x = cols["intensity"]
    fields.append(np.array(["" if v != v else repr(v) for v in x.tolist()], dtype=object))
    fields.append(np.where(valid, "true", "false").astype(object))
    quoted = np.array([_csv_field(r) for r in reasons], dtype=object)
    fields.append(quoted[block.reason])
    fields.append(np.where(cols["pareto"], "true", "false").astype(object))
    return "\n".join(map(",".join, zip(*(f.tolist() for f in fields), strict=True))) + "\n"


def _binding_type(values: tuple) -> str:
    if all(isinstance(v, int) for v in values):
        return "int64"
    if all(Fraction(float(v)) == v for v in values):
        return "float64"
    return "string"


def arrow_schema(grid: dict[str, tuple], kinds: dict[str, str]) -> Any:
    """Parquet columns: bindings int64 (whole), float64 (exact as floats) or string (exact text,
    e.g. 1/3); metrics int64, or string (exact text) if some value is past int64 or fractional;
    intensity float64; valid and pareto booleans; reason string. Nulls where invalid."""
    import pyarrow as pa

    types = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}
    fields = [pa.field(n, types[_binding_type(v)]) for n, v in grid.items()]
    fields += [pa.field(m, pa.int64() if kinds.get(m, "int") == "int" else pa.string())
               for m in ("madds", "params", "mem")]
    fields += [pa.field("intensity", pa.float64()), pa.field("valid", pa.bool_()),
               pa.field("reason", pa.string()), pa.field("pareto", pa.bool_())]
    return pa.schema(fields)


def arrow_table(block: Any, grid: dict[str, tuple], reasons: list[str],
                kinds: dict[str, str]) -> Any:
    """The rows of a block as a pyarrow Table of `arrow_schema(grid, kinds)`."""
    import pyarrow as pa

    from cost.design.chunks import columns

    schema = arrow_schema(grid, kinds)
    lookups = {"int64": lambda vs: np.array(vs, dtype=np.int64),
               "float64": lambda vs: np.array([float(v) for v in vs]), "string": _text}
    cols = columns(block, grid, reasons, lookup=lambda vs: np.arange(len(vs)))  # positions
    arrays = [pa.array(lookups[_binding_type(values)](values)[cols[name]],
                       type=schema.field(name).type) for name, values in grid.items()]
    valid = cols["valid"]
    for metric in ("madds", "params", "mem"):
        exact = block.exact_values(metric)
        if schema.field(metric).type == pa.int64() and exact.dtype == np.int64:
            arrays.append(pa.array(exact, type=pa.int64(), mask=~valid))
            continue
        whole = schema.field(metric).type == pa.int64()
        arrays.append(pa.array([(int(x) if whole else value_text(x)) if ok else None
                                for x, ok in zip(exact.tolist(), valid.tolist(), strict=True)],
                               type=schema.field(metric).type))
    arrays.append(pa.array(cols["intensity"], type=pa.float64(), mask=~valid))
    arrays.append(pa.array(valid, type=pa.bool_()))
    arrays.append(pa.array(cols["reason"].tolist(), type=pa.string()))
    arrays.append(pa.array(cols["pareto"], type=pa.bool_()))
    return pa.Table.from_arrays(arrays, schema=schema)


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


def summary_lines(sweep: Any) -> list[str]:
    s = sweep.summary()
    lines = [f"points: {s['points']:,} · valid: {s['valid']:,}"
             + (f" · kept by --where {sweep.where!r}: {s['kept']:,}" if sweep.where else "")
             + f" · Pareto front (madds, params, mem minimal): {s['pareto']:,}"]
    for metric in ("madds", "params", "mem"):
        if s[metric] is not None:
            lo, hi = s[metric]
            lines.append(f"{metric}: {format_count(lo)} to {format_count(hi)}")
    for reason, count in list(s["invalid_reasons"].items())[:5]:
        lines.append(f"invalid ({count:,}): {reason}")
    if len(s["invalid_reasons"]) > 5:
        lines.append(f"invalid: {len(s['invalid_reasons']) - 5} more reasons")
    return lines


def render_table(sweep: Any, fmt: str = "table") -> str:
    """Terminal table or markdown, with a header, a summary and the convention line."""
    from tabulate import tabulate

    cols = _columns(sweep)
    names = list(sweep.grid)
    body = []
    for i in range(len(cols["valid"])):
        row = [value_text(cols[n][i]) for n in names]
        for metric in ("madds", "params", "mem"):
            v = cols[metric][i]
            row.append("" if v is None else f"{v:,}")
        x = cols["intensity"][i]
        row += ["" if np.isnan(x) else f"{x:.4g}", "yes" if cols["valid"][i] else "no",
                cols["reason"][i], "yes" if cols["pareto"][i] else ""]
        body.append(row)
    style = "github" if fmt == "markdown" else "simple"
    table = tabulate(body, headers=[*names, *COLUMNS], tablefmt=style, disable_numparse=True,
                     colalign=(*("right",) * (len(names) + 4), "left", "left", "left"))
    lines = [header(sweep), "", table, "", *summary_lines(sweep), convention_line(1)]
    if fmt == "markdown":
        return "\n".join([lines[0], "", table, "", *(f"- {x}" for x in lines[4:])])
    return "\n".join(lines)


def to_csv(sweep: Any, rows: str = "kept") -> str:
    """The header and the rows (`csv_rows`) of a sweep held in memory or reduced."""
    return ",".join([*sweep.grid, *COLUMNS]) + "\n" + csv_rows(sweep.rows(rows), sweep.grid,
                                                               sweep.reasons)


def to_json(sweep: Any) -> str:
    cols = _columns(sweep)
    names = list(sweep.grid)
    summary = sweep.summary()
    doc = {
        "spec": sweep.form.spec.path,
        "name": sweep.form.spec.name,
        "preset": sweep.form.spec.preset,
        "fixed": {k: _json_value(v) for k, v in sweep.form.fixed.items()},
        "grid": {n: [_json_value(v) for v in vs] for n, vs in sweep.grid.items()},
        "where": sweep.where,
        "convention": convention_line(1),
        "summary": {k: (list(map(_json_value, v)) if isinstance(v, tuple) else v)
                    for k, v in summary.items()},
        "rows": [
            {**{n: _json_value(cols[n][i]) for n in names},
             **{m: cols[m][i] for m in ("madds", "params", "mem")},
             "intensity": None if np.isnan(cols["intensity"][i]) else float(cols["intensity"][i]),
             "valid": bool(cols["valid"][i]), "reason": cols["reason"][i],
             "pareto": bool(cols["pareto"][i])}
            for i in range(len(cols["valid"]))
        ],
    }
    return json.dumps(doc, indent=2)


def render_sweep(sweep: Any, fmt: str) -> str:
    if fmt == "json":
        return to_json(sweep)
    if fmt == "csv":
        return to_csv(sweep)
    return render_table(sweep, fmt)


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
        return json.dumps(solution_doc(sol), indent=2)
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
    target = f"{sol.target:,}" if isinstance(sol.target, int) else render(sol.target)
    parts.append(f"solve {sol.metric}({sol.name}) = {target}")
    lines = [" · ".join(parts), "", f"{sol.metric}({sol.name}) = {sol.formula}"]
    lines += [f"  where {k} = {v}" for k, v in sol.where.items()]
    for root in sol.roots:
        if root.exact is not None:
            lines.append(f"solution (exact): {sol.name} = {root.exact} ≈ {root.value:.6g}")
        elif root.value is not None:
            lines.append(f"solution (numeric): {sol.name} ≈ {root.value:.6g}")
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
            body.append([side, value_text(n.value), *(f"{n.metrics[m]:,}" for m in
                                                       ("madds", "params", "mem")),
                         f"{'+' if delta >= 0 else ''}{float(delta):,.0f}",
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


def solution_doc(sol: Any) -> dict[str, Any]:
    return {
        "spec": sol.spec.path, "name": sol.spec.name, "preset": sol.spec.preset,
        "fixed": {k: _json_value(v) for k, v in sol.fixed.items()},
        "solve_for": sol.name, "metric": sol.metric, "target": _json_value(sol.target),
        "formula": str(sol.formula), "where": {str(k): str(v) for k, v in sol.where.items()},
        "method": sol.method,
        "roots": [
            {"exact": None if r.exact is None else str(r.exact), "value": r.value,
             "step": None if r.step is None else _json_value(r.step),
             **{side: None if n is None else {"value": _json_value(n.value), **n.metrics,
                                              "nearest": n is r.nearest(sol.target, sol.metric)}
                for side, n in (("below", r.below), ("above", r.above))}}
            for r in sol.roots
        ],
        "convention": convention_line(1),
    }

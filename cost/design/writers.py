"""Writers of sweep rows as data: CSV lines and Parquet (Arrow) tables, built chunk by chunk in
the workers (`cost.design.reduce`) and appended by `cost.design.sweep`. Values stay data: exact
binding values (`cost.symbolic.decimal_text`: `0.25`, or `1/3` where no short decimal is exact),
integer metrics (madds, params, mem, peak_mem; blank or null where a point is
invalid), intensity as a float, true/false
flags; with a device profile, a last column `latency` (predicted seconds, a float). The text
tables and JSON of a sweep are `cost.render.sweep`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from cost.symbolic import decimal_text

INT_COLUMNS = ("madds", "params", "mem", "peak_mem")  # exact integer metrics, in this order
COLUMNS = (*INT_COLUMNS, "intensity", "valid", "reason", "pareto")
EXTRA = ("latency",)  # after COLUMNS where the sweep has it (a device profile)


def extra_columns(metrics: Any) -> tuple[str, ...]:
    """The columns of `EXTRA` among `metrics` (a closed form's totals, a block's nums)."""
    return tuple(c for c in EXTRA if c in metrics)


def csv_header(grid: dict[str, tuple], metrics: Any = ()) -> str:
    """The CSV header line: the swept names, then `COLUMNS`, then the `EXTRA` of `metrics`."""
    return ",".join([*grid, *COLUMNS, *extra_columns(metrics)]) + "\n"


def _text(values: tuple) -> np.ndarray:
    return np.array([decimal_text(v) for v in values], dtype=object)


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
    for metric in INT_COLUMNS:
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
    if "latency" in cols:
        fields.append(np.array(["" if v != v else repr(v) for v in cols["latency"].tolist()],
                               dtype=object))
    return "\n".join(map(",".join, zip(*(f.tolist() for f in fields), strict=True))) + "\n"


def _binding_type(values: tuple) -> str:
    if all(isinstance(v, int) for v in values):
        return "int64"
    if all(Fraction(float(v)) == v for v in values):
        return "float64"
    return "string"


def arrow_schema(grid: dict[str, tuple], kinds: dict[str, str], metrics: Any = ()) -> Any:
    """Parquet columns: bindings int64 (whole), float64 (exact as floats) or string (exact text,
    e.g. 1/3); metrics int64, or string (exact text) if some value is past int64 or fractional;
    intensity float64; valid and pareto booleans; reason string; latency float64 (seconds) where
    `metrics` has it. Nulls where invalid."""
    import pyarrow as pa

    types = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}
    fields = [pa.field(n, types[_binding_type(v)]) for n, v in grid.items()]
    fields += [pa.field(m, pa.int64() if kinds.get(m, "int") == "int" else pa.string())
               for m in INT_COLUMNS]
    fields += [pa.field("intensity", pa.float64()), pa.field("valid", pa.bool_()),
               pa.field("reason", pa.string()), pa.field("pareto", pa.bool_())]
    fields += [pa.field(c, pa.float64()) for c in extra_columns(metrics)]
    return pa.schema(fields)


def arrow_table(block: Any, grid: dict[str, tuple], reasons: list[str],
                kinds: dict[str, str]) -> Any:
    """The rows of a block as a pyarrow Table of `arrow_schema(grid, kinds)`."""
    import pyarrow as pa

    from cost.design.chunks import columns

    schema = arrow_schema(grid, kinds, block.nums)
    lookups = {"int64": lambda vs: np.array(vs, dtype=np.int64),
               "float64": lambda vs: np.array([float(v) for v in vs]), "string": _text}
    cols = columns(block, grid, reasons, lookup=lambda vs: np.arange(len(vs)))  # positions
    arrays = [pa.array(lookups[_binding_type(values)](values)[cols[name]],
                       type=schema.field(name).type) for name, values in grid.items()]
    valid = cols["valid"]
    for metric in INT_COLUMNS:
        exact = block.exact_values(metric)
        if schema.field(metric).type == pa.int64() and exact.dtype == np.int64:
            arrays.append(pa.array(exact, type=pa.int64(), mask=~valid))
            continue
        whole = schema.field(metric).type == pa.int64()
        arrays.append(pa.array([(int(x) if whole else decimal_text(x)) if ok else None
                                for x, ok in zip(exact.tolist(), valid.tolist(), strict=True)],
                               type=schema.field(metric).type))
    arrays.append(pa.array(cols["intensity"], type=pa.float64(), mask=~valid))
    arrays.append(pa.array(valid, type=pa.bool_()))
    arrays.append(pa.array(cols["reason"].tolist(), type=pa.string()))
    arrays.append(pa.array(cols["pareto"], type=pa.bool_()))
    arrays += [pa.array(cols[c], type=pa.float64(), mask=~valid)
               for c in extra_columns(block.nums)]
    return pa.Table.from_arrays(arrays, schema=schema)

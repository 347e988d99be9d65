"""A `Profile`'s rows as a pandas DataFrame: numbers stay numbers (ints, or sympy expressions
while symbols are free; intensity a float), shapes stay lists; `cost.render` turns them into text.

Columns: path, op, in_shapes, out_shape, madds, [extra columns], params, mem_read, mem_write,
mem, intensity, live. An extra column (a tool's counting convention, say) is handed in as one
value per layer of `profile.layers`; rows that aggregate layers (`depth`) sum them like the other
costs (live, the activations held while the layer runs, is their maximum).

Memory is counted in elements; with `dtype_bytes` > 1 it is in bytes and the memory columns say
so in their names (`column_names`): mem_read_bytes, mem_write_bytes, mem_bytes, live_bytes, and
intensity becomes madds_per_byte, multiply-adds per byte moved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from cost.engine.memory import peak
from cost.symbolic import div, is_concrete, total

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("madds", "params", "mem_read", "mem_write", "mem")
MEMORY = ("mem_read", "mem_write", "mem", "live", "peak_mem")  # columns counted in elements/bytes


def scaled(value: Any, dtype_bytes: int) -> Any:
    """Memory access in bytes for `dtype_bytes` per element (1: counted in elements)."""
    return value * dtype_bytes if dtype_bytes != 1 else value


def column_names(dtype_bytes: int = 1) -> dict[str, str]:
    """The data name of each memory column and of intensity at `dtype_bytes` per element: the
    names themselves in elements, with the unit in bytes.

    >>> column_names(4)["mem"], column_names(4)["intensity"], column_names(1)["mem"]
    ('mem_bytes', 'madds_per_byte', 'mem')
    """
    if dtype_bytes == 1:
        return {c: c for c in (*MEMORY, "intensity")}
    return {**{c: f"{c}_bytes" for c in MEMORY}, "intensity": "madds_per_byte"}


def intensity(madds: Any, moved: Any) -> Any:
    """madds per element (or byte) moved as a float (0.0 when nothing moves); an expression
    while symbols are free."""
    if is_concrete(madds) and is_concrete(moved):
        return float(Fraction(madds) / Fraction(moved)) if moved else 0.0
    return div(madds, moved)


def frame(profile: Any, depth: int | None = None, dtype_bytes: int = 1,
          extra: Mapping[str, Sequence[Any]] | None = None) -> pd.DataFrame:
    """One row per layer of `profile` (a `cost.engine.profile.Profile`), or per path prefix of
    `depth` parts (blocks summed).

    `extra` maps a column name to per-layer values aligned with `profile.layers`; its columns
    follow madds.
    """
    import pandas as pd

    extra = dict(extra or {})
    for name, values in extra.items():
        if len(values) != len(profile.layers):
            raise ValueError(f"column {name!r} has {len(values)} values for "
                             f"{len(profile.layers)} layers")
    index = {id(layer): i for i, layer in enumerate(profile.layers)}
    if depth is None:
        items = [(la.path, la.op, la.in_shapes, la.out_shapes, la.cost, [la])
                 for la in profile.layers]
    else:
        items = [(g.path, g.op, g.layers[0].in_shapes, g.out_shapes, g.cost, g.layers)
                 for g in profile.groups(depth)]
    show = profile.show
    names = column_names(dtype_bytes)
    live = profile.live
    rows = []
    for path, op, ins, outs, cost, layers in items:
        values = cost.as_dict()
        held = [live[index[id(la)]] for la in layers]
        rows.append({
            "path": path, "op": op,
            "in_shapes": [list(map(show, x)) for x in ins],
            "out_shape": [show(d) for d in outs[0]] if len(outs) == 1
            else [[show(d) for d in y] for y in outs],
            **{names.get(c, c): show(scaled(values[c], dtype_bytes) if c in names else values[c])
               for c in COLUMNS},
            names["intensity"]: _shown(show, intensity(values["madds"],
                                                       scaled(values["mem"], dtype_bytes))),
            names["live"]: show(scaled(held[0] if len(held) == 1 else peak(held), dtype_bytes)),
            **{name: show(total(column[index[id(la)]] for la in layers))
               for name, column in extra.items()},
        })
    columns = ["path", "op", "in_shapes", "out_shape", "madds", *extra, "params",
               *(names[c] for c in ("mem_read", "mem_write", "mem", "intensity", "live"))]
    return pd.DataFrame(rows, columns=columns)


def _shown(show: Any, value: Any) -> Any:
    return value if isinstance(value, float) else show(value)

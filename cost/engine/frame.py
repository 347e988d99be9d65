"""A `Profile`'s rows as a pandas DataFrame: numbers stay numbers (ints, or sympy expressions
while symbols are free), shapes stay lists; `cost.render` turns them into text.

Columns: path, op, in_shapes, out_shape, madds, [extra columns], params, mem_read, mem_write,
mem, intensity. An extra column (a tool's counting convention, say) is handed in as one value per
layer of `profile.layers`; rows that aggregate layers (`depth`) sum them like the other costs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cost.symbolic import total

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ("madds", "params", "mem_read", "mem_write", "mem")


def scaled(value: Any, dtype_bytes: int) -> Any:
    """Memory access in bytes for `dtype_bytes` per element (1: counted in elements)."""
    return value * dtype_bytes if dtype_bytes != 1 else value


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
    rows = []
    for path, op, ins, outs, cost, layers in items:
        values = cost.as_dict()
        rows.append({
            "path": path, "op": op,
            "in_shapes": [list(map(show, x)) for x in ins],
            "out_shape": [show(d) for d in outs[0]] if len(outs) == 1
            else [[show(d) for d in y] for y in outs],
            **{c: show(scaled(values[c], dtype_bytes) if c.startswith("mem") else values[c])
               for c in COLUMNS},
            "intensity": show(cost.intensity),
            **{name: show(total(column[index[id(la)]] for la in layers))
               for name, column in extra.items()},
        })
    columns = ["path", "op", "in_shapes", "out_shape", "madds", *extra, *COLUMNS[1:], "intensity"]
    return pd.DataFrame(rows, columns=columns)

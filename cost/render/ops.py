"""`cost ops`: the registered ops, each with its arguments (and defaults) and the first line of its
docstring."""

from __future__ import annotations

import dataclasses


def render_ops() -> str:
    """Two lines per op: name and arguments, then what the op is."""
    from cost import ops

    lines = []
    for name in ops.names():
        cls = ops.get(name)
        args = ", ".join(
            f.name + ("" if f.default is dataclasses.MISSING else f"={f.default!r}")
            for f in dataclasses.fields(cls))
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        lines += [f"{name:16} {args}", f"{'':16} {doc}"]
    return "\n".join(lines)

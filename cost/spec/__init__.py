"""Specs: YAML read safely (`yamlio`), expressions through an allow-list (`expr`), the spec format
(`parse`) and the bindings that fix or free its symbols (`bindings`).

`load` reads a spec and binds it: `cost.load` is this function, and every module below the
command line calls it here rather than through the top-level package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cost.spec.bindings import exact
from cost.spec.parse import Spec, read_spec

__all__ = ["Spec", "load", "read_spec"]


def load(path: str | Path, *, preset: str | None = None, keep: tuple[str, ...] = (),
         symbolic: bool = False, **bindings: Any) -> Spec:
    """Read a spec and choose its bindings (numbers, '3/2' strings), preset and free symbols.

    `keep` names symbols (or lets) to leave free even if bound; `symbolic=True` leaves free every
    symbol that only has its default.
    """
    spec = read_spec(path)
    return spec.with_bindings(preset=preset, keep=tuple(keep), symbolic=symbolic,
                              **{k: exact(v) for k, v in bindings.items()})

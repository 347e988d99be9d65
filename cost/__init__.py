"""cost: an analytical profiler for efficient CNN design.

Declare an architecture as a YAML layer graph; `cost` walks it and returns, per layer and in total,
output shapes, multiply-adds, parameters and memory access cost, as exact integers or as closed
forms in the spec's symbols. The counting convention is `cost.conventions`.

>>> import cost
>>> p = cost.profile(cost.load("specs/shufflenet_g3.yaml", s=1, r=224, n=1))  # doctest: +SKIP
>>> p.total.madds  # doctest: +SKIP
137460672
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cost.bindings import exact
from cost.conventions import CONVENTION, FLOPS_PER_MADD
from cost.errors import CostError, ShapeError, SpecError, UnknownOpError
from cost.measures import Cost
from cost.ops import register
from cost.profile import Profile, profile
from cost.reported import reported  # the function shadows the submodule's name on purpose
from cost.spec import Spec, read_spec

__all__ = ["CONVENTION", "FLOPS_PER_MADD", "Cost", "CostError", "Profile", "ShapeError", "Spec",
           "SpecError", "UnknownOpError", "forward", "load", "profile", "register", "reported"]



def forward(spec: Any, x: Any = None, weights: Any = None, seed: int = 0,
            activations: bool = False) -> Any:
    """The numpy reference forward pass of a bound spec (see `cost.reference.forward`).

    Returns the output array, and with `activations=True` also {layer path: array}. numpy is
    imported here, not by `import cost`.
    """
    from cost.reference import forward as run

    return run(spec, x, weights, seed, activations)


def __getattr__(name: str) -> Any:
    """`cost.plot` is imported on first use: `import cost` does not pay for matplotlib."""
    if name == "plot":
        import importlib

        return importlib.import_module("cost.plot")
    raise AttributeError(f"module 'cost' has no attribute {name!r}")


def load(path: str | Path, *, preset: str | None = None, keep: tuple[str, ...] = (),
         symbolic: bool = False, **bindings: Any) -> Spec:
    """Read a spec and choose its bindings (numbers, '3/2' strings), preset and free symbols.

    `keep` names symbols (or lets) to leave free even if bound; `symbolic=True` leaves free every
    symbol that only has its default.
    """
    spec = read_spec(path)
    return spec.with_bindings(preset=preset, keep=tuple(keep), symbolic=symbolic,
                              **{k: exact(v) for k, v in bindings.items()})

"""cost: an analytical profiler for efficient CNN design.

Declare an architecture as a YAML layer graph; `cost` walks it and returns, per layer and in total,
output shapes, multiply-adds, parameters and memory access cost, as exact integers or as closed
forms in the spec's symbols. The counting convention is `cost.measures`.

The layout, bottom to top: `errors`, `symbolic`; `spec` (YAML, expressions, bindings);
`measures` (what is counted, `Cost`); `ops` (the registry); `engine` (the walk, `Profile`);
`conventions` (the tools' counting rules); `design` (sweeps, solve); `reference` (numpy and
torch forwards); `guidelines`; `papers` (reported numbers, zoo, frontier); `render`; `cli`.

>>> import cost
>>> p = cost.profile(cost.load("specs/shufflenet_g3.yaml", s=1, r=224, n=1))  # doctest: +SKIP
>>> p.total.madds  # doctest: +SKIP
137460672
"""

from __future__ import annotations

from typing import Any

from cost.engine.profile import Profile, profile
from cost.errors import CostError, ShapeError, SpecError, UnknownOpError
from cost.measures import CONVENTION, FLOPS_PER_MADD, Cost
from cost.ops import register
from cost.papers.reported import reported  # the function shadows the submodule's name on purpose
from cost.spec import Spec, load

__all__ = ["CONVENTION", "FLOPS_PER_MADD", "Cost", "CostError", "Profile", "ShapeError", "Spec",
           "SpecError", "UnknownOpError", "forward", "load", "profile", "register", "reported"]


def forward(spec: Any, x: Any = None, weights: Any = None, seed: int = 0,
            activations: bool = False, threads: int = 1) -> Any:
    """The numpy reference forward pass of a bound spec (see `cost.reference.forward.forward`).

    Returns the output array, and with `activations=True` also {layer path: array}. `threads`:
    BLAS threads (0: the libraries' default). numpy is imported here, not by `import cost`.
    """
    from cost.reference.forward import forward as run

    return run(spec, x, weights, seed, activations, threads=threads)


def __getattr__(name: str) -> Any:
    """`cost.render.plot` is imported on first use: `import cost` does not pay for matplotlib."""
    if name == "plot":
        import importlib

        return importlib.import_module("cost.render.plot")
    raise AttributeError(f"module 'cost' has no attribute {name!r}")

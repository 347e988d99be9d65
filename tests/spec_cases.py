"""The bundled specs, and the bindings the forward-pass tests run them at.

Every spec runs at its defaults and at each of its presets, at the smallest input resolution `r`
it allows (the first multiple of its `multiple_of`, or of 32, that walks without a shape error):
the forward then checks every layer in milliseconds. `FULL_RESOLUTION_MADDS` caps which specs
also run at their own resolution.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cost
from cost.errors import CostError
from cost.spec.parse import Spec, read_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(ROOT.joinpath("specs").rglob("*.yaml"))
FULL_RESOLUTION_MADDS = 10**9  # ShuffleNets, MobileNets, SqueezeNets, GhostNet: not VGG, ResNet


def name(path: Path) -> str:
    return str(path.relative_to(ROOT / "specs").with_suffix(""))


def cases() -> list[tuple[Path, str | None]]:
    """(spec path, preset or None) for every spec and preset; an unreadable spec still appears
    once, so that its test fails with the spec's own error."""
    out = []
    for path in SPECS:
        try:
            presets = list(read_spec(path).presets)
        except CostError:
            presets = []
        out += [(path, preset) for preset in [None, *presets]]
    return out


def full_resolution() -> list[Path]:
    """Specs cheap enough to check at their own resolution (and those that fail to profile, so
    that their test fails with the spec's own error)."""
    out = []
    for path in SPECS:
        try:
            madds = cost.profile(read_spec(path)).total.madds
        except CostError:
            madds = 0
        if madds <= FULL_RESOLUTION_MADDS:
            out.append(path)
    return out


def case_id(case: tuple[Path, str | None]) -> str:
    path, preset = case
    return name(path) + (f"[{preset}]" if preset else "")


@cache
def smallest(path: Path, preset: str | None) -> Spec:
    """The spec with `preset`, and `r` bound to the smallest value that walks (if it has `r`)."""
    spec = read_spec(path).with_bindings(preset=preset)
    decl = spec.symbols.get("r")
    if decl is None:
        return spec
    step = decl.multiple_of or 32
    for r in range(step, decl.default, step):
        candidate = spec.with_bindings(r=r)
        try:
            cost.profile(candidate)
        except CostError:
            continue
        return candidate
    return spec


def numpy_and_torch(p: cost.Profile) -> tuple:
    """(numpy forward output, torch module output) of a bound profile on one seeded input, with
    the same weights: the end-to-end comparison of the forward-pass tests (torch imported here)."""
    import torch

    from cost.reference import forward as reference
    from cost.reference.torch_module import to_module

    x = reference.random_input(p)
    run = reference.run(p, x)
    with torch.no_grad():
        return run.output, to_module(p, run.weights)(torch.from_numpy(x)).numpy()

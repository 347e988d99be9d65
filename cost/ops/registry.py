"""The op registry (`cost.ops.registry`): the single source of truth for what each op's shape and
costs are.

Ops register by name with `@register("conv")`; a second registration of a name raises, and so
does an op that declares no kind of `cost.ops.base.KINDS` (the conventions count by kind). An op
may have other names (`@register("silu", aliases=("swish",))`): `get` finds it by any of them, the
op's `name` is its first, and `names` lists all (`cost ops`). `get` fails on an unknown name with
the closest known names suggested. The parser and the engine look
ops up here and never name one. `unregister` undoes a registration (tests that define an op).

>>> get("conv").name, get("swish").name
('conv', 'silu')
"""

from __future__ import annotations

from collections.abc import Callable

from cost.errors import UnknownOpError, did_you_mean
from cost.ops.base import KINDS, Op

_REGISTRY: dict[str, type[Op]] = {}


def register(name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[type[Op]], type[Op]]:
    """Class decorator: add an op under `name` (and its `aliases`, other names a spec may use
    for the same op). Registering a name twice is a programming error."""

    def add(cls: type[Op]) -> type[Op]:
        for each in (name, *aliases):
            if each in _REGISTRY:
                raise ValueError(f"duplicate registration of op {each!r}")
        if cls.kind not in KINDS:
            raise ValueError(f"op {name!r} declares kind {cls.kind!r}, not one of "
                             + ", ".join(KINDS) + " (cost.ops.base.KINDS)")
        cls.name = name
        for each in (name, *aliases):
            _REGISTRY[each] = cls
        return cls

    return add


def get(name: str, *, also_known: tuple[str, ...] = ()) -> type[Op]:
    """The op class registered as `name`; `also_known` adds names (a spec's blocks) to the hint."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownOpError(
            f"unknown op {name!r}", hint=did_you_mean(name, [*_REGISTRY, *also_known])
        ) from None


def names() -> list[str]:
    """Every name an op is registered under, aliases included, sorted."""
    return sorted(_REGISTRY)


def is_registered(name: str) -> bool:
    return name in _REGISTRY

def unregister(name: str) -> type[Op]:
    """Remove the op registered as `name` (and its aliases) and return it: for tests that
    register an op of their own, so that the registry is as before when they finish."""
    cls = _REGISTRY.pop(name)
    for other in [k for k, v in _REGISTRY.items() if v is cls]:
        del _REGISTRY[other]
    return cls

"""The ops: one module per op family, each op's shape rule, costs and numpy forward together.

Importing this package registers every op family; the registry (`cost.ops.registry`) is the single
source of truth the parser and the engine look ops up in.

>>> get("conv").name
'conv'
"""

from cost.ops import activation, combine, conv, norm, pool, resample, reshape  # register on import
from cost.ops.base import KINDS, Op
from cost.ops.registry import get, is_registered, names, register, unregister

__all__ = ["KINDS", "Op", "activation", "combine", "conv", "get", "is_registered", "names", "norm",
           "pool", "register", "resample", "reshape", "unregister"]

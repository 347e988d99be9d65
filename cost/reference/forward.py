"""The numpy reference forward pass of a bound spec, and its check against the engine.

The engine's shape rules and `madds` formulas are claims; running the network makes them facts.
`forward` executes a fully bound profile layer by layer (in walk order, each layer fed by
`Layer.sources`) with each op's own numpy kernel (`Op.forward`), in float32. `check` compares,
per layer, the shapes the arrays really have with the engine's and the multiply-adds the kernels
really executed (`cost.ops.kernels.Tally`, counted from the operands of each product) with the
engine's `madds`.

Random weights and input come from `seed`: conv and linear weights ~ N(0, 2/fan_in) (He), BN
scale ~ U(0.5, 1.5), biases ~ N(0, 0.1²), the input ~ N(0, 1); BN's running statistics are then
estimated from the input that reaches each BN (`Op.calibrate`), as a real network's would be, so
activations stay O(1) at any depth and the comparison with PyTorch stays well conditioned.
Weights are keyed by layer path, then by the names `Op.weights` and `Op.buffers` give (PyTorch's
layouts, so `cost.reference.torch_module` can copy them into torch modules).

BLAS threads are set for the pass (`threads`, threadpoolctl): `DEFAULT_THREADS` = 1 is the
fastest here. The products of a CNN at batch 1 are small, and on a 2-core machine shared with
other work OpenBLAS's threads busy-wait against each other: ShuffleNet g = 3's forward took a
median 82 ms on 1 thread, 840 ms on 2 and 890 ms at OpenBLAS's default (15 runs each, load
average 7 on 2 cores; README's "A reference forward pass" has the figures of `cost check`).
`threads=0` leaves the libraries their default.

>>> import cost.reference.forward
>>> y = cost.reference.forward.forward("specs/shufflenet_g3.yaml")  # doctest: +SKIP
>>> y.shape  # doctest: +SKIP
(1, 1000)
"""

from __future__ import annotations

import math
import time
import tracemalloc
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from cost.engine.profile import Profile, profile
from cost.errors import ShapeError, SpecError
from cost.ops.kernels import DTYPE, Tally
from cost.spec.parse import Spec
from cost.symbolic import render_shape

Weights = dict[str, dict[str, np.ndarray]]  # layer path -> tensor name -> array
DEFAULT_THREADS = 1  # BLAS threads of a forward pass: measured fastest (module docstring)


class NoForwardError(SpecError):
    """The spec uses an op whose registry entry has no numpy forward yet."""


class ForwardError(ShapeError):
    """The arrays reaching a layer do not fit its kernel (after a shape rule disagreed);
    `shapes` are theirs."""

    shapes: tuple[tuple[int, ...], ...] = ()


@dataclass(frozen=True)
class LayerRun:
    """What one layer's kernel did: the shapes of its outputs and the madds it executed."""

    path: str
    op: str
    shapes: tuple[tuple[int, ...], ...]
    madds: int


@dataclass(frozen=True)
class Mismatch:
    """A layer where the engine and the forward disagree on a shape or on the madds."""

    path: str
    op: str
    what: str  # "shape" (of the outputs), "madds", or "inputs" (the kernel could not run)
    engine: Any
    forward: Any

    def __str__(self) -> str:
        return (f"{self.path} ({self.op}): {self.what} is {self.engine} by the engine but "
                f"{self.forward} in the forward")

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "op": self.op, "what": self.what,
                "engine": _plain(self.engine), "forward": _plain(self.forward)}


@dataclass
class Report:
    """The result of `check`; `as_dict` has the keys of `cost check --format json`."""

    spec: str
    bindings: dict[str, Any]
    layers_checked: int
    madds_executed: int
    madds_counted: int
    forward_seconds: float
    peak_bytes: int
    mismatches: list[Mismatch]

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def as_dict(self) -> dict[str, Any]:
        return {"spec": self.spec, "bindings": {k: _plain(v) for k, v in self.bindings.items()},
                "layers_checked": self.layers_checked, "madds_executed": self.madds_executed,
                "madds_counted": self.madds_counted, "forward_seconds": self.forward_seconds,
                "peak_bytes": self.peak_bytes,
                "mismatches": [m.as_dict() for m in self.mismatches]}


def _one(shapes: tuple[tuple[int, ...], ...]) -> Any:
    """A single shape as itself, several as a tuple of shapes."""
    return shapes[0] if len(shapes) == 1 else shapes


def _plain(v: Any) -> Any:
    """JSON-ready: ints stay ints, shapes become lists, anything else (Fraction 3/2) a string."""
    if isinstance(v, (tuple, list)):
        return [_plain(d) for d in v]
    return v if isinstance(v, int) else str(v)


# --- inputs and weights ---------------------------------------------------------------------


def bound(spec_or_profile: Spec | Profile | str | Path) -> Profile:
    """A fully bound profile from a spec path, a `Spec` or a `Profile`; free symbols are an
    error."""
    if isinstance(spec_or_profile, (str, Path)):
        from cost.spec import load

        spec_or_profile = load(spec_or_profile)
    p = spec_or_profile if isinstance(spec_or_profile, Profile) else profile(spec_or_profile)
    if p.symbolic:
        raise SpecError(f"the forward needs numbers, but {', '.join(p.env.free)} are free",
                        file=p.spec.path, hint="bind them (--set NAME=VALUE) or drop --keep")
    _check_sizes(p)
    return p


MAX_ELEMENTS = 1 << 27  # elements of one array in the forward: 512 MiB of float32
MAX_MADDS = 10**12  # multiply-adds of one forward (minutes of numpy)


def _check_sizes(p: Profile) -> None:
    """Refuse, before anything is allocated, a forward whose arrays or work are out of reach."""
    for i, layer in enumerate(p.layers):
        shapes = [("output", y) for y in layer.out_shapes]
        shapes += [("input", x) for x in layer.in_shapes]
        shapes += list(tensor_shapes(p, i).items())
        for name, shape in shapes:
            elements = math.prod(int(d) for d in shape)
            if elements > MAX_ELEMENTS:
                raise SpecError(
                    f"the forward would allocate {render_shape(shape)} = {elements:,} elements "
                    f"({elements * DTYPE().itemsize / 2**30:,.1f} GiB) for {name}; "
                    f"the limit is {MAX_ELEMENTS:,} elements per array",
                    file=layer.file, line=layer.line, where=f"{layer.path} ({layer.op})",
                    hint="check with a smaller batch (--batch) or input (--set r=...)")
    if p.total.madds > MAX_MADDS:
        raise SpecError(f"the forward would execute {p.total.madds:,} multiply-adds; the limit "
                        f"is {MAX_MADDS:,}", file=p.spec.path,
                        hint="check with a smaller batch (--batch) or input (--set r=...)")


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SpecError(f"seed {seed!r} is not allowed; allowed: a whole number >= 0")
    return seed


def input_shape(p: Profile) -> tuple[int, ...]:
    """The network input's shape: where a layer reads source (-1, 0)."""
    for layer in p.layers:
        for shape, source in zip(layer.in_shapes, layer.sources, strict=True):
            if source == (-1, 0):
                return tuple(int(d) for d in shape)
    raise SpecError("no layer reads the network input", file=p.spec.path)


def _seeds(seed: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """Independent seed sequences for the weights and the input, both from `seed`."""
    weights, inputs = np.random.SeedSequence(_check_seed(seed)).spawn(2)
    return weights, inputs


def random_input(p: Profile, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(_seeds(seed)[1]).standard_normal(input_shape(p), dtype=DTYPE)


def _init(name: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    if len(shape) >= 2:  # conv / linear weight (out, fan_in...): He normal
        return rng.standard_normal(shape, dtype=DTYPE) * DTYPE(math.sqrt(2 / math.prod(shape[1:])))
    if name in ("weight", "running_var"):  # BN scale, variance: positive, near 1
        return rng.uniform(0.5, 1.5, shape).astype(DTYPE)
    return rng.standard_normal(shape, dtype=DTYPE) * DTYPE(0.1)  # biases, running means


def tensor_shapes(p: Profile, index: int) -> dict[str, tuple[int, ...]]:
    """Learnable tensors and buffers of layer `index`, by name, as the op declares them."""
    layer = p.layers[index]
    declared = {**layer.node.weights(layer.in_shapes), **layer.node.buffers(layer.in_shapes)}
    return {name: tuple(int(d) for d in shape) for name, shape in declared.items()}


def _drawn(p: Profile, seed: int, skip: Container[str] = ()) -> Weights:
    """Seeded weights and buffers of every layer that has any (but those in `skip`), by path.
    Layer i draws from the i-th child of the seed: skipping layers leaves the others unchanged."""
    streams = _seeds(seed)[0].spawn(len(p.layers))
    out: Weights = {}
    for i, layer in enumerate(p.layers):
        shapes = tensor_shapes(p, i)
        if shapes and layer.path not in skip:
            rng = np.random.default_rng(streams[i])
            out[layer.path] = {name: _init(name, shape, rng) for name, shape in shapes.items()}
    return out


def random_weights(p: Profile, seed: int = 0, x: Any = None) -> Weights:
    """The weights `run` uses when given none: drawn from `seed`, then statistics buffers
    calibrated (`Op.calibrate`) on the input `x` (default: the seeded random input)."""
    return run(p, x, seed=seed).weights


def _given(p: Profile, given: Mapping[str, Mapping[str, Any]]) -> Weights:
    """The user's weights, as float32 arrays, checked against the shapes the ops declare."""
    unknown = set(given) - {layer.path for layer in p.layers}
    if unknown:
        raise SpecError(f"weights given for unknown layer {sorted(unknown)[0]!r}",
                        file=p.spec.path)
    out: Weights = {}
    for i, layer in enumerate(p.layers):
        if layer.path not in given:
            continue
        shapes = tensor_shapes(p, i)
        out[layer.path] = {}
        for name, shape in shapes.items():
            if name not in given[layer.path]:
                raise ShapeError(f"weights[{layer.path!r}] has no {name!r}",
                                 hint=f"{layer.op} needs {', '.join(shapes)}")
            array = np.asarray(given[layer.path][name], dtype=DTYPE)
            if array.shape != shape:
                raise ShapeError(f"weights[{layer.path!r}][{name!r}] has shape "
                                 f"{list(array.shape)}, the spec says {render_shape(shape)}")
            out[layer.path][name] = array
    return out


# --- running ----------------------------------------------------------------------------------


@dataclass
class Run:
    """A forward pass: the network output, per-layer records, the weights used, what was kept."""

    output: np.ndarray
    layers: list[LayerRun]
    seconds: float  # in the op kernels (calibrating random weights excluded)
    weights: Weights
    activations: dict[str, np.ndarray] = field(default_factory=dict)


def run(spec_or_profile: Spec | Profile | str | Path, x: Any = None,
        weights: Mapping[str, Mapping[str, Any]] | None = None, seed: int = 0,
        activations: bool = False, records: list[LayerRun] | None = None,
        threads: int = DEFAULT_THREADS) -> Run:
    """Execute every layer in order, with `threads` BLAS threads (0: the libraries' default).

    Layers missing from `weights` get seeded random ones, calibrated on their input in this very
    pass (`Op.calibrate`; `Run.weights` holds them all). Intermediate arrays are freed after
    their last use unless `activations` keeps them (by path; a multi-output layer's outputs as
    `path.0`, `path.1`). Per-layer records are appended to `records` as layers finish, so a
    caller keeps them when a later layer raises `ForwardError`.
    """
    with threadpool_limits(limits=threads or None):
        return _run(spec_or_profile, x, weights, seed, activations, records)


def _run(spec_or_profile: Spec | Profile | str | Path, x: Any,
         weights: Mapping[str, Mapping[str, Any]] | None, seed: int, activations: bool,
         records: list[LayerRun] | None) -> Run:
    p = bound(spec_or_profile)
    shape = input_shape(p)
    x = random_input(p, seed) if x is None else np.asarray(x, dtype=DTYPE)
    if x.shape != shape:
        raise ShapeError(f"input has shape {list(x.shape)}, the spec says {render_shape(shape)}",
                         file=p.spec.path)
    given = _given(p, weights or {})
    params = {**_drawn(p, seed, skip=given), **given}
    last_use = {(-1, 0): -1}
    for i, layer in enumerate(p.layers):
        for source in layer.sources:
            last_use[source] = i
    final = len(p.layers) - 1
    values: dict[tuple[int, int], np.ndarray] = {(-1, 0): x}
    del x  # the input is freed after its last consumer, like every tensor (cost.engine.memory)
    records = [] if records is None else records
    kept = {}
    seconds = 0.0
    for i, layer in enumerate(p.layers):
        tally = Tally()
        ins = [values[source] for source in layer.sources]
        if layer.path in params and layer.path not in given:
            params[layer.path] = layer.node.calibrate(ins, params[layer.path])
        start = time.perf_counter()
        try:
            outs = layer.node.forward(ins, params.get(layer.path, {}), tally)
        except NotImplementedError as e:
            raise NoForwardError(str(e), file=layer.file, line=layer.line, where=layer.path,
                                 hint="add `forward` to the op's class in cost/ops") from None
        except (ValueError, IndexError, KeyError) as e:
            shapes = ", ".join(render_shape(a.shape) for a in ins)
            error = ForwardError(f"the {layer.op} kernel failed on inputs {shapes}: {e}",
                                 file=layer.file, line=layer.line, where=layer.path)
            error.shapes = tuple(a.shape for a in ins)
            raise error from None
        seconds += time.perf_counter() - start
        records.append(LayerRun(layer.path, layer.op, tuple(y.shape for y in outs), tally.madds))
        for j, y in enumerate(outs):
            if i == final or (i, j) in last_use:
                values[i, j] = y
            if activations:
                kept[layer.path if len(outs) == 1 else f"{layer.path}.{j}"] = y
        for source in set(layer.sources):
            if last_use[source] == i:
                del values[source]
    return Run(values[final, 0], records, seconds, params, kept)


def forward(spec_or_profile: Spec | Profile | str | Path, x: Any = None,
            weights: Mapping[str, Mapping[str, Any]] | None = None, seed: int = 0,
            activations: bool = False, threads: int = DEFAULT_THREADS
            ) -> np.ndarray | tuple[np.ndarray, dict[str, np.ndarray]]:
    """The network's output for input `x` (default: seeded random), float32, computed with
    `threads` BLAS threads.

    `weights` maps layer paths to {name: array} in the op's declared shapes; layers it leaves out
    get seeded random weights. With `activations=True`, also every layer's output by path.
    """
    result = run(spec_or_profile, x, weights, seed, activations, threads=threads)
    return (result.output, result.activations) if activations else result.output


def check(spec_or_profile: Spec | Profile | str | Path, seed: int = 0,
          threads: int = DEFAULT_THREADS) -> Report:
    """Run the forward and compare every layer's output shapes and executed madds with the
    engine's. `peak_bytes` is the most memory held at once while creating the weights and
    running the forward (tracemalloc, which numpy reports its buffers to). If a layer's kernel
    fails (arrays shaped by a wrong rule upstream), the check stops there and reports it."""
    p = bound(spec_or_profile)
    records: list[LayerRun] = []
    failure = None
    was_tracing = tracemalloc.is_tracing()
    if was_tracing:
        tracemalloc.reset_peak()
    else:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        base = tracemalloc.get_traced_memory()[0]
        seconds = run(p, seed=seed, records=records, threads=threads).seconds
    except ForwardError as e:
        failure, seconds = e, time.perf_counter() - start
    finally:
        peak = tracemalloc.get_traced_memory()[1] - base
        if not was_tracing:
            tracemalloc.stop()
    mismatches = []
    for layer, done in zip(p.layers, records, strict=False):  # records stop at a failure
        engine_shapes = tuple(tuple(int(d) for d in y) for y in layer.out_shapes)
        if engine_shapes != done.shapes:
            mismatches.append(Mismatch(layer.path, layer.op, "shape", _one(engine_shapes),
                                       _one(done.shapes)))
        if layer.cost.madds != done.madds:
            mismatches.append(Mismatch(layer.path, layer.op, "madds", layer.cost.madds,
                                       done.madds))
    if failure is not None:  # the arrays differ from the engine's shapes, so the kernel failed
        layer = p.layers[len(records)]
        engine = tuple(tuple(int(d) for d in x) for x in layer.in_shapes)
        mismatches.append(Mismatch(layer.path, layer.op, "inputs", _one(engine),
                                   _one(failure.shapes)))
    return Report(p.spec.path, p.bindings, len(records), sum(d.madds for d in records),
                  p.total.madds, seconds, peak, mismatches)

"""The device profile: what one machine and runtime need for a latency prediction, as YAML.

A profile is written by `cost calibrate` (`cost.bench.calibrate`) from micro-benchmarks and read
by `cost latency`, `cost sweep --device` and the other commands that take `--device`. It is meant
to be read by a person: peak rates, bandwidth and overheads in SI units, the fused-kernel rules
it assumes, the machine and runtime it came from, and how well each kernel kind was fitted.

Per kernel kind (`KINDS`) one model of a kernel's time from its multiply-adds m, the bytes it
moves y (memory access × bytes per element) and, for convolutions, its number of groups G:

    roofline:  t = max(m / peak, y / bandwidth) + overhead + G · group_overhead
    additive:  t = m / peak + y / bandwidth + max(0, y − cache) / spill_bandwidth
                   + overhead + G · group_overhead

(`group_overhead` is 0 unless the data call for it: a runtime that runs a grouped convolution as
one small product per group pays a fixed cost per group. `cache`/`spill_bandwidth` are absent
unless the data call for them: the bytes of a kernel beyond what the caches hold come from
memory at a lower rate, as a fully connected layer's weights do.)

A kind can have sub-models keyed "kind.op" ("activation.hard_swish") or "kind.window"
("depthwise.k5", "grouped.k3"), written by calibration where the data call for them; a layer
takes its op's, else its window's, else its kind's (`cost.latency.predict.model_key`). The rates
are those inside a network: calibration measures how much slower memory moves there than in a
micro-benchmark alone and divides the bandwidths by that factor (`calibration: context`).

`run_overhead` is added once per network run (the runtime's fixed cost of one call), and
`weight_bandwidth` is one more ceiling for every kernel with weights, max(model, weight bytes /
weight_bandwidth): in a network a layer's weights have left the caches since the previous run,
while a micro-benchmark keeps them warm.

>>> d = Device.from_dict({"device": 1, "name": "toy", "kinds": {"pointwise": {
...     "form": "roofline", "peak": 1e10, "bandwidth": 1e10, "overhead": 1e-6}}})
>>> d.kinds["pointwise"].seconds_per_madd
Fraction(1, 10000000000)
>>> Device.from_yaml(d.to_yaml()) == d
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from cost.errors import SpecError, did_you_mean

FORMAT_VERSION = 1
FORMS = ("roofline", "additive")
# rates become exact seconds per madd / per byte on this grid (attoseconds), so that every
# layer's prediction shares one denominator and closed forms stay exact integers over 10**18
QUANTUM = 10**18
# the kernel kinds a device models (`cost.latency.predict.kind_of` decides a layer's)
KINDS: dict[str, str] = {
    "pointwise": "1×1 convolution with groups = 1",
    "grouped": "grouped convolution that is not depthwise (ShuffleNet's 1×1 group convs)",
    "depthwise": "depthwise convolution: one input channel per group",
    "dense": "k×k convolution, k > 1, groups = 1",
    "linear": "fully connected layer",
    "activation": "an activation run as a kernel of its own (not fused into a conv)",
    "norm": "a batch norm run as a kernel of its own (not folded into a conv)",
    "binary": "an element-wise add or mul of two tensors (residual shortcuts, SE gates)",
    "pool": "pooling over k×k windows or adaptive bins",
    "global_pool": "global average pooling",
    "gather": "data movement from several inputs into one (concat)",
    "scatter": "data movement from one input into several outputs (channel split)",
    "permute": "data movement from one input to one output (channel shuffle)",
}


class DeviceError(SpecError):
    """A device profile that cannot be read or used."""


def quantize(seconds: float | Fraction) -> Fraction:
    """A time in seconds rounded to whole attoseconds (exact Fraction over 10**18).

    >>> quantize(1 / 3.2e10)
    Fraction(3125, 100000000000000)
    """
    return Fraction(round(Fraction(seconds) * QUANTUM), QUANTUM)


@dataclass(frozen=True)
class KindModel:
    """One kernel kind's time model; peak in madds/s, bandwidth in bytes/s, overhead in s."""

    form: str
    peak: float
    bandwidth: float
    overhead: float
    group_overhead: float = 0.0  # seconds per group of a convolution
    cache: float = math.inf  # bytes a kernel moves at `bandwidth`; beyond, also at spill_bandwidth
    spill_bandwidth: float = math.inf
    fit: dict[str, Any] = field(default_factory=dict, compare=False)  # calibration quality

    def __post_init__(self) -> None:
        if self.form not in FORMS:
            raise DeviceError(f"unknown model form {self.form!r}",
                              hint=did_you_mean(self.form, FORMS))
        for name in ("peak", "bandwidth"):
            if not float(getattr(self, name)) > 0:
                raise DeviceError(f"{name} must be positive, got {getattr(self, name)!r}")
        for name in ("overhead", "group_overhead", "cache", "spill_bandwidth"):
            if not float(getattr(self, name)) >= 0:
                raise DeviceError(f"{name} must be >= 0, got {getattr(self, name)!r}")

    @property
    def seconds_per_madd(self) -> Fraction:
        """1 / peak on the attosecond grid (0 for an unbounded peak: a kind without madds)."""
        return _inverse(self.peak)

    @property
    def seconds_per_byte(self) -> Fraction:
        return _inverse(self.bandwidth)

    @property
    def overhead_seconds(self) -> Fraction:
        return quantize(Fraction(str(self.overhead)))

    @property
    def group_seconds(self) -> Fraction:
        return quantize(Fraction(str(self.group_overhead)))

    @property
    def spill_seconds_per_byte(self) -> Fraction:
        return _inverse(self.spill_bandwidth)

    @property
    def cache_bytes(self) -> int | None:
        return None if math.isinf(self.cache) else int(self.cache)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"form": self.form, "peak": _sig(self.peak),
                               "bandwidth": _sig(self.bandwidth), "overhead": _sig(self.overhead)}
        if self.group_overhead:
            out["group_overhead"] = _sig(self.group_overhead)
        if not math.isinf(self.cache):
            out["cache"] = int(self.cache)
            out["spill_bandwidth"] = _sig(self.spill_bandwidth)
        if self.fit:
            out["fit"] = dict(self.fit)
        return out


@dataclass(frozen=True)
class Device:
    """A calibrated device: per-kind models, the per-run overhead and where they came from."""

    name: str
    kinds: dict[str, KindModel]
    run_overhead: float = 0.0
    dtype_bytes: int = 4
    weight_bandwidth: float = math.inf  # bytes/s of a layer's weights inside a network
    fusion: tuple[str, ...] = ()  # the fused-kernel rules assumed, in words
    epilogues: tuple[str, ...] | None = None  # activations the runtime fuses (None: all)
    machine: dict[str, Any] = field(default_factory=dict, compare=False)
    runtime: dict[str, Any] = field(default_factory=dict, compare=False)
    calibration: dict[str, Any] = field(default_factory=dict, compare=False)

    def model(self, kind: str, where: str | None = None) -> KindModel:
        if kind not in self.kinds:
            raise DeviceError(f"the device profile {self.name!r} has no model for kernel kind "
                              f"{kind!r}", where=where,
                              hint="calibrate again with the full suite (cost calibrate)")
        return self.kinds[kind]

    @property
    def weight_seconds_per_byte(self) -> Fraction:
        return _inverse(self.weight_bandwidth)

    @property
    def run_overhead_seconds(self) -> Fraction:
        return quantize(Fraction(str(self.run_overhead)))

    # --- YAML ------------------------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        return {
            "device": FORMAT_VERSION,
            "name": self.name,
            "machine": dict(self.machine),
            "runtime": dict(self.runtime),
            "dtype_bytes": self.dtype_bytes,
            "fusion": list(self.fusion),
            "epilogues": None if self.epilogues is None else list(self.epilogues),
            "units": "peak: multiply-adds/s; bandwidth, spill_bandwidth: bytes/s; cache: "
                     "bytes; overhead, run_overhead: s; group_overhead: s per group",
            "run_overhead": _sig(self.run_overhead),
            "weight_bandwidth": _sig(self.weight_bandwidth),
            "kinds": {k: m.as_dict() for k, m in self.kinds.items()},
            "calibration": dict(self.calibration),
        }

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.as_dict(), sort_keys=False, width=100)

    def save(self, path: str | Path) -> Path:
        from cost.safe_write import write_atomic

        path = Path(path)
        write_atomic(path, self.to_yaml().encode("utf-8"), "device profile")
        return path

    @classmethod
    def from_dict(cls, doc: Any, source: str | None = None) -> Device:
        if not isinstance(doc, dict) or doc.get("device") != FORMAT_VERSION:
            raise DeviceError(f"not a device profile (expected 'device: {FORMAT_VERSION}')",
                              file=source, hint="write one with: cost calibrate -o device.yaml")
        kinds_doc = doc.get("kinds")
        if not isinstance(kinds_doc, dict) or not kinds_doc:
            raise DeviceError("the device profile has no 'kinds'", file=source)
        kinds = {}
        for kind, entry in kinds_doc.items():
            if kind.split(".")[0] not in KINDS:  # "kind", "kind.op" or "kind.k5" (a window)
                raise DeviceError(f"unknown kernel kind {kind!r}", file=source,
                                  hint=did_you_mean(kind, KINDS))
            if not isinstance(entry, dict):
                raise DeviceError(f"kinds.{kind} must be a mapping", file=source)
            try:
                kinds[kind] = KindModel(str(entry.get("form", "roofline")),
                                        _number(entry, "peak"), _number(entry, "bandwidth"),
                                        _number(entry, "overhead", 0.0),
                                        _number(entry, "group_overhead", 0.0),
                                        _number(entry, "cache", math.inf),
                                        _number(entry, "spill_bandwidth", math.inf),
                                        dict(entry.get("fit", {})))
            except DeviceError as e:
                raise e.locate(file=source, where=f"kinds.{kind}") from None
        epilogues = doc.get("epilogues")
        if epilogues is not None and not isinstance(epilogues, list):
            raise DeviceError("epilogues must be a list of activation op names", file=source)
        try:
            weight_bandwidth = float(doc.get("weight_bandwidth", math.inf))
            if not weight_bandwidth > 0:
                raise DeviceError("weight_bandwidth must be positive", file=source)
            return cls(str(doc.get("name", "device")), kinds,
                       float(doc.get("run_overhead", 0.0)), int(doc.get("dtype_bytes", 4)),
                       weight_bandwidth,
                       tuple(doc.get("fusion", ()) or ()),
                       None if epilogues is None else tuple(map(str, epilogues)),
                       dict(doc.get("machine", {}) or {}),
                       dict(doc.get("runtime", {}) or {}), dict(doc.get("calibration", {}) or {}))
        except (TypeError, ValueError) as e:
            raise DeviceError(f"bad device profile: {e}", file=source) from None

    @classmethod
    def from_yaml(cls, text: str, source: str | None = None) -> Device:
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise DeviceError(f"not valid YAML: {e}", file=source) from None
        return cls.from_dict(doc, source)


def _inverse(rate: float) -> Fraction:
    return Fraction(0) if math.isinf(rate) else quantize(1 / Fraction(str(rate)))


def _number(entry: dict, key: str, default: float | None = None) -> float:
    if key not in entry:
        if default is not None:
            return default
        raise DeviceError(f"missing {key!r}")
    try:
        return float(entry[key])
    except (TypeError, ValueError):
        raise DeviceError(f"{key} must be a number, got {entry[key]!r}") from None


def _sig(v: float) -> float:
    """Four significant figures: what a calibration can tell, and readable in YAML."""
    return float(v) if math.isinf(float(v)) else float(f"{float(v):.4g}")


def load_device(path: str | Path) -> Device:
    """Read a device profile written by `cost calibrate`."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise DeviceError(f"cannot read the device profile: {e.strerror}", file=str(path),
                          hint="write one with: cost calibrate -o device.yaml") from None
    return Device.from_yaml(text, str(path))

"""The zoo: every reported figure that a bundled spec reproduces, next to what the spec computes.

A row of `cost.reported()` is *linked* when its `spec` column names a file under specs/ (with its
`preset` and `bind`, e.g. "s=0.5;r=160"). `zoo()` profiles each linked variant once and returns one
row per linked figure: computed madds and params (exact integers, `cost.measures`), the reported
figures, and the deviation (computed − reported) / reported in %. A deviation is *flagged* when
it is beyond 1% and also beyond the rounding of the figure as printed (half a unit in its last
digit: 37.59M is no deviation from a printed "38", nor 1.86M from "1.9M"); a flag is *explained*
when the data says why (paper vs release, another convention, a transcription that disagrees);
`unexplained()` lists the rest. A linked file that does not exist,
or a variant that does not profile, is reported in `status`, never skipped.

>>> z = zoo()
>>> row = z[(z.preset == "megvii-1.0x-g3") & z.source.str.startswith("megvii")].iloc[0]
>>> row.madds, round(float(row.madds_dev_pct), 2), bool(row.flagged)
(137460672, -0.39, False)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cost.errors import CostError

if TYPE_CHECKING:
    import pandas as pd

    from cost.measures import Cost

TOLERANCE_PCT = 1  # deviations beyond this many % are flagged
EXACT = ("madds", "params", "mem")
ZOO_COLUMNS = ("model", "family", "source", "spec", "preset", "bind", "reported_mflops", "madds",
               "madds_dev_pct", "params_m", "params", "params_dev_pct", "mem", "flagged",
               "rounding", "explained", "status", "convention", "top1")


def specs_dir() -> Path:
    """The bundled specs (`cost.spec.bundled`), in the package and as the repository's `specs/`."""
    from cost.spec.bundled import SPECS_DIR

    return SPECS_DIR


def parse_bind(text: str) -> dict[str, int | Fraction]:
    """'s=0.5;r=160' -> {'s': Fraction(1, 2), 'r': 160}: exact numbers, as `--set` takes them.

    >>> parse_bind("s=0.5;r=160")
    {'s': Fraction(1, 2), 'r': 160}
    >>> parse_bind("")
    {}
    """
    from cost.spec.bindings import parse_bindings

    items = [part.strip() for part in text.split(";") if part.strip()]
    return parse_bindings(items, option="binding", hint="e.g. s=0.5;r=160")


@dataclass(frozen=True)
class Variant:
    """One bundled spec under one preset and bindings: what a linked row points at."""

    spec: str  # path under specs_dir(), e.g. "units/resnet.yaml"
    preset: str = ""
    bind: str = ""

    def path(self, root: Path | None = None) -> Path:
        return (root or specs_dir()) / self.spec

    def describe(self) -> str:
        parts = [self.spec]
        if self.preset:
            parts.append(f"preset {self.preset}")
        if self.bind:
            parts.append(self.bind.replace(";", " "))
        return " ".join(parts)


def computed(variant: Variant, root: Path | None = None) -> Cost:
    """Total cost of a variant (cached per spec file, preset and bindings)."""
    return _computed(str(variant.path(root)), variant.preset, variant.bind)


@functools.lru_cache(maxsize=512)
def _computed(path: str, preset: str, bind: str) -> Cost:
    from cost.engine.profile import profile
    from cost.spec import load

    spec = load(path, preset=preset or None, **parse_bind(bind))
    return profile(spec).total


def deviation_pct(actual: int, reported: float, scale: int) -> float:
    """100 · (actual − reported·scale) / (reported·scale), the reported figure read exactly."""
    expected = Fraction(repr(reported)) * scale
    return float((Fraction(actual) - expected) / expected * 100)


def half_unit(reported: float) -> Fraction:
    """Half a unit in the last digit of a figure as written: its rounding.

    >>> half_unit(38.0), half_unit(1.9), half_unit(1.248424)
    (Fraction(1, 2), Fraction(1, 20), Fraction(1, 2000000))
    """
    text = repr(float(reported))
    if float(reported).is_integer() or "e" in text:
        return Fraction(1, 2)
    return Fraction(1, 2) / 10 ** len(text.split(".")[1])


def beyond(actual: int, reported: float, scale: int) -> bool:
    """True when `actual` misses `reported`·scale by more than 1% and more than its rounding.

    >>> beyond(37_589_856, 38.0, 10**6), beyond(40_476_448, 41.0, 10**6)
    (False, True)
    """
    expected = Fraction(repr(reported)) * scale
    miss = abs(Fraction(actual) - expected)
    return miss > expected * TOLERANCE_PCT / 100 and miss > half_unit(reported) * scale


def _is_number(v: Any) -> bool:
    return v is not None and v == v  # not NaN


def zoo(data: pd.DataFrame | None = None, *, root: Path | None = None) -> pd.DataFrame:
    """One row per linked reported figure: reported and computed madds/params, deviation in %.

    `status` is "ok", "missing <path>" or "error: <message>"; `flagged`: a deviation beyond
    TOLERANCE_PCT and beyond the printed figure's rounding; `rounding`: beyond TOLERANCE_PCT but
    within that rounding; `mem` is cost's memory access (elements), which no source reports.
    """
    import pandas as pd

    from cost.papers.reported import reported

    df = reported() if data is None else data
    rows = []
    for r in df[df.spec != ""].itertuples(index=False):
        variant = Variant(r.spec, r.preset, r.bind)
        out: dict[str, Any] = {c: getattr(r, c, None) for c in ZOO_COLUMNS if hasattr(r, c)}
        out.update(madds=None, params=None, mem=None, madds_dev_pct=None, params_dev_pct=None,
                   flagged=False)
        path = variant.path(root)
        if not path.is_file():
            out["status"] = f"missing {(root or specs_dir()).name}/{variant.spec}"
        else:
            try:
                total = computed(variant, root)
            except CostError as e:
                out["status"] = f"error: {e}".splitlines()[0]
            else:
                out.update(status="ok", madds=total.madds, params=total.params, mem=total.mem)
                for metric, figure in (("madds", r.reported_mflops), ("params", r.params_m)):
                    if _is_number(figure):
                        actual = out[metric]
                        out[f"{metric}_dev_pct"] = deviation_pct(actual, figure, 10**6)
                        out["flagged"] = out["flagged"] or beyond(actual, figure, 10**6)
        devs = [d for d in (out["madds_dev_pct"], out["params_dev_pct"]) if d is not None]
        out["rounding"] = not out["flagged"] and any(abs(d) > TOLERANCE_PCT for d in devs)
        rows.append(out)
    z = pd.DataFrame({c: pd.Series([row.get(c) for row in rows], dtype=object)
                      for c in ZOO_COLUMNS})
    for c in ZOO_COLUMNS:
        if c not in EXACT:  # computed counts stay exact Python ints (None where unknown)
            z[c] = z[c].infer_objects()
    return z


def unexplained(z: pd.DataFrame) -> pd.DataFrame:
    """Rows flagged beyond TOLERANCE_PCT whose data gives no explanation."""
    return z[z.flagged & (z.explained.str.strip() == "")]


def family(z: pd.DataFrame, name: str) -> pd.DataFrame:
    """The rows of one model family (the `family` column: shufflenet_v1, mobilenet_v2, ...); an
    unknown name is an error listing the families.

    >>> len(family(zoo(), "alexnet")) >= 1
    True
    """
    from cost.errors import OptionError, did_you_mean

    known = sorted(set(z.family))
    if name not in known:
        raise OptionError(f"--family {name!r} is not a family of the zoo",
                          hint=did_you_mean(name, known))
    return z[z.family == name]


def problems(z: pd.DataFrame) -> pd.DataFrame:
    """Rows whose spec is missing or does not profile."""
    return z[z.status != "ok"]

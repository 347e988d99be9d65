"""ShuffleNet V2's guideline experiments (Tables 1–4): computed FLOPs and memory access next to the
paper's measured speeds, and how well each ranks the speeds.

Each row of `cost/papers/data/snv2_speeds.csv` is one measured speed with its source: table,
platform,
column (×1/×2/×4, or c), row, and the spec, preset and bindings of `specs/guidelines/` that model
it. A *series* is one column of one table on one platform (for example Table 1, GPU, ×1): the
paper varies the row inside a series at (almost) fixed FLOPs. Per series we compute Spearman's
rank correlation of speed with memory access and with madds (the paper's FLOPs). A good cost
model ranks the rows inversely to their speed: rho(speed, mem) near -1. When the madds of a
series are all equal their ranks are all tied and rho is undefined (None): FLOPs cannot order the
rows at all. Per table, the mean over its series (undefined ones left out, and counted).

Measured here (`measure`, `cost guidelines --experiments --measure`): the networks of the paper's
ARM/CPU rows are built and timed on this machine (`cost.bench`), giving one more platform,
"here", with its speeds in images/s (batch 1), and, with a device profile, their predicted
latency; rho(speed, predicted latency) then says how well the latency model ranks them. A
guideline *holds here* when the row the paper recommends (`FAVOURED`) is the fastest of its
series in most of the measured series.

Spearman's rho is Pearson's correlation of the ranks, ties given their average rank (the usual
definition, as scipy.stats.spearmanr); it is computed with pandas and numpy.

>>> spearman([1, 2, 3, 4], [40, 30, 20, 10])
-1.0
>>> spearman([1, 2, 3], [5, 5, 5]) is None
True
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cost.errors import SpecError
from cost.papers.zoo import parse_bind
from cost.spec.bundled import SPECS_DIR

DATA = Path(__file__).resolve().parent / "data" / "snv2_speeds.csv"
SPECS = SPECS_DIR / "guidelines"
TABLE_TITLES = {
    1: "Table 1 (G1): c1:c2 ratio of two 1x1 convs at fixed FLOPs",
    2: "Table 2 (G2): groups of 1x1 convs at fixed FLOPs",
    3: "Table 3 (G3): fragments in series and in parallel at fixed FLOPs",
    4: "Table 4 (G4): ResNet bottleneck without ReLU / shortcut",
}
FAVOURED = {  # the row each guideline says should be fastest
    1: "c1:c2 = 1:1",  # G1: equal channel width minimizes memory access
    2: "g = 1",  # G2: excessive group convolution increases memory access
    3: "1-fragment",  # G3: network fragmentation reduces parallelism
    4: "ReLU no, shortcut no",  # G4: element-wise operations are non-negligible
}
HERE = "here"  # the platform name of rows measured on this machine


def spearman(x: list[Any], y: list[Any]) -> float | None:
    """Spearman's rank correlation (average ranks for ties); None if either side is constant."""
    import numpy as np
    import pandas as pd

    if len(x) != len(y) or len(x) < 2:
        raise ValueError("spearman needs two sequences of equal length >= 2")
    rx = pd.Series([float(v) for v in x]).rank(method="average").to_numpy()
    ry = pd.Series([float(v) for v in y]).rank(method="average").to_numpy()
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


@dataclass(frozen=True)
class Row:
    """One measured speed from the paper and what `cost` computes for its network."""

    table: int
    platform: str
    column: str
    row: str
    spec: str
    preset: str
    bind: dict[str, Any]
    speed: float  # as printed in the paper (a measurement, not exact)
    unit: str
    source: str
    madds: int
    mem: int
    seconds: float | None = None  # measured here: median latency (s)
    spread: float | None = None  # measured here: IQR / median
    predicted: float | None = None  # predicted latency (s) on a device profile

    @property
    def series(self) -> tuple[int, str, str]:
        return (self.table, self.platform, self.column)


@dataclass(frozen=True)
class Series:
    table: int
    platform: str
    column: str
    rows: list[Row]

    @property
    def rho_mem(self) -> float | None:
        return spearman([r.speed for r in self.rows], [r.mem for r in self.rows])

    @property
    def rho_madds(self) -> float | None:
        return spearman([r.speed for r in self.rows], [r.madds for r in self.rows])

    @property
    def rho_latency(self) -> float | None:
        """rho(speed, predicted latency): None without predictions."""
        if any(r.predicted is None for r in self.rows):
            return None
        return spearman([r.speed for r in self.rows], [r.predicted for r in self.rows])

    @property
    def fastest(self) -> str:
        return max(self.rows, key=lambda r: r.speed).row


@cache
def _profile_totals(spec: str, preset: str, bind: tuple[tuple[str, Any], ...]) -> tuple[int, int]:
    from cost.engine.profile import profile
    from cost.spec import load

    path = SPECS / spec
    if not path.is_file():
        raise SpecError(f"experiment spec {spec!r} not found in {SPECS}",
                        hint="the experiments need the repository's specs/guidelines/")
    total = profile(load(path, preset=preset, **dict(bind))).total
    return total.madds, total.mem


def rows(data: Path = DATA) -> list[Row]:
    """Every measured speed with the computed madds and memory access of its network."""
    out = []
    with open(data, newline="", encoding="utf-8") as f:
        for raw in csv.DictReader(f):
            bind = parse_bind(raw["bind"])
            madds, mem = _profile_totals(raw["spec"], raw["preset"], tuple(sorted(bind.items())))
            out.append(Row(int(raw["table"]), raw["platform"], raw["column"], raw["row"],
                           raw["spec"], raw["preset"], bind, float(raw["speed"]), raw["unit"],
                           raw["source"], madds, mem))
    return out


def series(all_rows: list[Row]) -> list[Series]:
    """Rows grouped by (table, platform, column), in file order."""
    groups: dict[tuple[int, str, str], list[Row]] = {}
    for r in all_rows:
        groups.setdefault(r.series, []).append(r)
    return [Series(t, p, c, rs) for (t, p, c), rs in groups.items()]


def table_summary(all_series: list[Series]) -> dict[int, dict[str, Any]]:
    """Per table: mean rho with mem and with madds over its series, and how many were defined."""
    out: dict[int, dict[str, Any]] = {}
    for table in sorted({s.table for s in all_series}):
        these = [s for s in all_series if s.table == table]
        entry: dict[str, Any] = {"series": len(these)}
        for key in ("mem", "madds", "latency"):
            values = [v for s in these if (v := getattr(s, f"rho_{key}")) is not None]
            entry[f"rho_{key}"] = sum(values) / len(values) if values else None
            entry[f"defined_{key}"] = len(values)
        out[table] = entry
    return out


def measure(all_rows: list[Row], *, runtime: str = "onnxruntime", threads: int = 1,
            repeat: int = 10, device: Any = None, clock: str = "wall",
            platforms: tuple[str, ...] = ("ARM", "CPU")) -> list[Row]:
    """The networks of the paper's rows on `platforms`, built and measured on this machine:
    rows of platform "here" with speed = 1 / median latency (images/s at batch 1)."""
    from cost.bench.bench import bench
    from cost.engine.profile import profile
    from cost.spec import load

    out = []
    for r in all_rows:
        if r.platform not in platforms:
            continue
        p = profile(load(SPECS / r.spec, preset=r.preset, **r.bind))
        stats = bench(p, runtime, threads, repeat=repeat, nodes=False, clock=clock).stats
        predicted = None
        if device is not None:
            from cost.latency.predict import latency

            predicted = float(latency(p, device))
        out.append(Row(r.table, HERE, r.column, r.row, r.spec, r.preset, r.bind,
                       1 / stats.median, "images/s", f"measured here ({runtime}, {threads} "
                       f"thread(s), median of {repeat})", r.madds, r.mem, stats.median,
                       stats.spread, predicted))
    return out


def verdicts(all_rows: list[Row], platform: str = HERE) -> dict[int, dict[str, Any]]:
    """Per table, on `platform`: whether the guideline holds (its favoured row is the fastest in
    most series), and which of mem, madds and predicted latency ranks the speeds best (the most
    negative mean rho)."""
    out: dict[int, dict[str, Any]] = {}
    mine = [s for s in series(all_rows) if s.platform == platform]
    summary = table_summary(mine)
    for table, entry in summary.items():
        these = [s for s in mine if s.table == table]
        wins = sum(s.fastest == FAVOURED[table] for s in these)
        ranked = {k: entry[f"rho_{k}"] for k in ("mem", "madds", "latency")
                  if entry[f"rho_{k}"] is not None}
        out[table] = {"guideline": f"G{table}", "favoured": FAVOURED[table],
                      "fastest_in": wins, "series": len(these), "holds": wins * 2 > len(these),
                      "best_ranking": min(ranked, key=ranked.get) if ranked else None,
                      **{f"rho_{k}": v for k, v in ranked.items()}}
    return out


def to_dict(all_rows: list[Row]) -> dict[str, Any]:
    """Rows, series and per-table summaries as plain data (`cost.render.experiments` prints it)."""
    all_series = series(all_rows)
    return {
        "rows": [{"table": r.table, "platform": r.platform, "column": r.column, "row": r.row,
                  "spec": f"specs/guidelines/{r.spec}", "preset": r.preset,
                  "bind": dict(r.bind), "madds": r.madds,
                  "mem": r.mem, "speed": r.speed, "unit": r.unit, "source": r.source,
                  **({"seconds": r.seconds, "spread": r.spread} if r.seconds is not None
                     else {}),
                  **({"predicted_seconds": r.predicted} if r.predicted is not None else {})}
                 for r in all_rows],
        "series": [{"table": s.table, "platform": s.platform, "column": s.column,
                    "rho_mem": s.rho_mem, "rho_madds": s.rho_madds,
                    **({"rho_latency": s.rho_latency} if s.rho_latency is not None else {})}
                   for s in all_series],
        "tables": {str(k): v for k, v in table_summary(all_series).items()},
        **({"verdicts_here": {str(k): v for k, v in verdicts(all_rows).items()}}
           if any(r.platform == HERE for r in all_rows) else {}),
    }

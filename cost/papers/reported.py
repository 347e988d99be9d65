"""The published numbers `cost` is checked against: `reported()` -> one DataFrame row per figure.

Each row is one model variant as one source prints it (a paper table, an official repository, a
library's weight metadata), so the same variant appears once per source. Columns:

model, family      the source's name for the model; the family groups a paper's variants
width, groups      width multiplier (s, α) and groups (ShuffleNet v1 g), where the model has them
resolution         input height = width the source evaluates at
dataset            ImageNet, or CIFAR-10 for the few GhostNet ablations
reported_mflops    the compute figure as printed, in millions, in the source's own convention
params_m           the parameter count as printed, in millions
top1               top-1 accuracy (%) on `dataset`
source, note       where the row comes from (paper table, repository@commit) and what it adds
convention         what `reported_mflops` counts, e.g. "multiply-adds (paper FLOPs)" or
                   "GMACs conv+linear (torchvision _ops)": see also `cost.measures`
spec, preset, bind the bundled spec (a file under specs/) that reproduces the row, with its preset
                   and bindings ("s=0.5;r=160"); empty where no bundled spec is this variant
explained          why a deviation beyond 1% between the row and the spec is expected
frontier, label    the row is its variant's headline point in `cost frontier`, labelled so

Numbers are read from text as written (no unit conversion beyond G -> M done in the data file),
and kept as floats only for display; `cost.papers.zoo` compares them with the exact computed
integers.

>>> df = reported()
>>> row = df[(df.model == "ShuffleNetV1 1.0x (group=3)") & df.source.str.startswith("megvii")]
>>> row[["reported_mflops", "params_m", "top1", "preset"]].values.tolist()
[[138.0, 1.9, 67.8, 'megvii-1.0x-g3']]
"""

from __future__ import annotations

import io
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

DATA = "papers/data/reported.csv"
TEXT = ("model", "family", "dataset", "source", "convention", "note", "spec", "preset", "bind",
        "explained", "label")
NUMBERS = ("width", "reported_mflops", "params_m", "top1")
INTEGERS = ("groups", "resolution")
COLUMNS = ("model", "family", "width", "groups", "resolution", "dataset", "reported_mflops",
           "params_m", "top1", "source", "convention", "note", "spec", "preset", "bind",
           "explained", "frontier", "label")


def read_text() -> str:
    """The data file as shipped in the package (cost/papers/data/reported.csv)."""
    return resources.files("cost").joinpath(DATA).read_text(encoding="utf-8")


def reported() -> pd.DataFrame:
    """All reported figures as a DataFrame (columns: see the module docstring).

    Text columns hold "" where the source is silent; number columns hold NaN (groups and
    resolution are nullable integers); `frontier` is a bool.
    """
    import pandas as pd

    df = pd.read_csv(io.StringIO(read_text()), dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:  # the package's own data file is broken: not a user error
        raise RuntimeError(f"{DATA}: missing columns {missing}")
    for c in NUMBERS:
        df[c] = pd.to_numeric(df[c].replace("", None), errors="raise").astype(float)
    for c in INTEGERS:
        df[c] = pd.to_numeric(df[c].replace("", None), errors="raise").astype("Int64")
    df["frontier"] = df["frontier"].map({"1": True, "0": False, "": False}).astype(bool)
    return df[list(COLUMNS)]


def raw_rows() -> list[dict[str, str]]:
    """The data file's rows as text, exactly as written (for exact comparisons)."""
    import csv

    return list(csv.DictReader(io.StringIO(read_text())))

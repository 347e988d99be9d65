"""Rendering the zoo (`cost zoo`): numbers become text only here.

Table and markdown show millions with two decimals (enough to see a 0.1% deviation), the deviation
in %, and a note: "!" for a flagged deviation that the data does not explain, "[k]" pointing to
the k-th footnote (an explanation, or why a spec could not be profiled), "~" for a deviation
beyond 1% that is within the rounding of the printed figure (37.59M printed as "38"). CSV and
JSON keep the exact integers.

>>> short_source("SNv1 (arXiv 1707.01083v2/CVPR18) Table 5")
'SNv1 T5'
>>> short_source("pytorch/vision torchvision/models weights meta (_ops GFLOPS, num_params, acc@1)")
'torchvision'
"""

from __future__ import annotations

import math
import re
import textwrap
from typing import TYPE_CHECKING, Any

from cost.papers.zoo import TOLERANCE_PCT
from cost.render.format import dumps, exact, fixed

if TYPE_CHECKING:
    import pandas as pd

PREFIXES = (  # (start of a source, short tag); papers keep their tag and table number
    ("tensorflow/models", "tf-slim"),
    ("pytorch/vision", "torchvision"),
    ("timm@", "timm"),
    ("megvii-model/", "megvii repo"),
    ("forresti/SqueezeNet", "SqueezeNet repo"),
    ("huawei-noah/ghostnet", "ghostnet repo"),
    ("huawei-noah/Efficient-AI-Backbones", "Efficient-AI-Backbones"),
    ("osmr/", "osmr counter"),
)


def short_source(source: str) -> str:
    """A compact tag for a source: 'SNv1 T5', 'MNv3 T3 (A)', 'tf-slim', 'torchvision'."""
    for prefix, tag in PREFIXES:
        if source.startswith(prefix):
            return tag
    tag = source.split(" (")[0].split(" ")[0]
    table = re.search(r"Table (\d+)", source)
    if table:
        tag += f" T{table.group(1)}"
    elif "text" in source:
        tag += " text"
    version = re.search(r"transcription ([AB])", source)
    if version:
        tag += f" ({version.group(1)})"
    return tag


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def millions(v: Any) -> str:
    return "" if _missing(v) else fixed(v / 1e6, 2, grouped=True)


def reported_figure(v: Any) -> str:
    """As written in the data: 15,300 · 828.3 · 1.248424."""
    if _missing(v):
        return ""
    return exact(int(v)) if float(v).is_integer() else repr(float(v))


def percent(v: Any) -> str:
    return "" if _missing(v) else fixed(v, 2, sign=True) + "%"


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def variant_text(row: Any) -> str:
    parts = [row.spec.removesuffix(".yaml")]
    if row.preset:
        parts.append(row.preset)
    if row.bind:
        parts.append(row.bind.replace(";", " "))
    return " ".join(parts)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def summary_text(z: pd.DataFrame) -> str:
    """The zoo's verdict in plain words: how many rows differ from their source by more than the
    tolerance, how many of those are explained in the notes, and what the marks mean.

    >>> import pandas as pd
    >>> z = pd.DataFrame({"flagged": [True, True, False], "explained": ["why", "", ""],
    ...                   "status": ["ok", "ok", "ok"]})
    >>> print(summary_text(z).split("; ", 1)[1].split(". ")[0])
    2 rows differ from the paper by more than 1%; 1 is explained below, 1 is not (marked !)
    """
    flagged = int(z.flagged.sum())
    unexplained = int((z.flagged & (z.explained.str.strip() == "")).sum())
    broken = int((z.status != "ok").sum())
    explained = flagged - unexplained
    verdict = (f"{_rows(len(z))} compare a bundled spec with a published figure; "
               f"{_rows(flagged)} {'differs' if flagged == 1 else 'differ'} from the paper by "
               f"more than {TOLERANCE_PCT}%")
    if flagged:
        verdict += f"; {explained} {'is' if explained == 1 else 'are'} explained below"
        if unexplained:
            verdict += f", {unexplained} {'is' if unexplained == 1 else 'are'} not (marked !)"
    verdict += "."
    if broken:
        verdict += f" {_rows(broken)} could not be profiled (the note says why)."
    return (f"{verdict} A difference within the rounding of the printed figure (37.6M against a "
            f"printed 38) does not count; ~ marks rows beyond {TOLERANCE_PCT}% only by that "
            "rounding. Reported figures are as the source printed them, in its own convention "
            "(`cost.reported()`, column convention); computed: madds and params as in "
            "cost.measures.")


def render(z: pd.DataFrame, fmt: str = "table") -> str:
    """The zoo as a terminal table or markdown (with footnotes), or CSV / JSON (exact numbers)."""
    if fmt == "csv":
        return z.to_csv(index=False)
    if fmt == "json":
        return dumps(z.to_dict(orient="records"))
    from tabulate import tabulate

    notes: dict[str, int] = {}
    body = []
    for r in z.itertuples(index=False):
        text = r.explained if r.status == "ok" else r.status
        if r.status == "ok" and not r.flagged:
            mark = "~" if r.rounding else ""
        elif text.strip():
            mark = f"[{notes.setdefault(text, len(notes) + 1)}]"
        else:
            mark = "!"
        body.append([clip(r.model, 34), short_source(r.source), variant_text(r),
                     reported_figure(r.reported_mflops), millions(r.madds),
                     percent(r.madds_dev_pct), reported_figure(r.params_m), millions(r.params),
                     percent(r.params_dev_pct), mark])
    headers = ["model", "source", "spec variant", "rep. M", "madds M", "Δ", "rep. params M",
               "params M", "Δ", "note"]
    style = "github" if fmt == "markdown" else "simple"
    table = tabulate(body, headers=headers, tablefmt=style, disable_numparse=True,
                     colalign=("left", "left", "left", "right", "right", "right", "right",
                               "right", "right", "left"))
    summary = summary_text(z)
    lines = [table, "", summary if fmt == "markdown" else textwrap.fill(summary, width=100), ""]
    if fmt == "markdown":
        lines += [f"- [{k}] {text}" for text, k in notes.items()]
    else:
        lines += [textwrap.fill(f"[{k}] {text}", width=100, subsequent_indent="     ")
                  for text, k in notes.items()]
    return "\n".join(lines).rstrip("\n")


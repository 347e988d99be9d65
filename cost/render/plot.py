"""Accuracy-vs-cost frontiers: the papers' own figure, with what `cost` computes beside it.

`frontier()` returns a matplotlib Figure (never shown; save it or let a notebook display it):

- x = "madds": each family's headline variants at the paper's reported MFLOPs (filled markers,
  joined in order of cost), and for every variant with a bundled spec the madds `cost` computes
  (hollow marker, joined to the reported one by a thin line: a long line is a figure that does
  not hold). The dashed step line is the Pareto frontier of the reported points.
- x = "params" or "mem": the computed parameters or memory access cost (ShuffleNet V2's MAC),
  for variants with a bundled spec only; no paper reports mem.

Counting conventions: `cost.measures` (madds = multiply-adds of conv and linear layers, the
papers' "FLOPs"). Numbers are exact until here; they become floats (millions) only to be drawn.

>>> fig = frontier(families=["shufflenet_v2", "mobilenet_v2"])  # doctest: +SKIP
>>> fig.savefig("frontier.png")  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cost.papers.frontier import OWN, X_METRICS, frontier_rows, pareto
from cost.render.format import significant

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Style:
    name: str  # legend entry
    color: str
    marker: str
    short: str = ""  # prefixes the label of the family's costliest variant ("" = no prefix)
    minor: bool = False  # ablations: drawn lighter, dotted, unlabelled


STYLES = {  # family -> legend name, colour, marker; the legend follows this order
    "shufflenet_v1": Style("ShuffleNet v1 (g=3)", "#1f77b4", "o", "ShuffleNet v1"),
    "shufflenet_v1_se": Style("ShuffleNet v1 + SE", "#17becf", "*"),
    "shufflenet_v1_shallow": Style("ShuffleNet v1 shallow", "#08306b", "h"),
    "shufflenet_v2": Style("ShuffleNet v2", "#ff7f0e", "s", "ShuffleNet v2"),
    "mobilenet_v1": Style("MobileNet v1", "#2ca02c", "^", "MobileNet v1"),
    "mobilenet_v2": Style("MobileNet v2", "#d62728", "v", "MobileNet v2"),
    "mobilenet_v3_large": Style("MobileNet v3 Large", "#9467bd", "D", "MobileNet v3 L"),
    "mobilenet_v3_small": Style("MobileNet v3 Small", "#b8860b", "d", "MobileNet v3 S"),
    "ghostnet": Style("GhostNet", "#e377c2", "P", "GhostNet"),
    "squeezenet": Style("SqueezeNet", "#8c564b", "X", "SqueezeNet"),
    "squeezenet_bypass": Style("SqueezeNet + bypass", "#c49c94", "p"),
    "alexnet": Style("AlexNet", "#555555", "<"),
    "googlenet": Style("GoogLeNet", "#6b8e23", "8"),
    "vgg": Style("VGG-16", "#000000", ">"),
    "resnet": Style("ResNet-18/50", "#bcbd22", "H"),
    "mnasnet": Style("MnasNet", "#1b9e77", "d"),
    "efficientnet": Style("EfficientNet", "#d95f02", "*", "EfficientNet"),
    "regnet": Style("RegNetX", "#7570b3", "s"),
    "snv1_unit_vgg_like": Style("SNv1 T4: VGG-like units", "#7fa8c9", "<", minor=True),
    "snv1_unit_resnet": Style("SNv1 T4: ResNet units", "#a9a9a9", ">", minor=True),
    "snv1_unit_resnext": Style("SNv1 T4: ResNeXt units", "#8fbc8f", "^", minor=True),
    "snv1_unit_xception_like": Style("SNv1 T4: Xception-like",
                                     "#e0a080", "v", minor=True),
}
FALLBACK_COLORS = ("#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d",
                   "#31a354", "#756bb1", "#636363")
FALLBACK_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p", "8", "H", "d")

AXIS = {  # x metric -> (axis title, what the hollow markers are)
    "madds": "Compute: multiply-adds (log scale) — the papers' “MFLOPs”",
    "params": "Parameters (log scale), computed by cost: all learnable, BN included",
    "mem": "Memory access cost (elements, log scale) — ShuffleNet V2's “MAC”",
    "latency": "Predicted latency (ms, log scale) on the calibrated device",
}
NOTE = {
    "madds": "filled: figure as reported (paper, else official release) · hollow: computed by "
             "cost from the bundled spec (conv + linear multiply-adds, cost.measures) · "
             "dashed: Pareto frontier of the reported points",
    "params": "computed by cost from the bundled specs (cost.measures) · dashed: Pareto "
              "frontier",
    "mem": "computed by cost from the bundled specs: per layer, inputs and weights read + "
           "outputs written, in elements (cost.measures); no paper reports it · dashed: "
           "Pareto frontier",
    "latency": "predicted by cost from the bundled specs and a device profile (cost calibrate; "
               "per fused kernel, cost.latency.predict) · dashed: Pareto frontier",
}


def style(family: str, index: int = 0) -> Style:
    """A family's legend name, colour and marker (fallbacks cycle for unknown families)."""
    if family in STYLES:
        return STYLES[family]
    return Style(family, FALLBACK_COLORS[index % len(FALLBACK_COLORS)],
                 FALLBACK_MARKERS[index % len(FALLBACK_MARKERS)])


def _millions(v: Any) -> float | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v) / 1e6


def points(rows: pd.DataFrame, x: str) -> list[dict[str, Any]]:
    """Per row: the reported x (madds only) and the computed x, in millions, and the accuracy."""
    out = []
    for r in rows.itertuples(index=False):
        reported = r.reported_mflops if x == "madds" else None
        if reported is not None and math.isnan(reported):
            reported = None
        out.append({"family": r.family, "label": r.label, "y": float(r.top1),
                    "reported": reported,
                    "computed": _millis(r.latency) if x == "latency" else
                    _millions(getattr(r, x))})
    return out


def _millis(seconds: Any) -> float | None:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return None
    return float(seconds) * 1e3


def _label(point: dict[str, Any], st: Style, drawn: list[dict[str, Any]]) -> str:
    """The variant's label; the family's costliest variant also names the family."""
    if st.short and point is drawn[-1] and point["label"]:
        return f"{st.short} {point['label']}"
    return point["label"]


def _ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks covering [lo, hi] (values in millions)."""
    ticks = []
    for exponent in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for mantissa in (1, 2, 5):
            t = mantissa * 10.0**exponent
            if lo <= t <= hi:
                ticks.append(t)
    return ticks


def tick_label(millions: float) -> str:
    """10 -> '10M', 1000 -> '1G', 0.5 -> '500K'.

    >>> [tick_label(v) for v in (0.5, 10, 200, 1000, 20000)]
    ['500K', '10M', '200M', '1G', '20G']
    """
    for scale, suffix in ((1e3, "G"), (1.0, "M"), (1e-3, "K")):
        if millions >= scale:
            return significant(millions / scale, 6) + suffix
    return significant(millions * 1e6, 6)


def frontier(specs: Sequence[str | Path] = (), *, families: Sequence[str] = (), x: str = "madds",
             rows: pd.DataFrame | None = None, figsize: tuple[float, float] = (10, 7),
             labels: bool = True) -> Figure:
    """Top-1 accuracy against cost for the chosen families (default: every bundled spec with a
    reported accuracy); see the module docstring. `rows` (from `cost.papers.frontier.frontier_rows`)
    skips the selection and computing. Never calls show()."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from cost.render.labels import place

    if x not in X_METRICS:
        from cost.errors import SpecError

        raise SpecError(f"--x {x!r} is not a metric to plot",
                        hint="allowed: " + ", ".join(X_METRICS))
    if rows is None:
        rows = frontier_rows(specs, families)
    fig = Figure(figsize=figsize)
    ax = fig.add_axes((0.075, 0.12, 0.66, 0.8))
    ax.set_xscale("log")
    pts = points(rows, x)
    order = list(STYLES)
    families_in_order = sorted(dict.fromkeys(rows.family),
                               key=lambda f: order.index(f) if f in order else len(order))
    xs_all, ys_all, shown = [], [], []
    for i, family in enumerate(families_in_order):
        st = style(family, i)
        fam = [p for p in pts if p["family"] == family]
        reported = x == "madds" and not family.endswith(OWN)
        main = "reported" if reported else "computed"  # your own specs: computed only
        drawn = sorted((p for p in fam if p[main] is not None), key=lambda p: p[main])
        size = 5.5 if st.minor else 7
        ax.plot([p[main] for p in drawn], [p["y"] for p in drawn], marker=st.marker, ms=size,
                color=st.color, lw=0.9 if st.minor else 1.5, ls=":" if st.minor else "-",
                label=st.name, gid=f"family:{family}", zorder=3 if st.minor else 4, mec="white",
                mew=0.6)
        if not st.minor:
            shown += [(p[main], p["y"], _label(p, st, drawn), st.color) for p in drawn]
        xs_all += [p[main] for p in drawn]
        ys_all += [p["y"] for p in drawn]
        if reported:
            pairs = [p for p in fam if p["computed"] is not None]
            ax.plot([p["computed"] for p in pairs], [p["y"] for p in pairs], ls="none",
                    marker=st.marker, ms=size + 2.5, mfc="none", mec=st.color, mew=1.1, zorder=5,
                    gid=f"computed:{family}", label="_computed")
            for p in pairs:
                if p["reported"] is not None:
                    ax.plot([p["reported"], p["computed"]], [p["y"], p["y"]], color=st.color,
                            lw=0.8, zorder=3, gid=f"deviation:{family}", label="_deviation")
                elif not st.minor:  # nothing reported to put beside it: label the computed point
                    shown.append((p["computed"], p["y"], p["label"], st.color))
            xs_all += [p["computed"] for p in pairs]
            ys_all += [p["y"] for p in pairs]
    front = pareto([(p["reported"] if x == "madds" else p["computed"], p["y"]) for p in pts
                    if (p["reported"] if x == "madds" else p["computed"]) is not None])
    if front:
        fx = [p[0] for p in front] + [max(xs_all) * 1.25]
        fy = [p[1] for p in front] + [front[-1][1]]
        ax.step(fx, fy, where="post", color="0.35", ls="--", lw=1, zorder=2, gid="pareto",
                label="_pareto")
    if xs_all:
        lo, hi = min(xs_all) / 1.35, max(xs_all) * 1.35
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(FixedLocator(_ticks(lo, hi)))
        ax.xaxis.set_major_formatter(FuncFormatter(
            (lambda v, _: significant(v, 6) + " ms") if x == "latency" else
            (lambda v, _: tick_label(v))))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_ylim(min(ys_all) - 2, max(ys_all) + 2)
    ax.grid(True, which="major", color="0.9", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    ax.set_xlabel(AXIS[x], fontsize=10)
    ax.set_ylabel("ImageNet top-1 accuracy (%)", fontsize=10)
    ax.tick_params(labelsize=9)
    what = {"madds": "compute", "params": "parameters", "mem": "memory access",
            "latency": "predicted latency"}[x]
    ax.set_title(f"Accuracy vs. {what}: published variants"
                 + (", reported and computed by cost" if x == "madds" else ", computed by cost"),
                 fontsize=11, loc="left")
    handles, names = ax.get_legend_handles_labels()
    extra = [Line2D([], [], color="0.35", ls="--", lw=1)]
    extra_names = ["Pareto frontier (reported)" if x == "madds" else "Pareto frontier"]
    if x == "madds":
        extra = [Line2D([], [], ls="none", marker="o", color="0.3", ms=6),
                 Line2D([], [], ls="none", marker="o", mfc="none", mec="0.3", ms=8.5,
                        mew=1.1), *extra]
        extra_names = ["as reported", "as computed by cost", *extra_names]
    fig.legend(handles + extra, names + extra_names, loc="upper left",
               bbox_to_anchor=(0.75, 0.92), fontsize=9, frameon=False, handlelength=2.2,
               borderaxespad=0)
    fig.text(0.075, 0.02, NOTE[x], fontsize=7.5, color="0.35", wrap=True)
    if labels:
        place(ax, [s for s in shown if s[2]])
    return fig


def written_lines(rows: pd.DataFrame, x: str, out: str | Path,
                  csv_path: str | Path | None = None) -> tuple[list[str], str]:
    """What `cost frontier` says after writing: notes on left-out computed points (for stderr),
    and the line naming the figure, how many variants and families it shows, and the CSV."""
    notes = [f"note: {status}: computed points left out"
             for status in dict.fromkeys(rows.status) if status not in ("ok", "no spec")]
    shown = rows if x == "madds" else rows[rows.status == "ok"]
    return notes, (f"wrote {out}: {len(shown)} variants of {shown.family.nunique()} families"
                   + (f"; rows in {csv_path}" if csv_path else ""))


def figure_bytes(fig: Figure, fmt: str, *, dpi: int = 150) -> bytes:
    """The figure as png, svg or pdf bytes, marked as written by cost (`cost.safe_write.MARK`)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from cost.safe_write import MARK

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    key = "Software" if fmt == "png" else "Creator"
    fig.savefig(buffer, format=fmt, dpi=dpi, metadata={key: MARK})
    return buffer.getvalue()


def save(fig: Figure, out: str | Path, *, dpi: int = 150) -> Path:
    """Write the figure (format from the suffix: png, svg, pdf), atomically and never through
    a symbolic link (`cost.safe_write`)."""
    from cost.safe_write import check_target, has_mark, write_atomic

    target = check_target(str(out), "figure", has_mark, force=True)
    write_atomic(target, figure_bytes(fig, target.suffix.lower().lstrip("."), dpi=dpi),
                 "figure")
    return target

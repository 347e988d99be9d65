"""ShuffleNet V2's guideline experiments (`cost guidelines --experiments`) as a terminal or markdown
table per paper table, JSON or CSV. The data and the rank correlations are
`cost.papers.experiments`; numbers and JSON values are written by `cost.render.format`.
"""

from __future__ import annotations

from typing import Any

from cost.measures import convention_line
from cost.papers.experiments import (
    HERE,
    TABLE_TITLES,
    Row,
    series,
    table_summary,
    to_dict,
    verdicts,
)
from cost.render.format import dumps, duration, fixed, format_count, percent, significant


def rho_text(v: float | None) -> str:
    """A rank correlation with its sign and two decimals; None (a constant series) as undefined.

    >>> rho_text(-0.8660254), rho_text(None)
    ('-0.87', 'undefined')
    """
    return "undefined" if v is None else fixed(v, 2, sign=True)


def render_text(all_rows: list[Row], fmt: str = "table") -> str:
    """Per table: rows (madds, mem, measured speeds), rho per series, and the table's mean rho."""
    from tabulate import tabulate

    style = "github" if fmt == "markdown" else "simple"
    all_series = series(all_rows)
    summary = table_summary(all_series)
    here = verdicts(all_rows) if any(r.platform == HERE for r in all_rows) else {}
    latency = any(r.predicted is not None for r in all_rows)
    out = []
    for table, title in TABLE_TITLES.items():
        these = [s for s in all_series if s.table == table]
        if not these:
            continue
        head = f"SNv2 {title}"
        out += [f"## {head}" if fmt == "markdown" else head, ""]
        body = [[s.platform, s.column, r.row, format_count(r.madds), format_count(r.mem),
                 f"{significant(r.speed, 4 if r.platform == HERE else 6)} {r.unit}"
                 + (f" (IQR {percent(r.spread)})" if r.spread is not None else ""),
                 *([duration(r.predicted) if r.predicted is not None else ""] if latency
                   else [])]
                for s in these for r in s.rows]
        out.append(tabulate(body, headers=["platform", "column", "row", "madds", "mem",
                                           "measured speed",
                                           *(["predicted latency"] if latency else [])],
                            tablefmt=style, disable_numparse=True))
        out.append("")
        corr = [[s.platform, s.column, rho_text(s.rho_mem), rho_text(s.rho_madds),
                 *([rho_text(s.rho_latency)] if latency else [])] for s in these]
        out.append(tabulate(corr, headers=["platform", "column", "rho(speed, mem)",
                                           "rho(speed, madds)",
                                           *(["rho(speed, latency)"] if latency else [])],
                            tablefmt=style, disable_numparse=True))
        e = summary[table]
        out += ["", f"mean rho over {e['series']} series: with mem {rho_text(e['rho_mem'])} "
                    f"({e['defined_mem']} defined), with madds {rho_text(e['rho_madds'])} "
                    f"({e['defined_madds']} defined; undefined = equal madds in the series)"]
        if table in here:
            v = here[table]
            means = ", ".join(f"{k} {rho_text(v.get(f'rho_{k}'))}" for k in
                              ("mem", "madds", "latency") if f"rho_{k}" in v)
            out.append(f"here: G{table} {'holds' if v['holds'] else 'does not hold'} "
                       f"({v['favoured']!r} fastest in {v['fastest_in']} of {v['series']} "
                       f"series); mean rho here: {means}; best ranking: {v['best_ranking']}")
        out.append("")
    out.append("rho = Spearman rank correlation; -1: more of the measure, always slower. "
               "Speeds: cost/papers/data/snv2_speeds.csv (source per row)")
    out.append(convention_line())
    return "\n".join(out)


def to_json(all_rows: list[Row]) -> str:
    return dumps(to_dict(all_rows))


def to_csv(all_rows: list[Row]) -> str:
    import pandas as pd

    rows: list[dict[str, Any]] = to_dict(all_rows)["rows"]
    for r in rows:
        r["bind"] = ";".join(f"{k}={v}" for k, v in r["bind"].items())
    return pd.DataFrame(rows).to_csv(index=False)


def render_experiments(all_rows: list[Row], fmt: str = "table") -> str:
    """The experiments in `fmt`: table, markdown, csv or json."""
    if fmt == "json":
        return to_json(all_rows)
    if fmt == "csv":
        return to_csv(all_rows)
    return render_text(all_rows, fmt)

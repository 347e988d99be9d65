"""A guidelines `Report` as JSON, a terminal or markdown table, or CSV (numbers and JSON values
written by `cost.render.format`).

JSON: {"spec", "bindings", "guidelines": {"G1": {"violated", "applicable", ["why_not",]
"score", "worst": [...]}, ...}, "blocks": [...]}; "why_not" says why a guideline without a
score does not apply (no 1x1 convs for G1 and G2); scores are shares (0.147 = 14.7%) except
G3's, a count of branches.
"""

from __future__ import annotations

from typing import Any

from cost.guidelines.analysis import (
    AVOIDABLE_TOLERANCE_TEXT,
    ELEMENTWISE_MAJORITY,
    GUIDELINES,
    MAX_BRANCHES,
    TITLES,
    Block,
    Pointwise,
    Report,
    number,
    share,
)
from cost.measures import convention_line
from cost.render.format import dumps, fixed, format_count, percent
from cost.render.profile import header
from cost.symbolic import render

SCORE_TEXT = {  # what each score measures
    "G1": "of 1x1-conv traffic avoidable by equal in/out widths",
    "G2": "of 1x1-conv traffic avoidable by g = 1 at the same FLOPs",
    "G3": "parallel branches in the most fragmented block",
    "G4": "of all traffic in element-wise ops (depthwise convs included)",
}
LIMIT_TEXT = {  # why each limit: cost.guidelines.analysis
    "G1": AVOIDABLE_TOLERANCE_TEXT,
    "G2": AVOIDABLE_TOLERANCE_TEXT,
    "G3": f"{MAX_BRANCHES}: one computing path and one identity path",
    "G4": f"{percent(ELEMENTWISE_MAJORITY, 0)}: most traffic in ops with (almost) no arithmetic",
}


def _pct(value: Any) -> str:
    return "-" if value is None else percent(number(value))


def _score_text(guideline: str, value: Any) -> str:
    return str(value) if guideline == "G3" else _pct(value)


# --- JSON ---------------------------------------------------------------------------------------


def _conv(c: Pointwise) -> dict[str, Any]:
    return {"path": c.path, "c_in": number(c.c_in), "c_out": number(c.c_out),
            "groups": number(c.groups), "c_out/c_in": number(c.ratio), "mem": number(c.mem),
            "g1_bound": number(c.bound), "mem/g1_bound": number(c.over_bound),
            "mem_at_g1": number(c.mem_g1), "mem_over_g1": number(c.extra)}


def _evidence(block: Block, guideline: str) -> dict[str, Any]:
    item: dict[str, Any] = {"block": block.path, "unit": block.name,
                            "score": number(block.score(guideline))}
    if guideline in ("G1", "G2"):
        item["convs"] = [_conv(c) for c in block.convs]
    elif guideline == "G3":
        item |= {"branches": block.branches, "ops": block.ops}
    else:
        item |= {"elementwise": _share(block.elementwise_mem, block.mem),
                 "depthwise": _share(block.depthwise_mem, block.mem)}
    return item


def _share(part: Any, whole: Any) -> Any:
    return number(share(part, whole))


def _block(block: Block) -> dict[str, Any]:
    return {"block": block.path, "unit": block.name, "ops": block.ops,
            "branches": block.branches, "madds": number(block.madds), "mem": number(block.mem),
            **{g: number(block.score(g)) for g in GUIDELINES},
            "elementwise": _share(block.elementwise_mem, block.mem),
            "depthwise": _share(block.depthwise_mem, block.mem),
            "convs": [_conv(c) for c in block.convs]}


def to_dict(report: Report) -> dict[str, Any]:
    p = report.profile
    return {
        "spec": p.spec.path,
        "bindings": {k: number(v) for k, v in p.bindings.items()},
        "guidelines": {g: {"violated": v.violated, "applicable": v.applicable,
                           **({} if v.applicable else {"why_not": v.unscored}),
                           "score": number(v.score),
                           "worst": [_evidence(b, g) for b in v.worst]}
                       for g, v in report.verdicts.items()},
        "blocks": [_block(b) for b in report.blocks],
    }


def to_json(report: Report) -> str:
    return dumps(to_dict(report))


# --- tables -------------------------------------------------------------------------------------


def _conv_brief(c: Pointwise, guideline: str) -> str:
    name = c.path.rsplit("/", 1)[-1]
    widths = f"{render(c.c_in)}->{render(c.c_out)}"
    if guideline == "G2":
        return f"{name} {widths} g={render(c.groups)} (+{_pct(share(c.extra, c.mem))})"
    return f"{name} {widths} ({fixed(number(c.over_bound), 2)}x bound)"


def _worst_text(block: Block, guideline: str) -> str:
    score = _score_text(guideline, block.score(guideline))
    if guideline == "G1":
        detail = ", ".join(_conv_brief(c, "G1") for c in block.convs)
    elif guideline == "G2":
        grouped = [c for c in block.convs if c.groups != 1]
        detail = ", ".join(_conv_brief(c, "G2") for c in grouped) or "no grouped 1x1 convs"
    elif guideline == "G3":
        detail = f"{block.ops} ops"
    else:
        detail = (f"element-wise {_share_pct(block.elementwise_mem, block.mem)}, "
                  f"depthwise {_share_pct(block.depthwise_mem, block.mem)}")
    return f"{block.path or block.name} {score} ({detail})"


def _share_pct(part: Any, whole: Any) -> str:
    value = _share(part, whole)
    return "-" if value is None else percent(value)


def verdict_lines(report: Report, fmt: str = "table") -> list[str]:
    """One line per guideline (verdict, score, rule), then its worst blocks as evidence."""
    lines = []
    bullet, indent = ("- ", "  - ") if fmt == "markdown" else ("", "    ")
    for g, v in report.verdicts.items():
        verdict = "VIOLATED" if v.violated else "respected" if v.applicable else "not applicable"
        if fmt == "markdown":
            verdict = f"**{verdict}**"
        lines.append(f"{bullet}{g} {TITLES[g]}: {verdict}")
        if not v.applicable:
            lines.append(f"{indent}{v.unscored}")
            continue
        lines.append(f"{indent}score {_score_text(g, v.score)} {SCORE_TEXT[g]}; "
                     f"limit {LIMIT_TEXT[g]}")
        lines += [f"{indent}{_worst_text(b, g)}" for b in v.worst]
    return lines


def _row(b: Block, label: str, widths: str) -> list[str]:
    return [label, b.name, str(b.ops), str(b.branches), widths or "-", _pct(b.score("G1")),
            _pct(b.score("G2")), _share_pct(b.elementwise_mem, b.mem),
            _share_pct(b.depthwise_mem, b.mem), format_count(b.mem)]


def block_rows(report: Report) -> list[list[str]]:
    """One row per block, then the whole network (branches: its most fragmented block)."""
    rows = []
    for b in report.blocks:
        widths = " ".join(f"{render(c.c_in)}->{render(c.c_out)}"
                          + (f"/g{render(c.groups)}" if c.groups != 1 else "") for c in b.convs)
        rows.append(_row(b, b.path or b.name, widths))
    n = report.network
    rows.append(_row(n, "(network)", f"{len(n.convs)} convs"))
    return rows


def render_text(report: Report, fmt: str = "table") -> str:
    """Verdicts with evidence, then one row per block; the convention (and fusion) at the end."""
    from tabulate import tabulate

    from cost.engine.fusion import FUSION_ASSUMPTION

    style = "github" if fmt == "markdown" else "simple"
    blocks = tabulate(block_rows(report), tablefmt=style, disable_numparse=True,
                      headers=["block", "unit", "ops", "branches", "1x1 convs (c_in->c_out/g)",
                               "G1 avoidable", "G2 over g=1", "G4 element-wise", "G4 depthwise",
                               "mem"])
    notes = [convention_line(),
             FUSION_ASSUMPTION if report.fused
             else "unfused: bn and activations are layers of their own (--fuse folds them)"]
    if fmt == "markdown":
        notes = [f"- {n}" for n in notes]
    return "\n".join([header(report.profile), "", *verdict_lines(report, fmt), "", blocks, "",
                      *notes])


def to_csv(report: Report) -> str:
    """One row per block (the JSON `blocks` without the conv lists)."""
    import pandas as pd

    rows = [{k: v for k, v in _block(b).items() if k != "convs"} for b in report.blocks]
    return pd.DataFrame(rows).to_csv(index=False)


def render_guidelines(report: Report, fmt: str = "table") -> str:
    """The report in `fmt`: table, markdown, csv or json."""
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report)
    return render_text(report, fmt)

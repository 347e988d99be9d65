"""The data behind `cost frontier`: each family's headline variants, reported and computed.

A family's headline rows are the rows of `cost.reported()` marked `frontier` (one per variant:
the original paper's figure where it gives one), on ImageNet, with a top-1 accuracy. A row linked
to a bundled spec also gets what `cost` computes for it: madds, params and mem (exact integers,
`cost.measures`) and the deviation of the computed madds from the reported figure in %.

Families are chosen by spec files (`specs/mobilenet_v2.yaml`: every family with a headline row
linked to that file, or to a file with the same spec `name:`), by name (`mobilenet_v2`), or by
default: every family with a headline row linked to a bundled spec that exists.

Your own specs join the papers with the accuracy you give: the spec's `accuracy:` entries
(`cost.spec.parse.Accuracy`: top1, source, and the variant's preset or bind) or rows of an
accuracy CSV (`read_accuracy`: columns top1 and source, optional spec, preset, bind as
"s=0.5;r=160", label). Their rows form the family "NAME (yours)", with no reported figure: cost
computes madds, params and mem, and the source column says where the accuracy comes from.

>>> rows = frontier_rows(families=["shufflenet_v2"])
>>> rows[["label", "reported_mflops", "madds", "top1"]].values.tolist()[0]
['0.5×', 41.0, 40476448, 60.3]
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cost.errors import CostError, SpecError, did_you_mean
from cost.papers.zoo import Variant, computed, deviation_pct, specs_dir

if TYPE_CHECKING:
    import pandas as pd

    from cost.spec.parse import Accuracy

X_METRICS = ("madds", "params", "mem", "latency")  # latency: predicted, needs a device
OWN = " (yours)"  # ends the family name of a user's spec drawn with its own accuracy
ROW_COLUMNS = ("family", "model", "label", "source", "top1", "reported_mflops", "madds",
               "madds_dev_pct", "params_m", "params", "params_dev_pct", "mem", "spec", "preset",
               "bind", "status", "convention", "latency")


def headline_rows(data: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows marked `frontier`, on ImageNet, with a top-1 accuracy."""
    from cost.papers.reported import reported

    df = reported() if data is None else data
    return df[df.frontier & (df.dataset == "ImageNet") & df.top1.notna()]


def _spec_name(path: Path) -> str | None:
    from cost.spec.parse import read_spec

    try:
        return read_spec(path).name
    except (CostError, OSError):
        return None


def select_families(specs: Sequence[str | Path] = (), families: Sequence[str] = (), *,
                    data: pd.DataFrame | None = None, root: Path | None = None,
                    own: Container[str | Path] = ()) -> tuple[list[str], dict[str, Path]]:
    """Families to draw, and the spec files to compute linked rows with (user files win).

    Raises SpecError for a family name that does not exist or a spec with no accuracy, reported
    or its `own` (given in the spec or an accuracy file).
    """
    rows = headline_rows(data)
    root = root or specs_dir()
    known = list(dict.fromkeys(rows.family))
    linked = {spec: root / spec for spec in dict.fromkeys(rows.spec) if spec}
    chosen: list[str] = []
    files: dict[str, Path] = {}
    for name in families:
        if name not in known:
            raise SpecError(f"no family {name!r} in the reported data",
                            hint=did_you_mean(name, known))
        chosen.append(name)
    for arg in specs:
        path = Path(arg)
        if not path.is_file():
            raise SpecError(f"{arg}: no such spec file")
        same = [s for s, p in linked.items() if p.is_file() and p.resolve() == path.resolve()]
        if not same:  # a user's copy: match by the spec's name
            name = _spec_name(path)
            same = [s for s, p in linked.items() if p.is_file() and _spec_name(p) == name]
            files.update({s: path for s in same})
        if not same and arg in own:
            continue
        if not same:
            with_accuracy = sorted(s for s, p in linked.items() if p.is_file())
            raise SpecError(f"{arg}: no reported accuracy for this spec",
                            hint="give yours: an `accuracy: {top1: ..., source: ...}` entry in "
                            "the spec or --accuracy FILE.csv; specs with reported accuracies: "
                            + ", ".join(with_accuracy))
        chosen += list(dict.fromkeys(rows[rows.spec.isin(same)].family))
    if not families and not chosen:  # nothing named, or only specs of your own: the papers
        chosen = [f for f in known
                  if any(linked[s].is_file() for s in rows[rows.family == f].spec if s)]
    return list(dict.fromkeys(chosen)), files


def read_accuracy(path: str | Path) -> list[tuple[str, Accuracy]]:
    """An accuracy CSV as (spec, Accuracy) pairs; spec "" applies to every spec drawn.

    Columns: top1 and source (required), spec (a file path or a spec `name:`), preset, bind
    ("s=0.5;r=160") and label (optional). A bad row is an error naming the file and its line.
    """
    import csv

    from cost.papers.zoo import parse_bind
    from cost.spec.parse import Accuracy, Where

    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise SpecError(f"--accuracy {path}: {e.strerror or e}") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in ("top1", "source") if c not in (reader.fieldnames or ())]
    if missing:
        raise SpecError(f"no column {missing[0]!r}", file=str(path), line=1,
                        hint="columns: top1, source, and optionally spec, preset, bind, label")
    out = []
    for i, row in enumerate(reader, start=2):
        def cell(name: str, row: dict = row) -> str:
            return (row.get(name) or "").strip()
        try:
            top1 = float(cell("top1"))
        except ValueError:
            top1 = float("nan")
        if not 0 < top1 <= 100:
            raise SpecError(f"top1 = {cell('top1')!r}; allowed: a percentage in (0, 100]",
                            file=str(path), line=i)
        if not cell("source"):
            raise SpecError("source is empty; say where the accuracy comes from",
                            file=str(path), line=i)
        try:
            bind = parse_bind(cell("bind"))
        except SpecError as e:
            raise e.locate(file=str(path), line=i) from None
        out.append((cell("spec"), Accuracy(top1, cell("source"), cell("preset") or None, bind,
                                           cell("label"), Where(str(path), i))))
    return out


def own_accuracy(arg: str | Path, table: Sequence[tuple[str, Accuracy]] = ()) -> list[Accuracy]:
    """The accuracies given for the spec file `arg`: its own `accuracy:` entries, then the rows
    of an accuracy table naming it (by path or spec name) or naming no spec."""
    from cost.spec.parse import read_spec

    path = Path(arg)
    if not path.is_file():
        return []
    spec = read_spec(path)
    mine = list(spec.accuracy)
    for name, entry in table:
        if not name or name == spec.name or (Path(name).is_file()
                                             and Path(name).resolve() == path.resolve()):
            mine.append(entry)
    return mine


def _bind_text(bind: dict[str, Any]) -> str:
    return ";".join(f"{k}={v}" for k, v in bind.items())


def own_rows(arg: str | Path, entries: Sequence[Accuracy],
             device: Any = None) -> list[dict[str, Any]]:
    """Rows of the family "NAME (yours)": the given accuracies at what cost computes (and the
    predicted latency with a `device`)."""
    from cost.spec.parse import read_spec

    path = Path(arg)
    name = read_spec(path).name
    out = []
    for a in entries:
        bind = _bind_text(a.bind)
        label = a.label or a.preset or bind.replace(";", " ") or name
        row = {"family": f"{name}{OWN}", "model": f"{name} {label}".strip(), "label": label,
               "source": a.source, "top1": a.top1, "reported_mflops": None, "params_m": None,
               "spec": str(path), "preset": a.preset or "", "bind": bind, "convention": "paper",
               "madds": None, "params": None, "mem": None, "madds_dev_pct": None,
               "params_dev_pct": None}
        try:
            total = computed(Variant(str(path.resolve()), a.preset or "", bind))
        except CostError as e:
            where = f"{a.at.file}:{a.at.line}: " if a.at else ""
            row["status"] = f"error: {where}{e}".splitlines()[0]
        else:
            row.update(status="ok", madds=total.madds, params=total.params, mem=total.mem)
            if device is not None:
                row["latency"] = _latency(Variant(str(path.resolve()), a.preset or "", bind),
                                          device)
        out.append(row)
    return sorted(out, key=lambda r: (r["madds"] is None, r["madds"] or 0))


def frontier_rows(specs: Sequence[str | Path] = (), families: Sequence[str] = (), *,
                  data: pd.DataFrame | None = None, root: Path | None = None,
                  accuracy: Sequence[tuple[str, Accuracy]] = (),
                  device: Any = None) -> pd.DataFrame:
    """Headline rows of the chosen families with computed madds, params, mem and deviations,
    then the rows of your own specs (`accuracy`: an accuracy table's pairs, `read_accuracy`);
    with a `device` (`cost.latency.Device`) also the predicted latency in seconds.

    `status`: "ok", "no spec" (not linked), "missing specs/…" or "error: …" (computed columns
    are then None). Rows are in family order, then by reported cost.
    """
    import pandas as pd

    root = root or specs_dir()
    own = {arg: entries for arg in specs if (entries := own_accuracy(arg, accuracy))}
    chosen, files = select_families(specs, families, data=data, root=root, own=own)
    rows = headline_rows(data)
    out: list[dict[str, Any]] = []
    for family in chosen:
        fam = rows[rows.family == family].sort_values("reported_mflops", na_position="last")
        for r in fam.itertuples(index=False):
            row = {c: getattr(r, c) for c in ROW_COLUMNS if hasattr(r, c)}
            row.update(madds=None, params=None, mem=None, madds_dev_pct=None,
                       params_dev_pct=None, status="no spec")
            if r.spec:
                path = files.get(r.spec, root / r.spec)
                if not path.is_file():
                    row["status"] = f"missing {root.name}/{r.spec}"
                else:
                    try:
                        total = computed(Variant(str(path.resolve()), r.preset, r.bind), root)
                    except CostError as e:
                        row["status"] = f"error: {e}".splitlines()[0]
                    else:
                        row.update(status="ok", madds=total.madds, params=total.params,
                                   mem=total.mem)
                        if device is not None:
                            row["latency"] = _latency(Variant(str(path.resolve()), r.preset,
                                                              r.bind), device)
                        if r.reported_mflops == r.reported_mflops:  # not NaN
                            row["madds_dev_pct"] = deviation_pct(total.madds, r.reported_mflops,
                                                                 10**6)
                        if r.params_m == r.params_m:
                            row["params_dev_pct"] = deviation_pct(total.params, r.params_m,
                                                                  10**6)
            out.append(row)
    for arg, entries in own.items():
        out += own_rows(arg, entries, device)
    return pd.DataFrame({c: pd.Series([row.get(c) for row in out], dtype=object)
                         for c in ROW_COLUMNS}).infer_objects()


def _latency(variant: Variant, device: Any) -> float:
    from cost.engine.profile import profile
    from cost.latency.predict import latency
    from cost.papers.zoo import parse_bind
    from cost.spec import load

    spec = load(variant.path(), preset=variant.preset or None, **parse_bind(variant.bind))
    return float(latency(profile(spec), device))


def pareto(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points no other point beats: none cheaper-or-equal with higher-or-equal accuracy
    (`cost.design.pareto.front_points`, the package's one Pareto front).

    >>> pareto([(40, 60.3), (38, 56.8), (140, 67.4), (146, 69.4), (149, 63.7), (150, 69.4)])
    [(38, 56.8), (40, 60.3), (140, 67.4), (146, 69.4)]
    """
    from cost.design.pareto import front_points

    return front_points(points)

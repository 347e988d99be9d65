"""The reported-numbers data: complete, sourced, and equal to the papers' figures it transcribes."""

from __future__ import annotations

import csv
import doctest
import importlib
import math
from pathlib import Path

import pytest

from cost.papers.reported import COLUMNS, raw_rows, reported

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "papers" / "reported.csv"  # the transcription it was built from


@pytest.fixture(scope="module")
def df():
    return reported()


def one(df, model: str, source: str):
    rows = df[(df.model == model) & df.source.str.startswith(source)]
    assert len(rows) == 1, f"{model!r} from {source!r}: {len(rows)} rows"
    return rows.iloc[0]


def test_columns_and_types(df) -> None:
    assert tuple(df.columns) == COLUMNS
    assert len(df) == len(raw_rows())
    assert df.frontier.dtype == bool
    assert str(df.resolution.dtype) == "Int64" and str(df.groups.dtype) == "Int64"


def test_every_row_has_a_source_and_a_convention(df) -> None:
    assert (df.source.str.strip() != "").all()
    has_compute = df.reported_mflops.notna()
    assert (df[has_compute].convention.str.strip() != "").all()
    assert not df.duplicated(["model", "source"]).any(), "a figure is listed twice"


def test_values_are_plausible(df) -> None:
    assert set(df.dataset) == {"ImageNet", "CIFAR-10"}
    assert df.top1.dropna().between(0, 100).all()
    assert (df.reported_mflops.dropna() > 0).all() and (df.params_m.dropna() > 0).all()
    assert set(df.resolution.dropna()) <= {32, 96, 128, 160, 192, 224, 227}


def test_transcribed_figures(df) -> None:
    # SNv1 Table 5: ShuffleNet 2x (g=3) 524 MFLOPs, 26.3% error
    row = one(df, "ShuffleNet 2x (g=3)", "SNv1 (arXiv 1707.01083v2/CVPR18) Table 5")
    assert (row.reported_mflops, row.top1) == (524, 100 - 26.3)
    # megvii README: 1.0x g3 138M FLOPs, 1.9M params, 32.2% error; linked to its preset
    row = one(df, "ShuffleNetV1 1.0x (group=3)", "megvii")
    assert (row.reported_mflops, row.params_m, row.top1) == (138, 1.9, 100 - 32.2)
    assert (row.spec, row.preset) == ("shufflenet_v1.yaml", "megvii-1.0x-g3")
    # torchvision: _ops 0.583 G, num_params 7,393,996 for shufflenet_v2_x2_0
    row = one(df, "shufflenet_v2_x2_0", "pytorch/vision")
    assert (row.reported_mflops, row.params_m) == (0.583 * 1000, 7_393_996 / 1e6)
    assert row.convention == "GMACs conv+linear (torchvision _ops)"
    # the SqueezeNet README counts about 2x multiply-adds ("1.72 GFLOPS/image")
    row = one(df, "SqueezeNet v1.0", "forresti")
    assert row.reported_mflops == 1.72 * 1000 and "2x" in row.convention


def test_links_are_well_formed(df) -> None:
    from cost.papers.zoo import parse_bind

    linked = df[df.spec != ""]
    assert len(linked) > 100
    for r in linked.itertuples():
        assert r.spec.endswith(".yaml") and not Path(r.spec).is_absolute(), r.spec
        parse_bind(r.bind)  # raises on a malformed binding
        assert r.dataset == "ImageNet"
    assert (df[df.spec == ""].preset == "").all() and (df[df.spec == ""].bind == "").all()


def test_headline_rows_have_an_accuracy_and_are_one_per_variant(df) -> None:
    head = df[df.frontier]
    assert head.top1.notna().all()
    linked = head[head.spec != ""]
    variants = linked[["spec", "preset", "bind"]].apply(tuple, axis=1)
    assert not variants.duplicated().any(), "two headline rows for one variant"


def test_every_transcribed_row_is_kept_with_its_numbers() -> None:
    """Each row of the shared transcription is in the package data, numbers and source intact."""
    if not SHARED.is_file():
        pytest.skip(f"{SHARED} is not beside the repository")
    ours = {(r["model"], r["source"]): r for r in raw_rows()}
    with SHARED.open(encoding="utf-8") as f:
        theirs = list(csv.DictReader(f))
    shared = {(t["model"], t["source"]) for t in theirs}
    assert len(shared) == len(theirs)  # one row per model and source there, as here
    added = [r for key, r in ours.items() if key not in shared]
    for r in added:  # rows the package adds beyond the transcription say where they come from
        assert r["source"] and r["spec"] and (r["reported_mflops"] or r["params_m"]), r["model"]
    for t in theirs:
        o = ours[(t["model"], t["source"])]
        for mine, their in (("reported_mflops", "mflops"), ("params_m", "params_m"),
                            ("top1", "top1_acc"), ("width", "width"), ("groups", "groups"),
                            ("resolution", "resolution"), ("note", "note")):
            a, b = o[mine], t[their]
            same = a == b or (a and b and math.isclose(float(a), float(b)))
            assert same, f"{t['model']} ({t['source']}): {mine} {a!r} != {their} {b!r}"


def test_docstring_examples() -> None:
    # by module name: `cost.papers.reported` may be the exported function
    assert doctest.testmod(importlib.import_module("cost.papers.reported")).failed == 0

"""What a user reads and loads: numeric columns, memory in the unit it says, row selection
(issue 15)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from cli_run import G3, run

import cost


def test_every_numeric_column_of_the_frame_is_numeric() -> None:
    df = cost.profile(cost.load(G3)).table()
    for column in ("madds", "params", "mem_read", "mem_write", "mem", "live"):
        assert df[column].dtype.kind == "i", column
    assert df["intensity"].dtype.kind == "f"
    df.plot(y="intensity")  # raised "no numeric data to plot" while intensity held Fractions
    assert cost.profile(cost.load(G3)).table(depth=1)["intensity"].dtype.kind == "f"


def test_csv_numbers_are_numbers_and_json_keeps_exact_integers() -> None:
    code, out, _ = run("profile", G3, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    for r in rows:
        assert "/" not in r["intensity"]  # '37632/307' before
        float(r["intensity"])
        int(r["madds"]), int(r["mem"]), int(r["live"])
    conv1 = rows[0]
    assert float(conv1["intensity"]) == pytest.approx(8_128_512 / 451_584 / (1 + 648 / 451_584))
    doc = json.loads(run("profile", G3, "--format", "json")[1])
    assert isinstance(doc["total"]["madds"], int) and doc["total"]["madds"] == 137_460_672
    assert isinstance(doc["total"]["intensity"], float)
    assert doc["total"]["intensity"] == pytest.approx(137_460_672 / 25_942_720)


def test_dtype_bytes_labels_and_computes_memory_in_bytes() -> None:
    code, table, _ = run("profile", G3, "--dtype-bytes", "4")
    assert code == 0
    assert "mem (B)" in table and "madds/B" in table and "madds/mem" not in table
    assert "madds per byte moved" in table
    assert f"intensity {137_460_672 / (4 * 25_942_720):.2f} madds per byte" in table
    md = run("profile", G3, "--dtype-bytes", "4", "--format", "markdown")[1]
    assert "mem (B)" in md and "madds/B" in md
    header = run("profile", G3, "--dtype-bytes", "4", "--format", "csv")[1].splitlines()[0]
    assert "mem_bytes" in header and "madds_per_byte" in header and ",mem," not in header
    doc = json.loads(run("profile", G3, "--dtype-bytes", "4", "--format", "json")[1])
    assert doc["units"]["mem"] == "bytes"
    assert doc["total"]["mem_bytes"] == 4 * 25_942_720
    assert doc["total"]["madds_per_byte"] == pytest.approx(137_460_672 / (4 * 25_942_720))
    first = doc["layers"][0]
    assert first["madds_per_byte"] == pytest.approx(first["madds"] / first["mem_bytes"])


def test_sort_and_top_select_rows_but_not_totals() -> None:
    doc = json.loads(run("profile", G3, "--format", "json", "--sort", "madds", "--top", "3")[1])
    madds = [layer["madds"] for layer in doc["layers"]]
    assert len(madds) == 3 and madds == sorted(madds, reverse=True)
    everything = cost.profile(cost.load(G3)).table()
    assert madds == sorted(everything["madds"], reverse=True)[:3]
    assert doc["total"]["madds"] == 137_460_672
    code, table, _ = run("profile", G3, "--sort", "mem", "--top", "5")
    assert code == 0 and "rows: 5 of 170, largest mem first; totals are of all rows" in table
    assert "total madds:  137,460,672" in table
    csv_rows = run("profile", G3, "--format", "csv", "--top", "4", "--depth", "1")[1]
    assert len(csv_rows.strip().splitlines()) == 1 + 4
    code, _, err = run("profile", G3, "--sort", "mme")
    assert code == 2 and "did you mean 'mem'" in err and "Traceback" not in err
    code, _, err = run("profile", G3, "--symbolic", "--sort", "madds")
    assert code == 2 and "--sort" in err

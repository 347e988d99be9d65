"""Messages a beginner meets: whole-number symbols, did-you-mean, specs without presets,
unquoted commas in flow mappings, guidelines that do not apply (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_run import ROOT, V1, run

import cost


def test_binding_messages() -> None:
    code, _, err = run("profile", V1, "--set", "G=3")
    assert code == 2 and "did you mean 'g'?" in err
    code, _, err = run("profile", str(ROOT / "specs" / "alexnet.yaml"), "--preset", "x")
    assert code == 2 and "defines no presets" in err and "nothing is defined" not in err
    code, _, err = run("profile", V1, "--set", "g=2.5")
    assert code == 2 and "g = 5/2 must be a whole number" in err
    p = cost.profile(cost.load(V1, keep=("g",)))
    with pytest.raises(cost.errors.BindingError, match="g = 5/2 must be a whole number"):
        p.subs(g=2.5)  # declared kind: int (the default)
    s = cost.profile(cost.load(V1, keep=("s",)))
    assert s.subs(s=0.5).total.madds > 0  # kind: real takes a fraction


def test_unquoted_comma_in_a_flow_mapping_says_to_quote(tmp_path: Path) -> None:
    spec = tmp_path / "comma.yaml"
    spec.write_text("spec: 1\nname: comma\ninput: [1, 16, 8, 8]\nnetwork:\n"
                    "  - {op: conv, out: max(1, cin//4), k: 1}\n")
    code, _, err = run("profile", str(spec))
    assert code == 2 and "quote it" in err and "comma.yaml:5" in err
    spec.write_text("spec: 1\nname: comma\ninput: [1, 16, 8, 8]\nnetwork:\n"
                    "  - {op: conv, out: \"max(1, cin//4)\", k: 1}\n")
    assert run("profile", str(spec))[0] == 0


def test_guidelines_without_1x1_convs_are_not_applicable() -> None:
    alexnet = str(ROOT / "specs" / "alexnet.yaml")
    code, out, _ = run("guidelines", alexnet)
    assert code == 0
    assert "G1 equal channel width minimizes memory access: not applicable" in out
    assert "no 1x1 convs" in out and "score -" not in out
    doc = json.loads(run("guidelines", alexnet, "--format", "json")[1])
    assert doc["guidelines"]["G1"]["applicable"] is False
    assert "1x1" in doc["guidelines"]["G1"]["why_not"]
    assert doc["guidelines"]["G3"]["applicable"] is True

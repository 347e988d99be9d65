"""Each class of bad input gets one clear message (file, line, layer path, bad value, what is
allowed), exit code 2, no traceback, and nothing on stdout (einops' table of invalid inputs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cost.cli.main import main

GOOD = """\
spec: 1
name: tiny
symbols:
  n: {default: 1}
  r: {default: 32, multiple_of: 8}
  g: {default: 2}
input: [n, 8, r, r]
blocks:
  unit:
    params: {g: g}
    layers:
      - {id: pw, op: conv, out: cin, k: 1, groups: g}
      - {op: relu}
      - {op: add, in: [prev, x]}
network:
  - {id: conv1, op: conv, out: 16, k: 3, stride: 2, pad: 1}
  - {id: u, op: unit}
  - {op: global_avgpool}
  - {op: flatten}
  - {id: fc, op: linear, out: 10}
"""


def run(tmp_path: Path, text: str | None, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "spec.yaml"
    if text is not None:
        path.write_text(text)
    result = CliRunner().invoke(main, ["profile", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_good_spec_profiles(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, GOOD)
    assert code == 0, err
    assert "total madds" in out


BIG_REPEAT = GOOD.replace("{id: u, op: unit}", "{id: u, op: unit, repeat: 10**9}")
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True))

CASES = [
    # (name, spec text or None for a missing file, extra CLI args, expected fragments)
    ("missing file", None, [], ["spec.yaml", "file not found"]),
    ("empty file", "   \n", [], ["spec.yaml", "empty"]),
    ("yaml syntax", GOOD.replace("k: 1, groups: g}", "k: 1, groups: g"), [],
     ["spec.yaml:", "YAML syntax error"]),
    ("object tag", "spec: !!python/object/apply:os.system ['echo hi']\n", [],
     ["spec.yaml:1", "python/object/apply:os.system", "not allowed"]),
    ("top-level list", "- {op: conv}\n", [], ["spec.yaml", "must be a mapping", "a list"]),
    ("unknown op", GOOD.replace("op: relu", "op: rleu"), [],
     ["spec.yaml:13", "u/rleu (rleu)", "unknown op 'rleu'", "did you mean 'relu'"]),
    ("unknown symbol (--set)", GOOD, ["--set", "gg=3"],
     ["unknown symbol 'gg'", "did you mean 'g'"]),
    ("unknown name in expression", GOOD.replace("out: 16", "out: 16*width"), [],
     ["spec.yaml:16", "conv1 (conv)", "unknown name 'width'"]),
    ("unsafe: import", GOOD.replace("out: 16", "out: __import__('os').getpid()"), [],
     ["spec.yaml:16", "not allowed"]),
    ("unsafe: attribute", GOOD.replace("out: 16", "out: g.__class__"), [],
     ["spec.yaml:16", "attribute access is not allowed"]),
    ("unsafe: lambda", GOOD.replace("out: 16", "'out': 'lambda: 1'"), [],
     ["spec.yaml:16", "lambda is not allowed"]),
    ("groups do not divide channels", GOOD, ["--set", "g=3"],
     ["spec.yaml:12", "u/pw (conv)", "groups=3 must divide in-channels 16",
      "3 does not divide 16"]),
    ("add shape mismatch", GOOD.replace("out: cin, k: 1", "out: 2*cin, k: 1"), [],
     ["spec.yaml:14", "u/add (add)", "add inputs differ in dimension c", "32 != 16"]),
    ("concat shape mismatch",
     GOOD.replace("{op: add, in: [prev, x]}", "{op: concat, in: [pw, y]}").replace(
         "      - {op: relu}\n", "      - {op: relu}\n      - {id: y, op: maxpool, in: x, k: 2}\n"),
     [], ["u/concat (concat)", "concat inputs differ in dimension h", "16 != 8"]),
    ("missing block parameter", GOOD.replace("params: {g: g}", "params: {g: null}"), [],
     ["spec.yaml:17", "u (unit)", "needs parameter 'g'"]),
    ("block uses itself", GOOD.replace("{op: add, in: [prev, x]}", "{op: unit}"), [],
     ["u/unit (unit)", "block 'unit' uses itself: unit -> unit"]),
    ("alias bomb", BOMB, [], ["spec.yaml", "alias bomb"]),
    ("absurd repeat", BIG_REPEAT, [], ["spec.yaml:17", "repeat = 1,000,000,000",
                                       "more than 100,000 layers"]),
    ("bad --set value", GOOD, ["--set", "g=two"], ["--set 'g=two'", "unknown name 'two'"]),
    ("value not allowed", GOOD, ["--set", "r=30"], ["r = 30 is not a multiple of 8"]),
    ("unknown preset", GOOD, ["--preset", "big"], ["unknown preset 'big'"]),
    ("unknown argument", GOOD.replace("k: 3, stride: 2", "kernel: 3, stride: 2"), [],
     ["spec.yaml:16", "conv has no argument 'kernel'", "known: bias, dilation, groups, id, in, k"]),
    ("unknown top-level key", GOOD.replace("name: tiny", "nmae: tiny"), [],
     ["unknown key 'nmae'", "did you mean 'name'"]),
    ("duplicate key", GOOD.replace("name: tiny", "name: tiny\nname: other"), [],
     ["spec.yaml:3", "duplicate key 'name'"]),
]


@pytest.mark.parametrize("name,text,args,fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_one_clear_message(tmp_path: Path, name: str, text: str | None,
                                          args: list[str], fragments: list[str]) -> None:
    code, out, err = run(tmp_path, text, *args)
    assert code == 2, (name, out, err)
    assert out == "", "nothing may be written to stdout on error"
    assert "Traceback" not in err
    assert err.startswith("error: ")
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"

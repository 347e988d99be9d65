"""No input can crash, hang or fool `cost` (issue 17): one minimal reproducer per class.

Every case must end in one message, exit code 2, no traceback and nothing half-written (or in a
correct result). The last tests run the seeded mutation fuzzer of benchmarks/fuzz_specs.py over
every bundled spec, at a size that fits the suite.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import cost
from cost.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
BASE = """\
spec: 1
name: tiny
symbols:
  n: {default: 1}
  r: {default: 8}
input: [n, 4, r, r]
network:
"""
CONV = BASE + "  - {id: c, op: conv, out: OUT, k: 1}\n"


def cli(*args: str) -> tuple[int, str, str, BaseException | None]:
    result = CliRunner().invoke(main, list(args))
    exc = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.stdout, result.stderr, exc


def clean_error(args: list[str], fragments: list[str]) -> str:
    t0 = time.perf_counter()
    code, out, err, exc = cli(*args)
    assert exc is None, f"crash: {exc!r}"
    assert code == 2, (code, out[-300:], err)
    assert err.startswith("error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert time.perf_counter() - t0 < 10
    return err


# --- specs: (name, spec text, extra CLI args, fragments of the message) ---------------------------

SPEC_CASES = [
    # crashes: arithmetic
    ("zero to a negative power", CONV.replace("OUT", "'0**-1'"), [], ["division by zero"]),
    ("make_divisible by zero", CONV.replace("OUT", "'make_divisible(8, 0)'"), [],
     ["division by zero"]),
    ("modulo zero", CONV.replace("OUT", "'8 % 0'"), [], ["division by zero"]),
    ("5,000-digit literal", CONV.replace("OUT", "1" * 5000), [], ["more than 100 digits"]),
    ("past float range", CONV.replace("OUT", "'1e308*10'"), [], ["more than 80 digits"]),
    ("--set huge", CONV.replace("OUT", "8"), ["--set", "n=((10**64)**64)*(10**64)**4"],
     ["nested powers"]),
    ("--set zero division", CONV.replace("OUT", "8"), ["--set", "n=0**-1"], ["division by zero"]),
    ("huge channels", CONV.replace("OUT", "'10**60'"), [], []),
    # reader edge cases
    ("deep YAML", CONV.replace("OUT", "8") + "doc: " + "[" * 300 + "]" * 300 + "\n", [],
     ["nests deeper than 64"]),
    ("control character", CONV.replace("OUT", "8") + "doc: a\x07b\n", [], ["U+0007"]),
    ("lone surrogate", CONV.replace("OUT", "8") + 'doc: "\\ud800"\n', [], ["surrogate"]),
    ("non-ASCII digit in in:", BASE + "  - {id: s, op: channel_split}\n"
     "  - {op: relu, in: 's.\u00b2'}\n", [], ["in: 's.\u00b2'"]),
    ("NUL in extends", "extends: \"a\\0b.yaml\"\n" + CONV.replace("OUT", "8"), [],
     ["extends must be a file name"]),
    ("long extends", f"extends: {'a' * 5000}.yaml\n" + CONV.replace("OUT", "8"), [],
     ["extends must be a file name"]),
    # depth
    ("500 nested blocks", "spec: 1\ninput: [1, 4, 8, 8]\nblocks:\n"
     + "".join(f"  b{i}: {{layers: [{{op: b{i + 1}}}]}}\n" for i in range(500))
     + "  b500: {layers: [{op: relu}]}\nnetwork:\n  - {op: b0}\n", [],
     ["blocks nest deeper than 64"]),
    # hangs and memory
    ("nested powers", CONV.replace("OUT", "'((((((2**64)**64)**64)**64)**64)**64)'"), [],
     ["nested powers"]),
    ("when: 0 repeated 10^10 times", "spec: 1\ninput: [1, 4, 8, 8]\nblocks:\n"
     "  inner: {layers: [{op: relu, when: 0}]}\n"
     "  outer: {layers: [{op: inner, repeat: 99999}]}\n"
     "network:\n  - {op: outer, repeat: 99999}\n", [], ["more than 200,000 steps"]),
    ("repeat past the layer limit", BASE + "  - {op: relu, repeat: 100001}\n", [],
     ["more than 100,000 layers"]),
    # silent wrong answers
    ("duplicate layer id", BASE + "  - {id: a, op: relu}\n  - {id: a, op: relu}\n", [],
     ["id 'a' is already"]),
    ("symbol and let of one name", CONV.replace("OUT", "8").replace(
        "input:", "let:\n  r: 64\ninput:"), [], ["'r' is both a symbol", "and a let"]),
    ("symbol named madds", CONV.replace("OUT", "8").replace("  r: {default: 8}",
                                                           "  r: {default: 8}\n  madds: 3"),
     [], ["'madds' is the name of a result"]),
    ("pool pad above k/2", BASE + "  - {op: maxpool, k: 3, stride: 2, pad: 2}\n", [],
     ["more than half the window"]),
    ("YAML 1.1 base 60", CONV.replace("OUT", "1:30"), [], ["base-60", "90"]),
    ("name with a newline", CONV.replace("OUT", "8").replace("id: c", 'id: "q\\n"'), [],
     ["not a valid name"]),
    # files and terminal
    ("extends a foreign file", "extends: /etc/passwd\n" + CONV.replace("OUT", "8"), [],
     ["not a spec file name"]),
]


@pytest.mark.parametrize("name,text,args,fragments", SPEC_CASES, ids=[c[0] for c in SPEC_CASES])
def test_hostile_spec(tmp_path: Path, name: str, text: str, args: list[str],
                      fragments: list[str]) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    if name == "huge channels":  # a correct (huge) result, or a clean refusal; never a crash
        code, out, err, exc = cli("profile", str(path))
        assert exc is None and code in (0, 2), (code, err)
        return
    clean_error(["profile", str(path), *args], fragments)


def test_octal_is_read_as_decimal(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(CONV.replace("OUT", "010"))
    assert cost.profile(cost.load(path)).layers[0].out_shape[1] == 10


def test_utf16_and_latin1_files(tmp_path: Path) -> None:
    text = CONV.replace("OUT", "8")
    (tmp_path / "u16.yaml").write_bytes(text.encode("utf-16"))
    (tmp_path / "l1.yaml").write_bytes(text.encode() + "doc: caf\u00e9\n".encode("latin-1"))
    clean_error(["profile", str(tmp_path / "u16.yaml")], ["UTF-16"])
    clean_error(["profile", str(tmp_path / "l1.yaml")], ["not UTF-8"])


def test_extends_does_not_echo_a_foreign_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("password-line-one\npassword-line-two\n")
    path = tmp_path / "spec.yaml"
    path.write_text("extends: secret.yaml\n" + CONV.replace("OUT", "8"))
    err = clean_error(["profile", str(path)], ["not a spec"])
    assert "password" not in err


def test_lets_in_reverse_order(tmp_path: Path) -> None:
    lets = "".join(f"  a{i}: a{i + 1} + 1\n" for i in range(1200)) + "  a1200: 1\n"
    path = tmp_path / "spec.yaml"
    path.write_text(CONV.replace("OUT", "a0").replace("input:", f"let:\n{lets}input:"))
    assert cost.profile(cost.load(path)).layers[0].out_shape[1] == 1201


def test_deep_let_chain_solves(tmp_path: Path) -> None:
    lets = "".join(f"  a{i}: a{i + 1} + 1\n" for i in range(40)) + "  a40: 2*r\n"
    path = tmp_path / "spec.yaml"
    path.write_text(CONV.replace("OUT", "a0").replace("input:", f"let:\n{lets}input:"))
    code, out, err, exc = cli("solve", str(path), "--for", "r", "--target", "params=400")
    assert exc is None and code == 0, err
    assert "still depends" not in err


def test_sympy_giving_up_is_a_pending_constraint(tmp_path: Path) -> None:
    # fuzz case 5341: two lines of squeezenet_v1_0_bypass_simple swapped; sympy's simplify
    # raised PrecisionExhausted comparing nested ceilings at an add
    original = (ROOT / "cost/specs/squeezenet_v1_0_bypass_simple.yaml").read_text()
    lines = original.split("\n")
    i = next(k for k, line in enumerate(lines) if "id: conv1," in line)
    j = next(k for k, line in enumerate(lines) if "id: fire6," in line)
    lines[i], lines[j] = lines[j], lines[i]
    text = "\n".join(lines).replace("extends: squeezenet_v1_0.yaml",
                                    f"extends: {ROOT / 'cost/specs/squeezenet_v1_0.yaml'}")
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    code, out, err, exc = cli("profile", str(path), "--symbolic")
    assert exc is None and code in (0, 2), err


def test_control_characters_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(CONV.replace("OUT", "8").replace("name: tiny", 'name: "x\\e[31mred"'))
    code, out, err, exc = cli("profile", str(path))
    assert code == 0 and exc is None
    assert "\x1b" not in out and "\\x1b[31mred" in out


@pytest.mark.parametrize("args", [
    ["profile", "shufflenet_g3", "extra\x1b]0;title\x07"],  # click prints it raw: a title
    ["profile", "shufflenet_g3", "\u202eextra"],  # a bidi override, raw in click's message
    ["sweep", "shufflenet_v1", "--workers", "\x1b[2Jx"],  # click quotes this one itself
])
def test_click_usage_errors_are_escaped_too(args: list[str]) -> None:
    code, out, err, exc = cli(*args)
    assert exc is None and code == 2
    assert "Error:" in err and "Usage:" in err  # click's message and usage, unchanged
    assert not any(c in err for c in "\x1b\x07\u202e"), err
    assert "\\x1b" in err or "\\u202e" in err


# --- the command line ----------------------------------------------------------------------------

CLI_CASES = [
    ("--seed -1", ["check", "shufflenet_g3", "--seed", "-1"], ["-1"]),
    ("--batch 100000", ["check", "shufflenet_g3", "--batch", "100000"], ["GiB", "the limit is"]),
    ("--grid 10M values", ["sweep", "shufflenet_v1", "--grid", "n=1:10000000:1"],
     ["10,000,000 values; the limit is 1,000,000"]),
    ("--grid zero division", ["sweep", "shufflenet_v1", "--grid", "n=1,0**-1"],
     ["division by zero"]),
    ("--where zero division", ["sweep", "shufflenet_v1", "--grid", "g=1,2",
                               "--where", "make_divisible(n,0) > 0"], ["division by zero"]),
    ("--where no internal names", ["sweep", "shufflenet_v1", "--grid", "g=1,2",
                                   "--where", "madds"], ["madds"]),
    ("--target zero division", ["solve", "shufflenet_v1", "--for", "c", "--target",
                                "madds=0**-1"], ["division by zero"]),
    ("--step zero division", ["solve", "shufflenet_v1", "--for", "s", "--target",
                              "madds=140e6", "--step", "1/0"], ["division by zero"]),
    ("solve out of reach", ["solve", "shufflenet_v1", "--for", "g", "--target", "madds=1e15"],
     ["no crossing among the first 16,384"]),
]


@pytest.mark.parametrize("name,args,fragments", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_hostile_cli(name: str, args: list[str], fragments: list[str]) -> None:
    code, out, err, exc = cli(*args)
    assert exc is None, f"crash: {exc!r}"
    assert code == 2, (code, err)
    assert "Traceback" not in err
    assert "_madds" not in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"


def test_layer_limit_is_reached_fast(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(BASE + "  - {op: relu, repeat: 99999}\n")
    t0 = time.process_time()
    code, out, err, exc = cli("profile", str(path))
    assert exc is None and code == 0, err
    assert time.process_time() - t0 < 15  # ~3-4 s of CPU on a quiet machine (issue: < 5 s)


# --- the Python API ------------------------------------------------------------------------------


def test_subs_checks_values_as_load_does() -> None:
    p = cost.profile(cost.load("shufflenet_v1", keep=("n", "classes", "r")))
    for bad in ({"n": -1, "classes": -5}, {"n": 0.5}, {"r": 100}, {"n": 10**20}):
        with pytest.raises(cost.CostError):
            p.subs(**bad)
        with pytest.raises(cost.CostError):
            cost.profile(cost.load("shufflenet_v1", **bad))
    assert p.subs(n=1, classes=1000, r=224).total.madds == \
        cost.profile(cost.load("shufflenet_v1")).total.madds


@pytest.mark.parametrize("grid", [{"g": []}, {"g": [float("nan")]}, {"g": [1, 1]}, {}])
def test_sweep_api_values(grid: dict) -> None:
    from cost.design.sweep import sweep

    with pytest.raises(cost.CostError):
        sweep(cost.load("shufflenet_v1"), grid)


@pytest.mark.parametrize("path", [123, None, "a\0b.yaml", "x" * 5000])
def test_load_bad_paths(path: object) -> None:
    with pytest.raises(cost.CostError):
        cost.load(path)


def test_forward_negative_seed() -> None:
    with pytest.raises(cost.CostError):
        cost.forward("shufflenet_g3", seed=-1)


# --- output files --------------------------------------------------------------------------------

FEW = "shufflenet_v1"


def frontier(tmp_path: Path, *extra: str) -> tuple[int, str, BaseException | None]:
    code, out, err, exc = cli("frontier", "--families", FEW, *extra)
    return code, err, exc


def test_frontier_missing_directory_writes_nothing(tmp_path: Path) -> None:
    csv = tmp_path / "rows.csv"
    code, err, exc = frontier(tmp_path, "--out", str(tmp_path / "nowhere" / "f.png"),
                              "--csv", str(csv))
    assert exc is None and code == 2 and "does not exist" in err
    assert not csv.exists()


def test_frontier_never_overwrites_a_foreign_file(tmp_path: Path) -> None:
    mine = tmp_path / "f.png"
    mine.write_text("my notes")
    code, err, exc = frontier(tmp_path, "--out", str(mine))
    assert exc is None and code == 2 and "not written by cost" in err
    assert mine.read_text() == "my notes"
    code, err, exc = frontier(tmp_path, "--out", str(mine), "--force")
    assert code == 0 and mine.read_bytes().startswith(b"\x89PNG")
    code, err, exc = frontier(tmp_path, "--out", str(mine))  # cost wrote it: replaced
    assert code == 0, err


def test_frontier_does_not_follow_links(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "f.png"
    link.symlink_to(victim)
    code, err, exc = frontier(tmp_path, "--out", str(link))
    assert exc is None and code == 2 and "symbolic link" in err
    assert victim.read_text() == "keep me"


def test_frontier_csv_extension(tmp_path: Path) -> None:
    code, err, exc = frontier(tmp_path, "--out", str(tmp_path / "f.png"),
                              "--csv", str(tmp_path / "rows.txt"))
    assert exc is None and code == 2 and ".csv" in err


SWEEP = ["sweep", "shufflenet_v1", "--grid", "g=1,2"]


def test_report_keeps_a_directory_named_like_a_report_file(tmp_path: Path) -> None:
    report = tmp_path / "R"
    (report / "index.html").mkdir(parents=True)
    (report / "index.html" / "precious.txt").write_text("keep")
    code, out, err, exc = cli(*SWEEP, "--report", str(report))
    assert exc is None and code == 2 and "other files" in err
    assert (report / "index.html" / "precious.txt").read_text() == "keep"


def test_report_refuses_links_and_bad_places(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    code, out, err, exc = cli(*SWEEP, "--report", str(link))
    assert exc is None and code == 2 and "symbolic link" in err
    a_file = tmp_path / "file"
    a_file.write_text("x")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "missing")
    for place in (a_file / "R", dangling, tmp_path / ("n" * 300)):
        code, out, err, exc = cli(*SWEEP, "--report", str(place))
        assert exc is None and code == 2, (place, err)
        assert ".tmp" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "file", "link", "real"]


def test_report_dot_does_not_name_its_temporary_directory(tmp_path: Path) -> None:
    (tmp_path / "other.txt").write_text("x")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, out, err, exc = cli(*SWEEP, "--report", ".")
    finally:
        os.chdir(cwd)
    assert exc is None and code == 2 and ".tmp" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.txt"]


def test_report_rewrites_its_own(tmp_path: Path) -> None:
    report = tmp_path / "R"
    for _ in range(2):
        code, out, err, exc = cli(*SWEEP, "--report", str(report))
        assert exc is None and code == 0, err
    assert sorted(p.name for p in report.iterdir()) == ["index.html", "summary.md", "sweep.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R"]


# --- the fuzz test -------------------------------------------------------------------------------


def _fuzzer():  # the module benchmarks/fuzz_specs.py
    spec = importlib.util.spec_from_file_location("fuzz_specs", ROOT / "benchmarks" /
                                                  "fuzz_specs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _TimeoutError(Exception):
    pass


def _alarm(signum, frame):  # a signal handler: both arguments unused
    raise _TimeoutError


FUZZ = _fuzzer()
FILES = FUZZ.spec_files()
PER_SPEC = int(os.environ.get("COST_FUZZ_PER_SPEC", "12"))  # 28 specs x 12 in ~20 s


@pytest.mark.parametrize("original", FILES, ids=[str(p.relative_to(FUZZ.SPECS)) for p in FILES])
def test_fuzz_bundled_spec(original: Path) -> None:
    """Seeded mutants of each bundled spec: exit 0 or 2, only cost's errors, none over 10 s."""
    workspace = FUZZ.Workspace()
    index0 = FILES.index(original)
    previous = signal.signal(signal.SIGPROF, _alarm)  # CPU time: fair on a loaded machine
    try:
        for k in range(PER_SPEC):
            index = index0 + k * len(FILES)  # case(i) mutates FILES[i % len(FILES)]
            source, text, extra = FUZZ.case(2017, index, FILES)
            assert source == original
            path = workspace.write(source, text)
            signal.setitimer(signal.ITIMER_PROF, 10)
            try:
                outcome, detail = FUZZ.run_cli(path, extra)
            except _TimeoutError:  # raised outside the command
                outcome, detail = "hang", ""
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
            assert outcome != "hang" and "_TimeoutError" not in detail, \
                f"case {index} ({extra}) took over 10 s of CPU:\n{text}"
            assert outcome in ("ok", "clean"), f"case {index} ({extra}): {detail}\n{text}"
    finally:
        signal.signal(signal.SIGPROF, previous)
        workspace.close()

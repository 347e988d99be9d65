"""docs/specs.md runs: every YAML example is a spec that loads, every `$ cost ...` command prints
what the guide shows, and every `expect` entry in it holds.

YAML blocks start with `# file: NAME.yaml` and are all written to one scratch directory before
any command runs (a later file may `extends:` an earlier one). Console blocks hold one or more
`$ cost ...` commands, each followed by the output the guide shows, compared as
tests/test_golden.py compares README (a line `...` stands for any number of lines, a line ending
in `...` for a line starting with what precedes it). A command whose shown output starts with
`error:` must fail; every other command must succeed.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_golden import align, blocks

import cost
from cost.cli.main import main
from cost.papers.expectations import check
from cost.spec.parse import read_spec

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "specs.md"
FILE_TAG = "# file: "


def fenced(text: str) -> list[tuple[str, list[str]]]:
    """(info string, lines) of every fenced block."""
    infos = [line[3:].strip() for line in text.splitlines() if line.startswith("```")][0::2]
    return [(info, list(b.lines)) for info, b in zip(infos, blocks(text), strict=True)]


def yaml_files(text: str) -> dict[str, str]:
    files = {}
    for info, lines in fenced(text):
        if info == "yaml":
            assert lines and lines[0].startswith(FILE_TAG), f"YAML block without {FILE_TAG!r}"
            name = lines[0].removeprefix(FILE_TAG).strip()
            assert name not in files, f"two blocks write {name}"
            files[name] = "\n".join(lines) + "\n"
    return files


def commands(text: str) -> list[tuple[str, list[str]]]:
    """(command, shown output) for every `$ cost ...` line of the console blocks."""
    out: list[tuple[str, list[str]]] = []
    for info, lines in fenced(text):
        if info != "console":
            continue
        for line in lines:
            if line.startswith("$ "):
                assert line.startswith("$ cost "), line
                out.append((line[2:], []))
            else:
                out[-1][1].append(line)
    return out


TEXT = GUIDE.read_text(encoding="utf-8")
FILES = yaml_files(TEXT)
COMMANDS = commands(TEXT)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("guide")
    for name, body in FILES.items():
        (d / name).write_text(body, encoding="utf-8")
    return d


def test_the_guide_has_examples() -> None:
    assert {"stem.yaml", "resnet18_mine.yaml", "mobile_se.yaml", "resnet18_wide.yaml"} <= set(FILES)
    assert len(COMMANDS) >= 15
    assert sum(1 for _, shown in COMMANDS if shown and shown[0].startswith("error:")) >= 8


@pytest.mark.parametrize("command,shown", COMMANDS, ids=[c for c, _ in COMMANDS])
def test_command_prints_what_the_guide_shows(workdir: Path, command: str, shown: list[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workdir)
    result = CliRunner().invoke(main, shlex.split(command)[1:])
    printed = result.output.rstrip("\n").splitlines()
    fails = bool(shown) and shown[0].startswith("error:")
    assert (result.exit_code != 0) == fails, (result.exit_code, result.output)
    assert align(shown, printed) is not None, (
        f"$ {command}\n--- the guide shows:\n" + "\n".join(shown)
        + "\n--- cost prints:\n" + "\n".join(printed))


@pytest.mark.parametrize("name", [n for n in FILES if not n.startswith("err_")])
def test_example_specs_profile_and_meet_their_expectations(workdir: Path, name: str) -> None:
    spec = read_spec(workdir / name)
    for preset in [None, *spec.presets]:
        total = cost.profile(spec.with_bindings(preset=preset)).total
        assert total.madds > 0 and total.params > 0
    for result in check(spec):
        assert result.ok, str(result)


def test_every_error_example_is_shown_failing() -> None:
    errors = {n for n in FILES if n.startswith("err_")}
    run = {word for c, _ in COMMANDS for word in shlex.split(c) if word.endswith(".yaml")}
    assert errors <= run, f"error examples never run: {errors - run}"


def test_the_guide_example_is_the_bundled_resnet18(workdir: Path) -> None:
    mine = cost.profile(read_spec(workdir / "resnet18_mine.yaml")).total
    bundled = cost.profile(cost.load(ROOT / "specs" / "resnet18.yaml")).total
    assert (mine.madds, mine.params) == (bundled.madds, bundled.params)

"""README's examples are what `cost` prints, and its command synopsis names the real options.

Every fenced block of README.md that starts with `$ cost ...` is run (in-process, from the
repository root) and compared line by line with what it shows, where README may elide:

- a line that is only `...` stands for any number of lines (none included);
- a line ending in `...` stands for a line that starts with the text before the `...`.

Every other line must be equal, so a number that changes fails the test. To take the new output
into README (keeping its elisions where the layout still fits them):

    COST_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

then review the diff of README.md. The `## Command line` synopsis is checked against the click
commands: every command, option, argument and listed choice, and nothing else.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cost.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
UPDATE = os.environ.get("COST_UPDATE_GOLDEN") == "1"
ELIDED = "..."
HINT = "COST_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py rewrites README's blocks"


# --- README's blocks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A fenced block of README: its lines (fences excluded) and where they start (0-based)."""

    start: int
    lines: tuple[str, ...]

    @property
    def command(self) -> str:
        return self.lines[0].removeprefix("$ ")


def blocks(text: str) -> list[Block]:
    out, inside, start = [], None, 0
    for n, line in enumerate(text.splitlines()):
        if line.startswith("```"):
            if inside is None:
                inside, start = [], n + 1
            else:
                out.append(Block(start, tuple(inside)))
                inside = None
        elif inside is not None:
            inside.append(line)
    return out


def examples(text: str) -> list[Block]:
    return [b for b in blocks(text) if b.lines and b.lines[0].startswith("$ cost ")]


def synopsis(text: str) -> Block:
    after = text.split("\n## Command line\n", 1)
    assert len(after) == 2, "README has no '## Command line' section"
    offset = after[0].count("\n") + 2
    return next(Block(b.start + offset, b.lines) for b in blocks(after[1]))


# --- comparing with elisions ---------------------------------------------------------------------


def matches(shown: str, printed: str) -> bool:
    """One README line against one printed line: equal, or a prefix followed by `...`."""
    if shown != ELIDED and shown.endswith(ELIDED):
        return printed.startswith(shown[: -len(ELIDED)])
    return shown.rstrip() == printed.rstrip()


def align(shown: list[str], printed: list[str],
          same: Callable[[str, str], bool] = matches) -> list[tuple[int, int]] | None:
    """For each README line, the slice of printed lines it stands for; None if they differ.

    A `...` line takes as few lines as it can; everything printed must be accounted for.
    """
    @functools.cache
    def go(i: int, j: int) -> tuple[tuple[int, int], ...] | None:
        if i == len(shown):
            return () if j == len(printed) else None
        if shown[i] == ELIDED:
            for k in range(j, len(printed) + 1):
                rest = go(i + 1, k)
                if rest is not None:
                    return ((j, k), *rest)
            return None
        if j < len(printed) and same(shown[i], printed[j]):
            rest = go(i + 1, j + 1)
            return None if rest is None else ((j, j + 1), *rest)
        return None

    found = go(0, 0)
    return None if found is None else list(found)


def skeleton(line: str) -> str:
    """The layout of a line without its numbers (and column widths): how updates re-align."""
    line = re.sub(r"\d+(?:[.,]\d+)*[KMGT]?", "#", line)  # 8.13M, 1,864,728, 0.0
    return re.sub(r"-+", "-", re.sub(r"\s+", " ", line)).strip()


def same_layout(shown: str, printed: str) -> bool:
    if shown != ELIDED and shown.endswith(ELIDED):
        return skeleton(printed).startswith(skeleton(shown[: -len(ELIDED)]))
    return skeleton(shown) == skeleton(printed)


def updated(shown: list[str], printed: list[str]) -> list[str]:
    """README's lines rewritten from the printed ones, keeping its elisions where the layout
    (numbers aside) still lines up; otherwise the whole output."""
    slices = align(shown, printed, same_layout)
    if slices is None:
        return printed
    out = []
    for line, (j, k) in zip(shown, slices, strict=True):
        if line == ELIDED:
            out.append(ELIDED)
        elif line.endswith(ELIDED):
            out.append(printed[j][: len(line) - len(ELIDED)] + ELIDED)
        else:
            out.append(printed[j])
        assert line == ELIDED or k == j + 1
    return out


def run(command: str) -> list[str]:
    args = shlex.split(command)
    assert args[0] == "cost", command
    result = CliRunner().invoke(main, args[1:], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout.rstrip("\n").split("\n")


# --- the examples --------------------------------------------------------------------------------

EXAMPLES = examples(README.read_text(encoding="utf-8"))


def test_readme_shows_the_worked_examples() -> None:
    commands = [b.command for b in EXAMPLES]
    assert "cost profile specs/shufflenet_g3.yaml --depth 1" in commands
    assert "cost profile specs/shufflenet_g3.yaml --keep r" in commands


@pytest.mark.parametrize("block", EXAMPLES, ids=[b.command for b in EXAMPLES])
def test_readme_example_is_what_cost_prints(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # README's paths are relative to the repository
    printed = run(block.command)
    text = README.read_text(encoding="utf-8")
    current = next(b for b in examples(text) if b.command == block.command)
    shown = list(current.lines[1:])
    if align(shown, printed) is not None:
        return
    if UPDATE:
        lines = text.split("\n")
        start = current.start + 1
        lines[start:start + len(shown)] = updated(shown, printed)
        README.write_text("\n".join(lines), encoding="utf-8")
        return
    expected = updated(shown, printed)  # elisions kept where they fit: only real changes show
    diff = "\n".join(difflib.unified_diff(shown, expected, "README.md", block.command,
                                          lineterm=""))
    pytest.fail(f"README.md:{current.start + 1}: `{block.command}` prints otherwise "
                f"(`...` elides):\n{diff}\n{HINT}")


def test_a_changed_number_fails_and_elisions_hold() -> None:
    printed = ["total madds:  137,460,672 (137M)", "total params: 1,864,728 (1.86M)",
               "convention: madds = multiply-adds of conv + linear (papers' FLOPs)"]
    assert align(["total madds:  137,460,672 (137M)", ELIDED, "convention: madds = ..."],
                 printed)
    assert align([ELIDED], printed) and align([*printed, ELIDED], printed)
    assert not align(["total madds:  137,460,673 (137M)", ELIDED], printed)
    assert not align(["total madds:  137,460,672 (137M)"], printed)  # lines left over
    assert not align([*printed[:2], "convention: madds = multiply-adds of conv + lineal ..."],
                     printed)
    assert updated(["total madds:  1 (1)", ELIDED, "convention: madds = ..."], printed) == \
        [printed[0], ELIDED, "convention: madds = ..."]
    assert updated(["something else"], printed) == printed


# --- the synopsis --------------------------------------------------------------------------------


def entries(block: Block) -> dict[str, str]:
    """Command name -> its synopsis text (continuation lines and a second form joined)."""
    out: dict[str, str] = {}
    name = None
    for line in block.lines:
        if line.startswith("cost "):
            name = line.split()[1]
            out[name] = (out[name] + " " + line) if name in out else line
        else:
            assert name is not None and line[:1].isspace(), f"README synopsis: {line!r}"
            out[name] += " " + line.strip()
    return out


def test_synopsis_names_every_command() -> None:
    shown = entries(synopsis(README.read_text(encoding="utf-8")))
    with click.Context(main) as ctx:
        assert sorted(shown) == main.list_commands(ctx)


def command_params(name: str) -> tuple[list[click.Option], list[click.Argument]]:
    with click.Context(main) as ctx:
        command = main.get_command(ctx, name)
    assert command is not None, name
    options = [p for p in command.params if isinstance(p, click.Option)]
    return options, [p for p in command.params if isinstance(p, click.Argument)]


SYNOPSIS = entries(synopsis(README.read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(SYNOPSIS))
def test_synopsis_matches_the_options(name: str) -> None:
    from cost.conventions import CONVENTIONS

    text = SYNOPSIS[name]
    options, arguments = command_params(name)
    real = {opt: p for p in options for opt in p.opts}
    named = re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text)
    assert sorted(set(named) - set(real)) == [], f"{name}: README names options it lacks"
    missing = [p.opts[0] for p in options if not set(p.opts) & set(named)]
    assert missing == [], f"{name}: README's synopsis leaves out {missing}"
    for p in options:
        if p.required:
            assert not re.search(rf"\[{re.escape(p.opts[0])}\b", text), \
                f"{name}: {p.opts[0]} is required, not [optional]"
    for opt, listed in re.findall(r"(--[a-z][a-z0-9-]*) ([\w]+(?:[|,][\w]+)+)", text):
        values = re.split(r"[|,]", listed)
        if isinstance(real[opt].type, click.Choice):
            assert values == list(real[opt].type.choices), f"{name} {opt}"
        else:
            assert opt in ("--convention", "--conventions"), f"{name} {opt}: not a choice"
            assert values == list(CONVENTIONS), f"{name} {opt}"
    for arg in arguments:  # SPEC, or SPEC... for any number of `specs`
        shown = arg.name.upper().removesuffix("S") + "..." if arg.nargs == -1 else arg.name.upper()
        assert re.search(rf"(?<![\w-]){re.escape(shown)}(?![\w])", text), f"{name}: {shown}"

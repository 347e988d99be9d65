"""The command line run in process, as the message and output tests call it, and the two
ShuffleNet v1 specs they read."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cost.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
G3 = str(ROOT / "specs" / "shufflenet_g3.yaml")
V1 = str(ROOT / "specs" / "shufflenet_v1.yaml")


def run(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `cost ARGS...`."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr

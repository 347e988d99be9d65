"""The specs that ship with the package (`cost/specs/`, shown as `specs/` in the repository),
found by path or by name: `cost profile shufflenet_g3` is `cost profile specs/shufflenet_g3.yaml`.

A path that exists is always taken as given; a bare name (with or without `.yaml`, with a
subfolder such as `units/resnet`) is looked up among the bundled specs only when no such file
exists, so a user's own file of the same name wins.

>>> resolve("shufflenet_g3").name
'shufflenet_g3.yaml'
>>> "units/resnet" in names()
True
"""

from __future__ import annotations

from pathlib import Path

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"


def names() -> list[str]:
    """Every bundled spec by name: `shufflenet_g3`, `units/resnet`, ..."""
    return sorted(p.relative_to(SPECS_DIR).with_suffix("").as_posix()
                  for p in SPECS_DIR.rglob("*.yaml"))


def resolve(path: str | Path) -> Path:
    """`path` itself if it exists (or looks like a path that does not), else the bundled spec
    of that name; a name that matches nothing is returned unchanged for the reader to report."""
    given = Path(path)
    if given.exists() or given.is_absolute():
        return given
    text = given.as_posix()
    for candidate in (text, text.removeprefix("specs/")):
        bundled = SPECS_DIR / candidate
        for p in (bundled, bundled.with_name(bundled.name + ".yaml")):
            if p.is_file():
                return p
    return given

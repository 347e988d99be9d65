"""Every bundled spec loads, profiles at its defaults and at each preset, and reproduces the
numbers its `expect:` entries state (each with its source)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cost
from cost.papers.expectations import check
from cost.spec.parse import read_spec

SPECS = sorted(Path(__file__).resolve().parent.parent.joinpath("specs").rglob("*.yaml"))
EXPECTATIONS = [(path, i) for path in SPECS for i in range(len(read_spec(path).expect))]


def spec_id(path: Path) -> str:
    """`units/resnet`, not `resnet`, so that -k resnet50 does not also select the unit."""
    root = Path(__file__).resolve().parent.parent / "specs"
    return path.relative_to(root).with_suffix("").as_posix()


@pytest.mark.parametrize("path", SPECS, ids=[spec_id(p) for p in SPECS])
def test_spec_profiles_at_defaults_and_presets(path: Path) -> None:
    spec = read_spec(path)
    for preset in [None, *spec.presets]:
        p = cost.profile(spec.with_bindings(preset=preset))
        assert p.total.madds > 0 and p.total.params > 0
        assert not p.symbolic and not p.constraints


@pytest.mark.parametrize("path,index", EXPECTATIONS,
                         ids=[f"{spec_id(p)}[{i}]" for p, i in EXPECTATIONS])
def test_expectation_holds(path: Path, index: int) -> None:
    spec = read_spec(path)
    one = spec.__class__(**{**spec.__dict__, "expect": (spec.expect[index],)})
    for result in check(one):
        assert result.ok, str(result)


def test_every_expectation_names_its_source() -> None:
    for path in SPECS:
        for e in read_spec(path).expect:
            assert e.source.strip(), f"{path}:{e.at.line}: expect entry without source"

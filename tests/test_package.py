"""The package a user installs works away from the checkout: a wheel built from the sources,
installed in a fresh virtual environment, runs `cost zoo`, `cost frontier`, the guideline
experiments and `cost profile` on a bundled spec by name and by path, from another directory.

The fresh environment gets the wheel alone (`--no-deps`) and borrows the dependencies of the
test environment through a `.pth` line placed after its own site-packages, so the check takes
seconds and needs no download beyond the build backend; the `cost` it imports is the wheel's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str | Path, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ directory of a fresh venv with the wheel installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    tracked = run("git", "ls-files", "-z", cwd=ROOT).stdout.split("\0")
    source = tmp / "source"
    for name in filter(None, tracked):  # the sources as committed, no build output
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        path = ROOT / name
        if path.is_symlink():
            target.symlink_to(path.readlink())
        elif path.is_file():
            shutil.copy2(path, target)
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist",
                source, cwd=tmp)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp / "dist").glob("cost-*.whl")
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
               cwd=tmp).stdout.strip()
    (Path(site) / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q",
               wheel, cwd=tmp)
    assert done.returncode == 0, done.stderr[-3000:]
    return env_dir / "bin"


def test_the_wheel_ships_the_specs_and_data(installed: Path, tmp_path: Path) -> None:
    where = run(installed / "python", "-c", "import cost; print(cost.__file__)", cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    package = Path(where.stdout.strip()).parent
    assert ROOT not in package.parents  # the wheel's copy, not the checkout
    shipped = {p.relative_to(package / "specs").as_posix()
               for p in (package / "specs").rglob("*.yaml")}
    assert shipped == {p.relative_to(ROOT / "specs").as_posix()
                       for p in (ROOT / "specs").rglob("*.yaml")}
    assert (package / "papers" / "data" / "reported.csv").is_file()


@pytest.mark.parametrize("spec", ["shufflenet_g3", "shufflenet_g3.yaml",
                                  "specs/shufflenet_g3.yaml"])
def test_profile_a_bundled_spec_by_name_and_by_path(installed: Path, tmp_path: Path,
                                                    spec: str) -> None:
    result = run(installed / "cost", "profile", spec, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # Table 1 (g = 3, 1x): 137,460,672 madds, as the tests of the checkout find
    assert '"madds": 137460672' in result.stdout


@pytest.mark.parametrize("args", [["zoo"], ["guidelines", "--experiments"],
                                  ["frontier", "--out", "figure.png", "--csv", "points.csv"]])
def test_commands_that_read_bundled_files(installed: Path, tmp_path: Path,
                                          args: list[str]) -> None:
    result = run(installed / "cost", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() or (tmp_path / "figure.png").stat().st_size > 10_000

"""Writing output files safely: the one place every command that writes a file goes through.

* Everything is rendered in memory first; `write_files` checks every target before it writes
  any, so a failing figure leaves no CSV behind (nothing half-written).
* Each file is written to a new temporary file in the same directory (`O_EXCL | O_NOFOLLOW`)
  and renamed over the target: a reader sees the old file or the new one, never a part.
* A symbolic link is never written through: the target path is refused (or, with `force`, the
  link itself is replaced by the new file; what it pointed to is left alone).
* An existing file is replaced only if `cost` wrote it (figures carry `MARK` in their metadata,
  CSVs start with the header cost writes), or with `force`.
* OS failures (a missing or unwritable directory, a name too long, a file where a directory
  should be) are `OutputError`s naming the path and the reason, never tracebacks.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cost.errors import SpecError

MARK = "cost-profiler"  # in the metadata of every figure cost writes (Software / Creator)
MAX_SNIFF = 64 * 2**20  # bytes read to recognise a file cost wrote


class OutputError(SpecError):
    """An output file cannot be written as asked."""


@dataclass(frozen=True)
class Output:
    """A file to write: where, what, the option that named it, how to recognise cost's own."""

    path: str
    data: bytes
    option: str  # "--out", "--csv": named in messages
    ours: Callable[[Path], bool]  # True if the existing file is one cost wrote


def has_mark(path: Path) -> bool:
    """True if the file carries `MARK` (the figures cost writes do)."""
    try:
        with open(path, "rb") as f:
            return MARK.encode() in f.read(MAX_SNIFF)
    except OSError:
        return False


def starts_with(first_line: bytes) -> Callable[[Path], bool]:
    """A test for files that begin with `first_line` (the header of a CSV cost writes)."""
    def ours(path: Path) -> bool:
        try:
            with open(path, "rb") as f:
                return f.read(len(first_line)) == first_line
        except OSError:
            return False
    return ours


def check_target(path: str, option: str, ours: Callable[[Path], bool], *,
                 force: bool = False) -> Path:
    """The path to write, after every check that can be made before writing (see module doc)."""
    if not path or "\0" in path or len(path) > 4096:
        raise OutputError(f"{option}: not a usable file name")
    target = Path(path)
    where = f"{option} {path}"
    try:
        parent = target.parent if str(target.parent) else Path(".")
        if target.name in ("", ".", ".."):
            raise OutputError(f"{where}: names a directory, not a file")
        if not parent.is_dir():
            raise OutputError(f"{where}: the directory {parent} does not exist",
                              hint="create it first")
        if target.is_symlink():
            if not force:
                raise OutputError(f"{where}: is a symbolic link; cost does not write through "
                                  "links", hint="name the file itself, or --force to replace "
                                  "the link (not what it points to)")
            return target
        if target.exists():
            if not target.is_file():
                raise OutputError(f"{where}: exists and is not a regular file")
            if not force and not ours(target):
                raise OutputError(f"{where}: exists and was not written by cost",
                                  hint="choose another name, or --force to replace it")
        if len(target.name.encode()) > 255 - 24:  # room for the temporary file's name
            raise OutputError(f"{where}: the file name is too long")
    except OSError as e:
        raise OutputError(f"{where}: {e.strerror or 'cannot be written'}") from None
    return target


def write_atomic(target: Path, data: bytes, option: str) -> None:
    """Write `data` to a new temporary file next to `target`, then rename it into place."""
    tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(tmp, flags, 0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)  # replaces a link itself, never what it points to
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as e:
        raise OutputError(f"{option} {target}: cannot write: "
                          f"{e.strerror or type(e).__name__}") from None


def write_files(outputs: Sequence[Output], *, force: bool = False) -> list[Path]:
    """Check every target, then write each atomically (nothing is written if a check fails)."""
    targets = [check_target(o.path, o.option, o.ours, force=force) for o in outputs]
    resolved = [os.path.abspath(t) for t in targets]
    if len(set(resolved)) != len(resolved):
        raise OutputError("two outputs name the same file: " + ", ".join(o.path for o in outputs))
    for target, o in zip(targets, outputs, strict=True):
        write_atomic(target, o.data, o.option)
    return targets

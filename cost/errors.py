"""Errors a user can fix: bad specs, bad bindings, shapes that do not fit.

Inner code raises short, specific errors (what is wrong, the bad value, what is allowed); the
boundary that knows *where* (file, line, layer path) adds that context once with `locate`, the way
einops does. The CLI prints `str(error)` and exits with code 2, without a traceback.

>>> str(SpecError("unknown op 'convv'", hint="did you mean 'conv'?").locate(
...     file="specs/x.yaml", line=12, where="network[2] (stage2)"))
"specs/x.yaml:12: network[2] (stage2): unknown op 'convv'\\n  hint: did you mean 'conv'?"
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class CostError(Exception):
    """Base class of every error caused by the user's input (exit code 2 in the CLI)."""


class SpecError(CostError):
    """Something in a spec, a binding or an expression is wrong; carries where it happened."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        where: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.where = where
        self.hint = hint

    def locate(
        self, *, file: str | None = None, line: int | None = None, where: str | None = None
    ) -> SpecError:
        """Fill in location fields that are still unknown (the innermost location wins)."""
        if self.file is None:
            self.file = file
        if self.line is None:
            self.line = line
        if self.where is None:
            self.where = where
        return self

    def __str__(self) -> str:
        head = ""
        if self.file:
            head = self.file + (f":{self.line}" if self.line else "") + ": "
        if self.where:
            head += f"{self.where}: "
        text = head + self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ExprError(SpecError):
    """An expression string is malformed, unsafe, or names something unknown."""


class UnknownOpError(SpecError):
    """An `op:` names neither a registered op nor a block of the spec."""


class ShapeError(SpecError):
    """A shape rule or constraint fails: groups not dividing channels, mismatched adds, ..."""


class BindingError(SpecError):
    """A binding names an unknown symbol or gives a value outside what is allowed."""


class OptionError(SpecError):
    """A command-line option's value is not one the command allows (--sort, --family, ...)."""


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """Suggest the closest known names, then list all of them.

    >>> did_you_mean("chanel_shuffle", ["channel_shuffle", "conv"])
    "did you mean 'channel_shuffle'? known: channel_shuffle, conv"
    >>> did_you_mean("G", ["g", "s"])
    "did you mean 'g'? known: g, s"
    """
    known = sorted(set(known))
    same_letters = [k for k in known if k.lower() == name.lower() and k != name]
    close = same_letters or difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    listing = "known: " + ", ".join(known) if known else "nothing is defined"
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "? " + listing
    return listing

"""The `cost` command line. Every command renders only after all computing is done, so an error
prints one message (file, line, layer path, bad value, what is allowed) and exits with code 2,
without a traceback and without half an output.

    cost profile specs/shufflenet_g3.yaml
    cost profile specs/shufflenet_v1.yaml --set g=8 --format json
    cost profile specs/shufflenet_v1.yaml --symbolic --keep s,r
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from typing import Any

import click

from cost.errors import CostError

FORMATS = ("table", "markdown", "csv", "json")
# control characters (but tab and newline), lone surrogates and bidirectional overrides: a spec's
# text (a name, an id) must not move the cursor, recolour the terminal or reorder what is shown
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e"
                          "\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with every unprintable character shown as an escape (\\x1b, \\u202e)."""
    return _UNPRINTABLE.sub(lambda m: (f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100
                                       else f"\\u{ord(m[0]):04x}"), text)


def echo(text: str = "", *, err: bool = False) -> None:
    """The one way the CLI prints: everything goes through `printable` first."""
    click.echo(printable(str(text)), err=err)


def user_errors(f: Callable) -> Callable:
    """Turn CostError into one line on stderr and exit code 2."""

    @functools.wraps(f)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except CostError as e:
            echo(f"error: {e}", err=True)
            sys.exit(2)

    return run


def parse_sets(values: tuple[str, ...]) -> dict[str, Any]:
    """`--set g=8 --set s=3/2` -> {"g": 8, "s": Fraction(3, 2)}; values are exact numbers."""
    from cost.spec.bindings import parse_bindings

    return parse_bindings(values, option="--set", hint="e.g. --set g=8")


def binding_options(f: Callable) -> Callable:
    """--set, --preset and the symbolic options shared by commands that bind a spec."""
    f = click.option("--preset", metavar="NAME", help="A named binding from the spec's presets.")(f)
    f = click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
                     help="Bind a symbol (repeatable): --set g=8 --set s=0.5.")(f)
    return f


def load_spec(path: str, sets: tuple[str, ...], preset: str | None, *, keep: str = "",
              symbolic: bool = False) -> Any:
    import cost

    names = tuple(k.strip() for k in keep.split(",") if k.strip())
    return cost.load(path, preset=preset, keep=names, symbolic=symbolic,
                     **parse_sets(sets))


class LazyGroup(click.Group):
    """Subcommands that live in their own modules, imported only when used (fast start-up)."""

    lazy = {
        # name: "module:function"; each module holds one command and its options
        "check": "cost.cli.check:check_command",
        "guidelines": "cost.cli.guidelines:guidelines_command",
        "sweep": "cost.cli.sweep:sweep_command",
        "solve": "cost.cli.sweep:solve_command",
        "zoo": "cost.cli.zoo:zoo_command",
        "frontier": "cost.cli.frontier:frontier_command",
        "compare": "cost.cli.compare:compare_command",
        "import": "cost.cli.interop:import_command",
        "export": "cost.cli.interop:export_command",
        "diff": "cost.cli.interop:diff_command",
        "bench": "cost.cli.bench:bench_command",
        "calibrate": "cost.cli.calibrate:calibrate_command",
        "latency": "cost.cli.latency:latency_command",
    }

    def _available(self) -> dict[str, str]:
        import importlib.util

        return {name: target for name, target in self.lazy.items()
                if importlib.util.find_spec(target.partition(":")[0]) is not None}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._available()})

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """click's standalone main, but click's own messages (a bad option value, an unknown
        option, a missing argument) are printed through `echo` too: a user's value with an
        escape sequence in it is shown escaped, never sent to the terminal."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        import io

        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as e:
            message = io.StringIO()
            e.show(file=message)
            echo(message.getvalue().rstrip("\n"), err=True)
            sys.exit(e.exit_code)
        except click.Abort:
            echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return self.commands[name]
        target = self._available().get(name)
        if target is None:
            return None
        import importlib

        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cost")
def main() -> None:
    """Analytical profiler for efficient CNNs: exact multiply-adds, parameters and memory access
    cost of a YAML layer graph, per layer and in total, as numbers or closed-form formulas."""


@main.command("profile")
@click.argument("spec", type=click.Path(dir_okay=False))
@binding_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--symbolic", is_flag=True,
              help="Keep every symbol not bound by --set, the spec or the preset free; print "
                   "closed-form totals and per-block formulas.")
@click.option("--keep", default="", metavar="NAMES",
              help="Comma-separated symbols to keep free (the others take their values).")
@click.option("--depth", type=click.IntRange(min=1), default=None,
              help="Aggregate rows by the first N parts of the layer path (blocks summed).")
@click.option("--dtype-bytes", type=click.IntRange(min=1, max=16), default=1, show_default=True,
              help="Bytes per element for memory access (1 = count elements).")
@click.option("--fuse", is_flag=True,
              help="Model deployment fusion: bn and the activation after it folded into the conv.")
@click.option("--convention", default="paper", show_default=True, metavar="NAME",
              help="Also count under a tool's convention: fvcore, thop, ptflops, torchinfo, torch.")
@click.option("--sort", metavar="COLUMN", default=None,
              help="Order rows by a column, largest first: madds, params, mem, mem_read, "
                   "mem_write, intensity, live (path and op: A to Z).")
@click.option("--top", type=click.IntRange(min=1), default=None, metavar="N",
              help="Show only the first N rows (after --sort); totals stay those of all rows.")
@user_errors
def profile_command(spec: str, sets: tuple[str, ...], preset: str | None, fmt: str,
                    symbolic: bool, keep: str, depth: int | None, dtype_bytes: int,
                    fuse: bool, convention: str, sort: str | None, top: int | None) -> None:
    """Per-layer output shapes, madds, params and memory access of SPEC, and totals."""
    import cost
    from cost.render.profile import render_profile

    p = cost.profile(load_spec(spec, sets, preset, keep=keep, symbolic=symbolic))
    if fuse:
        from cost.engine.fusion import fuse as fold

        p = fold(p)
    if convention != "paper":
        from cost.conventions.tools import get

        get(convention)  # an unknown name is a user error before anything is rendered
    text = render_profile(p, fmt, depth=depth, dtype_bytes=dtype_bytes, convention=convention,
                          sort=sort, top=top)
    echo(text.rstrip("\n"))


@main.command("ops")
def ops_command() -> None:
    """List the registered ops with their arguments."""
    from cost.render.ops import render_ops

    echo(render_ops())

"""Pieces every command shares: the consoles, JSON output, percentages, the progress bar, the
checks of counts given on the command line, and the one-line stop on Ctrl-C."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from functools import lru_cache

import typer

from ..errors import InputError

__all__ = ["console", "emit_json", "pct", "progress_bar", "check_counts", "Interrupted",
           "table"]


class Interrupted(Exception):  # noqa: N818 - the user stopped a run; not an error
    """Ctrl-C during a long command; the message says what was saved and how to resume."""


@lru_cache(maxsize=1)
def _console():
    from rich.console import Console

    return Console()


class _LazyConsole:
    """The rich console of stdout, created on first use (rich is slow to import)."""

    def __getattr__(self, name):
        return getattr(_console(), name)


console = _LazyConsole()


def table(title: str | None = None, columns=(), left=("state",)):
    """A rich table with the given columns, right-aligned except those in ``left``."""
    from rich.table import Table

    out = Table(title=title)
    for col in columns:
        out.add_column(col, justify="left" if col in left else "right")
    return out


def emit_json(payload: dict) -> None:
    """Print ``payload`` as JSON on stdout, and nothing else (full float precision)."""
    typer.echo(json.dumps(payload, indent=2, sort_keys=False))


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def progress_bar(unit: str = "rounds"):
    """A rich progress bar on stderr, only when it is a terminal, used as a progress callback:
    ``bar(done, total)`` or ``bar(stage, done, total)``. Off a terminal it is None."""
    if not sys.stderr.isatty():
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    class _Bar:
        def __enter__(self):
            self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                     TextColumn("{task.completed}/{task.total} " + unit),
                                     TimeRemainingColumn(), console=Console(stderr=True),
                                     transient=True)
            self.progress.__enter__()
            self.task = self.progress.add_task("running", total=None)
            return self

        def __call__(self, *args) -> None:
            stage, done, total = args if len(args) == 3 else ("running", *args)
            self.progress.update(self.task, description=stage, completed=done, total=total)

        def __exit__(self, *exc):
            return self.progress.__exit__(*exc)

    return _Bar()


def check_counts(replications: int | None, seed: int | None = None,
                 workers: int | None = None) -> None:
    """Reject a replication or worker count below 1 or a negative seed given on the command
    line."""
    if replications is not None and replications < 1:
        raise InputError("must be at least 1", field="--replications")
    if workers is not None and workers < 1:
        raise InputError("must be at least 1", field="--workers")
    if seed is not None and seed < 0:
        raise InputError("must be non-negative", field="--seed")


def import_mesa_first() -> None:
    """Import Mesa before the model's other heavy modules.

    Mesa's logging helpers call ``inspect.stack()`` at import time, which looks up the module of
    every frame on the stack against every loaded module. Imported at the bottom of the model's
    import chain that costs about 0.2 s of a command's start; imported first, from a shallow
    stack with few modules loaded, a fraction of that.
    """
    import mesa  # noqa: F401

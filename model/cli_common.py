"""Pieces every command-line module shares: the console, JSON output, percentages, the
progress bar and the checks of counts given on the command line."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.console import Console

from .errors import InputError

__all__ = ["console", "emit_json", "pct", "progress_bar", "check_counts"]

console = Console()


def emit_json(payload: dict) -> None:
    typer.echo(json.dumps(payload, indent=2, sort_keys=False))


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def progress_bar(unit: str = "rounds"):
    """A rich progress bar on stderr, only when it is a terminal, used as a progress callback:
    ``bar(done, total)`` or ``bar(stage, done, total)``. Off a terminal it is None."""
    from contextlib import nullcontext

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    if not sys.stderr.isatty():
        return nullcontext(None)

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


def check_counts(replications: Optional[int], seed: Optional[int] = None) -> None:
    """Reject a replication count below 1 or a negative seed given on the command line."""
    if replications is not None and replications < 1:
        raise InputError("must be at least 1", field="--replications")
    if seed is not None and seed < 0:
        raise InputError("must be non-negative", field="--seed")

"""The ``brief`` command: a briefing from run, compare or sweep outputs.

Parse, call :func:`model.reporting.brief.brief`, print where it wrote; nothing else.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from .common import console

__all__ = ["register"]


def brief_cmd(
    results_dirs: list[Path] = typer.Argument(..., help="Output directories of run, compare "
                                                        "or sweep."),
    out: Path | None = typer.Option(None, help="Markdown file to write (default "
                                               "FIRST_DIR/brief.md); charts go beside it."),
    html: bool = typer.Option(False, "--html", help="Also write an HTML version."),
) -> None:
    """Write a briefing (Markdown, optionally HTML) from run, compare or sweep outputs.

    A headline with its interval, per-state table, charts (PNG) and a provenance box.
    """
    import re

    from ..io import prepare_output_dir
    from ..reporting.brief import brief

    target = out or Path(results_dirs[0]) / "brief.md"
    if target.is_dir():
        raise InputError(f"{target} is a folder; name the .md file to write", field="--out")
    prepare_output_dir(target.parent)
    path = brief(results_dirs, out=target, html=html)
    charts = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", path.read_text())
    console.print(f"wrote {path}" + (f" and {path.with_suffix('.html')}" if html else ""))
    console.print("charts:")
    for chart in charts:
        console.print(f"  {path.parent / chart}")
    console.print("tables (for spreadsheets):")
    for suffix in ("-headline.csv", "-states.csv", ".xlsx"):
        console.print(f"  {path.parent / (path.stem + suffix)}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("brief")(brief_cmd)

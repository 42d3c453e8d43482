"""The ``explore`` command: serve the explorer (:mod:`model.explore`) on a local address.

Parse, check that the optional [explore] extra is installed and the experiment file is valid,
print the address, serve until Ctrl-C; nothing else.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from .common import console

__all__ = ["register"]

INSTALL_HINT = ("the explorer needs the optional [explore] extra: pip install -e '.[explore]' "
                "(or pip install 'eucoalition[explore]')")


def explore_cmd(
    experiment: Path | None = typer.Argument(None, help="Experiment file (TOML) to start from "
                                                        "(default: the ACI determination, China "
                                                        "dividing, 2,000 replications)."),
    port: int = typer.Option(8050, help="Port to serve on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", help="Address to serve on (default: this machine "
                                               "only)."),
) -> None:
    """Explore scenarios in the browser: change the controls, see the run at once.

    Serves a local page (no network: its scripts come from installed packages); Ctrl-C stops it.
    """
    try:
        import dash  # noqa: F401
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    if not 0 <= port <= 65535:
        raise InputError("must be from 0 to 65535", field="--port")
    from ..explore.app import Server, create_app

    console.print("running the starting scenario...")
    app = create_app(experiment, warm=True)
    try:
        server = Server(app, host, port)
    except OSError as exc:
        raise InputError(f"cannot serve on {host}:{port} ({exc.strerror or exc})",
                         field="--port") from None
    console.print(f"explorer running at {server.url} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    finally:
        server.shutdown()


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("explore")(explore_cmd)

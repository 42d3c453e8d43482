"""The Dash app of the explorer and the local server that serves it.

Dash serves its own scripts and styles from the installed package (``serve_locally``), and the
page's stylesheet is this package's ``assets/explorer.css``: the page makes no request beyond
the address it is served from.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

from dash import Dash

from ..errors import InputError
from .callbacks import register
from .layout import page
from .runs import RunCache
from .scenario import base_experiment, controls_of, experiment_of

__all__ = ["create_app", "Server", "serving"]

ASSETS = Path(__file__).parent / "assets"


def create_app(experiment: str | Path | None = None, *, warm: bool = False) -> Dash:
    """The explorer's app, starting from ``experiment`` (a file) or the starter scenario.
    A bad file raises :class:`~model.errors.InputError` before anything is served. ``warm``
    runs the starting scenario now, so the first page shows at once (a scenario that cannot
    run is left to the page, which says why)."""
    raw = base_experiment(experiment)
    cache = RunCache()
    if warm:
        with contextlib.suppress(InputError):
            cache.run(experiment_of(controls_of(raw), raw))
    app = Dash(__name__, title="eucoalition explorer", assets_folder=str(ASSETS),
               serve_locally=True, update_title=None,
               suppress_callback_exceptions=False)
    app.layout = lambda: page(raw, uuid.uuid4().hex)     # a token per page load
    register(app, cache)
    return app


def _check_free(host: str, port: int) -> None:
    """Raise OSError if ``host``:``port`` cannot be listened on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


class Server:
    """A threaded local web server for ``app`` on ``host``:``port`` (0: a free port); an
    address that cannot be served raises OSError (werkzeug itself would exit the process)."""

    def __init__(self, app: Dash, host: str = "127.0.0.1", port: int = 8050) -> None:
        from werkzeug.serving import make_server

        if port:
            _check_free(host, port)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)   # no line per request
        self._server = make_server(host, port, app.server, threaded=True)
        self.host, self.port = host, self._server.server_port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextlib.contextmanager
def serving(app: Dash, host: str = "127.0.0.1", port: int = 0) -> Iterator[Server]:
    """Serve ``app`` in a background thread while the block runs (tests, screenshots)."""
    server = Server(app, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=10)

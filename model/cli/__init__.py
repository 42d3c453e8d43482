"""The command line: typer commands that parse, call the package, print (rich) or --json.

Every failure a user can cause ends in one line on stderr and a non-zero exit, never a
traceback: bad input (:class:`model.errors.InputError`) and usage errors (a missing argument, an
unknown command or option, ``--replications many``) exit 2; Ctrl-C exits 130 saying what was
saved and how to resume. Modules are imported when a command runs, so ``eucoalition --help``
and ``eucoalition vote`` start quickly.
"""

from __future__ import annotations

import os
import sys

# typer parses options through pydantic, whose plugin discovery scans every installed
# distribution's entry points (about 0.15 s at start-up); the command line uses no plugin
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer

from ..errors import InputError
from .common import Interrupted

__all__ = ["app", "main"]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="EU Council voting under Chinese economic pressure: exact Treaty "
                       "arithmetic, voting power and an agent-based model.")


def _register() -> None:
    from . import experiments, explore, reporting, treaty, validation

    for module in (treaty, experiments, validation, reporting, explore):
        module.register(app)


_register()


def _usage_errors() -> tuple[type, ...]:
    """The exception classes of usage errors: typer bundles its own copy of click (its errors
    derive from ``typer.TyperException``); older typer versions raise the installed click's."""
    out = [cls for cls in (getattr(typer, "TyperException", None),) if cls is not None]
    try:
        import click

        out.append(click.ClickException)
    except ImportError:  # pragma: no cover - typer always brings some click
        pass
    return tuple(out)


def _aborts() -> tuple[type, ...]:
    out = [typer.Abort]
    try:
        import click

        out.append(click.Abort)
    except ImportError:  # pragma: no cover
        pass
    return tuple(out)


def _error(message: str, code: int) -> None:
    typer.echo(message, err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; every failure a user can cause is one line on stderr."""
    try:
        code = app(args=argv, standalone_mode=False, prog_name="eucoalition")
    except InputError as exc:
        _error(f"error: {exc}", 2)
    except Interrupted as exc:
        _error(str(exc), 130)
    except (KeyboardInterrupt, *_aborts()):
        _error("interrupted", 130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except _usage_errors() as exc:
        command = getattr(getattr(exc, "ctx", None), "command_path", "eucoalition")
        hint = f" (see '{command} --help')" if getattr(exc, "exit_code", 1) == 2 else ""
        _error(f"error: {exc.format_message()}{hint}", 2)
    except BrokenPipeError:                      # `eucoalition ... | head`: stop quietly
        sys.stderr.close()
        sys.exit(0)
    # typer turns Ctrl-C outside a command's own handling into an exit code it returns
    if isinstance(code, int) and not isinstance(code, bool) and code:
        if code == 130:
            _error("interrupted", 130)
        sys.exit(code)

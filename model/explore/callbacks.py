"""What happens when a control changes: run the scenario, compare it, export it.

Every callback turns bad input into a message on the page (:func:`page_message`) and keeps the
last good result in view; nothing a user types can end in a stack trace or a blank page.
"""

from __future__ import annotations

import logging

from dash import Dash, Input, Output, State, dcc, no_update

from ..errors import InputError
from .choices import rule_options, state_options
from .export import briefing_html, experiment_toml
from .layout import CONTROL_PROPS
from .panels import compare_panel, error_panel, run_panel
from .runs import Progress, RunCache, paired
from .scenario import CONTROLS, experiment_of, members_of

__all__ = ["register", "page_message", "FIELD_LABELS"]

log = logging.getLogger(__name__)

#: How the page names a field of the experiment file in a message.
FIELD_LABELS = {"china.budget": "China's budget", "replications": "Replications",
                "seed": "Seed", "absent": "Absent states", "name": "Scenario name",
                "china.instruments": "China's instruments", "rule": "Voting rule",
                "composition": "Council", "measure": "Measure"}


def page_message(exc: Exception) -> str:
    """One line for the page: the field as the page names it, then what is wrong.

    >>> page_message(InputError("must be at least 0", field="china.budget"))
    "China's budget: must be at least 0"
    """
    if not isinstance(exc, InputError):
        log.exception("explorer: unexpected error")
        return f"unexpected error ({type(exc).__name__}: {exc}); the scenario was not run"
    text = str(exc)
    where = [str(exc.file)] if exc.file is not None else []
    where += [f"row {exc.row}"] if exc.row is not None else []
    where += [f"field '{exc.field}'"] if exc.field is not None else []
    prefix = ", ".join(where) + ": "
    message = text[len(prefix):] if where and text.startswith(prefix) else text
    if exc.field is None:
        return message
    return f"{FIELD_LABELS.get(exc.field, exc.field)}: {message}"


def register(app: Dash, cache: RunCache) -> None:
    """Attach the page's callbacks to ``app``; runs go through ``cache``."""
    progress = Progress()
    _controls(app)
    _running(app, cache, progress)
    _progress(app, progress)
    _exports(app, cache)


def _controls(app: Dash) -> None:
    """Controls that follow others: the rules of a measure, the members of a Council (the page
    starts with those of the file, which may name a rule of its own)."""

    @app.callback(Output("rule", "options"), Output("rule", "value"),
                  Input("measure", "value"), State("rule", "value"), prevent_initial_call=True)
    def _rules(measure, rule):
        try:
            options = rule_options(measure)
        except Exception as exc:           # an unknown measure: the run reports it
            log.debug("no rules for %s: %s", measure, exc)
            return no_update, no_update
        return options, rule if rule in {o["value"] for o in options} else None

    @app.callback(Output("absent", "options"), Input("composition", "value"),
                  State("base", "data"), prevent_initial_call=True)
    def _members(composition, base):
        try:
            return state_options(members_of({**base, "composition": composition}
                                            if composition != "default" else
                                            {k: v for k, v in base.items()
                                             if k != "composition"}))
        except Exception as exc:
            log.debug("no members for %s: %s", composition, exc)
            return no_update



def _running(app: Dash, cache: RunCache, progress: Progress) -> None:
    """Run the scenario on every change; save it; compare with the saved one."""

    @app.callback(Output("result", "children"), Output("error", "children"),
                  Output("current", "data"),
                  *[Input(i, p) for i, p in CONTROL_PROPS], State("base", "data"),
                  State("token", "data"))
    def _run(*values):
        *controls, base, token = values
        values = dict(zip(CONTROLS, controls))
        values["fixed"] = bool(values["fixed"])
        try:
            raw = experiment_of(values, base)
            return run_panel(cache.run(raw, progress.reporter(token)), raw), None, raw
        except Exception as exc:
            return no_update, error_panel(page_message(exc)), None
        finally:
            progress.done(token)

    @app.callback(Output("saved", "data"), Output("saved-label", "children"),
                  Input("save", "n_clicks"), State("current", "data"), prevent_initial_call=True)
    def _save(_clicks, current):
        if current is None:
            return no_update, "nothing to save: the current scenario does not run"
        return current, f"saved: {current['name']} (compare it in the second tab)"

    @app.callback(Output("comparison", "children"), Input("tabs", "value"),
                  Input("current", "data"), Input("saved", "data"))
    def _compare(tab, current, saved):
        if tab != "compare":
            return no_update
        if saved is None:
            return "Save a scenario first (Save for comparison), then change the controls."
        if current is None:
            return error_panel("the current scenario does not run (see the message above)")
        try:
            return compare_panel(paired(cache, saved, current))
        except Exception as exc:
            return error_panel(page_message(exc))



def _progress(app: Dash, progress: Progress) -> None:
    """The line saying how far a run is, polled while the page is open."""

    @app.callback(Output("progress", "children"), Input("tick", "n_intervals"),
                  State("token", "data"))
    def _show(_ticks, token):
        state = progress.of(token)
        if state is None or not state[1]:
            return ""
        done, total = state
        return f"running: {done} of {total} rounds ({100 * done / total:.0f}%)"


def _exports(app: Dash, cache: RunCache) -> None:
    """The downloads: the experiment file and the briefing."""

    @app.callback(Output("toml-file", "data"), Input("download-toml", "n_clicks"),
                  State("current", "data"), prevent_initial_call=True)
    def _download_toml(_clicks, current):
        if current is None:
            return no_update
        return dcc.send_string(experiment_toml(current), f"{current['name']}.toml")

    @app.callback(Output("brief-file", "data"), Output("error", "children",
                                                       allow_duplicate=True),
                  Input("download-brief", "n_clicks"), State("current", "data"),
                  State("saved", "data"), prevent_initial_call=True)
    def _download_brief(_clicks, current, saved):
        if current is None:
            return no_update, no_update
        try:
            result = cache.run(current)
            comparison = None
            if saved is not None and saved != current:
                report = paired(cache, saved, current)
                comparison = (report, cache.run(saved),
                              cache.run({**current, "seed": saved["seed"],
                                         "replications": saved["replications"]}))
            html = briefing_html(result, comparison)
        except Exception as exc:
            return no_update, error_panel(page_message(exc))
        return dcc.send_string(html, f"{current['name']}-brief.html"), no_update

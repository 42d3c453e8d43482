"""The page: the controls on the left, the result on the right (a tab for the scenario, one for
the comparison with a saved scenario), the export buttons under the controls.

Ids of the elements the callbacks and the browser tests use are the constants of this module.
"""

from __future__ import annotations

from dash import dcc, html

from ..abm.levers import LEVERS
from .choices import (
    composition_options,
    instrument_options,
    lever_options,
    measure_options,
    rule_options,
    state_options,
    strategy_options,
)
from .scenario import controls_of, members_of

__all__ = ["page", "CONTROL_PROPS"]

#: (id, property) of each control, in the order of :data:`model.explore.scenario.CONTROLS`.
CONTROL_PROPS = (("name", "value"), ("measure", "value"), ("rule", "value"),
                 ("composition", "value"), ("absent", "value"), ("strategy", "value"),
                 ("budget", "value"), ("instruments", "value"), ("actions", "value"),
                 ("levers", "value"), ("replications", "value"), ("seed", "value"),
                 ("fixed", "value"))


def _field(label: str, control, hint: str = "") -> html.Div:
    return html.Div([html.Label(label, className="label"), control,
                     html.Div(hint, className="hint") if hint else None], className="field")


def _controls(raw: dict) -> html.Div:
    c = controls_of(raw)
    return html.Div([
        _field("Scenario name", dcc.Input(id="name", type="text", value=c["name"],
                                          debounce=True)),
        _field("Measure", dcc.Dropdown(id="measure", options=measure_options(),
                                       value=c["measure"], clearable=False)),
        _field("Voting rule", dcc.Dropdown(id="rule", value=c["rule"] or None,
                                           options=rule_options(c["measure"], c["rule"] or None),
                                           placeholder="the measure's own rule"),
               "rules of the same kind of decision as the measure's"),
        _field("Council", dcc.Dropdown(id="composition", clearable=False,
                                       value=c["composition"],
                                       options=composition_options(c["composition"]))),
        _field("Absent states", dcc.Dropdown(id="absent", multi=True, value=c["absent"],
                                             options=state_options(members_of(raw)))),
        html.H3("China"),
        _field("Strategy", dcc.Dropdown(id="strategy", options=strategy_options(),
                                        value=c["strategy"], clearable=False)),
        _field("Budget per round", dcc.Input(id="budget", type="number", value=c["budget"],
                                             step=0.1, debounce=True),
               "press Enter or leave the box to run"),
        _field("Instruments for the budget", dcc.Checklist(
            id="instruments", options=instrument_options(budget=True), className="two-columns",
            value=c["instruments"]),
               "ticked: what China's strategy may spend on (the file's list, else its "
               "default toolbox)"),
        _field("Actions in force (from round 0, on the exposed states unless the file says)",
               dcc.Checklist(id="actions", options=instrument_options(), value=c["actions"],
                             className="two-columns")),
        html.H3("The EU"),
        _field("Commission's levers", dcc.Checklist(
            id="levers", options=lever_options(),
            value=[v for v in c["levers"] if v in LEVERS])),
        html.H3("Run"),
        _field("Replications", dcc.Input(id="replications", type="number",
                                         value=c["replications"], step=250, debounce=True)),
        _field("Seed", dcc.Input(id="seed", type="number", value=c["seed"], step=1,
                                 debounce=True)),
        dcc.Checklist(id="fixed", options=[{"value": "fixed", "label": "keep coefficients at "
                                            "their estimates (Monte Carlo noise only)"}],
                      value=["fixed"] if c["fixed"] else []),
        html.Div([
            html.Button("Save for comparison", id="save", className="button"),
            html.Button("Download experiment (TOML)", id="download-toml", className="button"),
            html.Button("Download briefing (HTML)", id="download-brief", className="button"),
        ], className="buttons"),
        html.Div(id="saved-label", className="hint"),
        dcc.Download(id="toml-file"), dcc.Download(id="brief-file"),
    ], className="controls")


def page(raw: dict, token: str | None = None) -> html.Div:
    """The whole page for the base experiment ``raw``; ``token`` tells this page's runs apart
    from those of other open pages (for the progress line)."""
    return html.Div([
        html.Header([html.H1("eucoalition explorer"),
                     html.Span("EU Council votes under Chinese economic pressure: change the "
                               "scenario, see the run (the same code as eucoalition run)")]),
        html.Div([
            _controls(raw),
            html.Main([
                html.Div(id="error", className="error", role="alert"),
                html.Div(id="progress", className="progress", role="status"),
                dcc.Tabs(id="tabs", value="scenario", children=[
                    dcc.Tab(label="Scenario", value="scenario", children=dcc.Loading(
                        html.Div(id="result"), type="circle", delay_show=300,
                        overlay_style={"visibility": "visible", "opacity": 0.5})),
                    dcc.Tab(label="Compare with the saved scenario", value="compare",
                            children=dcc.Loading(html.Div(id="comparison"), type="circle",
                                                 delay_show=300)),
                ]),
            ], className="results"),
        ], className="body"),
        dcc.Store(id="base", data=raw), dcc.Store(id="current"), dcc.Store(id="saved"),
        dcc.Store(id="token", data=token), dcc.Interval(id="tick", interval=500),
    ], className="page")

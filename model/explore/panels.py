"""Drawing a run and a comparison on the page (the data come from :mod:`.views` and
:func:`model.experiments.compare.compare_results`).

Shown numbers carry their full value in a ``data-value`` attribute, so a test (or a script)
can read exactly what the page computed.
"""

from __future__ import annotations

from dash import html

from ..abm.streams import BLOCK
from ..abm.uncertainty import FEW_DRAWS
from ..experiments.results import ExperimentResult
from ..reporting.labels import measure_title, pct, pp, state_names
from . import views
from .export import experiment_toml
from .tiles import legend, tiles

__all__ = ["run_panel", "compare_panel", "error_panel"]


def _number(text: str, value: float, id_: str | None = None, cls: str = "number") -> html.Span:
    extra = {"id": id_} if id_ else {}
    return html.Span(text, className=cls, **{"data-value": repr(float(value))}, **extra)


def _interval(span: list[float], id_: str, signed: bool = False) -> html.Span:
    fmt = pp if signed else pct
    return html.Span(f"{fmt(span[0])} to {fmt(span[1])}", id=id_,
                     **{"data-low": repr(float(span[0])), "data-high": repr(float(span[1]))})


def _tile_map(summary: dict, members: list[str]) -> html.Div:
    values = {r["iso2"]: r["p_for"] for r in summary["states"]}
    cells = []
    for t in tiles(values, members):
        shown = "absent" if t["value"] is None else pct(t["value"], 0)
        hover = (f"{t['name']}: absent" if t["value"] is None
                 else f"{t['name']}: P(for) {pct(t['value'])}")
        cells.append(html.Div([html.B(t["iso2"]), html.Br(), shown], title=hover,
                              className="tile" + (" absent" if t["value"] is None else ""),
                              **{"data-iso2": t["iso2"], "data-name": t["name"]},
                              style={"gridColumn": t["column"], "gridRow": t["row"],
                                     "background": t["fill"], "color": t["text"]}))
    scale = html.Div([html.Span("P(for): 0%"), *[html.Span(className="swatch",
                                                           style={"background": fill})
                                                 for _, fill in legend()],
                      html.Span("100%")], className="legend")
    return html.Div([html.Div(cells, id="tile-map", className="tile-map"), scale])


def _list(items: list[tuple[str, float]], fmt=pct) -> html.Ul:
    names = state_names()
    if not items:
        return html.Ul([html.Li("none")])
    return html.Ul([html.Li([f"{names.get(iso, iso)} ({iso}) ", _number(fmt(v), v)])
                    for iso, v in items])


def _headline(summary: dict) -> html.Div:
    h = views.headline(summary)
    parts = [html.Div(["P(adopted) = ", _number(f"{h['p_adopted']:.3f}", h["p_adopted"],
                                                "p-adopted", "big")], className="headline")]
    if h["total"] is not None:
        parts.append(html.Div(["95% interval with parameter uncertainty: ",
                               _interval(h["total"], "interval-total")]))
    parts.append(html.Div(["95% Monte Carlo interval of this figure: ",
                           _interval(h["monte_carlo"], "interval-mc")]))
    parts.append(html.P("The total interval also draws the behavioural coefficients, the "
                        "measure's intercept and the instruments' effects from what is known "
                        "about them; the Monte Carlo one only says how well this run's "
                        "replications and parameter draws pin down the model's own answer. "
                        "Compare scenarios (second tab) rather than read one number as a "
                        "forecast." if h["total"] is not None else
                        "Coefficients fixed at their estimates: Monte Carlo noise only.",
                        className="hint"))
    if h["blocks"] is not None and h["blocks"] < FEW_DRAWS:
        parts.append(html.P(
            f"Only {h['blocks']} parameter draws (one per block of {BLOCK} replications): "
            "the figure itself is uncertain (its Monte Carlo interval is wide). Use "
            f"{BLOCK * FEW_DRAWS:,} replications or more for figures to quote.",
            className="hint warn", id="few-draws"))
    parts.append(html.Div(
        f"{measure_title(h['measure'])} ({h['rule']}), {h['replications']:,} replications, "
        f"seed {h['seed']}; outcomes: " + ", ".join(f"{k.replace('_', ' ')} {pct(v)}"
                                                     for k, v in h["outcomes"].items()),
        className="hint"))
    return html.Div(parts, className="panel")


def _blocking(result: ExperimentResult) -> html.Div:
    b = views.blocking(result)
    if "message" in b:
        body = [html.P(b["message"])]
    else:
        body = [html.P(" + ".join(b["states"]), id="blocking", className="coalition"),
                html.P(f"{pct(b['population_share'])} of the population; the blocking "
                       "coalition whose members are together the most likely to vote so as to "
                       "stop the measure (product of their probabilities "
                       f"{b['likelihood']:.2g}, as if they decided independently)",
                       className="hint")]
    return html.Div([html.H3("Cheapest blocking coalition"), *body], className="panel")


def _table(header: list[str], rows: list[list], id_: str) -> html.Table:
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in header])),
                       html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows])],
                      id=id_, className="table")


def _power(result: ExperimentResult) -> html.Div:
    df = views.voting_power(result)
    rows = [[iso, f"{r.shapley_shubik:.4f}", f"{r.banzhaf_normalised:.4f}"]
            for iso, r in df.iterrows()]
    members, voting, full = views.council_of(result)
    taking_part = ("" if full else f"; the {len(voting)} of {len(members)} members taking "
                   "part (the absent ones left out, Art. 238(3) TFEU)")
    return html.Div([html.H3(f"Voting power under {result.summary['rule']} (exact)"),
                     html.Div(f"of the Council the run votes in{taking_part}", className="hint"),
                     _table(["state", "Shapley-Shubik", "Banzhaf (normalised)"], rows,
                            "power")], className="panel scroll")


def _notes(summary: dict) -> list:
    notes = []
    if summary.get("unverified_inputs"):
        notes.append(f"{len(summary['unverified_inputs'])} exposure figures used here are "
                     "UNVERIFIED estimates (eucoalition list --unverified).")
    if summary.get("neutral_members"):
        notes.append("No alignment or exposure data for " + ", ".join(
            summary["neutral_members"]) + ": modelled as neutral.")
    if summary.get("actions_not_used"):
        notes.append("China's actions known only after the data's date, left out: " + "; ".join(
            f"{a['instrument']} ({a['date']})" for a in summary["actions_not_used"]))
    if summary.get("chain"):
        c = summary["chain"]
        notes.append(f"End of the chain of {len(summary['stages']) + 1} decisions: adopted in "
                     f"{pct(c['p_adopted'])} of replications.")
    if summary.get("as_of"):
        notes.append(f"Inputs known by {summary['as_of']} ({summary.get('as_of_rule', '')}); "
                     f"Council: {summary.get('composition', '')}.")
    return [html.Ul([html.Li(n) for n in notes], className="notes")] if notes else []


def run_panel(result: ExperimentResult, raw: dict) -> html.Div:
    """The scenario tab: headline, map, who matters, voting power, the per-state table."""
    s = result.summary
    members, _, _ = views.council_of(result)
    names = state_names()
    rows = [[f"{r['iso2']} {names.get(r['iso2'], '')}".strip(), pct(r["p_for"], 0),
             pct(r["p_abstain"], 0), pct(r["p_against"], 0), pct(r["p_pivotal"]),
             pct(r["targeted_share"], 0)] for r in views.state_rows(s)]
    return html.Div([
        html.Div([_headline(s), html.Div([html.H3("P(for) by state"),
                                          _tile_map(s, list(members))], className="panel")],
                 className="row"),
        html.Div([
            html.Div([html.H3("Most often pivotal"), _list(views.top_states(s, "p_pivotal"))],
                     className="panel", id="pivotal"),
            html.Div([html.H3("Most targeted by China (share of its spending)"),
                      _list(views.top_states(s, "targeted_share"), lambda v: pct(v, 0))],
                     className="panel", id="targeted"),
            _blocking(result),
        ], className="row"),
        html.Div([
            html.Div([html.H3("Positions by state"),
                      _table(["state", "P(for)", "P(abstain)", "P(against)", "P(pivotal)",
                              "China's spend"], rows, "states")], className="panel scroll"),
            _power(result),
        ], className="row"),
        *_notes(s),
        html.Details([html.Summary("The experiment file of this scenario"),
                      html.Pre(experiment_toml(raw), id="toml")]),
    ])


def compare_panel(report: dict) -> html.Div:
    """The comparison tab: the paired difference with its intervals and the states that move."""
    total = report["difference_interval"]["total"]
    mc = report["difference_interval"]["monte_carlo"]
    names = state_names()
    moving = [r for r in report["states"] if r["shift"] > 0][:10]
    rows = [[f"{r['iso2']} {names.get(r['iso2'], '')}".strip(), pct(r["p_for_a"], 0),
             pct(r["p_for_b"], 0), pp(r["delta_p_for"]), pp(r["delta_p_against"])]
            for r in moving]
    parts = [
        html.Div([
            html.Div([f"P(adopted): saved ({report['a']}) {pct(report['p_adopted_a'])}, "
                      f"current ({report['b']}) {pct(report['p_adopted_b'])}"]),
            html.Div(["Difference (current - saved) = ",
                      _number(pp(report["difference"]), report["difference"], "difference",
                              "big")], className="headline"),
            html.Div(["95% interval with parameter uncertainty: ",
                      _interval(total, "difference-total", signed=True)]),
            html.Div(["95% Monte Carlo interval of the paired difference: ",
                      _interval(mc, "difference-mc", signed=True)]),
            html.Div(f"{report['replications']:,} paired replications, seed {report['seed']}",
                     className="hint"),
        ], className="panel"),
        html.Div([html.H3("States that move most"),
                  _table(["state", "P(for) saved", "P(for) current", "Δ P(for)",
                          "Δ P(against)"], rows, "moving") if rows
                  else html.P("none: the two scenarios give every state the same positions")],
                 className="panel"),
    ]
    if report.get("pairing_note"):
        parts.append(html.P(report["pairing_note"], className="hint"))
    return html.Div(parts)


def error_panel(message: str) -> html.Div:
    return html.Div([html.B("Cannot run this scenario: "), html.Span(message, id="error-text")])

"""Commands for the Treaty arithmetic: ``vote``, ``power``, ``probability`` and ``blocking``.

Parse, call :mod:`model.api`, print a rich table or JSON; nothing else.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import InputError
from .common import console, emit_json, pct, table

__all__ = ["register"]

RULE_HELP = "Voting rule, e.g. qmv or comitology (`eucoalition list` shows every rule)."
POP_HELP = ("Population table: council2025 (default), eurostat2024, eurostat2025, or a CSV file "
            "with columns iso2,population.")
PART_HELP = "States taking part, e.g. DE,FR,IT (default: all; a subset re-bases the thresholds)."
COMP_HELP = ("The Council: eu27 (default), eu28, eu27_uk, enlargement35, a date YYYY-MM-DD (the "
             "Council of that day) or a CSV iso2,population of a hypothetical Council.")


def _composition_option():
    return typer.Option(None, "--composition", help=COMP_HELP)


def _positions(others: str, lists: dict[str, str | None],
               composition: str | None) -> dict[str, str]:
    from ..inputs.council import composition as council
    from ..inputs.council import parse_iso2_list
    from ..treaty.positions import Position

    members = council(composition).members
    others = Position.parse(others, field="--others").word
    positions = dict.fromkeys(members, others)
    seen: dict[str, str] = {}
    for word, text in lists.items():
        for code in parse_iso2_list(text, field=f"--{word}", members=members):
            if code in seen:
                raise InputError(f"{code} listed as both {seen[code]} and {word}",
                                 field=f"--{word}")
            seen[code] = word
            positions[code] = word
    return positions


def vote_cmd(
    rule: str = typer.Option(..., help=RULE_HELP),
    for_: str | None = typer.Option(None, "--for", help="States voting for, e.g. FR,IT."),
    against: str | None = typer.Option(None, help="States voting against."),
    abstain: str | None = typer.Option(None, help="States abstaining."),
    absent: str | None = typer.Option(None, help="States not taking part (thresholds "
                                                 "re-based)."),
    constructive: str | None = typer.Option(
        None, help="Formally declared (constructive) abstentions under unanimity, "
                   "Art. 31(1) TEU."),
    others: str = typer.Option("abstain", help="Position of every state not listed."),
    population: str | None = typer.Option(None, help=POP_HELP),
    composition: str | None = _composition_option(),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Evaluate one vote: outcome, tally, margins and pivotal states."""
    from ..api import vote
    from ..treaty.rules import get_rule

    get_rule(rule, field="--rule")
    positions = _positions(others, {"for": for_, "against": against, "abstain": abstain,
                                    "absent": absent, "constructive": constructive},
                           composition)
    result = vote(rule, positions, population, composition=composition)
    if as_json:
        emit_json(result.to_dict())
        return
    out = table(f"{rule}: {result.outcome}", ("position", "states", "population", "share"),
                left=("position",))
    for pos, t in result.tally.items():
        members = ",".join(s for s, p in result.positions.items() if p == pos)
        out.add_row(f"{pos} ({members})" if members else pos, str(t.states),
                    f"{t.population:,}", pct(t.population_share))
    console.print(out)
    for name, margin in result.margins.items():
        console.print(f"to {name}: " + ", ".join(f"{k.replace('_', ' ')} {v:,}"
                                                 for k, v in margin.items()))
    console.print("pivotal: " + (", ".join(result.pivotal) or "none"))
    if result.appeal_committee:
        console.print("appeal committee: simple majority against with no opinion "
                      "(Reg. 182/2011 Art. 5(5))")

def power_cmd(
    rule: str = typer.Option("qmv", help=RULE_HELP),
    participating: str | None = typer.Option(None, help=PART_HELP),
    population: str | None = typer.Option(None, help=POP_HELP),
    composition: str | None = _composition_option(),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Exact Banzhaf, Shapley-Shubik and Coleman indices (no Monte Carlo)."""
    from ..api import power_indices
    from ..treaty.rules import get_rule

    get_rule(rule, field="--rule")
    frame = power_indices(rule, population, participating, composition)
    if as_json:
        emit_json({
            "rule": rule,
            "winning_coalitions": int(frame.attrs["winning_coalitions"]),
            "coleman_collectivity": float(frame.attrs["coleman_collectivity"]),
            "states": [{"iso2": iso, **{k: float(v) for k, v in row.items()}}
                       for iso, row in frame.iterrows()],
        })
        return
    out = table(f"Voting power under {rule} (exact)",
                ("state", *(c.replace("_", " ") for c in frame.columns)))
    for iso, row in frame.sort_values("shapley_shubik", ascending=False).iterrows():
        out.add_row(iso, *(f"{v:.5f}" for v in row))
    console.print(out)
    console.print(f"winning coalitions: {int(frame.attrs['winning_coalitions']):,}; "
                  "power of the collectivity to act: "
                  f"{frame.attrs['coleman_collectivity']:.5f}")

def probability_cmd(
    rule: str = typer.Option(..., help=RULE_HELP),
    probabilities: Path = typer.Option(
        ..., help="CSV iso2,p_for,p_against,p_abstain[,p_constructive], a row per state."),
    participating: str | None = typer.Option(None, help=PART_HELP),
    population: str | None = typer.Option(None, help=POP_HELP),
    composition: str | None = _composition_option(),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Exact probability of adoption (and, for comitology, blocked / no opinion)."""
    from ..api import passage_probability, resolve_participants
    from ..inputs.council import composition as council
    from ..inputs.tables import load_probabilities
    from ..treaty.rules import get_rule

    get_rule(rule, field="--rule")
    members = council(composition).members
    probs = load_probabilities(probabilities)
    taking_part = resolve_participants(participating, field="--participating",
                                       members=members) or list(members)
    missing = [s for s in taking_part if s not in probs.index]
    if missing:
        raise InputError(f"no row for {', '.join(missing)} (every participating state needs "
                         "one; list who takes part with --participating)",
                         file=probabilities, field="iso2")
    result = passage_probability(rule, probs, population, participating,
                                 composition=composition)
    payload = result.to_dict()
    if as_json:
        emit_json(payload)
        return
    head = f"P(adopted) = {payload['p_adopted']:.4f}"
    if "p_blocked" in payload:
        head += (f"; P(blocked) = {payload['p_blocked']:.4f}; "
                 f"P(no opinion) = {payload['p_no_opinion']:.4f}")
    console.print(head)
    out = table("Criticality: probability that the state's vote decides the outcome",
                ("state", "criticality"))
    for row in sorted(payload["states"], key=lambda r: -r["criticality"]):
        out.add_row(row["iso2"], f"{row['criticality']:.4f}")
    console.print(out)

def blocking_cmd(
    rule: str = typer.Option(..., help=RULE_HELP),
    costs: Path = typer.Option(..., help="CSV iso2,cost (cost of moving a state out of the "
                                         "'for' camp; a state without a row cannot be "
                                         "moved)."),
    participating: str | None = typer.Option(None, help=PART_HELP),
    population: str | None = typer.Option(None, help=POP_HELP),
    composition: str | None = _composition_option(),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Cheapest coalition whose defection stops a measure (exact search)."""
    from ..api import cheapest_blocking_coalition
    from ..inputs.tables import load_costs
    from ..treaty.rules import get_rule

    get_rule(rule, field="--rule")
    result = cheapest_blocking_coalition(rule, load_costs(costs), population, participating,
                                         composition)
    payload = result.to_dict()
    if as_json:
        emit_json(payload)
        return
    console.print(f"Cheapest blocking coalition under {rule}: {', '.join(payload['states'])}")
    console.print(f"cost {payload['cost']:g}; {payload['count']} states; "
                  f"{pct(payload['population_share'])} of population")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("vote")(vote_cmd)
    app.command("power")(power_cmd)
    app.command("probability")(probability_cmd)
    app.command("blocking")(blocking_cmd)

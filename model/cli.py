"""Command line: parse, call the model, print a rich table or JSON. Nothing else.

Bad input raises :class:`model.errors.InputError`; :func:`main` prints it as one line on
stderr and exits with code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .cli_common import check_counts, console, emit_json, pct, progress_bar
from .data import load_costs, load_population, load_probabilities, parse_iso2_list
from .errors import InputError
from .rules import RULES, check_rule, vote as evaluate

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="EU Council voting under Chinese economic pressure: exact Treaty "
                       "arithmetic, voting power and an agent-based model.")

RULE_HELP = f"Voting rule: {', '.join(RULES)}."
POP_HELP = ("Population table: council2025 (default), eurostat2024, eurostat2025, or a CSV file "
            "with columns iso2,population.")


def _population(spec: Optional[str]):
    return load_population(spec)


def _participating(text: Optional[str], population) -> list[str] | None:
    if not text:
        return None
    codes = parse_iso2_list(text, field="--participating")
    missing = [c for c in codes if c not in population.index]
    if missing:
        raise InputError(f"no population for {', '.join(missing)}", field="--participating")
    return codes


@app.command("vote")
def vote_cmd(
    rule: str = typer.Option(..., help=RULE_HELP),
    for_: Optional[str] = typer.Option(None, "--for", help="States voting for, e.g. FR,IT."),
    against: Optional[str] = typer.Option(None, help="States voting against."),
    abstain: Optional[str] = typer.Option(None, help="States abstaining."),
    absent: Optional[str] = typer.Option(None, help="States not taking part (thresholds re-based)."),
    constructive: Optional[str] = typer.Option(
        None, help="Formally declared (constructive) abstentions under unanimity, Art. 31(1) TEU."),
    others: str = typer.Option("abstain", help="Position of every state not listed."),
    population: Optional[str] = typer.Option(None, help=POP_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Evaluate one vote: outcome, tally, margins and pivotal states."""
    check_rule(rule)
    pops = _population(population)
    if others not in ("for", "against", "abstain", "absent", "constructive"):
        raise InputError(f"unknown position '{others}'", field="--others")
    positions = dict.fromkeys(pops.index, others)
    seen: dict[str, str] = {}
    for word, text in [("for", for_), ("against", against), ("abstain", abstain),
                       ("absent", absent), ("constructive", constructive)]:
        for code in parse_iso2_list(text, field=f"--{word}"):
            if code in seen:
                raise InputError(f"{code} listed as both {seen[code]} and {word}", field=f"--{word}")
            if code not in pops.index:
                raise InputError(f"no population for {code}", field=f"--{word}")
            seen[code] = word
            positions[code] = word
    result = evaluate(rule, positions, pops.to_dict())
    if as_json:
        emit_json(result.to_dict())
        return
    table = Table(title=f"{rule}: {result.outcome}")
    for col in ("position", "states", "population", "share"):
        table.add_column(col, justify="right" if col != "position" else "left")
    for pos, t in result.tally.items():
        members = ",".join(s for s, p in result.positions.items() if p == pos)
        table.add_row(f"{pos} ({members})" if members else pos, str(t.states),
                      f"{t.population:,}", pct(t.population_share))
    console.print(table)
    for name, margin in result.margins.items():
        console.print(f"to {name}: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in margin.items()))
    console.print("pivotal: " + (", ".join(result.pivotal) or "none"))
    if result.appeal_committee:
        console.print("appeal committee: simple majority against with no opinion (Reg. 182/2011 Art. 5(5))")


@app.command("power")
def power_cmd(
    rule: str = typer.Option("qmv", help=RULE_HELP),
    participating: Optional[str] = typer.Option(None, help="Participating states (default all)."),
    population: Optional[str] = typer.Option(None, help=POP_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Exact Banzhaf, Shapley-Shubik and Coleman indices (no Monte Carlo)."""
    from .power import power_indices

    check_rule(rule)
    pops = _population(population)
    frame = power_indices(rule=rule, population=pops, participating=_participating(participating, pops))
    if as_json:
        emit_json({
            "rule": rule,
            "winning_coalitions": int(frame.attrs["winning_coalitions"]),
            "coleman_collectivity": float(frame.attrs["coleman_collectivity"]),
            "states": [{"iso2": iso, **{k: float(v) for k, v in row.items()}}
                       for iso, row in frame.iterrows()],
        })
        return
    table = Table(title=f"Voting power under {rule} (exact)")
    table.add_column("state")
    for col in frame.columns:
        table.add_column(col.replace("_", " "), justify="right")
    for iso, row in frame.sort_values("shapley_shubik", ascending=False).iterrows():
        table.add_row(iso, *(f"{v:.5f}" for v in row))
    console.print(table)
    console.print(f"winning coalitions: {int(frame.attrs['winning_coalitions']):,}; "
                  f"power of the collectivity to act: {frame.attrs['coleman_collectivity']:.5f}")


@app.command("probability")
def probability_cmd(
    rule: str = typer.Option(..., help=RULE_HELP),
    probabilities: Path = typer.Option(..., help="CSV iso2,p_for,p_against,p_abstain[,p_constructive]."),
    population: Optional[str] = typer.Option(None, help=POP_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Exact probability of adoption (and, for comitology, blocked / no opinion)."""
    from .power import passage_probability

    check_rule(rule)
    pops = _population(population)
    probs = load_probabilities(probabilities)
    missing = [s for s in probs.index if s not in pops.index]
    if missing:
        raise InputError(f"no population for {', '.join(missing)}", file=probabilities, field="iso2")
    result = passage_probability(rule, probs, population=pops, participating=list(probs.index))
    payload = result.to_dict()
    if as_json:
        emit_json(payload)
        return
    head = f"P(adopted) = {payload['p_adopted']:.4f}"
    if rule == "comitology":
        head += f"; P(blocked) = {payload['p_blocked']:.4f}; P(no opinion) = {payload['p_no_opinion']:.4f}"
    console.print(head)
    table = Table(title="Criticality: probability that the state's vote decides the outcome")
    table.add_column("state")
    table.add_column("criticality", justify="right")
    for row in sorted(payload["states"], key=lambda r: -r["criticality"]):
        table.add_row(row["iso2"], f"{row['criticality']:.4f}")
    console.print(table)


@app.command("blocking")
def blocking_cmd(
    rule: str = typer.Option(..., help=RULE_HELP),
    costs: Path = typer.Option(..., help="CSV iso2,cost (cost of moving a state out of the 'for' camp)."),
    population: Optional[str] = typer.Option(None, help=POP_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Cheapest coalition whose defection stops a measure (mixed-integer programme)."""
    from .blocking import cheapest_blocking_coalition

    check_rule(rule)
    pops = _population(population)
    cost = load_costs(costs)
    missing = [s for s in cost.index if s not in pops.index]
    if missing:
        raise InputError(f"no population for {', '.join(missing)}", file=costs, field="iso2")
    result = cheapest_blocking_coalition(rule, cost, population=pops)
    payload = result.to_dict()
    if as_json:
        emit_json(payload)
        return
    console.print(f"Cheapest blocking coalition under {rule}: {', '.join(payload['states'])}")
    console.print(f"cost {payload['cost']:g}; {payload['count']} states; "
                  f"{pct(payload['population_share'])} of population")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; bad input -> one line on stderr and exit code 2."""
    try:
        app(args=argv, standalone_mode=False)
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors and friends
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(2)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise





def print_summary(summary: dict, states=None) -> None:
    """The run summary as a headline and a per-state table."""
    lo, hi = summary["p_adopted_ci95"]
    console.print(f"[bold]{summary['experiment']}[/bold]: {summary['measure']} ({summary['rule']}), "
                  f"{summary['replications']:,} replications, seed {summary['seed']}")
    console.print(f"P(adopted) = {summary['p_adopted']:.3f} (95% CI {lo:.3f}-{hi:.3f}); outcomes: "
                  + ", ".join(f"{k} {v:.3f}" for k, v in summary["outcomes"].items()))
    table = Table()
    for col in ("state", "P(for)", "P(abstain)", "P(against)", "P(pivotal)", "China's spend"):
        table.add_column(col, justify="left" if col == "state" else "right")
    for row in sorted(summary["states"], key=lambda r: -r["p_for"]):
        table.add_row(row["iso2"], f"{row['p_for']:.2f}", f"{row['p_abstain']:.2f}",
                      f"{row['p_against']:.2f}", f"{row['p_pivotal']:.3f}",
                      f"{100 * row['targeted_share']:.0f}%")
    console.print(table)
    if summary.get("unverified_inputs"):
        cells = summary["unverified_inputs"]
        console.print(f"note: {len(cells)} exposure figures used here are UNVERIFIED estimates "
                      "(listed in summary.json under unverified_inputs)")


@app.command("run")
def run_cmd(
    experiment: Path = typer.Argument(..., help="Experiment file (TOML)."),
    replications: Optional[int] = typer.Option(None, help="Override the number of replications."),
    seed: Optional[int] = typer.Option(None, help="Override the seed."),
    out: Optional[Path] = typer.Option(None, help="Output directory (default results/NAME)."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json instead of tables."),
) -> None:
    """Run an experiment: outcome probabilities with confidence intervals, written to --out."""
    from .experiment import run_experiment, write_outputs

    check_counts(replications, seed)
    from .spec import load_spec

    spec = load_spec(experiment)
    out_dir = out or Path("results") / spec.name
    partial = out_dir / ".partial"
    with progress_bar() as bar:
        result = run_experiment(experiment, replications=replications, seed=seed,
                                resume_dir=partial, progress=bar)
    write_outputs(result, out_dir)
    import shutil

    shutil.rmtree(partial, ignore_errors=True)
    if as_json:
        emit_json(result.summary)
    else:
        print_summary(result.summary)
        console.print(f"written to {out_dir}/ (summary.json, states.csv, rounds.csv, "
                      "replications.csv, china_actions.csv, manifest.json)")


@app.command("list")
def list_cmd() -> None:
    """The measures, China's instruments and strategies, and the EU levers, with one-line docs."""
    from . import catalogue
    from .strategies import STRATEGIES

    def first_line(text: str) -> str:
        return " ".join((text or "").strip().split("\n\n")[0].split())

    for title, rows in [
        ("Measures", [(n, f"{m.rule}: {m.title}") for n, m in catalogue.measures().items()]),
        ("China's instruments", [(n, f"{i.kind}, {i.channel}: {first_line(i.doc)}")
                                 for n, i in catalogue.instruments().items()]),
        ("China's strategies", [(n, first_line(c.__doc__)) for n, c in STRATEGIES.items()]),
        ("EU levers (Commission options)", [(n, first_line(lv.doc)) for n, lv in catalogue.levers().items()]),
    ]:
        table = Table(title=title, show_lines=False)
        table.add_column("name")
        table.add_column("what it is")
        for name, doc in rows:
            table.add_row(name, doc)
        console.print(table)


# Commands defined beside the modules they drive (one line each).
from .cli_calibration import register as _calibration; _calibration(app)  # noqa: E402, E702
from .cli_scenarios import register as _scenarios; _scenarios(app)  # noqa: E402, E702

"""Commands for experiments: ``run``, ``list``, ``compare`` and ``sweep``.

Parse, call :mod:`model.experiments`, print rich tables or JSON; nothing else. Output folders
are checked before any work and locked while a command writes to them; Ctrl-C stops with one
line saying what was saved and how to resume.
"""

from __future__ import annotations

from pathlib import Path

import typer

from .common import (
    Interrupted,
    check_counts,
    console,
    emit_json,
    import_mesa_first,
    pct,
    progress_bar,
    table,
)

__all__ = ["register", "print_summary"]


def print_summary(summary: dict) -> None:
    """The run summary as a headline and a per-state table."""
    from ..abm.streams import BLOCK
    from ..abm.uncertainty import FEW_DRAWS

    lo, hi = summary["p_adopted_ci95"]
    console.print(f"[bold]{summary['experiment']}[/bold]: {summary['measure']} "
                  f"({summary['rule']}), {summary['replications']:,} replications, "
                  f"seed {summary['seed']}")
    interval = summary.get("p_adopted_interval", {})
    tlo, thi = interval.get("total", (lo, hi))
    if summary.get("parameters", {}).get("drawn"):
        draws = interval.get("parameter_draws", 0)
        console.print(f"P(adopted) = {summary['p_adopted']:.3f}; 95% interval {tlo:.3f}-{thi:.3f} "
                      f"with parameter uncertainty ({lo:.3f}-{hi:.3f}: the Monte Carlo error of "
                      f"this figure, from {draws} parameter draws)")
        if draws < FEW_DRAWS:
            console.print(f"[yellow]note:[/yellow] only {draws} parameter draws (one per "
                          f"{BLOCK} replications): the figure itself is uncertain; run "
                          f"{FEW_DRAWS * BLOCK:,} replications or more before quoting it")
    else:
        console.print(f"P(adopted) = {summary['p_adopted']:.3f} (95% CI {lo:.3f}-{hi:.3f}, Monte "
                      "Carlo noise; parameters fixed)")
    console.print("outcomes: " + ", ".join(f"{k} {v:.3f}" for k, v in summary["outcomes"].items()))
    drivers = [u for u in summary.get("uncertainty", []) if u["share"] >= 0.05]
    if drivers:
        console.print("uncertainty driven by: " + ", ".join(
            f"{u['parameter']} {100 * u['share']:.0f}%" for u in drivers[:5]))
    out = table(None, ("state", "P(for)", "P(abstain)", "P(against)", "P(pivotal)",
                       "China's spend"))
    for row in sorted(summary["states"], key=lambda r: -r["p_for"]):
        out.add_row(row["iso2"], f"{row['p_for']:.2f}", f"{row['p_abstain']:.2f}",
                    f"{row['p_against']:.2f}", f"{row['p_pivotal']:.3f}",
                    f"{100 * row['targeted_share']:.0f}%")
    console.print(out)
    if summary.get("stages"):
        st = table("The chain of decisions (a stage counts only where the one before allowed it)",
                   ("stage", "measure", "rule", "P(reached)", "P(adopted)", "95% interval"),
                   left=("stage", "measure", "rule"))
        for x in summary["stages"]:
            a, b = x["p_adopted_interval"]["total"]
            st.add_row(x["name"], x["measure"], x["rule"], f"{x['p_reached']:.3f}",
                       f"{x['p_adopted']:.3f}", f"{a:.3f}-{b:.3f}")
        console.print(st)
        chain = summary["chain"]
        a, b = chain["p_adopted_interval"]["total"]
        console.print(f"end of the chain: adopted in {chain['p_adopted']:.3f} of replications "
                      f"(95% interval {a:.3f}-{b:.3f})")
        for x in summary["stages"][1:]:
            if x.get("actions_not_used"):
                left = "; ".join(f"{a['instrument']} ({a['date']})"
                                 for a in x["actions_not_used"])
                console.print(f"note: stage {x['name']}: China's actions known only after its "
                              f"as_of, left out: {left}")
    if summary.get("as_of"):
        console.print(f"inputs known by {summary['as_of']} ({summary.get('as_of_rule', '')}); "
                      f"Council: {summary.get('composition', 'eu27')}")
    if summary.get("neutral_members"):
        console.print("note: no alignment or exposure data for "
                      + ", ".join(summary["neutral_members"]) + ": modelled as neutral")
    if summary.get("actions_not_used"):
        console.print("note: China's actions known only after as_of, left out: " + "; ".join(
            f"{a['instrument']} ({a['date']})" for a in summary["actions_not_used"]))
    for name, late in summary.get("commission_levers_too_late", {}).items():
        console.print(f"note: lever {name} cannot act before the vote: decided in round "
                      f"{late['decided_in_round']}, its lag is {late['lag_rounds']} rounds "
                      f"(a round is about a month), so it would act in round "
                      f"{late['would_act_in_round']}, after the last round")
    if summary.get("unverified_inputs"):
        cells = summary["unverified_inputs"]
        console.print(f"note: {len(cells)} exposure figures used here are UNVERIFIED estimates "
                      "(listed in summary.json under unverified_inputs)")


def _print_comparison(c: dict) -> None:
    lo, hi = c["difference_ci95"]
    ulo, uhi = c["difference_ci95_unpaired"]
    console.print(f"[bold]{c['b']}[/bold] vs [bold]{c['a']}[/bold]: {c['replications']:,} paired "
                  f"replications, seed {c['seed']}")
    console.print(f"P(adopted): {c['a']} {c['p_adopted_a']:.3f}, {c['b']} {c['p_adopted_b']:.3f}")
    total = c.get("difference_interval", {}).get("total", [lo, hi])
    console.print(f"difference (b - a) = {c['difference']:+.3f}; 95% interval {total[0]:+.3f} to "
                  f"{total[1]:+.3f} with parameter uncertainty (Monte Carlo error of the paired "
                  f"difference: {lo:+.3f} to {hi:+.3f}; unpaired, replications only: {ulo:+.3f} "
                  f"to {uhi:+.3f})")
    out = table("States whose positions shift most",
                ("state", "P(for) a", "P(for) b", "Δ P(for)", "Δ P(abstain)", "Δ P(against)"))
    for r in c["states"][:10]:
        out.add_row(r["iso2"], f"{r['p_for_a']:.2f}", f"{r['p_for_b']:.2f}",
                      f"{r['delta_p_for']:+.3f}", f"{r['delta_p_abstain']:+.3f}",
                      f"{r['delta_p_against']:+.3f}")
    console.print(out)
    co = c["coalitions"]
    out = table("Most frequent minimal blocking coalitions (share of replications)",
                ("scenario", "coalition", "share"), left=("scenario", "coalition"))
    for side in ("a", "b"):
        for x in co[side]["top"]:
            out.add_row(c[side], "+".join(x["states"]), pct(x["share"]))
    console.print(out)
    for note in ("seed_note", "replications_note"):
        if c.get(note):
            console.print(f"note: {c[note]}")
    for side in ("a", "b"):
        only = co[f"only_in_{side}"]
        if only:
            console.print(f"only under {c[side]}: " + "; ".join(
                f"{'+'.join(x['states'])} ({pct(x['share'])})" for x in only))


def _print_sweep(summary: dict, out_dir: Path) -> None:
    lo, hi = summary["p_adopted_min"], summary["p_adopted_max"]

    def at(p: dict) -> str:
        values = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in p["values"].items())
        ties = p.get("points_with_this_value", 1)
        return f"{ties} points, e.g. {values}" if ties > 1 else values

    console.print(f"[bold]{summary['experiment']}[/bold]: {summary['design']} design, "
                  f"{summary['points']} points x {summary['replications_per_point']:,} "
                  "replications")
    console.print(f"P(adopted) from {lo['p_adopted']:.3f} ({at(lo)}) to "
                  f"{hi['p_adopted']:.3f} ({at(hi)})")
    sobol = summary["design"] == "sobol"
    cols = ["parameter", "std. coef.", "main effect", *(["total effect"] if sobol else []),
            "range", "highest at", "lowest at"]
    out = table("Sensitivity: what moves P(adopted)", cols, left=("parameter",))

    def f(v, fmt="{:.3f}"):
        return "" if v is None else fmt.format(v)

    def interval(r, key):
        lo, hi = r.get(f"{key}_lo"), r.get(f"{key}_hi")
        return f(r[key]) + (f" ({lo:.2f} to {hi:.2f})" if lo is not None and hi is not None
                            else "")

    for r in summary["sensitivity"]:
        effects = ([interval(r, "main_effect"), interval(r, "total_effect")] if sobol
                   else [f(r["main_effect"])])
        out.add_row(r["parameter"], f(r["src"], "{:+.3f}"), *effects, f(r["range_of_means"]),
                    str(r["highest_at"]), str(r["lowest_at"]))
    console.print(out)
    if sobol:
        console.print("Sobol indices with 95% bootstrap intervals in brackets")
    if summary.get("sensitivity_r2") is not None:
        console.print(f"R^2 of the linear regression behind the coefficients: "
                      f"{summary['sensitivity_r2']:.3f}")
    console.print(f"written to {out_dir}/ (design.csv, chunks/*.parquet, points.csv, "
                  "sensitivity.csv, sweep.json, manifest.json)")


def _results_folder(out: Path | None, name: str) -> Path:
    from ..io import prepare_output_dir

    return prepare_output_dir(out or Path("results") / name)


def run_cmd(
    experiment: Path = typer.Argument(..., help="Experiment file (TOML)."),
    replications: int | None = typer.Option(None, help="Override the number of "
                                                       "replications."),
    seed: int | None = typer.Option(None, help="Override the seed."),
    out: Path | None = typer.Option(None, help="Output directory (default results/NAME)."),
    fixed_parameters: bool = typer.Option(
        False, "--fixed-parameters", help="Keep every coefficient at its estimate: Monte Carlo "
                                          "noise only, no parameter draws."),
    workers: int | None = typer.Option(
        None, help="Processes running the chunks of replications (default: every CPU for a "
                   "run of more than 20,000 replications, $EUCOALITION_WORKERS if set); the "
                   "output is the same to the byte for any number."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json instead of "
                                                       "tables."),
) -> None:
    """Run an experiment: outcome probabilities with confidence intervals, written to --out.

    An interrupted run resumes from the chunks it saved when the same command is rerun.
    """
    import shutil

    import_mesa_first()
    from ..experiments.results import write_outputs
    from ..experiments.run import run_experiment
    from ..experiments.spec import load_spec
    from ..io import locked

    check_counts(replications, seed, workers)
    spec = load_spec(experiment)
    out_dir = _results_folder(out, spec.name)
    partial = out_dir / ".partial"
    with locked(out_dir):
        try:
            with progress_bar() as bar:
                result = run_experiment(experiment, replications=replications, seed=seed,
                                        resume_dir=partial, fixed_parameters=fixed_parameters,
                                        progress=bar, workers=workers)
        except KeyboardInterrupt:
            saved = len(list(partial.glob("chunk_*.npz")))
            raise Interrupted(f"interrupted: {saved} finished chunk(s) of replications are "
                              f"saved in {partial}; rerun the same command to resume") from None
        write_outputs(result, out_dir)
        shutil.rmtree(partial, ignore_errors=True)
    if as_json:
        emit_json(result.summary)
    else:
        print_summary(result.summary)
        console.print(f"written to {out_dir}/ ({', '.join(result.output_files)})")

def inputs_cmd(
    experiment: Path = typer.Argument(..., help="Experiment or case file (TOML)."),
    all_rows: bool = typer.Option(False, "--all", help="Also list rows not used "
                                                       "(superseded or known too late)."),
    as_json: bool = typer.Option(False, "--json", help="Print every row as JSON."),
) -> None:
    """What went into a run: each input with its date, confidence and whether it was used
    (rows dated after the run's as_of are listed as not used)."""
    from ..experiments.inputs import inputs_table

    report = inputs_table(experiment)
    if as_json:
        emit_json(report)
        return
    rows = report["rows"] if all_rows else [
        r for r in report["rows"] if r["used"] or r["status"] == "known after as_of"]
    out = table(f"Inputs of {report['experiment']} as of {report['as_of']} "
                f"({report['as_of_rule']}; Council: {report['composition']})",
                ("file", "state", "indicator", "value", "known from", "confidence", "used"),
                left=("file", "state", "indicator", "used"))
    for r in rows:
        value = f"{r['value']:g}" if isinstance(r["value"], (int, float)) else str(r["value"])
        out.add_row(r["file"], r["iso2"], r["indicator"], value, r["date"] or "",
                    r["confidence"], "yes" if r["used"] else r["status"])
    console.print(out)
    late = sum(r["status"] == "known after as_of" for r in report["rows"])
    console.print(f"{sum(r['used'] for r in report['rows'])} rows used, {late} known only after "
                  f"{report['as_of']}" + ("" if all_rows else "; --all lists superseded rows too"))
    if report["neutral_members"]:
        console.print("neutral (no data; alignment and exposures set to 0): "
                      + ", ".join(report["neutral_members"]))


def list_cmd(
    unverified: bool = typer.Option(False, "--unverified", help="List every UNVERIFIED "
                                    "estimate in use and what would replace it."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (with --unverified)."),
) -> None:
    """The rules, measures, China's instruments and strategies, and the EU levers."""
    if unverified:
        _list_unverified(as_json)
        return
    from ..abm.levers import LEVERS
    from ..abm.strategies import STRATEGIES
    from ..inputs import catalogue
    from ..treaty.rules import RULES

    def first_line(text: str) -> str:
        return " ".join((text or "").strip().split("\n\n")[0].split())

    for title, rows in [
        ("Voting rules", [(n, f"{r.title} ({r.source})") for n, r in RULES.items()]),
        ("Measures", [(n, f"{m.rule}: {m.title}") for n, m in catalogue.measures().items()]),
        ("China's instruments", [(n, f"{i.kind}, {i.channel}"
                                  + ("" if i.toolbox else " (not in the default toolbox)")
                                  + (f", by month: {i.schedule.name}" if i.schedule else "")
                                  + f": {first_line(i.doc)}")
                                 for n, i in catalogue.instruments().items()]),
        ("China's strategies", [(n, first_line(c.__doc__)) for n, c in STRATEGIES.items()]),
        ("EU levers (Commission options)", [
            (n, f"{first_line(lv.__doc__)} [{lv.effect}; acts "
                f"{int(catalogue.levers()[n].lag.value)} rounds after the decision]")
            for n, lv in LEVERS.items()]),
    ]:
        out = table(title, ("name", "what it is"), left=("name", "what it is"))
        for name, doc in rows:
            out.add_row(name, doc)
        console.print(out)

def _list_unverified(as_json: bool) -> None:
    from ..inputs.estimates import unverified_in_use

    report = unverified_in_use()
    if as_json:
        emit_json(report)
        return
    out = table(f"UNVERIFIED estimates in use ({report['council']}, data as of "
                f"{report['as_of']})", ("state", "indicator", "year", "value", "sourced anchor",
                                        "would be replaced by"),
                left=("state", "indicator", "sourced anchor", "would be replaced by"))
    for r in report["rows"]:
        out.add_row(r["iso2"], r["indicator"], r["year"], f"{r['value']:g} {r['unit']}",
                    r["anchor"] or "-", r["replace_with"])
    console.print(out)
    console.print(f"{len(report['rows'])} estimates in use; of the {report['in_file']} "
                  "UNVERIFIED rows of params/exposures.csv, the others are superseded by "
                  f"sourced figures ({report['not_used']}) or read by no channel")


def compare_cmd(
    a: Path = typer.Argument(..., help="Scenario A (experiment TOML)."),
    b: Path = typer.Argument(..., help="Scenario B (experiment TOML)."),
    replications: int | None = typer.Option(None, help="Replications of both "
                                                       "(default: A's)."),
    seed: int | None = typer.Option(None, help="Common seed (default: A's)."),
    out: Path | None = typer.Option(None, help="Output directory (default "
                                               "results/A_vs_B)."),
    fixed_parameters: bool = typer.Option(
        False, "--fixed-parameters", help="Keep every coefficient at its estimate: Monte Carlo "
                                          "noise only, no parameter draws."),
    as_json: bool = typer.Option(False, "--json", help="Print compare.json instead of "
                                                       "tables."),
) -> None:
    """Compare two scenarios paired by common random numbers: difference, shifts, coalitions.

    Reports the paired difference in P(adopted) (B minus A) with its 95% interval, the
    states whose positions shift most and the blocking coalitions of each scenario. Both
    run with A's seed and replications (or those given here); the output says so when the
    files differ.
    """
    import_mesa_first()
    from ..experiments.compare import compare
    from ..experiments.spec import load_spec
    from ..io import locked

    check_counts(replications, seed)
    spec_a, spec_b = load_spec(a), load_spec(b)          # validate both before running
    out_dir = _results_folder(out, f"{spec_a.name}_vs_{spec_b.name}")
    with locked(out_dir):
        try:
            with progress_bar("rounds") as bar:
                result = compare(a, b, replications=replications, seed=seed,
                                 out=out_dir, fixed_parameters=fixed_parameters, progress=bar)
        except KeyboardInterrupt:
            raise Interrupted("interrupted: nothing was written; rerun the same command "
                              "to compare") from None
    if as_json:
        emit_json(result)
        return
    _print_comparison(result)
    console.print(f"written to {out_dir}/ (compare.json, manifest.json, a/, b/)")

def sweep_cmd(
    experiment: Path = typer.Argument(..., help="Experiment file (TOML), with a \\[sweep] "
                                                "table unless --param is given."),
    param: list[str] | None = typer.Option(
        None, "--param", help="name=v1,v2,... (levels), name=lo:hi (range, lhs/sobol) or "
                              "name=lo:hi:n (range with n grid levels). Repeatable; replaces "
                              "the file's \\[sweep.parameters]."),
    design: str | None = typer.Option(None, help="grid, lhs or sobol (default: the file's, "
                                                  "else grid)."),
    samples: int | None = typer.Option(None, help="Points of an lhs design; base sample "
                                                  "(a power of two) of a sobol design."),
    out: Path | None = typer.Option(None, help="Output directory (default results/NAME)."),
    executor: str = typer.Option("local", help="local or dask."),
    scheduler: str | None = typer.Option(None, help="Address of a running dask scheduler "
                                                    "(default: start a LocalCluster)."),
    workers: int | None = typer.Option(None, help="Worker processes: of the local executor "
                                                  "(default: every usable CPU for three points "
                                                  "or more) or of the LocalCluster (default: "
                                                  "CPU count)."),
    replications: int | None = typer.Option(None, help="Replications per design point."),
    chunk: int | None = typer.Option(None, help="Design points per results file."),
    fixed_parameters: bool = typer.Option(
        False, "--fixed-parameters", help="Keep every coefficient at its estimate: Monte Carlo "
                                          "noise only, no parameter draws."),
    as_json: bool = typer.Option(False, "--json", help="Print sweep.json instead of "
                                                       "tables."),
) -> None:
    """Sweep parameters (grid, Latin hypercube or Sobol design), locally or on Dask.

    Results stream to --out in Parquet chunks; rerunning an interrupted sweep resumes it.
    """
    import_mesa_first()
    from ..experiments.design import parse_param_options
    from ..experiments.spec import load_spec
    from ..experiments.sweep import plan_sweep, run_sweep
    from ..io import locked

    check_counts(replications)
    params = parse_param_options(param) if param else None
    spec = load_spec(experiment)
    plan_sweep(experiment, params=params, design=design, samples=samples,
               replications=replications, chunk=chunk,
               fixed_parameters=fixed_parameters)                # validate before writing
    out_dir = _results_folder(out, spec.name)
    with locked(out_dir):
        try:
            with progress_bar("points") as bar:
                result = run_sweep(experiment, out_dir, params=params, design=design,
                                   samples=samples, replications=replications, chunk=chunk,
                                   executor=executor, workers=workers, scheduler=scheduler,
                                   fixed_parameters=fixed_parameters, progress=bar)
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted: finished points are kept in {out_dir}/; rerun "
                              "the same command to resume") from None
    if as_json:
        emit_json(result.summary)
        return
    _print_sweep(result.summary, out_dir)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("run")(run_cmd)
    app.command("list")(list_cmd)
    app.command("inputs")(inputs_cmd)
    app.command("compare")(compare_cmd)
    app.command("sweep")(sweep_cmd)

"""Commands for recorded votes: ``backtest`` and ``calibrate``.

Parse, call :mod:`model.validation`, print rich tables or JSON; nothing else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from ..errors import InputError
from .common import Interrupted, check_counts, console, emit_json, progress_bar, table

#: Where ``calibrate`` writes unless told otherwise: never over the shipped parameters.
DEFAULT_CALIBRATION_OUT = Path("results") / "calibration" / "behaviour.toml"
DEFAULT_VALIDATION_WORK = Path("results") / "validation" / ".partial"

__all__ = ["register"]

_LABELS = {
    "uniform": ("uniform", "nothing (1/3 each)"),
    "majority_in_sample": ("majority", "this case (in-sample)"),
    "majority_leave_one_state_out": ("majority", "other states (held out)"),
    "majority_leave_one_case_out": ("majority", "other cases (held out)"),
    "exposure_logit_in_sample": ("exposure logit", "this case (in-sample)"),
    "exposure_logit_leave_one_state_out": ("exposure logit", "other states (held out)"),
    "exposure_logit_leave_one_case_out": ("exposure logit", "other cases (held out)"),
}
_HELD_OUT = {"leave-one-state-out": "other states (held out)",
             "leave-one-case-out": "other cases (held out)"}
_TERM_LABELS = {"stance": "stance", "stakes": "stakes", "pressure": "China",
                "grievance": "grievance", "peers": "peers",
                "backlash": "backlash"}


def _metric_row(out, name: str, fitted: str, m: dict) -> None:
    out.add_row(name, fitted, f"{100 * m['accuracy']:.1f}%", f"{m['log_loss']:.3f}",
                  f"{m['brier']:.3f}")


def _metric_table(title: str):
    return table(title, ("predictor", "fitted on", "accuracy", "log-loss", "Brier"),
                 left=("predictor", "fitted on"))


def _model_fitted_on(case: dict, fitted_on: list[str]) -> str:
    if case["model_in_sample"]:
        return "this case (IN-SAMPLE)"
    if fitted_on:
        return "other cases"
    return "priors only"


def _legend(methods: set[str]) -> str:
    text = {"leave-one-state-out": "held out = leave-one-state-out: each state predicted by a "
                                   "fit on the other states of its case",
            "leave-one-case-out": "held out = leave-one-case-out: each case predicted by a fit "
                                  "on the other cases"}
    return "; ".join(text[m] for m in sorted(methods) if m in text)


def _drivers_text(row: dict) -> str:
    """The terms of a state's latent support, largest first (stakes with its main channels)."""
    terms = [(k, v) for k, v in row["terms"].items() if k != "intercept" and abs(v) >= 0.005]
    parts = []
    for k, v in sorted(terms, key=lambda kv: -abs(kv[1])):
        text = f"{_TERM_LABELS[k]} {v:+.2f}"
        if k == "stakes" and row["stakes_by_channel"]:
            ch = sorted(((c, x) for c, x in row["stakes_by_channel"].items() if abs(x) >= 0.005),
                        key=lambda cx: -abs(cx[1]))[:2]
            if ch:
                text += " (" + ", ".join(f"{c} {x:+.2f}" for c, x in ch) + ")"
        parts.append(text)
    return "; ".join(parts) or "none"


def _holds_text(holds: dict) -> str:
    """What a case records, in a few words: '27 named', '24 named + totals', 'outcome'."""
    parts = []
    if holds["named"]:
        parts.append(f"{holds['named']} of {holds['voting']} named")
    if "totals" in holds:
        parts.append("totals " + "/".join(f"{v} {k}" for k, v in holds["totals"].items()))
    if "share" in holds:
        (word, (lo, hi)), = holds["share"].items()
        parts.append(f"{word} {lo:g}-{hi:g}% of population")
    if "outcome" in holds:
        parts.append(f"outcome {holds['outcome']}")
    return "; ".join(parts)


def _print_library(report: dict) -> None:
    """One row per case: what it holds, the recorded outcome and how likely the model made
    the record, beside uniform probabilities."""
    out = table(f"Recorded decisions ({len(report['cases'])} cases)",
                ("case", "date", "Council", "rule", "holds", "P(outcome)", "log-lik",
                 "uniform", "log-loss"),
                left=("case", "Council", "rule", "holds"))
    for c in report["cases"]:
        p_out = c["p_observed_outcome"]
        out.add_row(c["case"] + (" (IN-SAMPLE)" if c["model_in_sample"] else ""), c["date"],
                    c["composition"], c["rule"], _holds_text(c["holds"]),
                    "-" if p_out is None else f"{p_out:.3f}",
                    f"{c['log_likelihood']['total']:.2f}",
                    f"{c['log_likelihood_uniform']['total']:.2f}",
                    "-" if c["log_loss"] is None else f"{c['log_loss']:.3f}")
    console.print(out)
    o = report["overall"]
    console.print(f"log-likelihood of all records: model {o['log_likelihood']:.2f}, uniform "
                  f"{o['log_likelihood_uniform']:.2f} (higher is better); P(outcome) is the "
                  "model's probability of the recorded outcome; log-loss is per named state")


def _print_case(case: dict, report: dict) -> None:
    from ..validation.baselines import EPSILON

    console.print(f"[bold]{case['case']}[/bold] ({case['measure']}, {case['rule']}, "
                  f"{case['date']}, Council {case['composition']}): "
                  f"{_holds_text(case['holds'])}; {case['replications']:,} replications, seed "
                  f"{case['seed']}")
    p_pred = case["outcome_probabilities"][case["outcome_predicted"]]
    console.print(f"outcome: predicted {case['outcome_predicted']} (P = {p_pred:.3f}), "
                  f"observed {case['outcome_observed'] or 'not recorded'}")
    agg = case["log_likelihood"]["aggregate"]
    if agg is not None:
        console.print(f"P({agg['kind']} | named states) = {agg['probability']:.4g} (model), "
                      f"{case['log_likelihood_uniform']['aggregate']['probability']:.4g} "
                      "(uniform)")
    if not case["n_states"]:
        return
    scores = _metric_table("How well each predictor reproduces the named positions")
    _metric_row(scores, "model", _model_fitted_on(case, report["fitted_on"]), case)
    methods = {"leave-one-case-out" if "case_out" in n else "leave-one-state-out"
               for n in case["baselines"] if "leave_one" in n}
    if "model_held_out" in case:
        held = case["model_held_out"]
        methods.add(held["method"])
        _metric_row(scores, "model", _HELD_OUT.get(held["method"], held["method"]), held)
    for name, metrics in case["baselines"].items():
        label, fitted = _LABELS.get(name, (name, ""))
        _metric_row(scores, label, fitted, metrics)
    console.print(scores)
    console.print(f"majority = every state votes the most common recorded position (with "
                  f"probability {1 - 2 * EPSILON:g}; ties shared); exposure logit = ordered "
                  f"logit on the measure's exposure channels alone; {_legend(methods)}")
    if case["misfits"]:
        first = case["misfits"][0]
        mis = table(f"Worst-predicted states (support = intercept "
                    f"{first['terms']['intercept']:+.2f} + the drivers; against below "
                    f"{first['cut_low']:+.2f}, for above {first['cut_high']:+.2f})",
                    ("state", "voted", "P(voted)", "predicted", "support", "drivers"),
                    left=("state", "voted", "predicted", "drivers"))
        for row in case["misfits"]:
            mis.add_row(row["iso2"], row["observed"], f"{row['p_observed']:.2f}",
                        row["predicted"], f"{row['utility']:+.2f}", _drivers_text(row))
        console.print(mis)


def _print_backtest(report: dict, details: bool = False) -> None:
    several = len(report["cases"]) > 1
    if several:
        _print_library(report)
    if details or not several:
        for case in report["cases"]:
            _print_case(case, report)
    o = report["overall"]
    if several and o["model"] is not None:
        pooled = _metric_table(f"Named positions of {o['n_cases_with_named_states']} cases "
                               f"pooled ({o['model']['n_states']} states)")
        fitted = [c for c in report["cases"] if c["model_in_sample"] and c["n_states"]]
        with_names = o["n_cases_with_named_states"]
        _metric_row(pooled, "model", f"IN-SAMPLE on {len(fitted)} of {with_names} cases"
                    if fitted else "priors or other cases", o["model"])
        if "model_held_out" in o:
            _metric_row(pooled, "model", f"held out ({len(fitted)} calibrated "
                        f"case{'s' if len(fitted) != 1 else ''} only)", o["model_held_out"])
        for name, metrics in o["baselines"].items():
            label, fitted = _LABELS.get(name, (name, ""))
            _metric_row(pooled, label, fitted, metrics)
        console.print(pooled)
    if report["in_sample_warning"] and report["fitted_on"]:
        console.print(f"note: {report['in_sample_warning']}")
    for note in report["notes"]:
        console.print(f"note: {note}")


def _print_calibration(result: dict, out: Path) -> None:
    names = ", ".join(c["name"] for c in result["cases"])
    console.print(f"[bold]Calibration[/bold] on {names}: {result['n_obs']} recorded observations, "
                  f"{len(result['free'])} free coefficients, {result['replications']:,} "
                  f"replications per run")
    estimates = table("Estimates (MAP toward the priors; sd and se in the fitted scale, log for "
                      "a directed coefficient; 95% interval mapped back)",
                      ("coefficient", "scale", "prior (sd)", "estimate", "se", "95% interval"),
                      left=("coefficient", "scale"))
    for r in result["estimates"]:
        interval = f"{r['ci95'][0]:+.2f} to {r['ci95'][1]:+.2f}" if r["ci95"] else "n/a"
        estimates.add_row(r["name"], {"identity": "value", "log": "log", "neglog": "log(-x)"}[
                          r["scale"]], f"{r['prior_mean']:+.2f} ({r['prior_sd']:g})",
                          f"{r['estimate']:+.3f}",
                          f"{r['se']:.3f}" if r["se"] is not None else "n/a", interval)
    console.print(estimates)
    console.print(f"log-likelihood {result['log_likelihood']:.3f}; log-posterior "
                  f"{result['log_posterior']:.3f}; optimizer: {result['optimizer']['message']}")
    scores = _metric_table("Scores")
    _metric_row(scores, "model at the priors", "nothing", result["prior_model"]["overall"])
    _metric_row(scores, "calibrated model",
                ("this case" if len(result["cases"]) == 1 else "these cases") + " (IN-SAMPLE)",
                result["in_sample"]["overall"])
    if result["held_out"]:
        held = result["held_out"]
        _metric_row(scores, "calibrated model", _HELD_OUT[held["method"]], held["overall"])
    console.print(scores)
    if result["held_out"]:
        console.print(_legend({result["held_out"]["method"]}))
    for w in result["warnings"]:
        console.print(f"warning: {w}")
    console.print(f"note: {result['in_sample_warning']}")
    console.print(f"written to {out}")


def backtest_cmd(
    cases: list[Path] = typer.Argument(
        ..., help="Case files (experiment TOML with an \\[observed] table), "
                  "e.g. params/votes/*.toml."),
    replications: int | None = typer.Option(None, help="Override the cases' replications."),
    seed: int | None = typer.Option(None, help="Override the cases' seeds."),
    coefficients: Path | None = typer.Option(
        None, help="Behaviour file to test (default params/behaviour.toml; "
                   "params/behaviour_priors.toml tests the uncalibrated model)."),
    misfits: int = typer.Option(5, help="Worst-predicted states to explain per case."),
    details: bool = typer.Option(False, "--details", help="With several cases, also print "
                                                          "each case's tables."),
    fixed_parameters: bool = typer.Option(
        False, "--fixed-parameters", help="Score the model at its estimates, without "
                                          "parameter draws (what calibration fits)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Score the model against recorded decisions beside simple baselines; explain misfits.

    Each case is scored on what it holds: named positions (accuracy, log-loss, Brier) and the
    exact probability of its totals, population share or outcome.

    Baselines: uniform, the majority position and an exposure-only ordered logit, each
    labelled in-sample or held-out. The model's figures are in-sample for the cases its
    behaviour file was calibrated on; the held-out figures the calibration recorded are
    shown beside them.
    """
    from ..validation.backtest import backtest

    check_counts(replications, seed)
    if misfits < 0:
        raise InputError("must be non-negative", field="--misfits")
    with progress_bar("steps") as bar:
        report = backtest(cases, replications=replications, seed=seed,
                          coefficients=coefficients, misfits=misfits,
                          fixed_parameters=fixed_parameters,
                          progress=(lambda d, t: bar("cases", d, t)) if bar else None)
    if as_json:
        emit_json(report)
        return
    _print_backtest(report, details)


def _print_validation(report: dict) -> None:
    out = table(f"Leave-one-case-out: each case predicted by a fit on the others "
                f"({len(report['cases'])} cases; free: {', '.join(report['free'])})",
                ("case", "named", "log-loss", "P(outcome)", "outcome", "log-lik",
                 "uniform", "majority", "logit", "last time"),
                left=("case", "outcome"))

    def ll(entry, name):
        b = entry["baselines"].get(name)
        return "-" if not b else f"{b['log_likelihood']:.2f}"

    for r in report["cases"]:
        out.add_row(r["case"], str(r["n_named"]),
                    "-" if r.get("log_loss") is None else f"{r['log_loss']:.3f}",
                    "-" if r["outcome_probability"] is None else f"{r['outcome_probability']:.3f}",
                    r["outcome_observed"] or "-", f"{r['log_likelihood']:.2f}",
                    ll(r, "uniform"), ll(r, "majority"), ll(r, "exposure_logit"),
                    ll(r, "as_last_time"))
    console.print(out)
    pooled = table("Pooled, held out (per named state; outcome Brier per case with an outcome)",
                   ("predictor", "log-loss", "accuracy", "Brier", "outcome Brier",
                    "log-lik (cases)", "model on them"), left=("predictor",))

    def row(name, m):
        def f(x, fmt):
            return "-" if x is None else fmt.format(x)
        cases = f" ({m['n_cases']})" if "n_cases" in m else ""
        pooled.add_row(name, f(m["log_loss"], "{:.3f}"), f(m["accuracy"], "{:.1%}"),
                       f(m["brier"], "{:.3f}"), f(m["outcome_brier"], "{:.3f}"),
                       f(m["log_likelihood"], "{:.2f}") + cases,
                       f(m.get("model_log_likelihood_same_cases"), "{:.2f}"))

    row("model", report["model"])
    for name, m in report["baselines"].items():
        row(name.replace("_", " "), m)
    console.print(pooled)
    rel = table("Reliability: predicted P(adopted in the end) against how often it was",
                ("predicted", "cases", "mean predicted", "observed"))
    for b in report["reliability"]:
        rel.add_row(f"{b['bin'][0]:.1f}-{b['bin'][1]:.1f}", str(b["cases"]),
                    "-" if b["mean_predicted"] is None else f"{b['mean_predicted']:.3f}",
                    "-" if b["observed_frequency"] is None else f"{b['observed_frequency']:.3f}")
    console.print(rel)


def validate_cmd(
    cases: list[Path] = typer.Argument(..., help="Case files, e.g. params/votes/*.toml."),
    replications: int = typer.Option(250, help="Replications of every model run in the fits."),
    free: str = typer.Option("intercept,beta_stance,beta_stakes,beta_pressure,cut_gap",
                             help="Coefficients each refit frees (as for calibrate)."),
    draws: int = typer.Option(16, help="Parameter draws per case for its outcome probability."),
    work: Path = typer.Option(DEFAULT_VALIDATION_WORK,
                              help="Folder where the full fit and every finished case are saved "
                                   "while it runs, so an interrupted validation resumes "
                                   "(removed once the report is printed)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Validate out of sample: refit without each case in turn and score it on what it holds,
    beside uniform, majority, exposure-logit and as-last-time baselines.

    Every finished step is saved in --work; rerunning the same command after an interruption
    resumes from there (steps of other cases, settings, data or versions are not reused)."""
    from ..io import locked
    from ..validation.validate import validate

    check_counts(replications)
    if draws < 1:
        raise InputError("must be at least 1", field="--draws")
    names = [x.strip() for x in free.split(",") if x.strip()]
    with locked(work, field="--work"):
        try:
            with progress_bar("cases") as bar:
                report = validate(cases, free=names, replications=replications, draws=draws,
                                  progress=(lambda d, t: bar("cases", d, t)) if bar else None,
                                  work=work)
        except KeyboardInterrupt:
            saved = len(list(work.glob("case_*.json")))
            raise Interrupted(f"interrupted: the fit and {saved} finished case(s) are saved in "
                              f"{work}; rerun the same command to resume") from None
    shutil.rmtree(work, ignore_errors=True)
    if as_json:
        emit_json(report)
        return
    _print_validation(report)


def calibrate_cmd(
    cases: list[Path] = typer.Argument(..., help="Case files to fit on."),
    out: Path | None = typer.Option(
        None, help=f"Behaviour file to write (default {DEFAULT_CALIBRATION_OUT}; "
                   "--out params/behaviour.toml replaces the shipped coefficients)."),
    replications: int = typer.Option(250, help="Replications of every model run in the fit."),
    seed: int | None = typer.Option(None, help="Seed of every run (default: each case's)."),
    free: str = typer.Option(
        "intercept,stakes,beta_stance,cut_gap",
        help="Coefficients to fit: intercept, stakes, cut_gap, beta_stance, beta_stakes, "
             "beta_pressure, beta_peer, beta_backlash, shock_sd."),
    priors: Path | None = typer.Option(None, help="Priors file (default "
                                                     "params/behaviour_priors.toml)."),
    held_out: str = typer.Option("auto", help="Held-out scores: auto (leave-one-case-out with "
                                              "several cases, else leave-one-state-out), "
                                              "cases, states or none."),
    free_sign: str = typer.Option(
        "", help="Coefficients whose documented direction the fit may reverse (comma-separated:"
                 " e.g. beta_pressure, stakes, stakes.ev_cvd.trade); recorded in the file."),
    work: Path | None = typer.Option(
        None, help="Folder where every model evaluation is saved while the fit runs, so an "
                   "interrupted calibration resumes (default: .STEM.partial/ beside the --out "
                   "file; removed once the file is written)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Fit behavioural coefficients to recorded votes (MAP) and write a behaviour file.

    Maximum likelihood of the recorded positions under the model itself (fixed seed and
    replications), regularised toward the priors; standard errors from the Hessian;
    held-out scores by leave-one-case-out or leave-one-state-out. The file records the
    cases, seeds, replications, penalty, fit and data hashes.
    """
    from ..io import locked, prepare_output_dir
    from ..validation.behaviour_file import write_behaviour
    from ..validation.calibrate import calibrate

    check_counts(replications, seed)
    target = out or DEFAULT_CALIBRATION_OUT
    if target.is_dir():
        raise InputError(f"{target} is a folder; name the .toml file to write", field="--out")
    prepare_output_dir(target.parent)
    names = [x.strip() for x in free.split(",") if x.strip()]
    work = work or target.parent / f".{target.stem}.partial"
    with locked(work, field="--work"):
        try:
            with progress_bar("steps") as bar:
                result = calibrate(
                    cases, free=names, replications=replications, seed=seed,
                    priors_path=priors, held_out=held_out, progress=bar, work=work,
                    free_signs=[x.strip() for x in free_sign.split(",") if x.strip()])
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted: the model evaluations made so far are saved in "
                              f"{work}; rerun the same command to resume") from None
    target = write_behaviour(result, target)
    shutil.rmtree(work, ignore_errors=True)
    if as_json:
        emit_json({**result.to_dict(), "out": str(target)})
        return
    _print_calibration(result.to_dict(), target)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("backtest")(backtest_cmd)
    app.command("calibrate")(calibrate_cmd)
    app.command("validate")(validate_cmd)

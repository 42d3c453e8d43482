"""Back-test: how well the model reproduces recorded votes, against simple baselines.

:func:`backtest` runs each case (:mod:`model.validation.cases`) and scores the predicted
per-state probabilities of for, abstain and against (the mean final-round probabilities over
replications) against the recorded positions, next to the baselines of
:mod:`model.validation.baselines`. Each baseline is labelled ``_in_sample`` when fitted on the
case it predicts, ``_leave_one_state_out`` or ``_leave_one_case_out`` when not.

Scores (:func:`model.stats.score`): accuracy of the most likely position (ties shared), log-loss
and the multi-class Brier score, each a mean over the states the record names. A partly
observed case (totals, a share or the outcome only) is scored by the exact log-probability of
what it holds (:mod:`model.validation.likelihood`), against the same figure under uniform
probabilities. The model's own figures are in-sample when the behaviour file was calibrated
on the case - recognised by the hash of what was observed, whatever the case is called
(``[meta] fitted_observed``) - and the held-out figures the calibration recorded are reported
beside them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from ..abm.behaviour import COLUMNS
from ..abm.scenario import Scenario
from ..errors import InputError
from ..experiments.resolve import resolve
from ..experiments.run import run_experiment
from ..experiments.spec import apply_overrides
from ..inputs.tables import PARAMS_DIR, read_toml
from ..stats import score
from ..treaty.positions import CHOICES
from .baselines import (
    fit_ordered_logit,
    majority_leave_one_out,
    majority_probabilities,
    ordered_logit_probabilities,
)
from .cases import (
    case_rule,
    council_populations,
    load_case,
    named_states,
    observed_hash,
    observed_outcome,
    record,
)
from .drivers import behaviour_overrides, prediction_drivers
from .drivers import misfits as worst_predicted
from .likelihood import case_log_likelihood

__all__ = ["backtest"]


def _meta(path: Path) -> dict:
    meta = read_toml(path).get("meta", {})
    return meta if isinstance(meta, dict) else {}


def _exposure_matrix(scenario: Scenario, channels: list[str], states: list[str]) -> np.ndarray:
    rows = [scenario.all_states.index(s) for s in states]
    cols = [scenario.channels.index(ch) for ch in channels]
    return scenario.exposure[np.ix_(rows, cols)]


def _pooled(parts: list[tuple[int, dict]]) -> dict:
    """Metrics pooled over all states of several cases (state-weighted means)."""
    n = sum(k for k, _ in parts)
    out = {"n_states": n}
    for key in ("accuracy", "log_loss", "brier"):
        out[key] = sum(k * m[key] for k, m in parts) / n
    return out


def backtest(cases: Iterable, *, replications: int | None = None, seed: int | None = None,
             coefficients: Path | str | None = None, misfits: int = 5,
             fixed_parameters: bool = False,
             progress: Callable[[int, int], None] | None = None) -> dict:
    """Run each case and score the model and the baselines against the recorded votes.

    Parameters
    ----------
    cases : case file paths (or dicts / specs with an ``[observed]`` table).
    replications, seed : override the case files' values.
    coefficients : behaviour file to test (default: params/behaviour.toml, which resolve()
        uses anyway); another file's coefficients and measure values are applied as overrides,
        and the case's own overrides still win.
    misfits : how many of the worst-predicted states to explain per case.
    fixed_parameters : score the model at its estimates (no parameter draws; what calibration
        fits), instead of as a run draws them.
    progress : called as progress(cases_done, cases_total).

    Returns
    -------
    dict with ``cases`` (one entry per case: scores of the model and each baseline, predicted
    and observed outcome, per-state probabilities, misfits with their drivers) and ``overall``
    (the same scores pooled over all states of all cases).
    """
    loaded = []
    for case in cases:
        spec = load_case(case)
        loaded.append((spec, case if isinstance(case, (str, Path)) else None))
    if not loaded:
        raise InputError("no case files given", field="CASE")
    names = [s.name for s, _ in loaded]
    if len(set(names)) != len(names):
        raise InputError("two cases share a name", field="name")
    hashes = [observed_hash(s) for s, _ in loaded]
    behaviour = Path(coefficients) if coefficients else PARAMS_DIR / "behaviour.toml"
    meta = _meta(behaviour)
    fitted_on = list(meta.get("fitted_on", []))
    holdout = meta.get("holdout", {}) if isinstance(meta.get("holdout"), dict) else {}
    several = len(loaded) > 1

    prepared = _prepare(loaded, behaviour if coefficients else None, replications, seed,
                        fixed_parameters)

    out_cases, pooled, totals = [], {}, {"model": 0.0, "uniform": 0.0}
    for c, (spec, path, scenario, named, y, X, rec) in enumerate(prepared):
        result = run_experiment(spec)
        table = result.states.set_index("iso2").loc[list(rec.states)].reset_index()
        p_all = table[list(COLUMNS)].to_numpy()
        p_model = p_all[rec.named_rows] if len(named) else np.zeros((0, 3))
        n = len(named)
        rule, pops = case_rule(spec), council_populations(spec)
        full = not spec.absent
        ll = case_log_likelihood(p_all, rec, rule, pops, full)
        ll_uniform = case_log_likelihood(np.full_like(p_all, 1 / 3), rec, rule, pops, full)
        totals["model"] += ll["total"]
        totals["uniform"] += ll_uniform["total"]
        baselines = _baselines(prepared, c, y, X, n, list(scenario.stakes_weights), several)
        outcomes = result.summary["outcomes"]
        observed = observed_outcome(spec)
        entry = {
            "case": spec.name,
            "file": str(path) if path is not None else None,
            "date": spec.observed.date,
            "as_of": scenario.as_of,
            "composition": scenario.composition,
            "measure": spec.measure,
            "rule": scenario.rule.name,
            "holds": rec.holds(),
            "n_states": n,
            **(score(p_model, y) if n else {"accuracy": None, "log_loss": None,
                                            "brier": None}),
            "log_likelihood": _ll_report(ll),
            "log_likelihood_uniform": _ll_report(ll_uniform),
            "model_in_sample": _in_sample(spec, meta),
            "outcome_predicted": max(outcomes, key=lambda k: (outcomes[k],
                                                              -list(outcomes).index(k))),
            "outcome_observed": observed,
            "p_observed_outcome": _p_outcome(observed, result.summary),
            "outcome_probabilities": outcomes,
            "baselines": baselines,
            "states": [{"iso2": s, "observed": CHOICES[y[i]].word,
                        **{col: float(p_model[i, k]) for k, col in enumerate(COLUMNS)}}
                       for i, s in enumerate(named)],
            "misfits": (worst_predicted(table.set_index("iso2").loc[named].reset_index(),
                                        prediction_drivers(scenario, spec.seed), y, misfits)
                        if n else []),
            "replications": spec.replications,
            "seed": spec.seed,
        }
        held_cases = holdout.get("cases")
        held = held_cases.get(spec.name) if isinstance(held_cases, dict) else None
        if held and entry["model_in_sample"]:
            entry["model_held_out"] = {"method": holdout.get("method", ""),
                                       **{k: held[k] for k in ("accuracy", "log_loss", "brier")},
                                       "replications": meta.get("replications"),
                                       "seed": meta.get("seed")}
        out_cases.append(entry)
        if n:
            pooled.setdefault("model", []).append((n, entry))
            if "model_held_out" in entry:
                pooled.setdefault("model_held_out", []).append((n, entry["model_held_out"]))
            for name, metrics in baselines.items():
                pooled.setdefault(name, []).append((n, metrics))
        if progress:
            progress(c + 1, len(prepared))
    overall = {"n_cases": len(out_cases),
               "n_cases_with_named_states": sum(1 for e in out_cases if e["n_states"]),
               "model": _pooled(pooled.pop("model")) if "model" in pooled else None,
               "model_in_sample": any(e["model_in_sample"] for e in out_cases),
               "log_likelihood": totals["model"],
               "log_likelihood_uniform": totals["uniform"]}
    if "model_held_out" in pooled:
        overall["model_held_out"] = _pooled(pooled.pop("model_held_out"))
    overall["baselines"] = {name: _pooled(parts) for name, parts in pooled.items()}
    notes = _notes(names, hashes, out_cases, behaviour)
    return {"coefficients": str(behaviour), "fitted_on": fitted_on,
            "in_sample_warning": meta.get("in_sample_warning", ""),
            "cases": out_cases, "overall": overall, "notes": notes}


def _prepare(loaded, behaviour: Path | None, replications, seed,
             fixed_parameters: bool = False) -> list[tuple]:
    """Each case resolved, with its record, named states, their codes and exposures."""
    prepared = []
    for spec, path in loaded:
        if behaviour is not None:
            extra = behaviour_overrides(behaviour, spec.measure)
            extra.update(spec.overrides)
            spec = apply_overrides(spec, extra)
        update = {k: v for k, v in (("replications", replications), ("seed", seed))
                  if v is not None}
        if fixed_parameters:
            update["fixed_parameters"] = True
        spec = spec.model_copy(update=update) if update else spec
        scenario = resolve(spec)
        rec = record(spec)
        named = named_states(spec)
        X = _exposure_matrix(scenario, list(scenario.stakes_weights), named)
        prepared.append((spec, path, scenario, named, rec.named_codes, X, rec))
    return prepared


def _notes(names, hashes, out_cases, behaviour: Path) -> list[str]:
    notes = []
    for h in dict.fromkeys(hashes):
        same = [n for n, x in zip(names, hashes) if x == h]
        if len(same) > 1:
            notes.append(f"{', '.join(same)} observed the same thing: pooled figures count it "
                         f"{len(same)} times")
    in_sample = [e["case"] for e in out_cases if e["model_in_sample"]]
    if in_sample:
        notes.append(f"the behaviour file ({behaviour.name}) was calibrated on what "
                     f"{', '.join(in_sample)} observed: the model's figures for "
                     f"{'that case' if len(in_sample) == 1 else 'those cases'} are in-sample")
    return notes


def _in_sample(spec, meta: dict) -> bool:
    """Whether the behaviour file was fitted on what this case observed (its content hash;
    files calibrated before hashes were recorded fall back to the case name)."""
    hashes = meta.get("fitted_observed")
    if isinstance(hashes, list):
        return observed_hash(spec) in hashes
    return spec.name in list(meta.get("fitted_on", []))


def _p_outcome(observed: str | None, summary: dict) -> float | None:
    """The model's Monte Carlo probability of the recorded outcome (None if unknown)."""
    if observed is None:
        return None
    if observed == "adopted_in_the_end":
        return summary["p_adopted"]
    if observed == "not_adopted_in_the_end":
        return 1.0 - summary["p_adopted"]
    return summary["outcomes"].get(observed)


def _ll_report(ll: dict) -> dict:
    return {"total": ll["total"], "named": ll["named"], "aggregate": ll["aggregate"],
            "reported": ll["reported"]}


def _baselines(prepared, c: int, y, X, n: int, channels: list[str], several: bool) -> dict:
    """The baselines' scores on the named states of case ``c`` (none without names)."""
    if n == 0:
        return {}
    out = {"uniform": score(np.full((n, 3), 1 / 3), y),
           "majority_in_sample": score(majority_probabilities(y, n), y)}
    if n >= 2:
        out["majority_leave_one_state_out"] = score(majority_leave_one_out(y), y)
        theta = fit_ordered_logit(X, y)
        out["exposure_logit_in_sample"] = score(ordered_logit_probabilities(theta, X), y)
        loso = np.array([ordered_logit_probabilities(
            fit_ordered_logit(np.delete(X, i, axis=0), np.delete(y, i)), X[i:i + 1])[0]
            for i in range(n)])
        out["exposure_logit_leave_one_state_out"] = score(loso, y)
    others = [o for j, o in enumerate(prepared) if j != c and len(o[4])]
    if several and others:
        y_rest = np.concatenate([o[4] for o in others])
        X_rest = np.vstack([_exposure_matrix(o[2], channels, o[3]) for o in others])
        out["majority_leave_one_case_out"] = score(majority_probabilities(y_rest, n), y)
        out["exposure_logit_leave_one_case_out"] = score(
            ordered_logit_probabilities(fit_ordered_logit(X_rest, y_rest), X), y)
    return out

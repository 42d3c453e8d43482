"""Back-test: how well the model reproduces recorded votes, against simple baselines.

:func:`backtest` runs each case (:mod:`model.validation.cases`) and scores the predicted
per-state probabilities of for, abstain and against (the mean final-round probabilities over
replications) against the recorded positions, next to the baselines of
:mod:`model.validation.baselines`. Each baseline is labelled ``_in_sample`` when fitted on the
case it predicts, ``_leave_one_state_out`` or ``_leave_one_case_out`` when not.

Scores (:func:`model.stats.score`): accuracy of the most likely position (ties shared), log-loss
and the multi-class Brier score, each a mean over the states that voted. The model's own
figures are in-sample when the behaviour file was calibrated on the case (its ``[meta]
fitted_on``); the held-out figures the calibration recorded are reported beside them.
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
from .baselines import fit_ordered_logit, majority_probabilities, ordered_logit_probabilities
from .cases import encode, load_case, observed_outcome, voting_states
from .drivers import behaviour_overrides, prediction_drivers
from .drivers import misfits as worst_predicted

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
    behaviour = Path(coefficients) if coefficients else PARAMS_DIR / "behaviour.toml"
    meta = _meta(behaviour)
    fitted_on = list(meta.get("fitted_on", []))
    holdout = meta.get("holdout", {}) if isinstance(meta.get("holdout"), dict) else {}
    several = len(loaded) > 1

    prepared = []
    for spec, path in loaded:
        if coefficients:
            extra = behaviour_overrides(behaviour, spec.measure)
            extra.update(spec.overrides)
            spec = apply_overrides(spec, extra)
        update = {k: v for k, v in (("replications", replications), ("seed", seed))
                  if v is not None}
        spec = spec.model_copy(update=update) if update else spec
        scenario = resolve(spec)
        states = voting_states(spec)
        y = encode(spec.observed.positions[s] for s in states)
        X = _exposure_matrix(scenario, list(scenario.stakes_weights), states)
        prepared.append((spec, path, scenario, states, y, X))

    out_cases, pooled = [], {}
    for c, (spec, path, scenario, states, y, X) in enumerate(prepared):
        result = run_experiment(spec)
        table = result.states.set_index("iso2").loc[states].reset_index()
        p_model = table[list(COLUMNS)].to_numpy()
        n = len(states)
        baselines = {"uniform": score(np.full((n, 3), 1 / 3), y),
                     "majority_in_sample": score(majority_probabilities(y, n), y)}
        loso = np.array([majority_probabilities(np.delete(y, i), 1)[0] for i in range(n)])
        baselines["majority_leave_one_state_out"] = score(loso, y)
        channels = list(scenario.stakes_weights)
        theta = fit_ordered_logit(X, y)
        baselines["exposure_logit_in_sample"] = score(ordered_logit_probabilities(theta, X), y)
        loso = np.array([ordered_logit_probabilities(
            fit_ordered_logit(np.delete(X, i, axis=0), np.delete(y, i)), X[i:i + 1])[0]
            for i in range(n)])
        baselines["exposure_logit_leave_one_state_out"] = score(loso, y)
        if several:
            others = [o for j, o in enumerate(prepared) if j != c]
            y_rest = np.concatenate([o[4] for o in others])
            X_rest = np.vstack([_exposure_matrix(o[2], channels, o[3]) for o in others])
            baselines["majority_leave_one_case_out"] = score(majority_probabilities(y_rest, n), y)
            baselines["exposure_logit_leave_one_case_out"] = score(
                ordered_logit_probabilities(fit_ordered_logit(X_rest, y_rest), X), y)
        outcomes = result.summary["outcomes"]
        entry = {
            "case": spec.name,
            "file": str(path) if path is not None else None,
            "date": spec.observed.date,
            "measure": spec.measure,
            "rule": scenario.rule.name,
            "n_states": n,
            **score(p_model, y),
            "model_in_sample": spec.name in fitted_on,
            "outcome_predicted": max(outcomes, key=lambda k: (outcomes[k],
                                                              -list(outcomes).index(k))),
            "outcome_observed": observed_outcome(spec),
            "outcome_probabilities": outcomes,
            "baselines": baselines,
            "states": [{"iso2": s, "observed": CHOICES[y[i]].word,
                        **{col: float(table[col].iloc[i]) for col in COLUMNS}}
                       for i, s in enumerate(states)],
            "misfits": worst_predicted(table, prediction_drivers(scenario, spec.seed), y, misfits),
            "replications": spec.replications,
            "seed": spec.seed,
        }
        held_cases = holdout.get("cases")
        held = held_cases.get(spec.name) if isinstance(held_cases, dict) else None
        if held:
            entry["model_held_out"] = {"method": holdout.get("method", ""),
                                       **{k: held[k] for k in ("accuracy", "log_loss", "brier")},
                                       "replications": meta.get("replications"),
                                       "seed": meta.get("seed")}
        out_cases.append(entry)
        pooled.setdefault("model", []).append((n, entry))
        if "model_held_out" in entry:
            pooled.setdefault("model_held_out", []).append((n, entry["model_held_out"]))
        for name, metrics in baselines.items():
            pooled.setdefault(name, []).append((n, metrics))
        if progress:
            progress(c + 1, len(prepared))
    overall = {"n_cases": len(out_cases),
               "model": _pooled(pooled.pop("model")),
               "model_in_sample": any(e["model_in_sample"] for e in out_cases)}
    if "model_held_out" in pooled:
        overall["model_held_out"] = _pooled(pooled.pop("model_held_out"))
    overall["baselines"] = {name: _pooled(parts) for name, parts in pooled.items()}
    notes = []
    if fitted_on:
        notes.append(f"the behaviour file ({behaviour.name}) was calibrated on "
                     f"{', '.join(fitted_on)}: the model's figures for "
                     f"{'that case' if len(fitted_on) == 1 else 'those cases'} are in-sample")
    return {"coefficients": str(behaviour), "fitted_on": fitted_on,
            "in_sample_warning": meta.get("in_sample_warning", ""),
            "cases": out_cases, "overall": overall, "notes": notes}

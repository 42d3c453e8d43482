"""Back-test: how well the model reproduces recorded votes, against simple baselines.

A *case file* (params/votes/*.toml, or any path) is an experiment file with an ``[observed]``
table: the positions of all 27 states in a real vote, its source and date.
:func:`backtest` runs each case and scores the predicted per-state probabilities of for,
abstain and against (the mean final-round probabilities over replications) against the
recorded positions, next to three baselines:

* ``uniform`` - one third each; fitted on nothing.
* ``majority`` - every state votes the most common recorded position. That position is read off
  the very votes it predicts, so the in-sample version is labelled ``majority_in_sample``; the
  held-out version takes it from the other states (or cases). It puts ``1 - 2 * EPSILON`` on
  the modal position and :data:`EPSILON` on each other one, so one miss costs log(1/EPSILON).
* ``exposure_logit`` - an ordered logit of the position on the measure's exposure channels alone
  (its stakes channels, model.exposure), fitted by near-maximum likelihood (a weak Gaussian
  penalty, sd :data:`LOGIT_PRIOR_SD`, keeps it finite when a channel separates the votes, as
  ``cars`` does for Germany). Labelled ``_in_sample`` when fitted on the case it predicts,
  ``_leave_one_state_out`` or ``_leave_one_case_out`` when not.

Scores (:func:`score`): accuracy of the most likely position (ties shared), log-loss and the
multi-class Brier score, each a mean over the states that voted. The model's own figures are
in-sample when the behaviour file was calibrated on the case (its ``[meta] fitted_on``); the
held-out figures the calibration recorded are reported beside them.

Example
-------
>>> p = np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6]])
>>> y = encode(["for", "abstain"])
>>> round(accuracy(p, y), 3), round(log_loss(p, y), 4), round(brier(p, y), 3)
(0.5, 1.1513, 0.71)
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from . import catalogue
from .council import CouncilModel, RunOutput
from .data import EU27, PARAMS_DIR, load_population, read_toml
from .errors import InputError
from .rules import vote
from .spec import ExperimentSpec, Scenario, apply_overrides, load_spec, resolve

__all__ = ["POSITIONS", "EPSILON", "LOGIT_PRIOR_SD", "load_case", "dump_case", "toml_dumps",
           "observed_outcome", "encode", "accuracy", "log_loss", "brier", "score",
           "majority_probabilities", "fit_ordered_logit", "ordered_logit_probabilities",
           "behaviour_overrides", "simulate", "final_probabilities", "prediction_drivers",
           "voting_states", "backtest"]

#: Column order of every probability array here (as model.behaviour.COLUMNS).
POSITIONS = ("for", "abstain", "against")
#: Probability the majority baseline leaves on each non-modal position.
EPSILON = 1e-3
#: Floor under a probability inside a logarithm (numerical guard only).
LOG_FLOOR = 1e-12
#: Prior sd of the exposure logit's coefficients (weak: near maximum likelihood).
LOGIT_PRIOR_SD = 10.0


# --- case files ------------------------------------------------------------------------------
def load_case(source: str | Path | Mapping | ExperimentSpec, *,
              path_hint: object = None) -> ExperimentSpec:
    """Read and validate a case file: an experiment file with an ``[observed]`` table.

    States recorded as ``absent`` must be the experiment's ``absent`` states and vice versa,
    so the model predicts exactly the states that voted.
    """
    if isinstance(source, ExperimentSpec):
        spec, where = source, path_hint
    else:
        where = path_hint if isinstance(source, Mapping) else Path(source)
        spec = load_spec(dict(source) if isinstance(source, Mapping) else source,
                         path_hint=path_hint)
    if spec.observed is None:
        raise InputError("a case file needs an [observed] table (positions, source, date)",
                         file=where, field="observed")
    absent = set(spec.absent)
    for iso, position in spec.observed.positions.items():
        if (position == "absent") != (iso in absent):
            raise InputError(f"{iso} is '{position}' in the vote but "
                             f"{'' if iso in absent else 'not '}listed in 'absent'",
                             file=where, field=f"observed.positions.{iso}")
    return spec


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if np.isnan(value):
            return "nan"
        if np.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (np.integer, np.floating)):
        return _toml_value(value.item())
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def toml_dumps(data: Mapping, header: str = "") -> str:
    """Write nested dicts (scalars, lists, tables, arrays of tables) as TOML text.

    ``None`` values are left out (TOML has no null). Keys keep their order.

    >>> print(toml_dumps({"a": 1, "t": {"x": "y", "u": {"v": 0.5}}}), end="")
    a = 1
    <BLANKLINE>
    [t]
    x = "y"
    <BLANKLINE>
    [t.u]
    v = 0.5
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []

    def is_table_array(v) -> bool:
        return (isinstance(v, (list, tuple)) and len(v) > 0
                and all(isinstance(x, Mapping) for x in v))

    def body(table: Mapping, path: list[str]) -> None:
        for k, v in table.items():
            if v is None or isinstance(v, Mapping) or is_table_array(v):
                continue
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in table.items():
            if isinstance(v, Mapping):
                lines.extend(["", "[" + ".".join(_toml_key(p) for p in [*path, k]) + "]"])
                body(v, [*path, k])
            elif is_table_array(v):
                for item in v:
                    lines.extend(["", "[[" + ".".join(_toml_key(p) for p in [*path, k]) + "]]"])
                    body(item, [*path, k])

    body(data, [])
    while lines and lines[0] == "":
        lines.pop(0)
    return "\n".join(lines) + "\n"


def dump_case(spec: ExperimentSpec) -> str:
    """A case (or any experiment) as TOML text that :func:`load_case` reads back equal."""
    return toml_dumps(spec.model_dump(exclude_none=True))


def voting_states(spec: ExperimentSpec) -> list[str]:
    """States that took part in the recorded vote, in EU27 order."""
    return [s for s in EU27 if spec.observed.positions[s] != "absent"]


def observed_outcome(spec: ExperimentSpec) -> str:
    """Outcome of the recorded vote under the case's rule and population table."""
    rule = spec.rule or catalogue.measures()[spec.measure].rule
    pops = load_population(spec.population)
    return vote(rule, dict(spec.observed.positions),
                {s: int(pops[s]) for s in spec.observed.positions}).outcome


# --- scores ----------------------------------------------------------------------------------
def encode(positions: Iterable[str]) -> np.ndarray:
    """Position words -> column indices of :data:`POSITIONS`."""
    try:
        return np.array([POSITIONS.index(p) for p in positions], dtype=int)
    except ValueError:
        raise InputError(f"positions must be among {', '.join(POSITIONS)}",
                         field="observed.positions") from None


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    """Share of states whose recorded position is the most likely one; a tie of k positions
    counts 1/k when the recorded one is among them (so the uniform forecast scores 1/3).

    >>> accuracy(np.full((3, 3), 1 / 3), np.array([0, 1, 2]))
    0.3333333333333333
    """
    p = np.asarray(p, dtype=float)
    top = np.isclose(p, p.max(axis=1, keepdims=True), rtol=0, atol=1e-12)
    hit = top[np.arange(len(y)), y] / top.sum(axis=1)
    return float(hit.mean())


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log probability of the recorded positions (natural log).

    >>> round(log_loss(np.full((2, 3), 1 / 3), np.array([0, 2])), 4)
    1.0986
    """
    p = np.asarray(p, dtype=float)
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], LOG_FLOOR, 1.0))))


def brier(p: np.ndarray, y: np.ndarray) -> float:
    """Multi-class Brier score: mean over states of the squared distance between the forecast
    and the one-hot recorded position (0 perfect, 2 worst, 2/3 for the uniform forecast).

    >>> round(brier(np.array([[1.0, 0.0, 0.0]]), np.array([2])), 3)
    2.0
    """
    p = np.asarray(p, dtype=float)
    onehot = np.eye(p.shape[1])[y]
    return float(np.mean(((p - onehot) ** 2).sum(axis=1)))


def score(p: np.ndarray, y: np.ndarray) -> dict:
    """accuracy, log_loss and brier of forecasts ``p`` (n x 3) for recorded ``y``."""
    return {"accuracy": round(accuracy(p, y), 6), "log_loss": round(log_loss(p, y), 6),
            "brier": round(brier(p, y), 6)}


# --- baselines -------------------------------------------------------------------------------
def majority_probabilities(y_train: np.ndarray, n: int) -> np.ndarray:
    """Everyone votes the modal position of ``y_train`` (ties go to the first in POSITIONS).

    >>> majority_probabilities(np.array([1, 1, 0]), 1).tolist()
    [[0.001, 0.998, 0.001]]
    """
    mode = int(np.argmax(np.bincount(y_train, minlength=3)))
    p = np.full((n, 3), EPSILON)
    p[:, mode] = 1.0 - 2 * EPSILON
    return p


def ordered_logit_probabilities(params: np.ndarray, X: np.ndarray) -> np.ndarray:
    """P(for, abstain, against) of the ordered logit with slopes ``params[:-2]``.

    Latent support ``eta = X @ slopes``; against below ``c = params[-2]``, for above
    ``c + exp(params[-1])`` (the same form as model.behaviour).
    """
    X = np.asarray(X, dtype=float)
    eta = X @ params[:-2]
    low, high = params[-2], params[-2] + np.exp(params[-1])
    p_against = expit(low - eta)
    p_not_for = expit(high - eta)
    return np.stack([1.0 - p_not_for, p_not_for - p_against, p_against], axis=-1)


def fit_ordered_logit(X: np.ndarray, y: np.ndarray, prior_sd: float = LOGIT_PRIOR_SD) -> np.ndarray:
    """Fit the ordered logit by maximum likelihood with a weak Gaussian penalty (sd
    ``prior_sd`` on every parameter) that keeps the estimate finite under separation."""
    X = np.asarray(X, dtype=float)
    k = X.shape[1]

    def objective(theta):
        p = ordered_logit_probabilities(theta, X)[np.arange(len(y)), y]
        return -np.sum(np.log(np.clip(p, LOG_FLOOR, 1.0))) + 0.5 * np.sum((theta / prior_sd) ** 2)

    start = np.zeros(k + 2)
    start[-2] = -1.0
    res = minimize(objective, start, method="BFGS", options={"gtol": 1e-7, "maxiter": 2000})
    return res.x


# --- the model's predictions -----------------------------------------------------------------
def behaviour_overrides(path: Path | str, measure: str) -> dict[str, float]:
    """Overrides that make a run use the behaviour file at ``path``: every coefficient, and the
    measure's intercept and stakes weights (calibrated ones from its ``[measures]`` table,
    otherwise the priors of params/measures.toml)."""
    path = Path(path)
    out = dict(catalogue.coefficients(path).values())
    prior = catalogue.measures()[measure]
    cal = catalogue.calibrated_measures(path).get(measure, catalogue.MeasureCalibration())
    out["intercept"] = (cal.intercept or prior.intercept).value
    for ch, value in prior.stakes.items():
        out[f"stakes.{ch}"] = cal.stakes.get(ch, value).value
    return out


def simulate(scenario: Scenario, replications: int, seed: int, *, point: int = 0) -> tuple[
        CouncilModel, RunOutput]:
    """Run the model on a resolved scenario and return it with its output.

    The same numbers as :func:`model.experiment.run_experiment` in one chunk (the test suite
    checks this).
    """
    model = CouncilModel(scenario, replications, seed, point=point)
    return model, model.run()


def final_probabilities(scenario: Scenario, replications: int, seed: int, *,
                        point: int = 0) -> np.ndarray:
    """Mean final-round P(for, abstain, against) of every state (27 x 3), as the ``states``
    table of :func:`model.experiment.run_experiment` has them, without sampling the final vote
    (which calibration does not need)."""
    model = CouncilModel(scenario, replications, seed, point=point)
    for _ in range(scenario.spec.rounds):
        model.step()
    return model.probabilities.mean(axis=1)


TERMS = ("intercept", "stance", "stakes", "pressure", "peers", "backlash")


def prediction_drivers(scenario: Scenario, seed: int) -> pd.DataFrame:
    """Why the model predicts what it does: each state's final latent support on the expected
    track (no preference shock) split into its terms.

    Columns: iso2, the :data:`TERMS` (intercept, beta_stance*stance, beta_stakes*stakes,
    -beta_pressure*(sticks + carrots), beta_peer*peers, beta_backlash*backlash), ``utility``
    (their sum), ``stakes.<channel>`` (beta_stakes * weight * exposure; present when no
    Commission lever rescaled the stakes) and the cut points.
    """
    model, _ = simulate(scenario, 1, seed)
    c = scenario.coef
    rows = []
    levers = bool(model.commission.active)
    for i, agent in enumerate(model.member_states):
        if not model.participating[i]:
            continue
        row = {"iso2": agent.iso2,
               "intercept": model.intercept,
               "stance": c["beta_stance"] * agent.stance,
               "stakes": c["beta_stakes"] * agent.stakes,
               "pressure": -c["beta_pressure"] * float(agent.pressure(expected=True)),
               "peers": c["beta_peer"] * float(model.peers_expected[i]),
               "backlash": c["beta_backlash"] * model.backlash_for(i)}
        row["utility"] = float(model.expected_utility[i])
        if not levers:
            for ch, w in scenario.stakes_weights.items():
                row[f"stakes.{ch}"] = (c["beta_stakes"] * w
                                       * model.exposure[i, scenario.channels.index(ch)])
        row["cut_low"], row["cut_high"] = c["cut_low"], c["cut_high"]
        rows.append(row)
    return pd.DataFrame(rows)


# --- the back-test ---------------------------------------------------------------------------
def _meta(path: Path) -> dict:
    meta = read_toml(path).get("meta", {})
    return meta if isinstance(meta, dict) else {}


def _exposure_matrix(scenario: Scenario, channels: list[str], states: list[str]) -> np.ndarray:
    rows = [scenario.all_states.index(s) for s in states]
    cols = [scenario.channels.index(ch) for ch in channels]
    return scenario.exposure[np.ix_(rows, cols)]


def _r(x: float, digits: int = 4) -> float:
    return round(float(x), digits) + 0.0          # + 0.0 turns -0.0 into 0.0


def _misfits(states: pd.DataFrame, drivers: pd.DataFrame, y: np.ndarray, k: int) -> list[dict]:
    p = states[list(_PCOLS)].to_numpy()
    p_obs = p[np.arange(len(y)), y]
    order = np.argsort(p_obs, kind="stable")[:k]
    by_state = drivers.set_index("iso2")
    out = []
    for i in order:
        iso = states["iso2"].iloc[i]
        d = by_state.loc[iso]
        out.append({
            "iso2": iso, "observed": POSITIONS[y[i]], "p_observed": round(float(p_obs[i]), 6),
            "predicted": POSITIONS[int(np.argmax(p[i]))],
            "utility": _r(d["utility"]), "cut_low": _r(d["cut_low"]), "cut_high": _r(d["cut_high"]),
            "terms": {t: _r(d[t]) for t in TERMS},
            "stakes_by_channel": {c.split(".", 1)[1]: _r(d[c])
                                  for c in drivers.columns if c.startswith("stakes.")},
        })
    return out


_PCOLS = ("p_for", "p_abstain", "p_against")


def _pooled(parts: list[tuple[int, dict]]) -> dict:
    """Metrics pooled over all states of several cases (state-weighted means)."""
    n = sum(k for k, _ in parts)
    out = {"n_states": n}
    for key in ("accuracy", "log_loss", "brier"):
        out[key] = round(sum(k * m[key] for k, m in parts) / n, 6)
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
    from .experiment import run_experiment

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
        p_model = table[list(_PCOLS)].to_numpy()
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
            "rule": scenario.rule,
            "n_states": n,
            **score(p_model, y),
            "model_in_sample": spec.name in fitted_on,
            "outcome_predicted": max(outcomes, key=lambda k: (outcomes[k],
                                                              -list(outcomes).index(k))),
            "outcome_observed": observed_outcome(spec),
            "outcome_probabilities": outcomes,
            "baselines": baselines,
            "states": [{"iso2": s, "observed": POSITIONS[y[i]],
                        **{col: float(table[col].iloc[i]) for col in _PCOLS}}
                       for i, s in enumerate(states)],
            "misfits": _misfits(table, prediction_drivers(scenario, spec.seed), y, misfits),
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

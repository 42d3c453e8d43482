"""Validation as a command: leave one case out, refit, and score the case on what it holds.

For every case of a library the free coefficients are refitted on the other cases (the same MAP
fit as :mod:`model.validation.calibrate`, directions kept), and the case is predicted from that
fit: the probabilities of its named states (accuracy, log-loss, Brier) and the probability of
its recorded outcome, averaged over parameter draws from the refit's Laplace posterior (so that
it says how sure the model can honestly be - never 1 on a split vote). The same is done for
baselines fitted without the case:

* ``uniform`` - one third each;
* ``majority`` - every state votes the modal position of the other cases' named states;
* ``exposure_logit`` - an ordered logit on the case's exposure channels, fitted on the other
  cases' named states;
* ``as_last_time`` - each state repeats its position in the latest earlier case on the same
  measure where it was named (uniform where it was not; not scored where no such case exists).

Pooled figures are means over the named states of all cases (``log_loss``, ``accuracy``,
``brier``) and over the cases with a recorded outcome (``outcome_brier``: the squared distance
of P(recorded outcome) from 1). A reliability table compares the predicted probability that the
measure is adopted in the end with how often it was, in bins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..experiments.spec import OUTCOME_EXTRA
from ..stats import score
from .baselines import (
    EPSILON,
    fit_ordered_logit,
    majority_probabilities,
    ordered_logit_probabilities,
)
from .calibrate import DEFAULT_REPLICATIONS, CaseLikelihood, Posterior, fit_stamp, parameters
from .cases import load_case, observed_outcome
from .likelihood import Record, case_log_likelihood, outcome_probability
from .store import claim, saved

__all__ = ["validate", "LIBRARY_FREE", "BASELINES"]

#: The coefficients a library fit frees by default: each measure's intercept and the global
#: coefficients of stance, stakes (one scale for every measure's documented weights), pressure
#: and the cut-point gap.
LIBRARY_FREE = ("intercept", "beta_stance", "beta_stakes", "beta_pressure", "cut_gap")
BASELINES = ("uniform", "majority", "exposure_logit", "as_last_time")
#: Parameter draws per case for its outcome probability.
OUTCOME_DRAWS = 16


def _outcome(case: CaseLikelihood, p: np.ndarray) -> tuple[str | None, float | None]:
    """The recorded outcome word and its exact probability under per-state ``p`` (named
    states not fixed: the outcome is predicted, not explained)."""
    word = observed_outcome(case.spec0)
    if word is None:
        return None, None
    rec = Record(case.record.states, case.record.populations, outcome=word)
    return word, float(outcome_probability(p, rec, case.rule, case.members, case.full_council))


def _adopted_in_the_end(case: CaseLikelihood, p: np.ndarray) -> tuple[float | None, int | None]:
    word = observed_outcome(case.spec0)
    if word is None:
        return None, None
    rec = Record(case.record.states, case.record.populations, outcome=OUTCOME_EXTRA[0])
    prob = float(outcome_probability(p, rec, case.rule, case.members, case.full_council))
    if word in OUTCOME_EXTRA:
        observed = int(word == OUTCOME_EXTRA[0])
    else:
        observed = int(bool(case.rule.adopted([case.rule.outcomes.index(word)])[0]))
    return prob, observed


def _named_scores(p: np.ndarray, y: np.ndarray) -> dict:
    return score(p, y) if len(y) else {}


def _exposures(case: CaseLikelihood, channels: list[str]) -> np.ndarray:
    sc = case.scenario
    rows = [sc.all_states.index(s) for s in case.states]
    cols = [sc.channels.index(ch) for ch in channels]
    return sc.exposure[np.ix_(rows, cols)]


def _last_time(cases: Sequence[CaseLikelihood], c: int) -> np.ndarray | None:
    """Per voting state of case ``c``: its position in the latest earlier case on the same
    measure where it was named, as probabilities (uniform where it was not)."""
    me = cases[c]
    earlier = [o for o in cases if o.spec0.measure == me.spec0.measure and len(o.y)
               and o.spec0.observed.date < me.spec0.observed.date]
    if not earlier:
        return None
    last = max(earlier, key=lambda o: o.spec0.observed.date)
    named = {last.states[i]: code for i, code in last.record.named.items()}
    p = np.full((len(me.states), 3), 1 / 3)
    for i, s in enumerate(me.states):
        if s in named:
            p[i] = EPSILON
            p[i, named[s]] = 1 - 2 * EPSILON
    return p


def _baselines(cases: Sequence[CaseLikelihood], c: int) -> dict[str, np.ndarray | None]:
    """Each baseline's per-state probabilities for every voting state of case ``c``."""
    me = cases[c]
    n = len(me.states)
    others = [o for j, o in enumerate(cases) if j != c and len(o.y)]
    out: dict[str, np.ndarray | None] = {"uniform": np.full((n, 3), 1 / 3)}
    y_rest = np.concatenate([o.y for o in others]) if others else np.zeros(0, dtype=int)
    out["majority"] = majority_probabilities(y_rest, n) if len(y_rest) else None
    channels = list(me.scenario.stakes_weights)
    if others and channels:
        X_rest = np.vstack([_exposures(o, channels)[o.named_rows] for o in others])
        theta = fit_ordered_logit(X_rest, y_rest)
        out["exposure_logit"] = ordered_logit_probabilities(theta, _exposures(me, channels))
    else:
        out["exposure_logit"] = None
    out["as_last_time"] = _last_time(cases, c)
    return out


def _pool(entries: Iterable[tuple[int, dict, float | None]]) -> dict:
    """State-weighted per-state scores and the case-mean outcome Brier score."""
    entries = list(entries)
    n = sum(k for k, m, _ in entries if m)
    out = {}
    for key in ("log_loss", "accuracy", "brier"):
        out[key] = (sum(k * m[key] for k, m, _ in entries if m) / n) if n else None
    outcomes = [(1.0 - q) ** 2 for _, _, q in entries if q is not None]
    out["outcome_brier"] = float(np.mean(outcomes)) if outcomes else None
    out["n_states"] = n
    out["n_outcomes"] = len(outcomes)
    return out


def _reliability(pairs: list[tuple[float, int]], bins: int = 5) -> list[dict]:
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for lo, hi in pairwise(edges):
        inside = [(p, o) for p, o in pairs if lo <= p < hi or (hi == 1.0 and p == 1.0)]
        rows.append({"bin": [float(lo), float(hi)], "cases": len(inside),
                     "mean_predicted": float(np.mean([p for p, _ in inside])) if inside else None,
                     "observed_frequency": float(np.mean([o for _, o in inside]))
                     if inside else None})
    return rows


def _full_fit(post: Posterior) -> dict:
    full = post.fit()
    H = post.hessian(full.x)
    return {"x": [float(v) for v in full.x], "success": bool(full.success),
            "hessian": np.asarray(H, dtype=float).tolist()}


def _held_out_case(likes: Sequence[CaseLikelihood], post: Posterior, c: int, x0: np.ndarray,
                   chol: np.ndarray | None, z: np.ndarray) -> dict:
    """Case ``c`` predicted by a refit on the others: its entry of the report, its parts of
    the pooled scores and its reliability pair (all JSON-ready)."""
    case = likes[c]
    weights = [(np.ones(len(o.y)), 1.0) for o in likes]
    weights[c] = (np.zeros(len(case.y)), 0.0)
    fit = post.fit(x0, weights)
    p = post.probabilities(fit.x)[c]
    q_named = p[case.named_rows] if len(case.y) else np.zeros((0, 3))
    agg = case_log_likelihood(p, case.record, case.rule, case.members, case.full_council)
    word, p_out = _outcome(case, p)
    adopted_p, adopted_obs = _adopted_in_the_end(case, p)
    if chol is not None and word is not None:
        # the outcome's probability over the refit's parameter uncertainty
        lo, hi = np.array(post.bounds).T
        thetas = np.clip(fit.x[None, :] + z @ chol.T, lo, hi)
        probs = [case.probabilities(post.natural(t)) for t in thetas]
        p_out = float(np.mean([_outcome(case, q)[1] for q in probs]))
        adopted_p = float(np.mean([_adopted_in_the_end(case, q)[0] for q in probs]))
    entry = {"case": case.name, "n_observed": case.n_obs, "n_named": len(case.y),
             **_named_scores(q_named, case.y), "log_likelihood": agg["total"],
             "outcome_observed": word, "outcome_probability": p_out,
             "p_adopted_in_the_end": adopted_p, "baselines": {}}
    pooled = {"model": [len(case.y), _named_scores(q_named, case.y), p_out]}
    for name, bp in _baselines(likes, c).items():
        if bp is None:
            entry["baselines"][name] = None
            continue
        bq = bp[case.named_rows] if len(case.y) else np.zeros((0, 3))
        b_out = _outcome(case, bp)[1]
        b_ll = case_log_likelihood(bp, case.record, case.rule, case.members,
                                   case.full_council)["total"]
        entry["baselines"][name] = {**_named_scores(bq, case.y), "log_likelihood": b_ll,
                                    "outcome_probability": b_out}
        pooled[name] = [len(case.y), _named_scores(bq, case.y), b_out]
    reliability = None if adopted_p is None else [adopted_p, adopted_obs]
    return {"entry": entry, "pooled": pooled, "reliability": reliability}


def validate(cases: Iterable, *, free: Sequence[str] = LIBRARY_FREE,
             replications: int = DEFAULT_REPLICATIONS, draws: int = OUTCOME_DRAWS,
             seed: int = 0, progress: Callable[[int, int], None] | None = None,
             work: Path | str | None = None) -> dict:
    """Leave-one-case-out validation of the model and the baselines (see the module doc).

    With ``work`` (a folder) the full fit and every finished case are saved there as they
    come, so an interrupted validation resumes where it stopped; saved steps are reused only
    for the same cases, settings, data and version."""
    loaded = [(load_case(c), c if not isinstance(c, dict) else None) for c in cases]
    if len(loaded) < 2:
        raise InputError("leave-one-case-out needs at least two cases", field="CASE")
    names = [s.name for s, _ in loaded]
    if len(set(names)) != len(names):
        raise InputError("two cases share a name", field="name")
    params = parameters([s.measure for s, _ in loaded], free)
    likes = [CaseLikelihood(s, params, replications=replications, file=f) for s, f in loaded]
    work = None if work is None else Path(work)
    claim(work, fit_stamp(likes, params, replications, None, validation=[list(free), int(draws),
                                                                           int(seed)]))
    post = Posterior(likes, params, work)
    full = saved(work, "full_fit.json", lambda: _full_fit(post))
    x_full = np.array(full["x"])
    try:
        chol = np.linalg.cholesky(np.linalg.inv(np.array(full["hessian"])))
    except np.linalg.LinAlgError:
        chol = None
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    z = rng.standard_normal((draws, len(params)))
    rows, pooled, reliability = [], {"model": [], **{b: [] for b in BASELINES}}, []
    for c in range(len(likes)):
        step = saved(work, f"case_{c:03d}.json",
                      lambda c=c: _held_out_case(likes, post, c, x_full, chol, z))
        rows.append(step["entry"])
        for name, part in step["pooled"].items():
            pooled[name].append(tuple(part))
        if step["reliability"] is not None:
            reliability.append(tuple(step["reliability"]))
        if progress:
            progress(c + 1, len(likes))
    model = _pool(pooled.pop("model"))
    model["log_likelihood"] = float(sum(r["log_likelihood"] for r in rows))
    baselines = {}
    for name, parts in pooled.items():
        baselines[name] = _pool(parts)
        scored = [r for r in rows if r["baselines"].get(name)]
        baselines[name]["log_likelihood"] = float(sum(r["baselines"][name]["log_likelihood"]
                                                     for r in scored))
        baselines[name]["n_cases"] = len(scored)
        baselines[name]["model_log_likelihood_same_cases"] = float(
            sum(r["log_likelihood"] for r in scored))
    return {"method": "leave-one-case-out", "free": [p.name for p in params],
            "replications": int(replications), "outcome_draws": int(draws),
            "cases": rows, "model": model, "baselines": baselines,
            "reliability": _reliability(reliability),
            "full_fit": {"values": post.natural(x_full), "success": full["success"]}}

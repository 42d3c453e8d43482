"""Vote choice: utility of supporting a measure -> P(for), P(abstain), P(against).

An ordered logit with two cut points: a government votes against when its latent support
falls below ``cut_low``, for when it rises above ``cut_high``, and abstains in between.
Pure numpy, shared by the agents (vectors over replications) and by calibration.

>>> p = vote_probabilities(np.array([0.0]), -1.0, 1.0)
>>> np.round(p, 4).tolist()
[[0.2689, 0.4621, 0.2689]]
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..treaty.positions import ABSTAIN, AGAINST, CHOICES, FOR

__all__ = ["COLUMNS", "standing_support", "utility", "vote_probabilities",
           "vote_probability_planes", "sample_votes"]

#: Column order of probability arrays: the canonical order of the choices (for, abstain,
#: against; :data:`model.treaty.positions.CHOICES`).
COLUMNS = tuple(f"p_{p.word}" for p in CHOICES)


def standing_support(intercept, stance, stakes, coef: dict) -> np.ndarray:
    """The part of latent support that the state's stance and the measure's stakes alone set,
    ``intercept + beta_stance * stance + beta_stakes * stakes``: the first terms of
    :func:`utility`, added in its order, so that a caller whose stance and stakes stay put from
    round to round can compute them once (``utility(..., standing=...)``, same bits)."""
    return np.add(intercept, coef["beta_stance"] * stance) + coef["beta_stakes"] * stakes


def utility(intercept, stance, stakes, pressure, sticks, peers, backlash, shock, coef: dict,
            forces: dict | None = None, out: np.ndarray | None = None,
            scratch: np.ndarray | None = None, standing: np.ndarray | None = None) -> np.ndarray:
    """Latent support for the measure (broadcasts over states and replications).

    ``pressure`` is China's sticks plus carrots aimed at the state (fear and inducement lower
    support), ``sticks`` the visible coercion of the state itself (grievance: raises support for
    a measure that answers coercion), ``peers`` the population-weighted net support of the
    other states in [-1, 1], ``backlash`` the visible coercion of other members (hardens
    support), ``shock`` a per-replication preference draw. ``forces`` are the measure's
    multipliers of the pressure, grievance and backlash coefficients (default 1, 0, 1).
    Coefficients may be arrays over replications (parameter draws).

    ``out`` and ``scratch`` (arrays of the result's shape) let a caller that evaluates this
    every round reuse its memory, and ``standing`` (:func:`standing_support` of the same
    intercept, stance, stakes and coefficients) skips its first terms; the terms are added in
    the same order either way, so the result is the same to the bit.
    """
    f = forces or {}
    terms = ((+1, coef["beta_stakes"], stakes),
             (-1, coef["beta_pressure"] * f.get("pressure", 1.0), pressure),
             (+1, coef["beta_peer"], peers),
             (+1, coef["beta_backlash"] * f.get("backlash", 1.0), backlash),
             (+1, coef.get("beta_grievance", 0.0) * f.get("grievance", 0.0), sticks))
    shape = np.broadcast_shapes(np.shape(intercept), np.shape(coef["beta_stance"]),
                                np.shape(stance), np.shape(shock),
                                *(np.shape(c) for _, c, _ in terms),
                                *(np.shape(x) for _, _, x in terms))
    y = np.empty(shape) if out is None else out
    if standing is not None and np.may_share_memory(y, standing):
        raise ValueError("out must not overlap standing (it would be overwritten)")
    if standing is None:
        np.add(intercept, coef["beta_stance"] * stance, out=y)
        acc = y
    else:
        acc, terms = standing, terms[1:]
    for sign, c, x in terms:
        full = np.broadcast_shapes(np.shape(c), np.shape(x)) == shape
        term = (np.multiply(c, x, out=scratch) if full and scratch is not None else c * x)
        (np.add if sign > 0 else np.subtract)(acc, term, out=y)
        acc = y
    return np.add(y, shock, out=y)


def _ordered_logit(y, cut_low, cut_high, p_for, p_abstain, p_against, scratch) -> None:
    """Write P(for), P(abstain), P(against) of utilities ``y`` into the three given arrays
    (the one arithmetic both layouts below share)."""
    if not np.all(np.asarray(cut_low) < np.asarray(cut_high)):
        raise ValueError(f"cut_low ({cut_low}) must be below cut_high ({cut_high})")
    expit(np.subtract(cut_low, y, out=scratch), out=p_against)
    p_not_for = expit(np.subtract(cut_high, y, out=scratch), out=scratch)
    np.subtract(1.0, p_not_for, out=p_for)
    np.subtract(p_not_for, p_against, out=p_abstain)


def vote_probabilities(y, cut_low: float, cut_high: float, out: np.ndarray | None = None,
                       scratch: np.ndarray | None = None) -> np.ndarray:
    """Ordered-logit probabilities, last axis (for, abstain, against).

    Requires ``cut_low < cut_high``; every row sums to one. ``out`` (shape ``(*y.shape, 3)``)
    and ``scratch`` (``y``'s shape) let a caller reuse its memory.
    """
    y = np.asarray(y, dtype=float)
    shape = np.broadcast_shapes(y.shape, np.shape(cut_low), np.shape(cut_high))
    if out is None:
        out = np.empty((*shape, 3))
    _ordered_logit(y, cut_low, cut_high, out[..., FOR], out[..., ABSTAIN], out[..., AGAINST],
                   scratch)
    return out


def vote_probability_planes(y, cut_low, cut_high, out: np.ndarray,
                            scratch: np.ndarray) -> np.ndarray:
    """The same probabilities as :func:`vote_probabilities`, to the bit, as three contiguous
    planes ``out[FOR]``, ``out[ABSTAIN]``, ``out[AGAINST]`` (shape ``(3, *y.shape)``): the
    layout the model keeps over states and replications, where every operation reads and
    writes whole arrays instead of every third number."""
    _ordered_logit(np.asarray(y, dtype=float), cut_low, cut_high, out[FOR], out[ABSTAIN],
                   out[AGAINST], scratch)
    return out


def sample_votes(probabilities: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Turn probabilities (..., 3) and matching uniforms (...) into position codes.

    Monotone in the uniform: a low draw is against, a high draw is for, so two scenarios
    sharing uniforms (common random numbers) differ only where their probabilities differ.
    """
    p_against = probabilities[..., AGAINST]
    p_abstain = probabilities[..., ABSTAIN]
    return np.where(uniforms < p_against, AGAINST,
                    np.where(uniforms < p_against + p_abstain, ABSTAIN, FOR)).astype(np.int8)

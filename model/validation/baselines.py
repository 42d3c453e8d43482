"""Baselines a model must beat: uniform, the majority position, an exposure-only ordered logit.

* ``uniform`` - one third each; fitted on nothing.
* ``majority`` - every state votes the most common recorded position. It puts
  :data:`EPSILON` on each non-modal position and shares the rest among the modal ones (a tie
  is shared, never broken in favour of one position), so one miss costs log(1/EPSILON). Left
  one state out, positions within one vote of the largest count share the mass: leaving a
  state out shifts a count by one, so a difference of one is no evidence of a majority, and
  on a tied case a hard mode would miss every state by construction.
* ``exposure_logit`` - an ordered logit of the position on the measure's exposure channels alone,
  fitted by near-maximum likelihood (a weak Gaussian penalty, sd :data:`LOGIT_PRIOR_SD`, keeps
  it finite when a channel separates the votes, as ``cars`` does for Germany).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from ..stats import LOG_FLOOR

__all__ = ["EPSILON", "LOGIT_PRIOR_SD", "majority_probabilities", "majority_leave_one_out",
           "ordered_logit_probabilities", "fit_ordered_logit"]

#: Probability the majority baseline leaves on each non-modal position.
EPSILON = 1e-3
#: Prior sd of the exposure logit's coefficients (weak: near maximum likelihood).
LOGIT_PRIOR_SD = 10.0


def majority_probabilities(y_train: np.ndarray, n: int, margin: int = 0) -> np.ndarray:
    """Everyone votes the modal position of ``y_train``; positions whose count is within
    ``margin`` of the largest share the modal mass (see the module doc).

    >>> majority_probabilities(np.array([1, 1, 0]), 1).tolist()
    [[0.001, 0.998, 0.001]]
    >>> majority_probabilities(np.array([0, 1]), 1).round(4).tolist()
    [[0.4995, 0.4995, 0.001]]
    """
    counts = np.bincount(np.asarray(y_train, dtype=int), minlength=3)
    modal = counts >= counts.max() - margin
    p = np.full((n, 3), EPSILON)
    p[:, modal] = (1.0 - EPSILON * (3 - modal.sum())) / modal.sum()
    return p


def majority_leave_one_out(y: np.ndarray) -> np.ndarray:
    """Each state's majority forecast from the other states' positions (margin one)."""
    y = np.asarray(y, dtype=int)
    return np.array([majority_probabilities(np.delete(y, i), 1, margin=1)[0]
                     for i in range(len(y))]).reshape(len(y), 3)


def ordered_logit_probabilities(params: np.ndarray, X: np.ndarray) -> np.ndarray:
    """P(for, abstain, against) of the ordered logit with slopes ``params[:-2]``.

    Latent support ``eta = X @ slopes``; against below ``c = params[-2]``, for above
    ``c + exp(params[-1])`` (the same form as :mod:`model.abm.behaviour`).
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

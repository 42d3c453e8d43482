"""Intervals and scoring rules: Wilson and Newcombe intervals for proportions and their
differences, and the accuracy, log-loss and Brier scores of probability forecasts.

References
----------
Newcombe, R. G. (1998). Improved confidence intervals for the difference between binomial
proportions based on paired data. Statistics in Medicine 17, 2635-2650 (method 10).
Newcombe, R. G. (1998). Interval estimation for the difference between independent
proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890 (method 10).
Fagerland, M. W., Lydersen, S. and Laake, P. (2014). Recommended tests and confidence intervals
for paired binomial proportions. Statistics in Medicine 33, 2850-2875.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Z95", "wilson_interval", "paired_difference_ci", "unpaired_difference_ci",
           "accuracy", "log_loss", "brier", "score", "LOG_FLOOR"]

#: Two-sided 95% normal quantile (``scipy.special.ndtri(0.975)``, to the bit).
Z95 = 1.959963984540054
#: Floor under a probability inside a logarithm (numerical guard only).
LOG_FLOOR = 1e-12


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Newcombe 1998, method 3).

    The same arithmetic as scipy's ``binomtest(k, n).proportion_ci(method="wilson")`` (a test
    checks they agree to the bit), written out so that a run need not import scipy.stats
    (over a second of start-up).

    >>> [round(x, 4) for x in wilson_interval(50, 100)]
    [0.4038, 0.5962]
    >>> wilson_interval(0, 0)
    (0.0, 1.0)
    """
    if n == 0:
        return (0.0, 1.0)
    k, n = int(successes), int(n)
    if not 0 <= k <= n:
        raise ValueError(f"successes must be between 0 and n ({k} of {n})")
    z = Z95 if confidence == 0.95 else _normal_quantile(0.5 + 0.5 * confidence)
    p = k / n
    denom = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denom
    delta = z / denom * math.sqrt(4 * n * p * (1 - p) + z**2)
    lo = 0.0 if k == 0 else center - delta
    hi = 1.0 if k == n else center + delta
    return (max(0.0, float(lo)), min(1.0, float(hi)))


def cluster_mean_interval(rates, sizes, confidence: float = 0.95) -> tuple[float, float]:
    """Interval for the mean of a quantity over blocks of replications, each block with its own
    parameter draw: the size-weighted mean of the blocks' rates with a Student-t interval from
    the spread between blocks (the usual ratio-estimator, or cluster, variance with the factor
    B / (B - 1)). Replications of one block share a draw, so they are not independent: with
    few blocks this interval, not a binomial one, says how far the run's figure may be from
    what a run of endless blocks would give. Needs two blocks or more.

    >>> [round(x, 3) for x in cluster_mean_interval([0.0, 1.0, 0.0, 1.0], [250] * 4)]
    [-0.419, 1.419]
    >>> [round(x, 4) for x in cluster_mean_interval([0.5] * 40, [250] * 40)]
    [0.5, 0.5]
    """
    from scipy.special import stdtrit

    r = np.asarray(rates, dtype=float)
    w = np.asarray(sizes, dtype=float)
    B = len(r)
    if B < 2:
        raise ValueError("a cluster interval needs at least two blocks")
    w = w / w.sum()
    mean = float(np.dot(w, r))
    var = B / (B - 1) * float(np.sum(w**2 * (r - mean) ** 2))
    half = float(stdtrit(B - 1, 0.5 + 0.5 * confidence)) * math.sqrt(var)
    return (mean - half, mean + half)


def _normal_quantile(q: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(q))


def paired_difference_ci(x, y) -> tuple[float, float, float]:
    """Difference ``mean(y) - mean(x)`` of paired 0/1 outcomes and its 95% interval.

    Newcombe's hybrid score interval (method 10 of Newcombe 1998, paired data): Wilson
    intervals of the two margins combined with the correlation of the pairs, so the interval
    narrows when the pairs move together (common random numbers) and stays sensible when few
    pairs disagree.

    Parameters
    ----------
    x, y : array_like of bool
        The outcome of each pair under the first and the second condition.

    Returns
    -------
    (difference, lower, upper)

    Examples
    --------
    >>> x = [1, 1, 0, 0, 1, 0, 1, 0, 0, 0]
    >>> d, lo, hi = paired_difference_ci(x, x)
    >>> d, lo <= 0 <= hi
    (0.0, True)

    Newcombe's (1998) first example: 36 pairs positive twice, 12 positive under the second
    condition only, 2 under the first only, none negative twice (his interval 0.0569 to
    0.3404):

    >>> x = [1] * 36 + [0] * 12 + [1] * 2
    >>> y = [1] * 36 + [1] * 12 + [0] * 2
    >>> [round(v, 4) for v in paired_difference_ci(x, y)]
    [0.2, 0.0569, 0.3404]
    """
    x = np.asarray(x, dtype=bool)
    y = np.asarray(y, dtype=bool)
    if x.shape != y.shape or x.ndim != 1 or len(x) == 0:
        raise ValueError("x and y must be non-empty 1-d arrays of the same length")
    n = len(x)
    n11 = int(np.sum(x & y))
    n10 = int(np.sum(x & ~y))
    n01 = int(np.sum(~x & y))
    n00 = n - n11 - n10 - n01
    p1, p2 = (n11 + n01) / n, (n11 + n10) / n          # y's and x's proportions
    diff = (n01 - n10) / n
    l1, u1 = wilson_interval(n11 + n01, n)
    l2, u2 = wilson_interval(n11 + n10, n)
    denom = (n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00)
    phi = (n11 * n00 - n10 * n01) / math.sqrt(denom) if denom > 0 else 0.0
    delta = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    eps = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return diff, max(-1.0, diff - delta), min(1.0, diff + eps)


def unpaired_difference_ci(k_x: int, n_x: int, k_y: int, n_y: int) -> tuple[float, float, float]:
    """Difference ``k_y/n_y - k_x/n_x`` of two independent proportions and its 95% interval.

    Newcombe's hybrid score interval (method 10 of Newcombe 1998, independent samples): what
    the comparison would give if the two scenarios had been run with unrelated random numbers.

    Examples
    --------
    Newcombe's (1998) example 56/70 against 48/80 (his interval 0.0524 to 0.3339):

    >>> [round(v, 4) for v in unpaired_difference_ci(48, 80, 56, 70)]
    [0.2, 0.0524, 0.3339]
    """
    px, py = k_x / n_x, k_y / n_y
    lx, ux = wilson_interval(k_x, n_x)
    ly, uy = wilson_interval(k_y, n_y)
    diff = py - px
    lower = diff - math.sqrt((py - ly) ** 2 + (ux - px) ** 2)
    upper = diff + math.sqrt((uy - py) ** 2 + (px - lx) ** 2)
    return diff, max(-1.0, lower), min(1.0, upper)


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
    """accuracy, log_loss and brier of forecasts ``p`` (n x k) for recorded categories ``y``."""
    return {"accuracy": accuracy(p, y), "log_loss": log_loss(p, y), "brier": brier(p, y)}

"""Which swept parameters move the adoption probability most.

From a sweep's results (one row per design point) this module ranks the parameters by how
much of the variation in P(adopted) across the design each one explains:

* ``src`` - standardised regression coefficient of a numeric parameter: the change in
  P(adopted), in standard deviations, per standard deviation of the parameter, from one linear
  regression of P(adopted) on all parameters (categorical ones as indicator columns). Its sign
  says which way the parameter pushes. ``r2`` (table attribute) says how much of the variation
  the linear model captures; when it is low, read ``main_effect`` instead.
* ``main_effect`` - the share of the variance of P(adopted) explained by the parameter alone:
  for a parameter with declared levels (categorical, listed levels, grid ranges) the correlation
  ratio eta^2 (between-level variance of the means over total variance; on a full grid this is
  the first-order Sobol index of the design); for a continuous range src^2; in a sobol
  (Saltelli) design the first-order Sobol index S_i (``scipy.stats.sobol_indices``, Saltelli et
  al. 2010).
* ``total_effect`` - in a sobol design, the total Sobol index ST_i (Jansen's estimator):
  its effect including every interaction. Empty otherwise.
* ``main_effect_lo`` .. ``total_effect_hi`` - in a sobol design, 95% bootstrap intervals
  (percentile bootstrap of the base sample's rows, with a seeded generator) of both indices.
* ``range_of_means``, ``highest_at``, ``lowest_at`` - for a parameter with declared levels, the
  spread between the mean P(adopted) at its best and worst level, and those levels.

Each point's P(adopted) carries Monte Carlo noise (variance p(1-p)/replications), which the
indices count as unexplained variation; with few replications per point they are understated.

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Design and
estimator for the total sensitivity index. Computer Physics Communications 181, 259-270.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["sensitivity", "COLUMNS", "MAX_LEVELS"]

COLUMNS = ["parameter", "kind", "levels", "src", "main_effect", "total_effect", "main_effect_lo",
           "main_effect_hi", "total_effect_lo", "total_effect_hi", "range_of_means", "highest_at",
           "lowest_at"]
#: Bootstrap resamples behind the Sobol intervals.
BOOTSTRAP_RESAMPLES = 999
#: Group means are only reported for parameters with at most this many declared levels.
MAX_LEVELS = 20


def _eta_squared(x: pd.Series, y: np.ndarray) -> float:
    total = float(((y - y.mean()) ** 2).sum())
    if total == 0:
        return float("nan")
    means = pd.Series(y).groupby(x.to_numpy()).agg(["mean", "size"])
    between = float((means["size"] * (means["mean"] - y.mean()) ** 2).sum())
    return between / total


def _regression(frame: pd.DataFrame, y: np.ndarray, numeric: list[str],
                categorical: list[str]) -> tuple[dict[str, float], float]:
    """Standardised coefficients of the numeric columns and R^2 of the joint linear model."""
    cols, names = [], []
    for name in numeric:
        x = frame[name].to_numpy(dtype=float)
        sd = x.std()
        if sd > 0:
            cols.append((x - x.mean()) / sd)
            names.append(name)
    for name in categorical:
        levels = sorted(frame[name].astype(str).unique())
        for level in levels[1:]:
            cols.append((frame[name].astype(str) == level).to_numpy(dtype=float))
            names.append(f"{name}={level}")
    sd_y = y.std()
    if not cols or sd_y == 0:
        return {n: (0.0 if sd_y == 0 else float("nan")) for n in numeric}, float("nan")
    X = np.column_stack([np.ones(len(y)), *cols])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    fitted = X @ beta
    r2 = 1.0 - float(((y - fitted) ** 2).sum()) / float(((y - y.mean()) ** 2).sum())
    src = {n: float(b / sd_y) for n, b in zip(names, beta[1:]) if n in numeric}
    return {n: src.get(n, 0.0) for n in numeric}, r2


def _sobol_matrices(frame: pd.DataFrame, y: np.ndarray, d: int):
    """f_A, f_B (1, N) and f_AB (d, 1, N) of a Saltelli design's results."""
    m = frame["sobol_matrix"].to_numpy()
    r = frame["sobol_row"].to_numpy()
    N = int(r.max()) + 1

    def block(k: int) -> np.ndarray:
        out = np.full(N, np.nan)
        out[r[m == k]] = y[m == k]
        return out

    return block(0)[None, :], block(1)[None, :], np.stack([block(i + 2)[None, :]
                                                           for i in range(d)])


def _sobol_indices(frame: pd.DataFrame, y: np.ndarray, names: list[str],
                   seed: int) -> dict[str, tuple[float, ...]]:
    """First-order and total Sobol indices with 95% bootstrap intervals, by parameter:
    (S_i, ST_i, S_lo, S_hi, ST_lo, ST_hi)."""
    from scipy.stats import bootstrap, sobol_indices

    f_A, f_B, f_AB = _sobol_matrices(frame, y, len(names))
    N = f_A.shape[1]

    def indices(rows) -> np.ndarray:
        rows = np.asarray(rows, dtype=int)
        res = sobol_indices(func={"f_A": f_A[:, rows], "f_B": f_B[:, rows],
                                  "f_AB": f_AB[..., rows]}, n=len(rows))
        return np.concatenate([np.ravel(res.first_order), np.ravel(res.total_order)])

    point = indices(np.arange(N))
    lo = hi = np.full(len(point), np.nan)
    if N >= 4 and np.var(np.concatenate([f_A, f_B])) > 0:
        with np.errstate(all="ignore"):
            boot = bootstrap((np.arange(N),), indices, method="percentile", vectorized=False,
                             n_resamples=BOOTSTRAP_RESAMPLES,
                             rng=np.random.default_rng(seed))
        lo, hi = boot.confidence_interval.low, boot.confidence_interval.high
    d = len(names)
    return {name: (float(point[i]), float(point[d + i]), float(lo[i]), float(hi[i]),
                   float(lo[d + i]), float(hi[d + i])) for i, name in enumerate(names)}


def sensitivity(results: pd.DataFrame, sweep, response: str = "p_adopted") -> pd.DataFrame:
    """The sensitivity table of a sweep (see the module docstring for the columns).

    Parameters
    ----------
    results : one row per design point with the parameter columns and ``response``.
    sweep : the model.experiments.design.SweepSpec of the sweep (parameter names, kinds, design).
    response : the column to explain.

    Returns
    -------
    DataFrame sorted by main effect (largest first); ``attrs["r2"]`` is the R^2 of the linear
    regression behind ``src``.

    Examples
    --------
    >>> from model.experiments.design import parse_sweep
    >>> s = parse_sweep({"parameters": {"china.budget": [0, 1], "rule": ["qmv", "simple"]}})
    >>> frame = pd.DataFrame({"china.budget": [0., 0., 1., 1.], "rule": ["qmv", "simple"] * 2,
    ...                       "p_adopted": [0.8, 0.8, 0.2, 0.2]})
    >>> t = sensitivity(frame, s)
    >>> t[["parameter", "src", "main_effect", "range_of_means"]].round(3)
          parameter  src  main_effect  range_of_means
    0  china.budget -1.0          1.0             0.6
    1          rule  NaN          0.0             0.0
    """
    y = results[response].to_numpy(dtype=float)
    params = list(sweep.parameters)
    numeric = [p.name for p in params if p.kind == "numeric"]
    categorical = [p.name for p in params if p.kind == "categorical"]
    src, r2 = _regression(results, y, numeric, categorical)
    sobol = (_sobol_indices(results, y, [p.name for p in params], sweep.seed)
             if sweep.design == "sobol" and "sobol_matrix" in results.columns else {})
    rows = []
    for p in params:
        x = results[p.name]
        n_levels = int(x.nunique())
        # levels were declared (a list, or a range with grid levels): group means make sense;
        # a continuous range (lhs, sobol) has one value per point and is read by regression
        discrete = (p.levels is not None or p.n_levels is not None) and n_levels <= MAX_LEVELS
        row = {"parameter": p.name, "kind": p.kind, "levels": n_levels,
               "src": src.get(p.name, float("nan")), "main_effect": float("nan"),
               "total_effect": float("nan"), "main_effect_lo": float("nan"),
               "main_effect_hi": float("nan"), "total_effect_lo": float("nan"),
               "total_effect_hi": float("nan"), "range_of_means": float("nan"),
               "highest_at": "", "lowest_at": ""}
        if discrete:
            means = pd.Series(y).groupby(x.to_numpy()).mean()
            row["range_of_means"] = float(means.max() - means.min())
            row["highest_at"] = _label(means.idxmax())
            row["lowest_at"] = _label(means.idxmin())
            row["main_effect"] = _eta_squared(x, y)
        elif p.kind == "numeric":
            row["main_effect"] = row["src"] ** 2
        if p.name in sobol:
            (row["main_effect"], row["total_effect"], row["main_effect_lo"],
             row["main_effect_hi"], row["total_effect_lo"], row["total_effect_hi"]) = sobol[p.name]
        rows.append(row)
    table = pd.DataFrame(rows, columns=COLUMNS)
    order = table["main_effect"].fillna(-np.inf).to_numpy()
    table = table.iloc[np.argsort(-order, kind="stable")].reset_index(drop=True)
    table.attrs["r2"] = r2
    return table


def _label(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)

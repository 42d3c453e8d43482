"""What we do not know about the parameters, drawn per block of replications.

A run draws its behavioural coefficients, the measure's intercept and stakes weights and the
effects of China's instruments once per block of :data:`~model.abm.streams.BLOCK` replications,
from the calibration's posterior where the behaviour file has one (a Laplace approximation:
normal in the fitted scale around the estimate, with the inverse Hessian as covariance) and from
the priors otherwise. Every quantity with a documented direction is drawn on the log scale, so
its sign never flips. A draw depends only on the seed, the block and the parameter's name:
two scenarios run with the same seed share their draws (their comparison stays
paired), and a run's numbers do not depend on how its replications are split. The draws do not
depend on the experiment point either: the points of a sweep differ in what the design sets,
not in what we do not know.

The spread of the blocks' adoption rates then measures the uncertainty the parameters add to the
Monte Carlo noise (:func:`adoption_intervals`), and their correlation with the draws says which
parameters drive it (:func:`uncertainty_shares`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

__all__ = ["Param", "ParameterSet", "TRANSFORMS", "name_code", "block_normals",
           "adoption_intervals", "rate_intervals", "uncertainty_shares"]

#: The scales parameters are fitted and drawn on: the value itself, its log (kept positive) or
#: the log of its magnitude (kept negative).
TRANSFORMS = ("identity", "log", "neglog")


def name_code(name: str) -> int:
    """A stable integer for a parameter's name (part of its random stream's key)."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def to_theta(value: float, transform: str) -> float:
    if transform == "identity":
        return float(value)
    magnitude = abs(float(value))
    if magnitude <= 0:
        raise ValueError("a directed parameter cannot be zero")
    return float(np.log(magnitude))


def from_theta(theta, transform: str):
    theta = np.asarray(theta, dtype=float)
    if transform == "identity":
        return theta
    return np.exp(theta) if transform == "log" else -np.exp(theta)


@dataclass(frozen=True)
class Param:
    """One uncertain quantity: ``beta_stance``, ``cut_gap``, ``intercept.<measure>``,
    ``stakes.<measure>.<channel>`` or ``effect.<instrument>``; its scale and where its
    distribution comes from (``posterior`` or ``prior``)."""

    name: str
    transform: str
    source: str


@dataclass(frozen=True)
class ParameterSet:
    """A normal distribution in the parameters' fitted scales: centre ``mean`` and lower
    Cholesky factor ``chol`` of the covariance."""

    params: tuple[Param, ...]
    mean: np.ndarray
    chol: np.ndarray

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def natural(self, theta: np.ndarray) -> np.ndarray:
        """Values in natural units from fitted-scale values (..., k)."""
        theta = np.atleast_2d(theta)
        return np.stack([from_theta(theta[:, j], p.transform)
                         for j, p in enumerate(self.params)], axis=1)

    def draw_theta(self, z: np.ndarray) -> np.ndarray:
        """Fitted-scale values (B, k) from standard normals (B, k), row by row with the same
        arithmetic whatever B (a matrix product's rounding can depend on its shape, and a
        run's bytes must not depend on how its replications are split)."""
        z = np.atleast_2d(z)
        return self.mean[None, :] + (z[:, None, :] * self.chol[None, :, :]).sum(axis=2)

    def draw(self, z: np.ndarray) -> np.ndarray:
        """Natural values (B, k) from standard normals (B, k)."""
        return self.natural(self.draw_theta(z))

    def centre(self) -> dict[str, float]:
        """The central values (the estimate or the prior) in natural units."""
        return dict(zip(self.names, self.natural(self.mean)[0].tolist()))

    def to_dict(self) -> dict:
        sd = np.sqrt(np.sum(self.chol ** 2, axis=1))
        return {"parameters": [{"name": p.name, "scale": p.transform, "from": p.source,
                                "centre": float(c), "sd_fitted_scale": float(s)}
                               for p, c, s in zip(self.params, self.natural(self.mean)[0], sd)]}


def block_normals(seed: int, first_block: int, n_blocks: int, names: list[str]) -> np.ndarray:
    """Standard normals (n_blocks, k): one per block and parameter, from a stream keyed by the
    seed, the block and the parameter's name (not the experiment point)."""
    out = np.empty((n_blocks, len(names)))
    for j, name in enumerate(names):
        code = name_code(name)
        for b in range(n_blocks):
            rng = np.random.default_rng(np.random.SeedSequence(
                seed, spawn_key=(first_block + b, 1000, code)))
            out[b, j] = rng.standard_normal()
    return out


def adoption_intervals(adopted: np.ndarray, sizes: list[int], monte_carlo: tuple[float, float],
                       drawn: bool) -> dict:
    """The two 95% intervals of P(adopted): Monte Carlo only (Wilson, given the parameters)
    and total - the 2.5% and 97.5% quantiles of the blocks' adoption rates, each block with its
    own parameter draw, widened to contain the Monte Carlo interval. Without parameter draws
    the total interval is the Monte Carlo one."""
    if not drawn or len(sizes) < 2:
        return rate_intervals(np.zeros(len(sizes)), monte_carlo, False)
    return rate_intervals(block_rates(adopted, sizes), monte_carlo, drawn)


def rate_intervals(rates: np.ndarray, monte_carlo: tuple[float, float], drawn: bool) -> dict:
    """:func:`adoption_intervals` from the blocks' adoption rates (what a run that keeps no
    per-replication outcomes has)."""
    lo, hi = monte_carlo
    out = {"monte_carlo": [lo, hi], "total": [lo, hi], "blocks": len(rates)}
    if not drawn or len(rates) < 2:
        return out
    q_lo, q_hi = np.quantile(rates, [0.025, 0.975])
    out["total"] = [float(min(lo, q_lo)), float(max(hi, q_hi))]
    return out


def block_rates(values: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Mean of ``values`` within each block of replications."""
    edges = np.cumsum([0, *sizes])
    values = np.asarray(values, dtype=float)
    return np.array([values[a:b].mean() for a, b in pairwise(edges)])


def uncertainty_shares(rates: np.ndarray, theta: np.ndarray, names: list[str]) -> list[dict]:
    """Which parameters drive the spread of the blocks' adoption rates: each parameter's
    squared correlation (in its fitted scale) with the rate - its first-order, linear share -
    and the rest (interactions, non-linearity and the Monte Carlo noise of a block) as one
    entry; largest first. Rough with few blocks (40 at 10,000 replications)."""
    rates = np.asarray(rates, dtype=float)
    if rates.var() <= 0 or len(rates) < 3:
        return []
    shares = []
    for j, name in enumerate(names):
        x = theta[:, j]
        if np.std(x) == 0:
            continue
        r = float(np.corrcoef(x, rates)[0, 1])
        shares.append({"parameter": name, "share": r * r})
    total = sum(s["share"] for s in shares)
    if total > 1:
        for s in shares:
            s["share"] /= total
        total = 1.0
    shares.sort(key=lambda s: (-s["share"], s["parameter"]))
    shares.append({"parameter": "interactions, non-linearity and Monte Carlo noise",
                   "share": max(0.0, 1.0 - total)})
    return shares

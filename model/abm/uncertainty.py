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
Monte Carlo noise (:func:`rate_intervals`: the total interval), and says how precisely a run
with few blocks estimates its own figure (the Monte Carlo interval); their correlation with the
draws says which parameters drive it (:func:`uncertainty_shares`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np

from ..stats import cluster_mean_interval
from .seeding import first_normals

__all__ = ["Param", "ParameterSet", "TRANSFORMS", "name_code", "block_normals",
           "adoption_intervals", "rate_intervals", "uncertainty_shares", "FEW_DRAWS"]

#: Fewer parameter draws (one per block of replications) than this, and a run's figure is
#: itself uncertain: the CLI and the explorer say so (the flagship's 10,000 replications
#: make 40).
FEW_DRAWS = 40

#: The scales parameters are fitted and drawn on: the value itself, its log (kept positive) or
#: the log of its magnitude (kept negative).
TRANSFORMS = ("identity", "log", "neglog")


@lru_cache(maxsize=4096)
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
    seed, the block and the parameter's name (not the experiment point):
    ``default_rng(SeedSequence(seed, spawn_key=(block, 1000, code))).standard_normal()``,
    computed for all of them at once (:mod:`model.abm.seeding`)."""
    blocks = range(first_block, first_block + n_blocks)
    keys = np.array([(b, 1000, name_code(name)) for name in names for b in blocks],
                    dtype=np.int64).reshape(len(names) * n_blocks, 3)
    return first_normals(seed, keys).reshape(len(names), n_blocks).T.copy()


def adoption_intervals(adopted: np.ndarray, sizes: list[int], monte_carlo: tuple[float, float],
                       drawn: bool) -> dict:
    """The two 95% intervals of P(adopted) (:func:`rate_intervals`) from per-replication
    outcomes."""
    if not drawn or len(sizes) < 2:
        return rate_intervals(np.zeros(len(sizes)), monte_carlo, False, sizes)
    return rate_intervals(block_rates(adopted, sizes), monte_carlo, drawn, sizes)


def rate_intervals(rates: np.ndarray, monte_carlo: tuple[float, float], drawn: bool,
                   sizes: list[int]) -> dict:
    """The two 95% intervals of a run's P(adopted) from its blocks' adoption rates.

    ``monte_carlo``: how far the run's figure may be from what an endless run with the same
    settings would give. Without parameter draws that is the binomial (Wilson) interval
    passed in; with draws, a block's replications share one draw, so the interval also counts
    that only a few draws were made (:func:`model.stats.cluster_mean_interval` over the blocks,
    widened to contain the Wilson interval, within [0, 1]) - at 2,000 replications, 8 draws.
    ``total``: where the adoption probability lies given what we do not know about the
    parameters - the 2.5% and 97.5% quantiles of the blocks' rates, widened to contain the
    Monte Carlo interval. Without draws it is the Monte Carlo one."""
    lo, hi = monte_carlo
    out = {"monte_carlo": [lo, hi], "total": [lo, hi], "blocks": len(rates),
           "parameter_draws": len(rates) if drawn else 0}
    if not drawn or len(rates) < 2:
        return out
    c_lo, c_hi = cluster_mean_interval(rates, sizes)
    lo, hi = max(0.0, min(lo, c_lo)), min(1.0, max(hi, c_hi))
    q_lo, q_hi = np.quantile(rates, [0.025, 0.975])
    out["monte_carlo"] = [float(lo), float(hi)]
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

"""Cheapest set of items with at least so many members and so much population, exactly.

The blocking-coalition problem (:mod:`model.treaty.blocking`) reduces to a union of branches,
each a covering knapsack with two constraints: choose a set ``x`` of items (states) of least
total cost with ``|x| >= count_min`` and ``pop(x) >= pop_min``. :func:`cheapest_cover` solves
all branches of one problem at once, exactly, by a meet-in-the-middle search over Pareto fronts:

* a group of at most :data:`LEAF` items lists all its subsets;
* a larger group is split in two halves and its subsets are the unions of one subset of each;
  of these only the *non-dominated* ones are kept: a subset is dropped when another of the same
  size has at least its population at no higher cost (and wins the tie rule below), since
  whatever is added to the dropped one, adding the same to the other is as good or better;
* subsets that already cost more than some feasible set (found greedily) are dropped too;
* the two halves of the whole set are joined per branch by a sorted search (for each subset
  of the first half, the best subset of the second with enough members and population:
  a suffix minimum over population and :func:`numpy.searchsorted`), not by a full product.

Populations are exact ``int64`` sums and feasibility is an exact integer test. The work is
small for the costs the model produces (about a thousand subsets kept for the EU27); costs
nearly proportional to population (a subset-sum problem, hard for any method) keep up to all
``2^(n/2)`` subsets of each half, about 4 million for 44 items.

Ties. Sets are ranked by the key (cost, number of members, minus population, membership):
the least cost; among equal costs the fewest members; then the largest population (the widest
margin over a population threshold); then the lexicographically first selection in the order
the items are given (the set containing the first item where two sets differ). Costs are
added in float64 in a fixed order, so "equal cost" is exact equality when float64 adds the costs
without rounding (integers, or multiples of a power of two such as 0.25: how ties arise by
construction); with other costs two sets whose costs agree to about 1e-16 (relative) may be
ordered by rounding rather than by the later parts of the key.

>>> cheapest_cover([3.0, 1.0, 1.0, 2.0], [40, 30, 20, 10], [(2, 45)]).tolist()
[False, True, True, False]
>>> cheapest_cover([1.0, 1.0, 1.0], [5, 5, 5], [(2, 0)]).tolist()   # a tie: the first two
[True, True, False]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["cheapest_cover", "LEAF", "MAX_ITEMS"]

#: Groups of at most this many items list all their subsets (2^8 = 256 rows).
LEAF = 8
#: Membership is an int64 bit mask (first item = highest bit).
MAX_ITEMS = 62


@dataclass(frozen=True)
class _Subsets:
    """Subsets of a group of items as parallel arrays: size, population, cost, bit mask."""

    count: np.ndarray
    pop: np.ndarray
    cost: np.ndarray
    mask: np.ndarray

    def take(self, rows: np.ndarray) -> _Subsets:
        return _Subsets(self.count[rows], self.pop[rows], self.cost[rows], self.mask[rows])


def _listed(pops: np.ndarray, costs: np.ndarray, bits: np.ndarray, bound: float) -> _Subsets:
    """Every subset of a small group costing at most ``bound`` (costs added item by item)."""
    count = np.zeros(1, dtype=np.int64)
    pop = np.zeros(1, dtype=np.int64)
    cost = np.zeros(1)
    mask = np.zeros(1, dtype=np.int64)
    for p, c, b in zip(pops.tolist(), costs.tolist(), bits.tolist()):
        count = np.concatenate((count, count + 1))
        pop = np.concatenate((pop, pop + p))
        cost = np.concatenate((cost, cost + c))
        mask = np.concatenate((mask, mask | (1 << b)))
    return _Subsets(count, pop, cost, mask).take(np.flatnonzero(cost <= bound))


def _undominated(s: _Subsets) -> _Subsets:
    """The subsets no other subset of the same size beats: sorted by size, population
    (largest first), cost and mask (largest first), a subset is kept iff it costs strictly
    less than every one before it of its size."""
    order = np.lexsort((-s.mask, s.cost, -s.pop, s.count))
    count, cost = s.count[order], s.cost[order]
    keep = np.ones(len(order), dtype=bool)
    edges = np.flatnonzero(np.diff(count)) + 1
    for start, stop in zip(np.r_[0, edges], np.r_[edges, len(order)]):
        run = cost[start:stop]
        keep[start + 1:stop] = run[1:] < np.minimum.accumulate(run)[:-1]
    return s.take(order[keep])


def _union(a: _Subsets, b: _Subsets, bound: float) -> _Subsets:
    """All unions of a subset of ``a`` and one of ``b`` (disjoint groups) within ``bound``."""
    cost = (a.cost[:, None] + b.cost[None, :]).ravel()
    rows = np.flatnonzero(cost <= bound)
    ia, ib = np.divmod(rows, len(b.cost))
    return _Subsets(a.count[ia] + b.count[ib], a.pop[ia] + b.pop[ib], cost[rows],
                    a.mask[ia] | b.mask[ib])


def _front(pops: np.ndarray, costs: np.ndarray, bits: np.ndarray, bound: float) -> _Subsets:
    """The non-dominated subsets of a group of items within ``bound``."""
    if len(pops) <= LEAF:
        return _undominated(_listed(pops, costs, bits, bound))
    h = len(pops) // 2
    halves = (_front(pops[:h], costs[:h], bits[:h], bound),
              _front(pops[h:], costs[h:], bits[h:], bound))
    return _undominated(_union(*halves, bound))


def _greedy_cost(pops: np.ndarray, costs: np.ndarray, count_min: int, pop_min: int) -> float:
    """Cost of one set meeting a feasible branch (cheapest population per unit cost first, then
    the cheapest items to make up the number). Only a bound."""
    take = np.zeros(len(pops), dtype=bool)
    got = 0
    for i in np.argsort(costs / np.maximum(pops, 1), kind="stable"):
        if got >= pop_min:
            break
        take[i] = True
        got += int(pops[i])
    short = count_min - int(take.sum())
    if short > 0:
        take[np.argsort(np.where(take, np.inf, costs), kind="stable")[:short]] = True
    return float(costs[take].sum())


def _best_join(a: _Subsets, b: _Subsets, count_min: int, pop_min: int):
    """Key and (row of a, row of b) of the best union meeting one branch, or None."""
    rank = np.empty(len(b.cost), dtype=np.int64)
    by_key = np.lexsort((-b.mask, -b.pop, b.count, b.cost))
    rank[by_key] = np.arange(len(by_key))
    by_pop = np.argsort(b.pop, kind="stable")
    best = None
    for k in np.unique(a.count).tolist():
        partners = by_pop[b.count[by_pop] >= max(0, count_min - k)]
        if not len(partners):
            continue
        lowest = np.minimum.accumulate(rank[partners][::-1])[::-1]  # best rank with pop >= ...
        rows = np.flatnonzero(a.count == k)
        at = np.searchsorted(b.pop[partners], pop_min - a.pop[rows], side="left")
        fits = at < len(partners)
        rows, js = rows[fits], by_key[lowest[at[fits]]]
        if not len(rows):
            continue
        cost = a.cost[rows] + b.cost[js]
        pop = a.pop[rows] + b.pop[js]
        mask = a.mask[rows] | b.mask[js]
        i = np.lexsort((-mask, -pop, k + b.count[js], cost))[0]
        key = (float(cost[i]), int(k + b.count[js[i]]), -int(pop[i]), -int(mask[i]))
        if best is None or key < best[0]:
            best = (key, int(rows[i]), int(js[i]))
    return best


def cheapest_cover(costs: Sequence[float], pops: Sequence[int],
                   branches: Sequence[tuple[int, int]]) -> np.ndarray | None:
    """The cheapest set meeting any branch ``(count_min, pop_min)``, as a boolean mask.

    Parameters
    ----------
    costs : non-negative finite float per item.
    pops : non-negative integer population per item.
    branches : pairs ``(count_min, pop_min)``; a set qualifies if it meets one pair.

    Returns
    -------
    numpy.ndarray of bool, or None
        The set ranked first by the key of the module docstring among those that qualify;
        None when none does.
    """
    cost = np.asarray(costs, dtype=np.float64)
    pop = np.asarray(pops, dtype=np.int64)
    n = len(cost)
    if n > MAX_ITEMS:
        raise ValueError(f"at most {MAX_ITEMS} items (got {n})")
    if not np.all(np.isfinite(cost) & (cost >= 0)) or np.any(pop < 0):
        raise ValueError("costs must be finite and non-negative, populations non-negative")
    branches = [(int(c), int(p)) for c, p in branches
                if int(c) <= n and int(p) <= int(pop.sum())]   # those some set can meet
    if not branches:
        return None
    # a feasible set's cost bounds the answer's (inf if the sum overflows: then nothing is cut);
    # the margin covers that set's sum in another order, so the bound only ever cuts less
    with np.errstate(over="ignore"):   # a sum past the float64 range is inf, and ranks last
        bound = min(_greedy_cost(pop, cost, c, p) for c, p in branches)
        bound += abs(bound) * 1e-9
        bits = np.arange(n - 1, -1, -1, dtype=np.int64)
        h = n // 2
        a = _front(pop[:h], cost[:h], bits[:h], bound)
        b = _front(pop[h:], cost[h:], bits[h:], bound)
        best = None
        for count_min, pop_min in branches:
            found = _best_join(a, b, count_min, pop_min)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
    if best is None:  # pragma: no cover - the greedy set itself is within the bound
        return None
    mask = int(a.mask[best[1]] | b.mask[best[2]])
    return np.array([bool(mask >> int(bit) & 1) for bit in bits])

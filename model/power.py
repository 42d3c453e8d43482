"""Exact voting power and exact passage probability by meet-in-the-middle.

Every Council rule is a simple game on the coalition of states voting in favour: a coalition of
``k`` states with population ``p`` wins iff ``p >= thresholds[k]`` (:class:`model.rules.Game`).
Counting winning coalitions one by one over the 2^27 subsets of the EU27 is what published tools
do and takes about a minute. Here the players are split into two halves; each half's 2^13 or
2^14 subsets are enumerated once with their size and exact integer population and sorted by
(size, population). For every subset ``a`` of one half and every coalition size ``k`` whose
threshold is a genuine population quota, one vectorised binary search (``numpy.searchsorted``)
finds how many subsets ``b`` of the other half complete it to a winning coalition, or, with
cumulative sums of probabilities, how much probability mass they carry. The same searches,
read from the other half's side (interval counting with ``bincount`` and ``cumsum``), give how
many subsets of the first half complete each subset of the second, so per-player counts
(swings) need one search direction only. Sizes whose threshold is 0 (every coalition wins) or
``never`` (none does) are binomial coefficients. The result is exact: populations are never
rounded, counts are integers and Shapley-Shubik weights k!(n-k-1)!/n! use Python integers.
Probabilities are sums of products of the states' own probabilities (float64, no sampling).

Why: the Banzhaf, Shapley-Shubik and Coleman indices and the probability that a draft passes
(and which state's vote is most likely to decide it) are the headline numbers of the model, and
exact values in milliseconds let the agent-based model recompute them every step.

Examples
--------
A three-player weighted game with quota 4 and weights 3, 2, 1 (sizes do not matter, so every
threshold is the quota):

>>> from model.rules import Game
>>> g = Game("custom", ("A", "B", "C"), (3, 2, 1), (4, 4, 4, 4))
>>> print(power_of_game(g).round(4).to_string())
      banzhaf_absolute  banzhaf_normalised  shapley_shubik  coleman_prevent  coleman_initiate
iso2
A                 0.75                 0.6          0.6667           1.0000              0.6
B                 0.25                 0.2          0.1667           0.3333              0.2
C                 0.25                 0.2          0.1667           0.3333              0.2
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .data import load_population, normalise_iso2
from .errors import InputError
from .rules import Game, check_rule, game

__all__ = [
    "INDEX_COLUMNS", "SwingCounts", "PassageResult", "swing_counts", "power_of_game",
    "power_indices", "passage_probability", "resolve_population",
]

INDEX_COLUMNS = ("banzhaf_absolute", "banzhaf_normalised", "shapley_shubik", "coleman_prevent",
                 "coleman_initiate")

# threshold kinds
_ZERO, _QUOTA, _NEVER = 0, 1, 2
#: each half enumerates 2^(n/2) subsets; 44 players is 2^22 per half (a few hundred MB)
_MAX_PLAYERS = 44


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------

def resolve_population(population=None) -> dict[str, int]:
    """Turn a population argument into a dict iso2 -> exact non-negative int.

    ``None`` -> the Council 2025 figures (:func:`model.data.load_population`); a ``str`` or
    ``Path`` -> ``load_population(spec)`` (a table name or a CSV path); a Mapping or a pandas
    Series -> used as is. Non-integral or negative values raise :class:`InputError`.

    >>> resolve_population({"A": 3, "B": 2.0})
    {'A': 3, 'B': 2}
    """
    if population is None:
        table = load_population()
    elif isinstance(population, (str, Path)):
        table = load_population(population)
    elif isinstance(population, (Mapping, pd.Series)):
        table = population
    else:
        raise InputError(f"population must be a table name, a path or a mapping, not "
                         f"{type(population).__name__}", field="population")
    out: dict[str, int] = {}
    for code, value in table.items():
        if isinstance(value, (bool, np.bool_)):
            raise InputError(f"population of {code} is not an integer", field="population")
        if isinstance(value, (int, np.integer)):
            number = int(value)
        else:
            try:
                as_float = float(value)
            except (TypeError, ValueError):
                raise InputError(f"population of {code} is not a number",
                                 field="population") from None
            if not math.isfinite(as_float) or not as_float.is_integer():
                raise InputError(f"population of {code} is not an integer ({value})",
                                 field="population")
            number = int(as_float)
        if number < 0:
            raise InputError(f"negative population for {code}", field="population")
        out[str(code)] = number
    if not out:
        raise InputError("empty population table", field="population")
    return out


def _participants(participating, population: Mapping[str, int]):
    """Participating codes as given, with aliases such as EL resolved when not in the table."""
    if participating is None:
        return None
    if isinstance(participating, str):
        participating = [p for p in participating.split(",") if p.strip()]
    out = []
    for code in participating:
        code = str(code).strip()
        if code not in population:
            try:
                alias = normalise_iso2(code)
            except InputError:
                alias = code
            code = alias if alias in population else code
        out.append(code)
    if len(set(out)) != len(out):
        raise InputError("a state is listed twice among the participants", field="participating")
    return out


def _check_game(g: Game) -> tuple[np.ndarray, np.ndarray, int]:
    n = len(g.states)
    if n == 0:
        raise InputError("a game needs at least one player", field="participating")
    if n > _MAX_PLAYERS:
        raise ValueError(f"exact enumeration supports at most {_MAX_PLAYERS} players (got {n})")
    if len(g.populations) != n or len(g.thresholds) != n + 1:
        raise ValueError("a game needs one population per state and n + 1 thresholds")
    pops = [int(p) for p in g.populations]
    if any(p < 0 for p in pops):
        raise InputError("negative population", field="population")
    thresholds = [int(t) for t in g.thresholds]
    if any(b > a for a, b in zip(thresholds, thresholds[1:])):
        raise ValueError("thresholds must never increase with coalition size (monotone game)")
    total = sum(pops)
    shift = 1 << (total + 1).bit_length()
    if (n + 2) * shift >= 2**62:
        raise ValueError("populations too large for exact 64-bit keys")
    return np.array(pops, dtype=np.int64), np.array(thresholds, dtype=object), total


def _kinds(thresholds, total: int) -> np.ndarray:
    return np.array([_ZERO if t <= 0 else (_NEVER if t > total else _QUOTA) for t in thresholds])


# --------------------------------------------------------------------------------------------
# meet-in-the-middle machinery
# --------------------------------------------------------------------------------------------

def _sum_by_member(values: np.ndarray) -> np.ndarray:
    """Row j: the sum of ``values`` over the subsets (rows, in bitmask order) containing j.

    Folds out the highest bit at each step (about 2 * 2^m additions per column, no BLAS,
    whose threads are slow to start on a busy machine).
    """
    m = int(values.shape[0]).bit_length() - 1
    out = np.zeros((m,) + values.shape[1:], dtype=values.dtype)
    for j in range(m - 1, -1, -1):
        half = 1 << j
        out[j] = values[half:].sum(axis=0)
        values = values[:half] + values[half:]
    return out


@lru_cache(maxsize=256)
def _layout(w: tuple[int, ...], shift: int) -> tuple[np.ndarray, ...]:
    """Subsets of players with populations ``w`` (bitmask order) sorted by (size, population).

    Returns order, inverse, sorted keys, sorted sizes, sorted populations and ``offsets``
    (offsets[j] = first sorted position of a subset of size j, j = 0 .. m + 1). Cached: the
    agent-based model asks about the same populations again and again.
    """
    m = len(w)
    sizes = np.zeros(1, dtype=np.int64)
    pops = np.zeros(1, dtype=np.int64)
    for wj in w:
        sizes = np.concatenate([sizes, sizes + 1])
        pops = np.concatenate([pops, pops + wj])
    keys = sizes * shift + pops
    order = np.argsort(keys, kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    keys = keys[order]
    offsets = np.searchsorted(keys, np.arange(m + 2, dtype=np.int64) * shift)
    out = (order, inverse, keys, sizes[order], pops[order], offsets)
    for array in out:
        array.setflags(write=False)
    return out


class _Half:
    """The subsets of one half, sorted by (size, population); per-subset arrays sorted alike.

    With factors ``x`` (in the coalition) and ``y`` (out of it) each subset also carries the
    weight prod_{in} x * prod_{out} y, with cumulative sums for range queries.
    """

    def __init__(self, members: np.ndarray, pops: np.ndarray, shift: int,
                 x: np.ndarray | None = None, y: np.ndarray | None = None):
        self.members = members
        self.m = m = len(members)
        self.shift = shift
        (self.order, self.inverse, self.keys, self.sizes, self.pops,
         self.offsets) = _layout(tuple(int(v) for v in pops[members]), shift)
        if x is not None:  # this half's factors for being in / out of the coalition
            self.x, self.y = x[members], y[members]
            weights = np.ones(1)
            for j in range(m):
                weights = np.concatenate([weights * self.y[j], weights * self.x[j]])
            self.weights = weights[self.order]
            self.cum = np.concatenate([[0.0], np.cumsum(self.weights)])
            self.size_mass = np.bincount(self.sizes, weights=self.weights, minlength=m + 1)

    def unsort(self, values: np.ndarray) -> np.ndarray:
        """Per-subset values (first axis in sorted order) back in bitmask order."""
        return values.take(self.inverse, axis=0)

    def with_without(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each player r of the half: ``sum_a [r in a] w_r(a) values[a]`` and the same
        over ``r not in a``, where w_r(a) is the subset's weight without r's own factor.

        ``values`` is in bitmask order. Viewing it as shape (2^(m-1-r), 2, 2^r), the weight
        factorises into the players below r (``low``, the doubling enumeration of players
        0..r-1) and above r (``high``), so each player costs one pass over the array.
        """
        m = self.m
        low = [np.ones(1)]
        for j in range(m - 1):
            low.append(np.concatenate([low[-1] * self.y[j], low[-1] * self.x[j]]))
        high = [np.ones(1)] * m
        for r in range(m - 2, -1, -1):  # player r + 1 becomes the lowest bit above r
            high[r] = np.outer(high[r + 1], [self.y[r + 1], self.x[r + 1]]).ravel()
        out = np.array([np.einsum("hbl,h,l->b", values.reshape(len(high[r]), 2, len(low[r])),
                                  high[r], low[r]) for r in range(m)])
        return out[:, 1], out[:, 0]


def _search(target: _Half, query: _Half, ks: np.ndarray, ts: np.ndarray):
    """Ranges in ``target``'s sorted subsets completing query subsets to a winning coalition.

    Yields ``(r, start, stop, lo, hi)`` for each quota row r (coalition size ``ks[r]``,
    population quota ``ts[r]``): the query half's sorted subsets ``start:stop`` are those whose
    size can be completed to ``ks[r]`` (a contiguous block, since they are sorted by size), and
    for each of them the target subsets in sorted positions ``lo:hi`` are exactly those of the
    complementary size with enough population. Queries are issued in descending (size,
    population) order of the query half, which makes them ascending (cache-friendly for
    ``searchsorted``); only query sizes that can be completed are searched.
    """
    shift, m_t = target.shift, target.m
    for r, (k, t) in enumerate(zip(ks.tolist(), ts.tolist())):
        start = query.offsets[max(0, k - m_t)]
        stop = query.offsets[min(k, query.m) + 1]
        if start >= stop:
            continue
        q_sizes = query.sizes[start:stop][::-1]
        q_pops = query.pops[start:stop][::-1]
        k2 = k - q_sizes
        need = np.clip(t - q_pops, 0, shift - 1)
        lo = np.searchsorted(target.keys, k2 * shift + need)[::-1]
        hi = target.offsets[k2 + 1][::-1]
        yield r, start, stop, lo, hi


def _split(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(n // 2), np.arange(n // 2, n)


def _quota_rows(thresholds, kinds) -> tuple[np.ndarray, np.ndarray]:
    ks = np.flatnonzero(kinds == _QUOTA)
    ts = np.array([int(thresholds[k]) for k in ks], dtype=np.int64)
    return ks.astype(np.int64), ts


# --------------------------------------------------------------------------------------------
# counting: swings and power indices
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class SwingCounts:
    """Exact counts behind the power indices of a game.

    ``swings[i, k]`` is the number of coalitions ``S`` of size ``k`` not containing player ``i``
    such that ``S`` loses and ``S + i`` wins; ``winning[k]`` the number of winning coalitions of
    size ``k`` (both int64 arrays, exact).
    """

    states: tuple[str, ...]
    swings: np.ndarray
    winning: np.ndarray

    @property
    def total_swings(self) -> np.ndarray:
        return self.swings.sum(axis=1)

    @property
    def winning_coalitions(self) -> int:
        return int(sum(int(v) for v in self.winning))


def swing_counts(g: Game) -> SwingCounts:
    """Exact swing counts per player and coalition size, by meet-in-the-middle.

    Parameters
    ----------
    g : a :class:`model.rules.Game` (thresholds non-increasing in the coalition size).

    Returns
    -------
    SwingCounts

    Examples
    --------
    >>> from model.rules import Game
    >>> sc = swing_counts(Game("custom", ("A", "B", "C"), (3, 2, 1), (4, 4, 4, 4)))
    >>> sc.swings.tolist(), sc.winning.tolist()
    ([[0, 2, 1], [0, 1, 0], [0, 1, 0]], [0, 0, 2, 1])
    """
    pops, thresholds, total = _check_game(g)
    n = len(pops)
    kinds = _kinds(thresholds, total)
    shift = 1 << (total + 1).bit_length()
    w_in = np.zeros((n, n + 1), dtype=np.int64)   # winning coalitions of size k containing i
    w_out = np.zeros((n, n + 1), dtype=np.int64)  # winning coalitions of size k without i
    winning = np.zeros(n + 1, dtype=np.int64)
    for k in np.flatnonzero(kinds == _ZERO):
        winning[k] = math.comb(n, k)
        w_in[:, k] = math.comb(n - 1, k - 1) if k >= 1 else 0
        w_out[:, k] = math.comb(n - 1, k) if k <= n - 1 else 0
    ks, ts = _quota_rows(thresholds, kinds)
    if len(ks):
        a_idx, b_idx = _split(n)
        A, B = _Half(a_idx, pops, shift), _Half(b_idx, pops, shift)
        n_b = len(B.sizes)
        counts_a = np.zeros((len(A.sizes), len(ks)), dtype=np.int64)
        counts_b = np.zeros((n_b, len(ks)), dtype=np.int64)
        for r, start, stop, lo, hi in _search(B, A, ks, ts):
            counts_a[start:stop, r] = hi - lo
            # B's sorted subset q completes every A subset with lo <= q < hi: one search
            # direction serves both halves
            edges = np.bincount(lo, minlength=n_b + 1) - np.bincount(hi, minlength=n_b + 1)
            counts_b[:, r] = np.cumsum(edges[:n_b])
        totals = counts_a.sum(axis=0)
        if not np.array_equal(totals, counts_b.sum(axis=0)):
            raise AssertionError("meet-in-the-middle counts disagree")  # pragma: no cover
        for half, counts in ((A, counts_a), (B, counts_b)):
            # (m, K): winning coalitions of each quota size containing each player of the half
            inside = _sum_by_member(half.unsort(counts))
            w_in[np.ix_(half.members, ks)] = inside
        w_out[:, ks] = totals[None, :] - w_in[:, ks]
        winning[ks] = totals
    swings = w_in[:, 1:] - w_out[:, :-1]
    return SwingCounts(tuple(g.states), swings, winning)


@lru_cache(maxsize=64)
def _shapley_weights(n: int) -> tuple[tuple[int, ...], int]:
    fact = [math.factorial(i) for i in range(n + 1)]
    return tuple(fact[k] * fact[n - 1 - k] for k in range(n)), fact[n]


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


def power_of_game(g: Game) -> pd.DataFrame:
    """All power indices of any :class:`model.rules.Game`, computed exactly.

    Parameters
    ----------
    g : the game (states, integer populations, thresholds by coalition size).

    Returns
    -------
    pandas.DataFrame
        Indexed by state code (index name ``iso2``) with columns ``banzhaf_absolute``
        (Penrose: swings / 2^(n-1)), ``banzhaf_normalised`` (swings / sum of swings),
        ``shapley_shubik``, ``coleman_prevent`` (swings / winning coalitions) and
        ``coleman_initiate`` (swings / losing coalitions). ``attrs`` holds
        ``winning_coalitions`` (int), ``coleman_collectivity`` (winning / 2^n) and ``rule``.
        Undefined ratios (e.g. no losing coalition) are NaN.

    Examples
    --------
    >>> from model.rules import Game
    >>> df = power_of_game(Game("simple", ("A", "B", "C"), (5, 1, 1), (8, 8, 0, 0)))
    >>> df["shapley_shubik"].tolist(), df.attrs["winning_coalitions"]
    ([0.3333333333333333, 0.3333333333333333, 0.3333333333333333], 4)
    """
    sc = swing_counts(g)
    n = len(sc.states)
    swings = [int(v) for v in sc.total_swings]
    all_swings = sum(swings)
    winning = sc.winning_coalitions
    losing = (1 << n) - winning
    weights, n_fact = _shapley_weights(n)
    shapley = [sum(int(s) * wk for s, wk in zip(row, weights)) / n_fact for row in sc.swings]
    half = 1 << (n - 1)
    frame = pd.DataFrame(
        {
            "banzhaf_absolute": [s / half for s in swings],
            "banzhaf_normalised": [_ratio(s, all_swings) for s in swings],
            "shapley_shubik": shapley,
            "coleman_prevent": [_ratio(s, winning) for s in swings],
            "coleman_initiate": [_ratio(s, losing) for s in swings],
        },
        index=pd.Index(list(sc.states), name="iso2"),
    )
    frame.attrs["rule"] = g.rule
    frame.attrs["winning_coalitions"] = winning
    frame.attrs["coleman_collectivity"] = winning / (1 << n)
    return frame


def power_indices(rule: str = "qmv", population=None, participating=None) -> pd.DataFrame:
    """Exact Banzhaf, Shapley-Shubik and Coleman indices of the states under a Council rule.

    Parameters
    ----------
    rule : ``qmv``, ``rqmv``, ``unanimity``, ``simple`` or ``comitology`` (for comitology the
        game is reaching a qualified majority, so the indices equal those of ``qmv``).
    population : None (Council 2025 figures), a table name or CSV path for
        :func:`model.data.load_population`, or a Mapping / Series iso2 -> integer population.
    participating : iso2 codes taking part (default: every state of the table). With a strict
        subset the partial-participation rules of Art. 238(3) TFEU apply.

    Returns
    -------
    pandas.DataFrame
        As :func:`power_of_game`, over the participating states only.

    Examples
    --------
    >>> df = power_indices("simple", {"A": 5, "B": 3, "C": 1})
    >>> df["banzhaf_normalised"].round(4).tolist(), df.attrs["rule"]
    ([0.3333, 0.3333, 0.3333], 'simple')
    """
    check_rule(rule)
    pops = resolve_population(population)
    frame = power_of_game(game(rule, pops, _participants(participating, pops)))
    frame.attrs["rule"] = rule
    return frame


# --------------------------------------------------------------------------------------------
# probability mass: passage probability and criticality
# --------------------------------------------------------------------------------------------

def _win_mass(g: Game, x: np.ndarray, y: np.ndarray, per_player: bool):
    """Weighted mass of the winning coalitions, ``sum_S prod_{S} x prod_{N-S} y [S wins]``.

    With ``per_player`` also, for every player i, the masses over S in N - i (player i's own
    factor left out) of ``[S + i wins]`` and of ``[S wins]``.
    """
    pops, thresholds, total = _check_game(g)
    n = len(pops)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    kinds = _kinds(thresholds, total)
    shift = 1 << (total + 1).bit_length()
    ks, ts = _quota_rows(thresholds, kinds)
    zero_ks = np.flatnonzero(kinds == _ZERO)
    a_idx, b_idx = _split(n)
    A, B = _Half(a_idx, pops, shift, x, y), _Half(b_idx, pops, shift, x, y)

    # win_b[a]: mass of the B subsets completing A's sorted subset a to a winning coalition;
    # win_a[b]: mass of the A subsets completing B's sorted subset b (same searches, read
    # from B's side with weighted interval counting)
    n_b = len(B.sizes)
    win_b = np.zeros(len(A.sizes))
    win_a = np.zeros(n_b) if per_player else None
    for _, start, stop, lo, hi in _search(B, A, ks, ts):
        win_b[start:stop] += B.cum[hi] - B.cum[lo]
        if per_player:
            weights = A.weights[start:stop]
            edges = (np.bincount(lo, weights=weights, minlength=n_b + 1)
                     - np.bincount(hi, weights=weights, minlength=n_b + 1))
            win_a += np.cumsum(edges[:n_b])
    for k in zero_ks:  # every coalition of size k wins: mass by subset size of the other half
        k2 = k - A.sizes
        ok = (k2 >= 0) & (k2 <= B.m)
        win_b[ok] += B.size_mass[k2[ok]]
        if per_player:
            k2 = k - B.sizes
            ok = (k2 >= 0) & (k2 <= A.m)
            win_a[ok] += A.size_mass[k2[ok]]
    total_mass = float(A.weights @ win_b)
    if not per_player:
        return total_mass, None, None
    with_i = np.zeros(n)
    without_i = np.zeros(n)
    for half, win_other in ((A, win_b), (B, win_a)):
        if half.m == 0:
            continue
        with_i[half.members], without_i[half.members] = half.with_without(
            half.unsort(win_other))
    return total_mass, with_i, without_i


def _exclusive(g: Game) -> bool:
    """True if two disjoint coalitions can never both win (then QMV for and against exclude)."""
    total = sum(g.populations)
    t = [int(v) for v in g.thresholds]
    n = len(g.states)
    for kf in range(n + 1):
        if t[kf] > total:
            continue
        for ka in range(n - kf + 1):
            if t[ka] <= total and max(t[kf], 0) + max(t[ka], 0) <= total:
                return False
    return True


@dataclass(frozen=True, eq=False)
class PassageResult:
    """Exact outcome probabilities of one vote with independent states.

    ``criticality`` is the probability that the state's vote decides the outcome (for
    comitology: whether the act is blocked); ``criticality_adopt`` the same for adoption (a
    positive opinion under comitology; otherwise the same Series). Both are None when not
    requested. ``p_blocked`` and ``p_no_opinion`` are only set for comitology.
    """

    rule: str
    p_adopted: float
    p_blocked: float | None = None
    p_no_opinion: float | None = None
    criticality: pd.Series | None = None
    criticality_adopt: pd.Series | None = None

    def to_dict(self) -> dict:
        """JSON-ready dict: rule, p_adopted, [p_blocked, p_no_opinion (comitology),] states
        (a list of {iso2, criticality}; left out when criticality was not computed)."""
        out: dict = {"rule": self.rule, "p_adopted": float(self.p_adopted)}
        if self.rule == "comitology":
            out["p_blocked"] = float(self.p_blocked)
            out["p_no_opinion"] = float(self.p_no_opinion)
        if self.criticality is not None:
            out["states"] = [{"iso2": str(code), "criticality": float(value)}
                             for code, value in self.criticality.items()]
        return out


_PROB_COLUMNS = ("p_for", "p_against", "p_abstain", "p_constructive")


def _probability_value(value, code: str, column: str) -> float:
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise InputError(f"probability for {code} is not a number ({value!r})",
                         field=column) from None
    if not (math.isfinite(p) and 0.0 <= p <= 1.0):
        raise InputError(f"probability {value} for {code} outside [0, 1]", field=column)
    return p


def _resolve_probabilities(probabilities, states: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Arrays p_for, p_against, p_abstain, p_constructive in the order of ``states``."""
    n = len(states)
    if isinstance(probabilities, pd.DataFrame):
        missing_cols = [c for c in _PROB_COLUMNS[:3] if c not in probabilities.columns]
        if missing_cols:
            raise InputError(f"missing column(s) {', '.join(missing_cols)}", field=missing_cols[0])
        missing = [s for s in states if s not in probabilities.index]
        if missing:
            raise InputError(f"no probabilities for {', '.join(missing)}", field="probabilities")
        out = {}
        for col in _PROB_COLUMNS:
            if col in probabilities.columns:
                out[col] = np.array([_probability_value(probabilities.at[s, col], s, col)
                                     for s in states])
            else:
                out[col] = np.zeros(n)
        sums = out["p_for"] + out["p_against"] + out["p_abstain"] + out["p_constructive"]
        bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
        if len(bad):
            raise InputError(f"probabilities of {states[bad[0]]} sum to {sums[bad[0]]:.6g}, not 1",
                             field="p_for")
        return out
    if isinstance(probabilities, (Mapping, pd.Series)):
        missing = [s for s in states if s not in probabilities]
        if missing:
            raise InputError(f"no probabilities for {', '.join(missing)}", field="probabilities")
        p_for = np.array([_probability_value(probabilities[s], s, "p_for") for s in states])
        return {"p_for": p_for, "p_against": 1.0 - p_for, "p_abstain": np.zeros(n),
                "p_constructive": np.zeros(n)}
    raise InputError("probabilities must be a mapping iso2 -> p_for or a DataFrame with "
                     "p_for, p_against, p_abstain", field="probabilities")


def _leave_one_out_products(values: np.ndarray) -> np.ndarray:
    """prod_{j != i} values[j] for every i, without dividing (values may be 0)."""
    n = len(values)
    prefix = np.concatenate([[1.0], np.cumprod(values)[:-1]]) if n else np.ones(0)
    suffix = np.concatenate([np.cumprod(values[::-1])[::-1][1:], [1.0]]) if n else np.ones(0)
    return prefix * suffix


def _comitology_enumerated(g: Game, pf: np.ndarray, pa: np.ndarray, criticality: bool):
    """Direct enumeration for the tiny games (<= 6 states) where QMV for and against can
    both be reached; the outcome is then ``adopted`` (the rules give it precedence)."""
    n = len(g.states)
    if n > 12:  # pragma: no cover - impossible for the Treaty rules (needs n <= 6)
        raise RuntimeError("non-exclusive comitology game too large to enumerate")
    pops = np.array(g.populations, dtype=np.int64)
    t = np.array([min(int(v), g.never) for v in g.thresholds], dtype=np.int64)
    po = np.clip(1.0 - pf - pa, 0.0, 1.0)

    def evaluate(codes: np.ndarray, p_f, p_a, p_o):
        weights = np.prod(np.where(codes == 0, p_f, np.where(codes == 1, p_a, p_o)), axis=1)
        f, a = codes == 0, codes == 1
        f_wins = (f @ pops) >= t[f.sum(axis=1)]
        a_wins = (a @ pops) >= t[a.sum(axis=1)]
        return weights, f_wins, a_wins

    def profiles(k: int) -> np.ndarray:  # every vote profile of k states, codes 0/1/2
        return (np.arange(3**k, dtype=np.int64)[:, None] // 3 ** np.arange(k)) % 3

    codes = profiles(n)
    weights, f_wins, a_wins = evaluate(codes, pf, pa, po)
    p_adopted = float(weights @ f_wins)
    p_blocked = float(weights @ (a_wins & ~f_wins))
    crit = crit_adopt = None
    if criticality:
        crit, crit_adopt = np.zeros(n), np.zeros(n)
        for i in range(n):
            rest = np.delete(np.arange(n), i)
            others = profiles(n - 1)
            variants = {}
            for code in (0, 1, 2):
                full = np.empty((len(others), n), dtype=np.int64)
                full[:, rest] = others
                full[:, i] = code
                w, fw, aw = evaluate(full, np.where(np.arange(n) == i, 1.0, pf),
                                     np.where(np.arange(n) == i, 1.0, pa),
                                     np.where(np.arange(n) == i, 1.0, po))
                variants[code] = (w, fw, aw & ~fw)
            w = variants[0][0]
            crit_adopt[i] = float(w @ (variants[0][1] != variants[2][1]))
            crit[i] = float(w @ (variants[1][2] != variants[2][2]))
    return p_adopted, p_blocked, crit, crit_adopt


def passage_probability(rule: str, probabilities, population=None, participating=None, *,
                        criticality: bool = True) -> PassageResult:
    """Exact probability that a measure passes when the states vote independently.

    Parameters
    ----------
    rule : ``qmv``, ``rqmv``, ``unanimity``, ``simple`` or ``comitology``.
    probabilities : Mapping (or Series) iso2 -> p_for (then p_against = 1 - p_for), or a
        DataFrame indexed by iso2 with columns p_for, p_against, p_abstain and optionally
        p_constructive (a formal abstention under Art. 31(1) TEU; only unanimity treats it
        differently from an abstention).
    population, participating : as for :func:`power_indices`.
    criticality : also compute each state's criticality (set False for the fastest path).

    Returns
    -------
    PassageResult
        ``p_adopted`` = P(the camp in favour wins the rule's game). For comitology also
        ``p_blocked`` = P(a qualified majority against) and ``p_no_opinion``. Criticality of
        state i is the probability that i's vote decides the outcome, the others voting by
        their probabilities: P(outcome with i for != outcome with i against); for comitology
        P(i's switch between against and abstaining changes whether the act is blocked), and
        ``criticality_adopt`` the same for the positive opinion (i for vs not for).

    Notes
    -----
    qmv/rqmv/simple depend only on for vs not-for. Unanimity (Art. 238(4) TFEU, Art. 31(1)
    TEU): adopted iff nobody votes against, at least one votes for, and the constructive
    abstainers are not at least one third of the states of the population table with at least
    one third of its population (integer tests ``3 n >= N`` and ``3 pop >= POP``).

    Examples
    --------
    >>> pops = {"A": 40, "B": 30, "C": 20, "D": 10}
    >>> r = passage_probability("simple", {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5}, pops)
    >>> r.p_adopted, r.criticality.tolist()
    (0.3125, [0.375, 0.375, 0.375, 0.375])
    >>> passage_probability("unanimity", {"A": 0.9, "B": 0.9, "C": 1.0, "D": 0.5}, pops,
    ...                     criticality=False).p_adopted
    0.405
    """
    check_rule(rule)
    pop_table = resolve_population(population)
    g = game(rule, pop_table, _participants(participating, pop_table))
    states = g.states
    probs = _resolve_probabilities(probabilities, states)
    pf, pa, pab, pc = (probs[c] for c in _PROB_COLUMNS)
    index = pd.Index(list(states), name="iso2")

    def series(values):
        return pd.Series(np.clip(values, 0.0, 1.0), index=index, name="criticality")

    if rule == "unanimity":
        return _unanimity(g, pf, pa, pab, pc, pop_table, criticality, series)
    if rule == "comitology":
        if not _exclusive(g):
            p_ad, p_bl, crit, crit_ad = _comitology_enumerated(g, pf, pa, criticality)
        else:
            p_ad, w_f, wo_f = _win_mass(g, pf, 1.0 - pf, criticality)
            p_bl, w_a, wo_a = _win_mass(g, pa, 1.0 - pa, criticality)
            crit = None if not criticality else w_a - wo_a
            crit_ad = None if not criticality else w_f - wo_f
        p_ad, p_bl = min(max(p_ad, 0.0), 1.0), min(max(p_bl, 0.0), 1.0)
        return PassageResult(
            rule, p_ad, p_bl, max(0.0, 1.0 - p_ad - p_bl),
            None if crit is None else series(crit),
            None if crit_ad is None else series(crit_ad).rename("criticality_adopt"))
    p_ad, with_i, without_i = _win_mass(g, pf, 1.0 - pf, criticality)
    crit = series(with_i - without_i) if criticality else None
    return PassageResult(rule, min(max(p_ad, 0.0), 1.0), None, None, crit, crit)


def _unanimity(g: Game, pf, pa, pab, pc, pop_table: Mapping[str, int], criticality: bool,
               series) -> PassageResult:
    not_against = pf + pab + pc
    quiet = pab + pc
    p_adopted = float(np.prod(not_against) - np.prod(quiet))
    crit = _leave_one_out_products(not_against) if criticality else None
    if np.any(pc > 0):
        # the constructive abstainers veto iff 3 |C| >= N and 3 pop(C) >= POP (whole table)
        n_all, pop_all = len(pop_table), sum(pop_table.values())
        k_min, p_min = -(-n_all // 3), -(-pop_all // 3)
        never = g.total + 1
        veto = Game("unanimity-veto", g.states, g.populations,
                    tuple(never if k < k_min else min(p_min, never) for k in range(g.n + 1)))
        v1, _, without_v1 = _win_mass(veto, pc, pf + pab, criticality)
        v2, _, _ = _win_mass(veto, pc, pab, False)
        p_adopted -= v1 - v2
        if criticality:
            crit = crit - without_v1
    p_adopted = min(max(p_adopted, 0.0), 1.0)
    crit_series = series(crit) if criticality else None
    return PassageResult("unanimity", p_adopted, None, None, crit_series, crit_series)

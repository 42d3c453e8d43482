"""Who blocked it: the canonical minimal blocking coalition of each failed vote.

A set of states *blocks* if it stops the measure when its members vote against and every other
participant votes for; "stops" is the rule's own meaning of not adopted
(:meth:`~model.treaty.rules.base.Rule.adopted`), so in comitology only a qualified majority
against stops a measure. "DE+ES+HU+PT blocks in 12% of replications" is the kind of sentence
this supports.
"""

from __future__ import annotations

import numpy as np

from .positions import ABSENT, AGAINST, FOR
from .rules import Rule, get_rule

__all__ = ["blocking_coalitions", "stops"]


def stops(rule: Rule, codes: np.ndarray, pops: np.ndarray) -> np.ndarray:
    """Whether each vote profile (row of ``codes``) leaves the measure not adopted."""
    return ~rule.adopted(rule.evaluate(codes, pops))


def blocking_coalitions(votes: np.ndarray, rule: str | Rule, states: list[str],
                        populations: np.ndarray) -> list[tuple[str, ...] | None]:
    """The canonical minimal blocking coalition of every replication (None where it passes).

    A set of states *blocks* if it stops the measure when its members vote against and every
    other participant votes for. In a replication where the measure fails, the candidates are
    the states whose vote counted against it (the rule's
    :attr:`~model.treaty.rules.base.Rule.blocking_positions`: against, and also abstain where
    abstaining counts as a no). They are taken in order - against
    before abstain, then largest population first - until the set blocks; then each member,
    last added first, is dropped if the set still blocks without it. Blocking is monotone, so
    the result is minimal: no member can be spared. Members are listed largest population
    first.

    Parameters
    ----------
    votes : (R, n) array of position codes (:class:`model.treaty.positions.Position`)
    rule : the voting rule (name or Rule) the votes were evaluated under
    states : the n state codes, in column order
    populations : (n,) integer populations

    Returns
    -------
    list of length R: a tuple of state codes for a failed replication, ``()`` if it failed
    without any set of its opponents being able to block on its own (unanimity with nobody in
    favour), None where the measure passed.

    Examples
    --------
    >>> from model.treaty.positions import FOR, AGAINST, ABSTAIN
    >>> v = np.array([[AGAINST, AGAINST, ABSTAIN, FOR], [FOR, FOR, FOR, AGAINST]])
    >>> blocking_coalitions(v, "simple", ["A", "B", "C", "D"], np.array([40, 30, 20, 10]))
    [('A', 'B'), None]
    """
    rule = get_rule(rule)
    votes = np.atleast_2d(np.asarray(votes))
    pops = np.asarray(populations, dtype=np.int64)
    R, n = votes.shape
    stopped = stops(rule, votes, pops)
    result: list[tuple[str, ...] | None] = [None] * R
    rows = np.flatnonzero(stopped)
    if len(rows) == 0:
        return result
    v = votes[rows]
    candidate = np.isin(v, rule.blocking_positions)
    pop_rank = np.argsort(np.argsort(-pops, kind="stable"), kind="stable")      # 0 = largest
    key = np.where(candidate, (v != AGAINST) * n + pop_rank[None, :], 2 * n + 1)
    order = np.argsort(key, axis=1, kind="stable")                              # (F, n)
    n_cand = candidate.sum(axis=1)
    base = np.where(v == ABSENT, ABSENT, FOR).astype(v.dtype)
    rank_of = np.empty_like(order)
    np.put_along_axis(rank_of, order, np.arange(n)[None, :].repeat(len(rows), axis=0), axis=1)
    # greedy: the shortest prefix of the candidate order that blocks
    k_star = np.full(len(rows), -1)
    for k in range(1, n + 1):
        open_rows = (k_star < 0) & (k <= n_cand)
        if not open_rows.any():
            break
        trial = np.where(rank_of < k, AGAINST, base)
        hit = stops(rule, trial, pops) & open_rows
        k_star[hit] = k
    members = (rank_of < k_star[:, None]) & (k_star[:, None] > 0)
    # prune: drop members (last added first) the set can do without
    for j in range(n - 1, -1, -1):
        active = j < k_star
        if not active.any():
            continue
        col = order[:, j]
        trial_members = members.copy()
        trial_members[np.arange(len(rows)), col] = False
        trial = np.where(trial_members, AGAINST, base)
        keep_out = stops(rule, trial, pops) & active
        members[keep_out] = trial_members[keep_out]
    by_size = np.argsort(-pops, kind="stable")
    for i, r in enumerate(rows):
        if k_star[i] < 0:
            result[r] = ()
        else:
            result[r] = tuple(states[j] for j in by_size if members[i, j])
    return result

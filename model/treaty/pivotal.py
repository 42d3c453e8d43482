"""Pivotal states of many votes at once, from each vote's tally rather than by re-voting.

A participating state is pivotal in a vote when a single change of its position to one of the
given alternatives changes whether the measure is adopted in the end. A rule decides from the
tally of positions (:class:`~model.treaty.rules.base.Camps`: counts and populations per
position), so a state's switch from position a to b is the tally with one count and the
state's population moved from a to b. All states' switches are evaluated in one call of the
rule on the adjusted tallies: no vote matrix is copied or tallied again.

>>> from model.treaty.rules import get_rule
>>> codes = np.array([[0, 0, 0, 2]], dtype=np.int8)            # 3 for, 1 against
>>> pivotal_states(get_rule("simple"), codes, np.array([1, 1, 1, 1]))[:, 0].tolist()
[True, True, True, False]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .positions import ABSENT, CHOICES, Position
from .rules.base import Camps, Rule

__all__ = ["tally", "pivotal_states"]


def tally(codes, pops, full_council: bool | None = None) -> Camps:
    """:meth:`Camps.of` computed with one ``bincount`` per quantity (same result, faster for
    many rows)."""
    codes = np.atleast_2d(np.asarray(codes))
    pops = np.asarray(pops, dtype=np.int64)
    R, n = codes.shape
    P = len(Position)
    part = codes[0] != ABSENT
    if not np.all((codes != ABSENT) == part):
        raise ValueError("absent states must be the same in every row")
    index = (codes.astype(np.int64) + P * np.arange(R)[:, None]).ravel()
    count = np.bincount(index, minlength=R * P).reshape(R, P)
    weights = np.broadcast_to(pops.astype(np.float64), (R, n)).ravel()
    # populations are sums of at most a few dozen integers far below 2**53: exact in float64
    population = np.rint(np.bincount(index, weights=weights, minlength=R * P)).astype(np.int64)
    if full_council is None:
        full_council = bool(part.all())
    return Camps(count, population.reshape(R, P), int(part.sum()), int(pops[part].sum()), n,
                 int(pops.sum()), full_council, pops[part])


def pivotal_states(rule: Rule, codes, pops, *, full_council: bool | None = None,
                   alternatives: Sequence[Position] = CHOICES,
                   camps: Camps | None = None) -> np.ndarray:
    """(n, R) bool: whether each state's single switch to one of ``alternatives`` changes
    whether the measure is adopted in the end, in each of R votes (rows of ``codes``).

    Absent states are never pivotal. Equal, vote by vote, to re-evaluating the rule on every
    switched vote matrix (tests/treaty/test_pivotal.py checks that for every rule). ``camps``
    is the votes' tally when the caller already has it."""
    codes = np.atleast_2d(np.asarray(codes))
    pops = np.asarray(pops, dtype=np.int64)
    camps = tally(codes, pops, full_council) if camps is None else camps
    adopted = rule.adopted(rule.outcome_index(camps))
    R, n = codes.shape
    out = np.zeros((n, R), dtype=bool)
    members = np.flatnonzero(codes[0] != ABSENT)
    if not len(members) or not R:
        return out
    current = codes[:, members].T                                     # (k, R)
    weight = pops[members][:, None]
    for alt in alternatives:
        switched = _Switched(camps, current, weight, int(alt))
        changed = rule.adopted(rule.outcome_index(switched)).reshape(len(members), R)
        out[members] |= (changed != adopted[None, :]) & (current != int(alt))
    return out


class _Switched:
    """The tallies of R votes after a single member's switch to ``alt``, for each of k members:
    k * R rows (member-major). A rule reads a tally through :meth:`Camps.n` and
    :meth:`Camps.pop`; each column is computed only when the rule asks for it, as the
    original column plus the switch's step (one count and the member's population in or out),
    so a rule that looks at one camp costs one column, not the whole table."""

    def __init__(self, camps: Camps, current: np.ndarray, weight: np.ndarray, alt: int) -> None:
        self._camps, self._current, self._weight, self._alt = camps, current, weight, alt
        self.n_part, self.pop_part = camps.n_part, camps.pop_part
        self.n_all, self.pop_all = camps.n_all, camps.pop_all
        self.full_council = camps.full_council
        self.participating_pops = camps.participating_pops

    def _step(self, position: int) -> np.ndarray:
        if position == self._alt:
            return (self._current != position).astype(np.int64)       # joins, unless there
        return -(self._current == position).astype(np.int64)          # leaves, if there

    def n(self, position: Position) -> np.ndarray:
        return (self._camps.count[:, position][None, :] + self._step(position)).ravel()

    def pop(self, position: Position) -> np.ndarray:
        step = self._step(position) * self._weight
        return (self._camps.population[:, position][None, :] + step).ravel()

    @property
    def count(self) -> np.ndarray:
        return np.stack([self.n(p) for p in Position], axis=1)

    @property
    def population(self) -> np.ndarray:
        return np.stack([self.pop(p) for p in Position], axis=1)

"""Cheapest coalition of states whose defection stops a measure, by exact search.

Everyone taking part starts in favour. Moving state ``i`` out of the camp in favour costs
``costs[i]`` (for instance the economic pressure China must apply). The question is which set
of defectors stops the measure at least total cost: under qmv, rqmv, simple and unanimity the
remaining camp in favour must lose the rule's game; under comitology (a trade-defence act) the
act is only stopped by a qualified majority *against*, so the defectors themselves must win the
QMV game (and the camp in favour lose it): the rule object says which
(:attr:`~model.treaty.rules.base.Rule.stopped_by_quota_against`).

"Lose the game" is a disjunction (too few states remain, or too little population remains and
the defectors form at least a blocking minority), so the branches are derived from the game's
thresholds (:class:`model.treaty.game.Game`) rather than restated from the Treaties: a set of
defectors blocks iff it has at least ``c`` members and ``p`` people for one branch ``(c, p)``.
All branches are searched at once by an exact combinatorial search (:mod:`model.treaty.covering`:
meet-in-the-middle over Pareto fronts, integer populations, no solver and no tolerance), and
the answer is checked against the game once more.

Ties: among coalitions of equal least cost the one with the fewest members is chosen, then the
one with the largest population, then the alphabetically first list of members (ISO codes,
compared member by member), so the answer never depends on the order of the inputs.

Examples
--------
>>> pops = {"A": 40, "B": 30, "C": 20, "D": 10}
>>> r = cheapest_blocking_coalition("simple", {"A": 5, "B": 1, "C": 2, "D": 3}, pops)
>>> r.states, r.cost, r.population_share
(('B', 'C'), 3.0, 0.5)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from .covering import cheapest_cover
from .game import Game
from .power import _participants, integer_populations
from .rules import Rule, get_rule

__all__ = ["BlockingResult", "cheapest_blocking_coalition", "blocking_branches"]

#: Movable states the exact search accepts: the largest Council the tool models (EU27 with
#: every candidate, 44 members) takes at most seconds even for costs proportional to
#: population, its hardest case; beyond it that case grows past memory.
MAX_STATES = 44


@dataclass(frozen=True)
class BlockingResult:
    """The cheapest blocking coalition: its total cost, members (largest population first),
    size and share of the participating population."""

    rule: str
    cost: float
    states: tuple[str, ...]
    count: int
    population_share: float

    def to_dict(self) -> dict:
        return {"rule": self.rule, "cost": float(self.cost), "states": list(self.states),
                "count": int(self.count), "population_share": float(self.population_share)}


def _lose_branches(g: Game) -> set[tuple[int, int]]:
    """(minimum defectors, minimum defecting population) pairs, one per distinct threshold,
    whose union is exactly "the states not defecting lose the game"."""
    n, total, t = g.n, g.total, [int(v) for v in g.thresholds]
    out = set()
    for v in {x for x in t if x > 0}:
        k_hi = max(k for k in range(n + 1) if t[k] >= v)  # remaining size must be <= k_hi
        out.add((n - k_hi, max(0, total - v + 1)))
    return out


def _win_branches(g: Game) -> set[tuple[int, int]]:
    """Same for "the defectors win the game" (a qualified majority against)."""
    n, total, t = g.n, g.total, [int(v) for v in g.thresholds]
    out = set()
    for v in {x for x in t if x <= total}:
        k_lo = min(k for k in range(n + 1) if t[k] <= v)
        out.add((k_lo, max(0, v)))
    return out


def _prune(branches: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop branches implied by a weaker one."""
    keep = [b for b in branches
            if not any(o != b and o[0] <= b[0] and o[1] <= b[1] for o in branches)]
    return sorted(keep)


def blocking_branches(g: Game, against_must_win: bool = False,
                      against: Game | None = None) -> list[tuple[int, int]]:
    """Blocking conditions as a union of (count, population) lower bounds on the defectors.

    A set D of defectors stops the measure iff ``|D| >= c`` and ``pop(D) >= p`` for some
    returned ``(c, p)``. With ``against_must_win`` (comitology) D must also win the game the
    camp against plays (``against``; by default the same game).

    >>> from model.treaty.rules import get_rule
    >>> g = get_rule("qmv").game({s: 10 for s in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0"})
    >>> blocking_branches(g)     # 13 states, or 4 states with more than 35% of 270
    [(4, 95), (13, 0)]
    """
    lose = _lose_branches(g)
    if not against_must_win:
        return _prune(lose)
    wins = _win_branches(g if against is None else against)
    return _prune({(max(a[0], b[0]), max(a[1], b[1])) for a in lose for b in wins})


def _costs(costs, states: tuple[str, ...]) -> np.ndarray:
    if not isinstance(costs, (Mapping, pd.Series)):
        raise InputError("costs must be a mapping iso2 -> cost", field="cost")
    out = np.full(len(states), math.inf)
    for i, s in enumerate(states):
        if s not in costs:
            continue
        try:
            value = float(costs[s])
        except (TypeError, ValueError):
            raise InputError(f"cost of {s} is not a number ({costs[s]!r})", field="cost") from None
        if math.isnan(value) or value < 0:
            raise InputError(f"cost of {s} must be non-negative (got {costs[s]})", field="cost")
        out[i] = value
    return out


def cheapest_blocking_coalition(rule: str | Rule, costs, population, participating=None, *,
                                full_council: bool | None = None) -> BlockingResult:
    """Minimum-cost set of participating states whose defection stops the measure.

    Parameters
    ----------
    rule : a registered rule name or Rule.
    costs : Mapping or Series iso2 -> cost of moving that state out of the camp in favour
        (``math.inf`` or missing: the state cannot be moved).
    population, participating, full_council : as for :func:`model.treaty.power.power_indices`.

    Returns
    -------
    BlockingResult
        For qmv/rqmv/simple/unanimity the defectors leave the camp in favour so that it loses
        (under unanimity one vote against suffices); for comitology they vote against and must
        reach a qualified majority against.

    Raises
    ------
    InputError
        If no blocking coalition is possible with these costs (field ``cost``).

    Notes
    -----
    The optimum is exact: populations are integers and feasibility an exact test. Of several
    coalitions at the least cost the one with the fewest members is returned, then the one with
    the largest population, then the alphabetically first list of members. Costs are added in
    float64, so "equal cost" is exact for costs float64 adds without rounding (integers, halves,
    quarters...); otherwise coalitions whose costs agree to about 1e-16 (relative) may be
    ordered by rounding (:mod:`model.treaty.covering`).

    Examples
    --------
    >>> pops = {"A": 40, "B": 30, "C": 20, "D": 10}
    >>> cheapest_blocking_coalition("unanimity", {"A": 3, "B": 2, "D": math.inf}, pops).states
    ('B',)
    """
    rule = get_rule(rule)
    pop_table = integer_populations(population)
    taking_part = _participants(participating, pop_table)
    g = rule.game(pop_table, taking_part, full_council)
    price = _costs(costs, g.states)
    if not rule.can_be_stopped:
        raise InputError(f"no blocking coalition is possible: under {rule.name} the measure is "
                         "adopted whatever the vote", field="cost")
    # movable states in alphabetical order: the tie rule's last step is "alphabetically first"
    by_code = sorted(np.flatnonzero(np.isfinite(price)).tolist(), key=g.states.__getitem__)
    movable = np.array(by_code, dtype=np.int64)
    pops = np.array(g.populations, dtype=np.int64)
    must_win = rule.stopped_by_quota_against
    against = rule.opposing_game(pop_table, taking_part, full_council) if must_win else None

    def blocks(defectors: set[str]) -> bool:
        remaining_wins = g.wins([s for s in g.states if s not in defectors])
        return (not remaining_wins) and (against.wins(defectors) if must_win else True)

    if len(movable) > MAX_STATES:
        raise InputError(f"at most {MAX_STATES} states can be moved (got {len(movable)}): the "
                         "exact search is sized for the Council with every candidate in",
                         field="cost")
    branches = blocking_branches(g, against_must_win=must_win, against=against)
    x = cheapest_cover(price[movable], pops[movable], branches)
    if x is None:
        raise InputError("no blocking coalition is possible with these costs", field="cost")
    chosen = sorted(movable[x].tolist(), key=lambda i: (-int(pops[i]), g.states[i]))
    members = tuple(g.states[i] for i in chosen)
    if not blocks(set(members)):  # pragma: no cover - the branches are exact
        raise AssertionError("internal error: the coalition found does not block")
    with np.errstate(over="ignore"):
        cost = float(price[np.sort(movable[x])].sum())  # summed in the Council's order
    share = int(pops[chosen].sum()) / g.total if g.total else 0.0
    return BlockingResult(rule.name, cost, members, len(members), share)

"""Unanimity (Art. 238(4) TFEU) with constructive abstention (Art. 31(1) TEU).

Adopted iff no participating member votes against and at least one votes for: abstentions do
not block. A formally declared (constructive) abstention does not block either, unless the
constructive abstainers are at least one third of the member states comprising at least one
third of the population of the Union (the whole population table), in which case the decision
is not adopted (integer tests ``3 n >= N`` and ``3 pop >= POP``).

>>> import numpy as np
>>> from model.treaty.rules import get_rule
>>> from model.treaty.positions import FOR, ABSTAIN, CONSTRUCTIVE
>>> rule = get_rule("unanimity")
>>> rule.evaluate(np.array([[FOR, ABSTAIN, ABSTAIN], [FOR, CONSTRUCTIVE, ABSTAIN]]), [1, 1, 1])
array([0, 1])
"""

from __future__ import annotations

import numpy as np

from ..engine import PassageResult, leave_one_out_products, win_mass
from ..game import Game
from ..positions import AGAINST, CHOICES, CONSTRUCTIVE, FOR
from .base import Probabilities, Rule, _series, _unit

__all__ = ["Unanimity"]


class Unanimity(Rule):
    """Unanimity; abstention does not block; constructive abstention by a third blocks."""

    name = "unanimity"
    title = "unanimity"
    source = "Art. 238(4) TFEU; Art. 31(1) TEU"
    blocking_positions = (AGAINST,)
    alternatives = (*CHOICES, CONSTRUCTIVE)

    def thresholds(self, pops, full_council):
        n, never = len(pops), int(sum(pops)) + 1
        return tuple(0 if k == n else never for k in range(n + 1))

    def outcome_index(self, camps):
        n_con, pop_con = camps.n(CONSTRUCTIVE), camps.pop(CONSTRUCTIVE)
        vetoed = (3 * n_con >= camps.n_all) & (3 * pop_con >= camps.pop_all)
        adopted = (camps.n(AGAINST) == 0) & (camps.n(FOR) >= 1) & ~vetoed
        return np.where(adopted, 0, 1)

    def margins(self, camps):
        n_for, n_against = int(camps.n(FOR)[0]), int(camps.n(AGAINST)[0])
        return {"adopt": {"states_missing": n_against + (1 if n_for == 0 else 0),
                          "population_missing": 0}}

    def passage(self, g: Game, probs: Probabilities, criticality: bool) -> PassageResult:
        """Exact P(adopted): nobody against and not everybody quiet, minus the probability of
        a constructive veto; criticality = P(outcome with i for) - P(outcome with i against)."""
        pf, pab, pc = probs.p_for, probs.p_abstain, probs.p_constructive
        not_against = pf + pab + pc
        quiet = pab + pc
        p_adopted = float(np.prod(not_against) - np.prod(quiet))
        crit = leave_one_out_products(not_against) if criticality else None
        if np.any(pc > 0):
            # the constructive abstainers veto iff 3 |C| >= N and 3 pop(C) >= POP
            k_min, p_min = -(-probs.n_all // 3), -(-probs.pop_all // 3)
            never = g.total + 1
            veto = Game("unanimity-veto", g.states, g.populations,
                        tuple(never if k < k_min else min(p_min, never) for k in range(g.n + 1)))
            v1, _, without_v1 = win_mass(veto, pc, pf + pab, criticality)
            v2, _, _ = win_mass(veto, pc, pab, False)
            p_adopted -= v1 - v2
            if criticality:
                crit = crit - without_v1
        crit_series = _series(g, crit) if criticality else None
        return PassageResult(self.name, _unit(p_adopted), None, None, crit_series, crit_series)

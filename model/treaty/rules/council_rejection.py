"""Trade defence before 2014: the Commission's proposal stands unless the Council rejects it by
a simple majority of its members within one month (Reg. (EC) 1225/2009 Art. 9(4), as amended
by Reg. (EC) 461/2004; replaced by comitology through Reg. (EU) 37/2014).

The measure is ``adopted`` unless a majority of the (participating) members votes against it
(``rejected``); abstaining does not reject, so only votes against stop it. This is how the
definitive solar-panel duties of December 2013 were adopted.

>>> import numpy as np
>>> from model.treaty.rules import get_rule
>>> from model.treaty.positions import FOR, AGAINST, ABSTAIN
>>> rule = get_rule("council_rejection")
>>> codes = np.array([[AGAINST] * 13 + [ABSTAIN] * 10 + [FOR] * 4,
...                   [AGAINST] * 14 + [FOR] * 13])
>>> [rule.outcomes[i] for i in rule.evaluate(codes, np.ones(27, dtype=int))]
['adopted', 'rejected']
"""

from __future__ import annotations

import numpy as np

from ..engine import PassageResult, win_mass
from ..game import Game
from ..positions import AGAINST
from .base import Probabilities, Rule, _series, _unit

__all__ = ["CouncilRejection"]


def _majority(n: int, never: int) -> tuple[int, ...]:
    return tuple(0 if 2 * k > n else never for k in range(n + 1))


class CouncilRejection(Rule):
    """Adopted unless a simple majority of the members votes against."""

    name = "council_rejection"
    title = "rejection by a simple majority of the Council (trade defence before 2014)"
    source = "Reg. (EC) 1225/2009 Art. 9(4) as amended by Reg. (EC) 461/2004"
    outcomes = ("adopted", "rejected")
    blocking_positions = (AGAINST,)
    stopped_by_quota_against = True

    def thresholds(self, pops, full_council):
        """The camp in favour wins when those outside it are no majority."""
        n, never = len(pops), int(sum(pops)) + 1
        return tuple(0 if 2 * (n - k) <= n else never for k in range(n + 1))

    def opposing_game(self, population, participating=None, full_council=None) -> Game:
        g = self.game(population, participating, full_council)
        return Game(self.name, g.states, g.populations, _majority(g.n, g.never))

    def outcome_index(self, camps):
        return np.where(2 * camps.n(AGAINST) > camps.n_part, 1, 0)

    def margins(self, camps):
        n_against = int(camps.n(AGAINST)[0])
        majority = camps.n_part // 2 + 1
        return {"adopt": {"states_missing": max(0, n_against - (majority - 1)),
                          "population_missing": 0},
                "block": {"states_missing": max(0, majority - n_against),
                          "population_missing": 0}}

    def passage(self, g: Game, probs: Probabilities, criticality: bool) -> PassageResult:
        """P(adopted) = 1 - P(a simple majority against); criticality = P(a state's switch
        between against and not against decides the rejection)."""
        against = Game(self.name, g.states, g.populations, _majority(g.n, g.never))
        p_rej, with_i, without_i = win_mass(against, probs.p_against, 1.0 - probs.p_against,
                                            criticality)
        crit = _series(g, with_i - without_i) if criticality else None
        return PassageResult(self.name, _unit(1.0 - p_rej), None, None, crit, crit)

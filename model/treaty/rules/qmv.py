"""Qualified majority (Art. 16(4) TEU; Art. 238(3)(a) TFEU for partial participation).

55% of the (participating) members and 65% of their population; a blocking minority needs at
least four members (with partial participation: the fewest participating members holding more
than 35% of the participating population, plus one), failing which QMV is deemed attained. An
abstention counts as not in favour.

>>> from model.treaty.rules import get_rule
>>> g = get_rule("qmv").game({s: 1 for s in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0"})
>>> g.thresholds[14] == g.never, g.thresholds[15], g.thresholds[24]
(True, 18, 0)
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..game import blocking_minimum, member_quota, population_quota
from ..positions import FOR
from .base import Camps, Rule

__all__ = ["Qmv", "qmv_thresholds", "qmv_margin"]


def qmv_thresholds(pops: np.ndarray, member_pct: int, blockers: int) -> tuple[int, ...]:
    """Thresholds of a double-majority game: ``member_pct``% of members and 65% of the
    population, deemed attained when fewer than ``blockers`` members are left outside."""
    n, total = len(pops), int(np.sum(pops))
    kq, pq = member_quota(n, member_pct), population_quota(total)
    never = total + 1
    return tuple(0 if n - k < blockers else (pq if k >= kq else never) for k in range(n + 1))


def qmv_margin(n_yes: int, pop_yes: int, camps: Camps, member_pct: int) -> dict:
    """States and population a camp still misses for a double majority."""
    kq, pq = member_quota(camps.n_part, member_pct), population_quota(camps.pop_part)
    return {"states_missing": max(0, kq - n_yes), "population_missing": max(0, pq - pop_yes)}


class Qmv(Rule):
    """Council qualified majority with the blocking-minority clause."""

    name = "qmv"
    title = "qualified majority"
    source = "Art. 16(4) TEU; Art. 238(3)(a) TFEU"
    member_pct: ClassVar[int] = 55

    def thresholds(self, pops, full_council):
        return qmv_thresholds(pops, self.member_pct, blocking_minimum(pops, full_council))

    def margins(self, camps):
        adopt = qmv_margin(int(camps.n(FOR)[0]), int(camps.pop(FOR)[0]), camps, self.member_pct)
        adopt["blocking_minimum_states"] = blocking_minimum(camps.participating_pops,
                                                            camps.full_council)
        return {"adopt": adopt}

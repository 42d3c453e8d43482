"""Qualified majority (Art. 16(4) TEU; Art. 238(3)(a) TFEU for partial participation).

55% of the members of the Council, comprising at least fifteen of them, representing 65% of the
population; a blocking minority needs at least four members, failing which QMV is deemed
attained. With partial participation (Art. 238(3)(a)) the thresholds are re-based on the
participating members (55% of them, with no floor of fifteen) and a blocking minority needs the
fewest participating members holding more than 35% of their population, plus one. An abstention
counts as not in favour. The rule holds for a Council of any size: 16 of 28, 20 of 35.

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

__all__ = ["Qmv", "qmv_thresholds", "qmv_margin", "MEMBER_FLOOR"]

#: Art. 16(4) TEU: the qualified majority of the whole Council comprises at least 15 members.
MEMBER_FLOOR = 15


def members_needed(n: int, member_pct: int, floor: int) -> int:
    """States a double majority needs: ``member_pct``% of ``n``, and at least ``floor``.

    >>> members_needed(27, 55, 15), members_needed(28, 55, 15), members_needed(20, 55, 0)
    (15, 16, 11)
    """
    return max(member_quota(n, member_pct), floor)


def qmv_thresholds(pops: np.ndarray, member_pct: int, blockers: int,
                   floor: int = 0) -> tuple[int, ...]:
    """Thresholds of a double-majority game: ``member_pct``% of members (and at least
    ``floor``) and 65% of the population, deemed attained when fewer than ``blockers`` members
    are left outside."""
    n, total = len(pops), int(np.sum(pops))
    kq, pq = members_needed(n, member_pct, floor), population_quota(total)
    never = total + 1
    return tuple(0 if n - k < blockers else (pq if k >= kq else never) for k in range(n + 1))


def qmv_margin(n_yes: int, pop_yes: int, camps: Camps, member_pct: int, floor: int = 0) -> dict:
    """States and population a camp still misses for a double majority."""
    kq = members_needed(camps.n_part, member_pct, floor)
    pq = population_quota(camps.pop_part)
    return {"states_missing": max(0, kq - n_yes), "population_missing": max(0, pq - pop_yes)}


class Qmv(Rule):
    """Council qualified majority with the blocking-minority clause."""

    name = "qmv"
    title = "qualified majority"
    source = "Art. 16(4) TEU; Art. 238(3)(a) TFEU"
    member_pct: ClassVar[int] = 55

    def floor(self, full_council: bool) -> int:
        return MEMBER_FLOOR if full_council else 0

    def thresholds(self, pops, full_council):
        return qmv_thresholds(pops, self.member_pct, blocking_minimum(pops, full_council),
                              self.floor(full_council))

    def margins(self, camps):
        adopt = qmv_margin(int(camps.n(FOR)[0]), int(camps.pop(FOR)[0]), camps, self.member_pct,
                           self.floor(camps.full_council))
        adopt["blocking_minimum_states"] = blocking_minimum(camps.participating_pops,
                                                            camps.full_council)
        return {"adopt": adopt}

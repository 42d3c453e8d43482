"""Reinforced qualified majority (Art. 238(2) and 238(3)(b) TFEU): when the Council does not
act on a proposal of the Commission or the High Representative, 72% of the (participating)
members representing 65% of their population. There is no blocking-minority clause.

>>> from model.treaty.rules import get_rule
>>> g = get_rule("rqmv").game({s: 1 for s in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0"})
>>> g.thresholds[19] == g.never, g.thresholds[20], g.thresholds[27]
(True, 18, 18)
"""

from __future__ import annotations

from ..positions import FOR
from .base import Rule
from .qmv import qmv_margin, qmv_thresholds

__all__ = ["Rqmv"]


class Rqmv(Rule):
    """Reinforced qualified majority: 72% of members, 65% of population."""

    name = "rqmv"
    title = "reinforced qualified majority"
    source = "Art. 238(2) and 238(3)(b) TFEU"
    member_pct = 72

    def thresholds(self, pops, full_council):
        return qmv_thresholds(pops, self.member_pct, blockers=0)

    def margins(self, camps):
        return {"adopt": qmv_margin(int(camps.n(FOR)[0]), int(camps.pop(FOR)[0]), camps,
                                    self.member_pct)}

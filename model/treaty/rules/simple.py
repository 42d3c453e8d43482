"""Simple majority (Art. 238(1) TFEU): a majority of the component (participating) members,
14 of 27; population plays no part.

>>> from model.treaty.rules import get_rule
>>> get_rule("simple").game({s: 1 for s in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0"}).thresholds[13:15]
(28, 0)
"""

from __future__ import annotations

from ..positions import FOR
from .base import Rule

__all__ = ["Simple"]


class Simple(Rule):
    """Majority of the component members."""

    name = "simple"
    title = "simple majority"
    source = "Art. 238(1) TFEU"

    def thresholds(self, pops, full_council):
        n, never = len(pops), int(sum(pops)) + 1
        return tuple(0 if 2 * k > n else never for k in range(n + 1))

    def margins(self, camps):
        missing = max(0, camps.n_part // 2 + 1 - int(camps.n(FOR)[0]))
        return {"adopt": {"states_missing": missing, "population_missing": 0}}

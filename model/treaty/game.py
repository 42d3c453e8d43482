"""A voting rule as a simple game on the coalition in favour, and the Treaty's integer quotas.

The Lisbon rule is not a weighted game: whether a coalition wins depends on how many states it
has *and* how many people they represent. Every rule of the package is therefore a game in
which a coalition of ``k`` states with population ``p`` wins iff ``p >= thresholds[k]``
(:class:`Game`). Thresholds are exact integers: a share test such as "65% of the population" is
``100 * p >= 65 * P``, never a rounded share.

>>> g = Game("custom", ("A", "B", "C"), (3, 2, 1), (4, 4, 4, 4))
>>> g.wins({"A", "C"}), g.wins({"B", "C"})
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Game", "member_quota", "population_quota", "blocking_minimum", "FULL_COUNCIL_BLOCKERS",
           "POPULATION_PCT"]

#: Art. 16(4) TEU, second subparagraph: a blocking minority needs at least four members.
FULL_COUNCIL_BLOCKERS = 4
#: Art. 16(4) TEU and Art. 238(2)-(3) TFEU: 65% of the (participating) population.
POPULATION_PCT = 65


@dataclass(frozen=True)
class Game:
    """A rule as a simple game on the coalition of states voting in favour.

    A coalition of ``k`` states with population ``p`` wins iff ``p >= thresholds[k]``; the
    thresholds never increase with ``k`` (the game is monotone). ``0`` means every coalition
    of that size wins, ``never`` (total population + 1) means none does. This is the form the
    exact power and probability engine (:mod:`model.treaty.engine`) works on.
    """

    rule: str
    states: tuple[str, ...]
    populations: tuple[int, ...]
    thresholds: tuple[int, ...]

    @property
    def n(self) -> int:
        return len(self.states)

    @property
    def total(self) -> int:
        return sum(self.populations)

    @property
    def never(self) -> int:
        return self.total + 1

    def wins(self, coalition) -> bool:
        """Whether the given set of states (codes) wins."""
        members = set(coalition)
        k = sum(1 for s in self.states if s in members)
        p = sum(w for s, w in zip(self.states, self.populations) if s in members)
        return p >= self.thresholds[k]


def member_quota(n_participating: int, pct: int) -> int:
    """Smallest integer k with 100 k >= pct * n (55% of 27 -> 15; 72% of 27 -> 20).

    >>> member_quota(27, 55), member_quota(28, 55), member_quota(35, 55), member_quota(27, 72)
    (15, 16, 20, 20)
    """
    return -(-pct * n_participating // 100)


def population_quota(pop_participating: int, pct: int = POPULATION_PCT) -> int:
    """Smallest integer population p with 100 p >= pct * P."""
    return -(-pct * pop_participating // 100)


def blocking_minimum(participating_pops, full_council: bool) -> int:
    """Fewest members a blocking minority needs (Art. 16(4) TEU, Art. 238(3)(a) TFEU).

    With the whole Council taking part this is 4. With partial participation it is the
    minimum number of participating members holding more than 35% of the participating
    population, plus one.

    >>> blocking_minimum(np.array([40, 30, 20, 10]), full_council=False)
    2
    """
    if full_council:
        return FULL_COUNCIL_BLOCKERS
    pops = np.sort(np.asarray(participating_pops, dtype=np.int64))[::-1]
    total = int(pops.sum())
    cumulative = np.cumsum(pops)
    # smallest m with 100 * (sum of the m largest) > 35 * total
    m = int(np.argmax(100 * cumulative > (100 - POPULATION_PCT) * total)) + 1
    return m + 1

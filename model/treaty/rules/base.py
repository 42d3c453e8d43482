"""What every voting rule is: a game, outcome words, what "adopted" means, margins, passage.

A rule is a small object that owns everything about itself, so that no other module of the
package special-cases a rule by name:

* its **game** on the coalition in favour (:meth:`Rule.thresholds`, :meth:`Rule.game`), the
  form the exact engine computes power and probabilities on;
* its **outcome words** (:attr:`Rule.outcomes`) and how a tally of positions maps to one of them
  (:meth:`Rule.outcome_index`, vectorised over many votes at once);
* whether an outcome leaves the measure **adopted** in the end (:attr:`Rule.adopting`);
* its **margins** (what is still missing to adopt, or to block);
* its **exact passage probability** when states vote independently (:meth:`Rule.passage`);
* what it takes to **stop** the measure: which positions count against it
  (:attr:`Rule.blocking_positions`) and whether the opponents must themselves reach the game's
  quota (:attr:`Rule.stopped_by_quota_against`, true in comitology).

:class:`Camps` holds the counts and populations of each position in R votes among the same
participating states; rules read it, never the raw codes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...errors import InputError
from ..engine import PassageResult, win_mass
from ..game import Game
from ..positions import ABSENT, ABSTAIN, AGAINST, CHOICES, FOR, Position

__all__ = ["Camps", "Probabilities", "Rule"]


@dataclass(frozen=True)
class Camps:
    """Counts and populations of each position in R votes (rows) among the same participants.

    ``count[:, p]`` and ``population[:, p]`` are indexed by :class:`Position`; ``n_part`` and
    ``pop_part`` are the participating states and their population; ``n_all`` and ``pop_all``
    the whole population table (the Union, for Art. 31(1) TEU); ``participating_pops`` the
    participants' populations (for the partial-participation blocking minimum).
    """

    count: np.ndarray
    population: np.ndarray
    n_part: int
    pop_part: int
    n_all: int
    pop_all: int
    full_council: bool
    participating_pops: np.ndarray

    @classmethod
    def of(cls, codes, pops, full_council: bool | None = None) -> Camps:
        """Tally position codes of shape (R, n) (or (n,)) against integer populations (n,).

        Absent states must be the same in every row. ``full_council`` defaults to "nobody is
        absent".
        """
        codes = np.atleast_2d(np.asarray(codes))
        pops = np.asarray(pops, dtype=np.int64)
        part = codes[0] != ABSENT
        if not np.all((codes != ABSENT) == part):
            raise ValueError("absent states must be the same in every row")
        count = np.stack([(codes == p).sum(axis=1) for p in Position], axis=1)
        population = np.stack([np.where(codes == p, pops, 0).sum(axis=1) for p in Position],
                              axis=1)
        if full_council is None:
            full_council = bool(part.all())
        return cls(count, population, int(part.sum()), int(pops[part].sum()), len(pops),
                   int(pops.sum()), full_council, pops[part])

    def n(self, position: Position) -> np.ndarray:
        return self.count[:, position]

    def pop(self, position: Position) -> np.ndarray:
        return self.population[:, position]


@dataclass(frozen=True)
class Probabilities:
    """Each participating state's probability of every position, in the game's state order,
    and the size of the whole population table (for Art. 31(1) TEU)."""

    p_for: np.ndarray
    p_against: np.ndarray
    p_abstain: np.ndarray
    p_constructive: np.ndarray
    n_all: int
    pop_all: int


class Rule(ABC):
    """A Council (or committee) voting rule. Subclasses set the class attributes and
    :meth:`thresholds`; most inherit everything else.

    ``outcomes[0]`` is always the outcome in which the camp in favour wins the game.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    #: Treaty or regulation articles the rule implements.
    source: ClassVar[str]
    outcomes: ClassVar[tuple[str, ...]] = ("adopted", "not_adopted")
    #: Outcomes after which the measure is adopted in the end.
    adopting: ClassVar[tuple[str, ...]] = ("adopted",)
    #: Positions that count against the measure when a coalition stops it.
    blocking_positions: ClassVar[tuple[Position, ...]] = (AGAINST, ABSTAIN)
    #: True if only a coalition reaching the game's quota *against* stops the measure.
    stopped_by_quota_against: ClassVar[bool] = False
    #: Positions a state may switch to (pivotal states are found among them).
    alternatives: ClassVar[tuple[Position, ...]] = CHOICES
    #: A sentence for run summaries when "adopted in the end" needs explaining ("" if not).
    adoption_note: ClassVar[str] = ""

    # --- the game ------------------------------------------------------------------------
    @abstractmethod
    def thresholds(self, pops: np.ndarray, full_council: bool) -> tuple[int, ...]:
        """Population threshold by coalition size k = 0..n of the participating states."""

    def game(self, population: Mapping[str, int], participating=None,
             full_council: bool | None = None) -> Game:
        """The game of this rule among the participating states (default: the whole table).

        ``full_council`` defaults to "every state of the population table takes part".
        """
        states = tuple(population) if participating is None else tuple(participating)
        unknown = [s for s in states if s not in population]
        if unknown:
            raise InputError(f"no population for {', '.join(unknown)}", field="participating")
        if not states:
            raise InputError("no participating states", field="participating")
        pops = tuple(int(population[s]) for s in states)
        if full_council is None:
            full_council = len(states) == len(population)
        thresholds = self.thresholds(np.array(pops, dtype=np.int64), full_council)
        return Game(self.name, states, pops, tuple(int(t) for t in thresholds))

    def opposing_game(self, population: Mapping[str, int], participating=None,
                      full_council: bool | None = None) -> Game:
        """The game the camp against must win to stop the measure, where it must
        (:attr:`stopped_by_quota_against`); by default the rule's own game."""
        return self.game(population, participating, full_council)

    @property
    def can_be_stopped(self) -> bool:
        """False if every outcome leaves the measure adopted (an advisory opinion)."""
        return set(self.adopting) != set(self.outcomes)

    def _for_camp_wins(self, camps: Camps) -> np.ndarray:
        t = np.array(self.thresholds(camps.participating_pops, camps.full_council),
                     dtype=np.int64)
        return camps.pop(FOR) >= t[camps.n(FOR)]

    # --- outcomes ------------------------------------------------------------------------
    def outcome_index(self, camps: Camps) -> np.ndarray:
        """Index into :attr:`outcomes` of each vote (default: adopted iff the camp in favour
        wins the game)."""
        return np.where(self._for_camp_wins(camps), 0, 1)

    def evaluate(self, codes, pops, full_council: bool | None = None) -> np.ndarray:
        """Outcome index of every row of a matrix of position codes (R, n)."""
        return self.outcome_index(Camps.of(codes, pops, full_council))

    def adopted(self, index) -> np.ndarray:
        """Whether each outcome index leaves the measure adopted in the end."""
        table = np.array([w in self.adopting for w in self.outcomes])
        return table[np.asarray(index, dtype=np.intp)]      # a lookup: many votes at once

    def flags(self, camps: Camps) -> dict:
        """Rule-specific facts about one vote worth reporting (e.g. an appeal trigger)."""
        return {}

    @abstractmethod
    def margins(self, camps: Camps) -> dict:
        """What one vote (a single-row Camps) still misses to adopt (and, where defined, to
        block): states and population."""

    # --- exact probabilities -------------------------------------------------------------
    def passage(self, g: Game, probs: Probabilities, criticality: bool) -> PassageResult:
        """Exact outcome probabilities when the states vote independently.

        Default: adopted iff the camp in favour wins; criticality of state i is
        P(outcome with i for) - P(outcome with i not for).
        """
        p_ad, with_i, without_i = win_mass(g, probs.p_for, 1.0 - probs.p_for, criticality)
        crit = _series(g, with_i - without_i) if criticality else None
        return PassageResult(self.name, _unit(p_ad), None, None, crit, crit)

    def p_adopted_in_the_end(self, result: PassageResult) -> float:
        """The probability that the measure ends adopted (:attr:`adopting`): 1 if every outcome
        adopts it, else P(the camp in favour wins); rules whose adopting outcomes are something
        else override this (the shared invariant tests check every rule against brute force)."""
        if not self.can_be_stopped:
            return 1.0
        return result.p_adopted

    def outcome_probabilities(self, result: PassageResult) -> dict[str, float]:
        """The exact probability of each outcome word (default: the first outcome when the
        camp in favour wins, the second otherwise; three-outcome rules override this)."""
        return {self.outcomes[0]: result.p_adopted, self.outcomes[1]: 1.0 - result.p_adopted}

    def helps_stop(self, p_for: np.ndarray, p_abstain: np.ndarray,
                   p_against: np.ndarray) -> np.ndarray:
        """Probability that a state votes in a way that helps to stop the measure."""
        return p_against if self.stopped_by_quota_against else 1.0 - p_for

    def __repr__(self) -> str:
        return f"<rule {self.name}>"


def _unit(x: float) -> float:
    return min(max(float(x), 0.0), 1.0)


def _series(g: Game, values: np.ndarray, name: str = "criticality"):
    import pandas as pd

    index = pd.Index(list(g.states), name="iso2")
    return pd.Series(np.clip(values, 0.0, 1.0), index=index, name=name)

"""One vote: outcome word, tally per position, margins and pivotal states.

>>> pops = {"A": 40, "B": 30, "C": 20, "D": 10}
>>> vote("simple", {"A": "for", "B": "for", "C": "for", "D": "against"}, pops).outcome
'adopted'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .positions import ABSENT, CONSTRUCTIVE, Position
from .rules import Camps, Rule, get_rule

__all__ = ["Tally", "Outcome", "vote"]


@dataclass(frozen=True)
class Tally:
    states: int
    population: int
    population_share: float


@dataclass(frozen=True)
class Outcome:
    """Result of one vote: outcome word, tally per position, margins and pivotal states."""

    rule: str
    outcome: str
    tally: dict[str, Tally]
    margins: dict[str, dict[str, int]]
    pivotal: tuple[str, ...]
    flags: dict = field(default_factory=dict)
    positions: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def adopted(self) -> bool:
        """Whether the measure is adopted in the end under this rule."""
        rule = get_rule(self.rule)
        return bool(rule.adopted(rule.outcomes.index(self.outcome)))

    @property
    def appeal_committee(self) -> bool | None:
        return self.flags.get("appeal_committee")

    def to_dict(self) -> dict:
        out = {
            "rule": self.rule,
            "outcome": self.outcome,
            "tally": {pos: {"states": t.states, "population": t.population,
                            "population_share": t.population_share}
                      for pos, t in self.tally.items()},
            "margins": self.margins,
            "pivotal": list(self.pivotal),
        }
        out.update(self.flags)
        return out


def vote(rule: str | Rule, positions: Mapping[str, str], population: Mapping[str, int],
         full_council: bool | None = None) -> Outcome:
    """Evaluate one vote.

    Parameters
    ----------
    rule : a registered rule name (:data:`model.treaty.rules.RULES`) or a Rule.
    positions : iso2 -> position word for every state in ``population``.
    population : iso2 -> integer population: the whole Council (the composition).
    full_council : whether the whole Council takes part (default: nobody is absent).

    Returns
    -------
    Outcome with the outcome word, the tally (states, population and share of the
    participating population for each position), the margins still missing for adoption
    (and, for comitology, for blocking) and the pivotal states: those whose single change of
    position (to any of the rule's alternatives) would change the outcome.

    Examples
    --------
    >>> pops = {s: 10 for s in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0"}
    >>> pos = {s: "for" for s in pops}
    >>> for s in "ABCD": pos[s] = "against"
    >>> vote("qmv", pos, pops).outcome     # 23 of 27 states, 85% of population
    'adopted'
    >>> pos["E"] = "abstain"                # 22 states, 81% of population in favour
    >>> vote("qmv", pos, pops).outcome
    'adopted'
    """
    rule = get_rule(rule)
    states = tuple(population)
    missing = [s for s in states if s not in positions]
    if missing:
        raise InputError(f"no position for {', '.join(missing)}", field="positions")
    extra = [s for s in positions if s not in population]
    if extra:
        raise InputError(f"no population for {', '.join(extra)}", field="population")
    codes = np.array([Position.parse(positions[s]) for s in states], dtype=np.int8)
    pops = np.array([int(population[s]) for s in states], dtype=np.int64)
    if np.all(codes == ABSENT):
        raise InputError("no state takes part in the vote", field="positions")
    if full_council is None:
        full_council = bool(np.all(codes != ABSENT))
    camps = Camps.of(codes, pops, full_council)
    index = int(rule.outcome_index(camps)[0])
    part = codes != ABSENT
    pop_part = int(pops[part].sum())
    tally = {}
    for p in Position:
        if p == CONSTRUCTIVE and CONSTRUCTIVE not in rule.alternatives and not np.any(codes == p):
            continue
        mask = codes == p
        pop = int(pops[mask].sum())
        share = pop / pop_part if p != ABSENT else pop / int(pops.sum())
        tally[p.word] = Tally(int(mask.sum()), pop, share)
    trial_rows, owners = [], []
    for i, s in enumerate(states):
        if codes[i] == ABSENT:
            continue
        for alt in rule.alternatives:
            if alt != codes[i]:
                row = codes.copy()
                row[i] = alt
                trial_rows.append(row)
                owners.append(s)
    pivotal: list[str] = []
    if trial_rows:
        trial = rule.evaluate(np.array(trial_rows), pops, full_council)
        for s, result in zip(owners, trial):
            if result != index and s not in pivotal:
                pivotal.append(s)
    return Outcome(rule.name, rule.outcomes[index], tally, rule.margins(camps), tuple(pivotal),
                   rule.flags(camps), {s: Position(c).word for s, c in zip(states, codes)})

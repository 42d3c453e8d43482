"""Council voting rules as pure functions of (count, population) of each position.

The Lisbon rule is not a weighted game, so each rule is a predicate on the number of states
and the integer population in each camp. Every threshold is checked in integer arithmetic
(``100 * pop_for >= 65 * pop_participating``), never with rounded shares.

Positions: ``for``, ``against``, ``abstain``, ``absent`` (not taking part: thresholds are
re-based on the participants, Art. 238(3) TFEU) and ``constructive`` (a formally declared
abstention under Art. 31(1) TEU; outside unanimity it counts as an abstention).

Rules:

* ``qmv`` - Art. 16(4) TEU and Art. 238(3)(a) TFEU: 55% of the (participating) members and 65%
  of their population; a blocking minority needs at least 4 members (with partial
  participation: the minimum number of members holding more than 35% of the participating
  population, plus one), failing which QMV is deemed attained. Abstention = not in favour.
* ``rqmv`` - Art. 238(2) and 238(3)(b) TFEU: 72% of members and 65% of population.
* ``unanimity`` - Art. 238(4) TFEU: abstentions do not block; Art. 31(1) TEU: if the formal
  (constructive) abstainers are at least one third of the member states with at least one
  third of the population of the Union, the decision is not adopted.
* ``simple`` - Art. 238(1) TFEU: a majority of component (participating) members, 14 of 27.
* ``comitology`` - Reg. (EU) 182/2011 Art. 5 (examination procedure): the committee votes by
  QMV (Art. 16(4),(5) TEU, Art. 238(3) TFEU). QMV in favour -> ``adopted`` (positive opinion);
  QMV against -> ``blocked`` (negative opinion); neither -> ``no_opinion`` (the Commission may
  adopt). Art. 5(5): for definitive anti-dumping or countervailing measures, no opinion with a
  simple majority of component members against sends the draft to consultations or the appeal
  committee (``appeal_committee`` flag).

Examples
--------
>>> pops = {"A": 40, "B": 30, "C": 20, "D": 10}
>>> vote("simple", {"A": "for", "B": "for", "C": "for", "D": "against"}, pops).outcome
'adopted'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError

__all__ = [
    "RULES", "POSITIONS", "FOR", "AGAINST", "ABSTAIN", "ABSENT", "CONSTRUCTIVE", "Tally",
    "Outcome", "Game", "game", "vote", "qmv_attained", "blocking_minimum", "outcomes_vectorised",
    "OUTCOMES",
]

RULES = ("qmv", "rqmv", "unanimity", "simple", "comitology")
POSITIONS = ("for", "against", "abstain", "absent", "constructive")
FOR, AGAINST, ABSTAIN, ABSENT, CONSTRUCTIVE = range(5)
OUTCOMES = {
    "qmv": ("adopted", "not_adopted"), "rqmv": ("adopted", "not_adopted"),
    "unanimity": ("adopted", "not_adopted"), "simple": ("adopted", "not_adopted"),
    "comitology": ("adopted", "blocked", "no_opinion"),
}
#: Member-state share (percent) each rule needs in favour; population share is 65% for both.
_MEMBER_PCT = {"qmv": 55, "rqmv": 72}
_POP_PCT = 65
_FULL_COUNCIL_BLOCKERS = 4  # Art. 16(4) TEU, second subparagraph


def check_rule(rule: str) -> str:
    """Return the rule name or raise InputError naming the valid ones."""
    if rule not in RULES:
        raise InputError(f"unknown rule '{rule}' (expected one of {', '.join(RULES)})", field="rule")
    return rule


def blocking_minimum(participating_pops: np.ndarray, full_council: bool) -> int:
    """Fewest members a blocking minority needs (Art. 16(4) TEU, Art. 238(3)(a) TFEU).

    With the whole Council taking part this is 4. With partial participation it is the
    minimum number of participating members holding more than 35% of the participating
    population, plus one.

    >>> blocking_minimum(np.array([40, 30, 20, 10]), full_council=False)
    2
    """
    if full_council:
        return _FULL_COUNCIL_BLOCKERS
    pops = np.sort(np.asarray(participating_pops, dtype=np.int64))[::-1]
    total = int(pops.sum())
    cumulative = np.cumsum(pops)
    # smallest m with 100 * (sum of the m largest) > 35 * total
    m = int(np.argmax(100 * cumulative > 35 * total)) + 1
    return m + 1


def _member_quota(n_participating: int, pct: int) -> int:
    """Smallest integer k with 100 k >= pct * n (55% of 27 -> 15; 72% of 27 -> 20)."""
    return -(-pct * n_participating // 100)


def _pop_quota(pop_participating: int) -> int:
    """Smallest integer population p with 100 p >= 65 * P."""
    return -(-_POP_PCT * pop_participating // 100)


def qmv_attained(n_yes, pop_yes, n_part: int, pop_part: int, blockers: int, member_pct: int = 55):
    """Whether a camp of ``n_yes`` states with ``pop_yes`` people reaches a qualified majority.

    Works elementwise on numpy arrays. ``blockers`` is the blocking-minority minimum (use a
    value above ``n_part`` to disable the clause, as for reinforced QMV).

    >>> qmv_attained(15, 65, 27, 100, 4), qmv_attained(15, 64, 27, 100, 4)
    (True, False)
    >>> qmv_attained(24, 10, 27, 100, 4)  # only 3 states left: no blocking minority
    True
    """
    n_yes = np.asarray(n_yes)
    pop_yes = np.asarray(pop_yes, dtype=np.int64)
    by_majority = (100 * n_yes >= member_pct * n_part) & (100 * pop_yes >= _POP_PCT * pop_part)
    deemed = (n_part - n_yes) < blockers
    result = by_majority | deemed
    return bool(result) if result.ndim == 0 else result


@dataclass(frozen=True)
class Game:
    """A rule as a simple game on the coalition of states voting in favour.

    A coalition of ``k`` states with population ``p`` wins iff ``p >= thresholds[k]``; the
    thresholds never increase with ``k`` (the game is monotone). ``0`` means every coalition
    of that size wins, ``never`` (total population + 1) means none does. This is the form the
    exact power and probability engine (:mod:`model.power`) works on. For comitology it is
    the game of reaching a qualified majority (in favour, or against to block).
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


def game(rule: str, population: Mapping[str, int], participating=None,
         full_council: bool | None = None) -> Game:
    """Build the simple game of ``rule`` among the participating states.

    ``full_council`` defaults to "every state of the population table takes part".

    >>> g = game("qmv", {s: 1 for s in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0"})
    >>> g.thresholds[14] == g.never, g.thresholds[15], g.thresholds[24]
    (True, 18, 0)
    """
    check_rule(rule)
    states = tuple(population) if participating is None else tuple(participating)
    unknown = [s for s in states if s not in population]
    if unknown:
        raise InputError(f"no population for {', '.join(unknown)}", field="participating")
    if not states:
        raise InputError("no participating states", field="participating")
    pops = tuple(int(population[s]) for s in states)
    if full_council is None:
        full_council = len(states) == len(population)
    n, total = len(states), sum(pops)
    never = total + 1
    if rule in ("qmv", "comitology", "rqmv"):
        member_pct = _MEMBER_PCT["rqmv" if rule == "rqmv" else "qmv"]
        kq, pq = _member_quota(n, member_pct), _pop_quota(total)
        blockers = blocking_minimum(np.array(pops), full_council) if rule != "rqmv" else 0
        thresholds = tuple(0 if n - k < blockers else (pq if k >= kq else never)
                           for k in range(n + 1))
    elif rule == "unanimity":
        thresholds = tuple(0 if k == n else never for k in range(n + 1))
    else:  # simple
        thresholds = tuple(0 if 2 * k > n else never for k in range(n + 1))
    return Game(rule, states, pops, thresholds)


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
    appeal_committee: bool | None = None
    positions: dict[str, str] = field(default_factory=dict, repr=False)

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
        if self.appeal_committee is not None:
            out["appeal_committee"] = self.appeal_committee
        return out


def _camp(codes: np.ndarray, pops: np.ndarray, which) -> tuple[np.ndarray, np.ndarray]:
    mask = np.isin(codes, which) if isinstance(which, (list, tuple)) else codes == which
    return mask.sum(axis=-1), (mask * pops).sum(axis=-1)


def outcomes_vectorised(rule: str, codes: np.ndarray, pops: np.ndarray,
                        full_council: bool = True) -> np.ndarray:
    """Outcome index (into ``OUTCOMES[rule]``) for each row of a matrix of position codes.

    ``codes`` has shape (R, n) with the integer position codes; all R votes share the same
    participating set (absent states are the same in every row). Used by the agent-based model
    to evaluate every replication at once.
    """
    codes = np.atleast_2d(np.asarray(codes))
    pops = np.asarray(pops, dtype=np.int64)
    part = codes[0] != ABSENT
    if not np.all((codes != ABSENT) == part):
        raise ValueError("absent states must be the same in every row")
    n_part, pop_part = int(part.sum()), int(pops[part].sum())
    n_for, pop_for = _camp(codes, pops, FOR)
    n_against, pop_against = _camp(codes, pops, AGAINST)
    if rule in ("qmv", "rqmv", "comitology"):
        pct = _MEMBER_PCT["rqmv" if rule == "rqmv" else "qmv"]
        blockers = blocking_minimum(pops[part], full_council) if rule != "rqmv" else 0
        adopted = qmv_attained(n_for, pop_for, n_part, pop_part, blockers, pct)
        if rule != "comitology":
            return np.where(adopted, 0, 1)
        blocked = qmv_attained(n_against, pop_against, n_part, pop_part, blockers, pct)
        return np.where(adopted, 0, np.where(blocked, 1, 2))
    if rule == "simple":
        return np.where(2 * n_for > n_part, 0, 1)
    n_con, pop_con = _camp(codes, pops, CONSTRUCTIVE)
    n_all, pop_all = codes.shape[1], int(pops.sum())
    vetoed = (3 * n_con >= n_all) & (3 * pop_con >= pop_all)
    return np.where((n_against == 0) & (n_for >= 1) & ~vetoed, 0, 1)


def _encode(positions: Mapping[str, str], states: tuple[str, ...]) -> np.ndarray:
    codes = []
    for s in states:
        pos = positions.get(s)
        if pos not in POSITIONS:
            raise InputError(f"unknown position '{pos}' for {s} (expected one of "
                             f"{', '.join(POSITIONS)})", field="position")
        codes.append(POSITIONS.index(pos))
    return np.array(codes, dtype=np.int8)


def _margins(rule: str, codes: np.ndarray, pops: np.ndarray, full_council: bool) -> dict:
    part = codes != ABSENT
    n_part, pop_part = int(part.sum()), int(pops[part].sum())
    n_for, pop_for = (int(x) for x in _camp(codes, pops, FOR))
    n_against, pop_against = (int(x) for x in _camp(codes, pops, AGAINST))
    if rule == "unanimity":
        return {"adopt": {"states_missing": n_against + (1 if n_for == 0 else 0),
                          "population_missing": 0}}
    if rule == "simple":
        return {"adopt": {"states_missing": max(0, n_part // 2 + 1 - n_for), "population_missing": 0}}
    pct = _MEMBER_PCT["rqmv" if rule == "rqmv" else "qmv"]
    kq, pq = _member_quota(n_part, pct), _pop_quota(pop_part)

    def need(n, p):
        return {"states_missing": max(0, kq - n), "population_missing": max(0, pq - p)}

    out = {"adopt": need(n_for, pop_for)}
    if rule != "rqmv":
        out["adopt"]["blocking_minimum_states"] = blocking_minimum(pops[part], full_council)
    if rule == "comitology":
        out["block"] = need(n_against, pop_against)
    return out


def vote(rule: str, positions: Mapping[str, str], population: Mapping[str, int],
         full_council: bool | None = None) -> Outcome:
    """Evaluate one vote.

    Parameters
    ----------
    rule : one of :data:`RULES`.
    positions : iso2 -> position word for every state in ``population``.
    population : iso2 -> integer population (the Council's QMV figures by default elsewhere).

    Returns
    -------
    Outcome with the outcome word, the tally (states, population and share of the
    participating population for each position), the margins still missing for adoption
    (and, for comitology, for blocking) and the pivotal states: those whose single change of
    position (to for, against or abstain; constructive abstention too under unanimity) would
    change the outcome.

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
    check_rule(rule)
    states = tuple(population)
    missing = [s for s in states if s not in positions]
    if missing:
        raise InputError(f"no position for {', '.join(missing)}", field="positions")
    extra = [s for s in positions if s not in population]
    if extra:
        raise InputError(f"no population for {', '.join(extra)}", field="population")
    codes = _encode(positions, states)
    pops = np.array([int(population[s]) for s in states], dtype=np.int64)
    if full_council is None:
        full_council = bool(np.all(codes != ABSENT))
    if np.all(codes == ABSENT):
        raise InputError("no state takes part in the vote", field="positions")
    index = int(outcomes_vectorised(rule, codes[None, :], pops, full_council)[0])
    outcome = OUTCOMES[rule][index]
    part = codes != ABSENT
    pop_part = int(pops[part].sum())
    tally = {}
    for code, word in enumerate(POSITIONS):
        if code == CONSTRUCTIVE and rule != "unanimity" and not np.any(codes == CONSTRUCTIVE):
            continue
        mask = codes == code
        pop = int(pops[mask].sum())
        share = pop / pop_part if code != ABSENT else pop / int(pops.sum())
        tally[word] = Tally(int(mask.sum()), pop, share)
    alternatives = [FOR, AGAINST, ABSTAIN] + ([CONSTRUCTIVE] if rule == "unanimity" else [])
    trial_rows, owners = [], []
    for i, s in enumerate(states):
        if codes[i] == ABSENT:
            continue
        for alt in alternatives:
            if alt != codes[i]:
                row = codes.copy()
                row[i] = alt
                trial_rows.append(row)
                owners.append(s)
    pivotal: list[str] = []
    if trial_rows:
        trial = outcomes_vectorised(rule, np.array(trial_rows), pops, full_council)
        for s, result in zip(owners, trial):
            if result != index and s not in pivotal:
                pivotal.append(s)
    appeal = None
    if rule == "comitology":
        n_against = int((codes == AGAINST).sum())
        appeal = outcome == "no_opinion" and 2 * n_against > int(part.sum())
    return Outcome(rule, outcome, tally, _margins(rule, codes, pops, full_council),
                   tuple(pivotal), appeal, dict(zip(states, (POSITIONS[c] for c in codes))))

"""The probability of what a case records, exactly, under the model's per-state probabilities.

A recorded decision is often only partly observed (:class:`~model.experiments.spec.ObservedSpec`):
some states named, totals without names, a population share, or the outcome alone. The model
predicts each voting state's P(for, abstain, against); taking the states as independent given
those probabilities (as the exact engine does), the probability of the record is

    P(named positions) x P(aggregate | named positions)

where the first factor is the product of the named states' probabilities and the aggregate is
the most informative of what the record holds besides the names:

1. ``totals`` - the exact distribution of the counts of for / against / abstain among the states
   not named (a dynamic programme over the states, no sampling), read at the totals minus the
   named states' counts; counts the record does not give are summed out;
2. ``shares`` - the exact probability that one position's share of the voting population falls
   in the recorded band (every subset of the unnamed states, enumerated in two halves and
   matched by sorted population sums);
3. ``outcome`` - the exact probability of the recorded outcome from the rule's own engine
   (:meth:`model.treaty.rules.base.Rule.outcome_probabilities`), the named states fixed.

Aggregates beyond the first are reported (their probability given the names) but not
multiplied in: their joint probability with the first is not computed, and multiplying would
count the same information twice. Nothing unobserved is filled in: a state whose position the
sources dispute stays unnamed, and the totals speak for it.

Known limit: correlation between states (common shocks, peers) is not in this likelihood; the
model's mean per-state probabilities are scored as the forecast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..stats import LOG_FLOOR
from ..treaty.positions import ABSTAIN, AGAINST, FOR
from ..treaty.rules import Rule

__all__ = ["Record", "count_distribution", "share_probability", "band_bounds",
           "outcome_probability", "case_log_likelihood", "AGGREGATES", "WORD_CODE"]

#: Position words of a record and the columns (Position codes) of a probability array.
WORD_CODE = {"for": int(FOR), "abstain": int(ABSTAIN), "against": int(AGAINST)}
#: The aggregates a record may hold, most informative first.
AGGREGATES = ("totals", "shares", "outcome")


@dataclass(frozen=True)
class Record:
    """What a case records, in the order of its voting states.

    ``named`` maps a row (index into ``states``) to its position code; ``totals`` maps a code
    to a count; ``share`` is (code, low, high) in percent of the voting population.
    """

    states: tuple[str, ...]
    populations: np.ndarray
    named: dict[int, int] = field(default_factory=dict)
    totals: dict[int, int] = field(default_factory=dict)
    share: tuple[int, float, float] | None = None
    outcome: str | None = None

    @property
    def named_rows(self) -> np.ndarray:
        return np.array(sorted(self.named), dtype=int)

    @property
    def named_codes(self) -> np.ndarray:
        return np.array([self.named[i] for i in sorted(self.named)], dtype=int)

    @property
    def aggregates(self) -> list[str]:
        """The aggregates the record holds, most informative first."""
        held = {"totals": bool(self.totals), "shares": self.share is not None,
                "outcome": self.outcome is not None}
        return [a for a in AGGREGATES if held[a]]

    def holds(self) -> dict:
        """A short account of the record (for back-test reports)."""
        words = {v: k for k, v in WORD_CODE.items()}
        out: dict = {"named": len(self.named), "voting": len(self.states)}
        if self.totals:
            out["totals"] = {words[c]: n for c, n in sorted(self.totals.items())}
        if self.share is not None:
            out["share"] = {words[self.share[0]]: [self.share[1], self.share[2]]}
        if self.outcome is not None:
            out["outcome"] = self.outcome
        return out


def count_distribution(p: np.ndarray) -> np.ndarray:
    """P(k_for = a, k_against = b) for independent states with rows P(for, abstain, against)
    (columns in Position order): an (n+1) x (n+1) array; abstentions are n - a - b.

    >>> count_distribution(np.array([[0.5, 0.5, 0.0]]))[:, 0].tolist()
    [0.5, 0.5]
    """
    p = np.asarray(p, dtype=float)
    n = len(p)
    dist = np.zeros((n + 1, n + 1))
    dist[0, 0] = 1.0
    for row in p:
        new = dist * row[ABSTAIN]
        new[1:, :] += dist[:-1, :] * row[FOR]
        new[:, 1:] += dist[:, :-1] * row[AGAINST]
        dist = new
    return dist


def _totals_probability(p: np.ndarray, totals: dict[int, int]) -> float:
    """P(the counts of the given positions equal ``totals``) for independent rows of p."""
    n = len(p)
    if any(v < 0 for v in totals.values()):
        return 0.0
    dist = count_distribution(p)
    a = np.arange(n + 1)[:, None]
    b = np.arange(n + 1)[None, :]
    mask = (a + b) <= n
    for code, count in totals.items():
        if code == FOR:
            mask &= a == count
        elif code == AGAINST:
            mask &= b == count
        else:
            mask &= (n - a - b) == count
    return float(dist[mask].sum())


def _subset_sums(q: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Population sums and probabilities of every subset of states in the camp (each in it
    with probability q_i)."""
    sums, probs = np.zeros(1, dtype=np.int64), np.ones(1)
    for qi, wi in zip(q, w):
        sums = np.concatenate([sums, sums + int(wi)])
        probs = np.concatenate([probs * (1.0 - qi), probs * qi])
    return sums, probs


def share_probability(q: np.ndarray, w: np.ndarray, low: int, high: int) -> float:
    """P(low <= sum of w_i over the states in the camp <= high), each state in it
    independently with probability q_i: exact, by meeting in the middle.

    >>> share_probability(np.array([0.5, 0.5]), np.array([1, 2]), 2, 3)
    0.5
    """
    q, w = np.asarray(q, dtype=float), np.asarray(w, dtype=np.int64)
    half = len(q) // 2
    sa, pa = _subset_sums(q[:half], w[:half])
    sb, pb = _subset_sums(q[half:], w[half:])
    order = np.argsort(sb, kind="stable")
    sb, cum = sb[order], np.concatenate([[0.0], np.cumsum(pb[order])])
    lo = np.searchsorted(sb, low - sa, side="left")
    hi = np.searchsorted(sb, high - sa, side="right")
    return float(np.sum(pa * (cum[hi] - cum[lo])))


def band_bounds(low: float, high: float, total: int) -> tuple[int, int]:
    """The integer populations a camp may have for its share to lie in [low, high] percent of
    ``total`` (both ends included).

    >>> band_bounds(46.0, 50.0, 200), band_bounds(0.0, 0.5, 100)
    ((92, 100), (0, 0))
    """
    return int(np.ceil(low * total / 100.0)), int(np.floor(high * total / 100.0))


def _share_of_record(p: np.ndarray, rec: Record) -> float:
    code, low, high = rec.share
    pops = np.asarray(rec.populations, dtype=np.int64)
    lo_pop, hi_pop = band_bounds(low, high, int(pops.sum()))
    fixed = sum(int(pops[i]) for i, c in rec.named.items() if c == code)
    free = np.array([i for i in range(len(rec.states)) if i not in rec.named], dtype=int)
    return share_probability(p[free, code], pops[free], lo_pop - fixed, hi_pop - fixed)


def outcome_probability(p: np.ndarray, rec: Record, rule: Rule,
                        members: dict[str, int], full_council: bool) -> float:
    """P(the recorded outcome | the named positions), from the rule's exact engine."""
    import pandas as pd

    from ..experiments.spec import OUTCOME_EXTRA
    from ..treaty.power import passage_probability

    probs = np.array(p, dtype=float)
    for i, code in rec.named.items():
        probs[i] = 0.0
        probs[i, code] = 1.0
    frame = pd.DataFrame({"p_for": probs[:, FOR], "p_against": probs[:, AGAINST],
                          "p_abstain": probs[:, ABSTAIN]}, index=list(rec.states))
    result = passage_probability(rule, frame, members, list(rec.states), criticality=False,
                                 full_council=full_council)
    if rec.outcome in OUTCOME_EXTRA:
        p_end = rule.p_adopted_in_the_end(result)
        return p_end if rec.outcome == OUTCOME_EXTRA[0] else 1.0 - p_end
    return rule.outcome_probabilities(result)[rec.outcome]


def _aggregate(kind: str, p: np.ndarray, rec: Record, rule: Rule, members, full) -> float:
    free = [i for i in range(len(rec.states)) if i not in rec.named]
    if kind == "totals":
        named = {c: sum(1 for v in rec.named.values() if v == c) for c in rec.totals}
        rest = {c: n - named[c] for c, n in rec.totals.items()}
        return _totals_probability(p[free], rest)
    if kind == "shares":
        return _share_of_record(p, rec)
    return outcome_probability(p, rec, rule, members, full)


def case_log_likelihood(p: np.ndarray, rec: Record, rule: Rule, members: dict[str, int],
                        full_council: bool = True, named_weights: np.ndarray | None = None,
                        aggregate_weight: float = 1.0) -> dict:
    """The log-probability of the record and its parts (see the module doc).

    ``p`` is (voting states x 3), columns in Position order (for, abstain, against);
    ``members`` the populations of the whole Council; weights leave out named states (0) or
    the aggregate (0) for held-out fits.

    Returns a dict: ``named`` (sum over named states), ``aggregate`` (its kind and log
    probability, or None), ``total`` (their weighted sum) and ``reported`` (the probability of
    each further aggregate given the names, not in the total).
    """
    p = np.asarray(p, dtype=float)
    rows, codes = rec.named_rows, rec.named_codes
    per_state = np.log(np.clip(p[rows, codes], LOG_FLOOR, 1.0)) if len(rows) else np.zeros(0)
    w = np.ones(len(rows)) if named_weights is None else np.asarray(named_weights, dtype=float)
    named = float(np.sum(w * per_state))
    kinds = rec.aggregates
    aggregate, reported = None, {}
    if kinds:
        value = _aggregate(kinds[0], p, rec, rule, members, full_council)
        aggregate = {"kind": kinds[0], "probability": value,
                     "log_probability": float(np.log(max(value, LOG_FLOOR)))}
        for kind in kinds[1:]:
            reported[kind] = _aggregate(kind, p, rec, rule, members, full_council)
    total = named + (aggregate_weight * aggregate["log_probability"] if aggregate else 0.0)
    return {"named": named, "per_state": per_state, "aggregate": aggregate, "total": total,
            "reported": reported}

"""Exact voting power and exact passage probability of a Council rule.

Pure functions of a rule, integer populations and (for passage) the states' own vote
probabilities; the arithmetic is in :mod:`model.treaty.engine`, the rule-specific parts in the
rule objects (:mod:`model.treaty.rules`). No file is read here: callers pass populations as a
mapping iso2 -> integer (the public API in :mod:`model` resolves table names and paths).

>>> pops = {"A": 40, "B": 30, "C": 20, "D": 10}
>>> r = passage_probability("simple", {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5}, pops)
>>> r.p_adopted, r.criticality.tolist()
(0.3125, [0.375, 0.375, 0.375, 0.375])
>>> passage_probability("unanimity", {"A": 0.9, "B": 0.9, "C": 1.0, "D": 0.5}, pops,
...                     criticality=False).p_adopted
0.405
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import InputError
from .engine import INDEX_COLUMNS, PassageResult, power_of_game, swing_counts
from .rules import Probabilities, Rule, get_rule

__all__ = ["INDEX_COLUMNS", "PassageResult", "integer_populations", "power_indices",
           "passage_probability", "swing_counts", "power_of_game", "PROBABILITY_COLUMNS"]

PROBABILITY_COLUMNS = ("p_for", "p_against", "p_abstain", "p_constructive")


def integer_populations(population: Mapping | pd.Series) -> dict[str, int]:
    """A mapping iso2 -> exact non-negative int; non-integral or negative values raise
    :class:`InputError`.

    >>> integer_populations({"A": 3, "B": 2.0})
    {'A': 3, 'B': 2}
    """
    if not isinstance(population, (Mapping, pd.Series)):
        raise InputError(f"population must be a mapping iso2 -> population, not "
                         f"{type(population).__name__}", field="population")
    out: dict[str, int] = {}
    for code, value in population.items():
        if isinstance(value, (bool, np.bool_)):
            raise InputError(f"population of {code} is not an integer", field="population")
        if isinstance(value, (int, np.integer)):
            number = int(value)
        else:
            try:
                as_float = float(value)
            except (TypeError, ValueError):
                raise InputError(f"population of {code} is not a number",
                                 field="population") from None
            if not math.isfinite(as_float) or not as_float.is_integer():
                raise InputError(f"population of {code} is not an integer ({value})",
                                 field="population")
            number = int(as_float)
        if number < 0:
            raise InputError(f"negative population for {code}", field="population")
        out[str(code)] = number
    if not out:
        raise InputError("empty population table", field="population")
    return out


def _participants(participating, population: Mapping[str, int]) -> list[str] | None:
    if participating is None:
        return None
    out = [str(code) for code in participating]
    if len(set(out)) != len(out):
        raise InputError("a state is listed twice among the participants", field="participating")
    return out


def power_indices(rule: str | Rule, population: Mapping | pd.Series,
                  participating=None, *, full_council: bool | None = None) -> pd.DataFrame:
    """Exact Banzhaf, Shapley-Shubik and Coleman indices of the states under a rule.

    Parameters
    ----------
    rule : a registered rule (for comitology the game is reaching a qualified majority, so the
        indices equal those of ``qmv``).
    population : mapping iso2 -> integer population of the whole Council.
    participating : iso2 codes taking part (default: every state of the table). With a strict
        subset the partial-participation rules of Art. 238(3) TFEU apply.
    full_council : whether the whole Council takes part (default: the participants are the
        whole table); say False when the table leaves out members who do not take part.

    Returns
    -------
    pandas.DataFrame
        As :func:`model.treaty.engine.power_of_game`, over the participating states only.

    Examples
    --------
    >>> df = power_indices("simple", {"A": 5, "B": 3, "C": 1})
    >>> df["banzhaf_normalised"].round(4).tolist(), df.attrs["rule"]
    ([0.3333, 0.3333, 0.3333], 'simple')
    """
    rule = get_rule(rule)
    pops = integer_populations(population)
    frame = power_of_game(rule.game(pops, _participants(participating, pops), full_council))
    frame.attrs["rule"] = rule.name
    return frame


def _probability_value(value, code: str, column: str) -> float:
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise InputError(f"probability for {code} is not a number ({value!r})",
                         field=column) from None
    if not (math.isfinite(p) and 0.0 <= p <= 1.0):
        raise InputError(f"probability {value} for {code} outside [0, 1]", field=column)
    return p


def _probabilities(probabilities, states: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Arrays p_for, p_against, p_abstain, p_constructive in the order of ``states``."""
    n = len(states)
    if isinstance(probabilities, pd.DataFrame):
        missing_cols = [c for c in PROBABILITY_COLUMNS[:3] if c not in probabilities.columns]
        if missing_cols:
            raise InputError(f"missing column(s) {', '.join(missing_cols)}", field=missing_cols[0])
        missing = [s for s in states if s not in probabilities.index]
        if missing:
            raise InputError(f"no probabilities for {', '.join(missing)}", field="probabilities")
        if not probabilities.columns.is_unique:
            twice = probabilities.columns[probabilities.columns.duplicated()][0]
            raise InputError(f"more than one column {twice}", field=str(twice))
        if not probabilities.index.is_unique:
            twice = probabilities.index[probabilities.index.duplicated()][0]
            raise InputError(f"more than one row of probabilities for {twice}",
                             field="probabilities")
        rows = probabilities.loc[list(states)]
        out = {}
        for col in PROBABILITY_COLUMNS:
            if col in probabilities.columns:
                out[col] = np.array([_probability_value(v, s, col)
                                     for v, s in zip(rows[col].tolist(), states)])
            else:
                out[col] = np.zeros(n)
        sums = sum(out[c] for c in PROBABILITY_COLUMNS)
        bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
        if len(bad):
            raise InputError(f"probabilities of {states[bad[0]]} sum to {sums[bad[0]]:.6g}, not 1",
                             field="p_for")
        return out
    if isinstance(probabilities, (Mapping, pd.Series)):
        missing = [s for s in states if s not in probabilities]
        if missing:
            raise InputError(f"no probabilities for {', '.join(missing)}", field="probabilities")
        p_for = np.array([_probability_value(probabilities[s], s, "p_for") for s in states])
        return {"p_for": p_for, "p_against": 1.0 - p_for, "p_abstain": np.zeros(n),
                "p_constructive": np.zeros(n)}
    raise InputError("probabilities must be a mapping iso2 -> p_for or a DataFrame with "
                     "p_for, p_against, p_abstain", field="probabilities")


def passage_probability(rule: str | Rule, probabilities, population: Mapping | pd.Series,
                        participating=None, *, criticality: bool = True,
                        full_council: bool | None = None) -> PassageResult:
    """Exact probability that a measure passes when the states vote independently.

    Parameters
    ----------
    rule : a registered rule name or Rule.
    probabilities : Mapping (or Series) iso2 -> p_for (then p_against = 1 - p_for), or a
        DataFrame indexed by iso2 with columns p_for, p_against, p_abstain and optionally
        p_constructive (a formal abstention under Art. 31(1) TEU; only unanimity treats it
        differently from an abstention). Every participating state needs a row.
    population : mapping iso2 -> integer population of the whole Council.
    participating : iso2 codes taking part (default: every state of the table).
    criticality : also compute each state's criticality (set False for the fastest path).
    full_council : as for :func:`power_indices`.

    Returns
    -------
    PassageResult
        ``p_adopted`` = P(the camp in favour wins the rule's game). For comitology also
        ``p_blocked`` = P(a qualified majority against) and ``p_no_opinion``; the probability
        that the measure ends adopted is ``rule.p_adopted_in_the_end(result)``. Criticality of
        state i is the probability that i's vote decides the outcome, the others voting by
        their probabilities (each rule's :meth:`~model.treaty.rules.base.Rule.passage` says
        exactly which switch it measures).
    """
    rule = get_rule(rule)
    pop_table = integer_populations(population)
    g = rule.game(pop_table, _participants(participating, pop_table), full_council)
    p = _probabilities(probabilities, g.states)
    probs = Probabilities(p["p_for"], p["p_against"], p["p_abstain"], p["p_constructive"],
                          len(pop_table), sum(pop_table.values()))
    return rule.passage(g, probs, criticality)

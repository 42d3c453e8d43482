"""Invariants every registered voting rule must satisfy (a new rule gets these tests for free):
outcome words, monotonicity, thresholds that are exactly the game's, margins, and the exact
passage probability equal to brute-force enumeration on small councils."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.treaty.positions import ABSENT, ABSTAIN, AGAINST, CHOICES, CONSTRUCTIVE, FOR, Position
from model.treaty.power import passage_probability
from model.treaty.rules import RULES, Camps

ALL_RULES = sorted(RULES)


@st.composite
def councils(draw, min_n: int = 1, max_n: int = 7):
    """A small Council: populations (with ties and tiny states) and a participation mask."""
    n = draw(st.integers(min_n, max_n))
    small = draw(st.booleans())
    pops = draw(st.lists(st.integers(1, 9) if small else st.integers(1, 10**7),
                         min_size=n, max_size=n))
    present = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if not any(present):
        present[0] = True
    return np.array(pops, dtype=np.int64), np.array(present)


def profiles(n: int, present: np.ndarray, values) -> np.ndarray:
    """Every vote profile of the present states over ``values``; the absent ones ABSENT."""
    idx = np.flatnonzero(present)
    rows = np.array(list(product(values, repeat=len(idx))), dtype=np.int64).reshape(-1, len(idx))
    codes = np.full((len(rows), n), ABSENT, dtype=np.int64)
    codes[:, idx] = rows
    return codes


@pytest.mark.parametrize("name", ALL_RULES)
def test_registry_entry_is_documented(name):
    rule = RULES[name]
    assert rule.name == name and rule.title and rule.source
    assert rule.__doc__ and type(rule).__module__.startswith("model.treaty.rules.")
    assert len(set(rule.outcomes)) == len(rule.outcomes) >= 2
    assert set(rule.adopting) <= set(rule.outcomes) and rule.outcomes[0] in rule.adopting
    assert set(rule.blocking_positions) <= set(CHOICES)
    assert set(rule.alternatives) >= set(CHOICES)


@pytest.mark.parametrize("name", ALL_RULES)
@settings(max_examples=60, deadline=None)
@given(councils())
def test_outcome_words_and_monotone(name, council):
    """Every profile gets a valid outcome; switching one state towards 'for' never turns an
    adopted measure into a failed one (and towards 'against' never the reverse)."""
    rule = RULES[name]
    pops, present = council
    n = len(pops)
    codes = profiles(n, present, CHOICES)
    index = rule.evaluate(codes, pops)
    assert set(np.unique(index)) <= set(range(len(rule.outcomes)))
    adopted = rule.adopted(index)
    support = {AGAINST: 0, ABSTAIN: 1, FOR: 2}
    for i in np.flatnonzero(present):
        for better in (ABSTAIN, FOR):
            lower = np.array([support[c] for c in codes[:, i]]) < support[better]
            moved = codes.copy()
            moved[:, i] = better
            after = rule.adopted(rule.evaluate(moved, pops))
            assert not np.any(adopted & lower & ~after), (name, i, better)


@pytest.mark.parametrize("name", ALL_RULES)
@settings(max_examples=60, deadline=None)
@given(councils(max_n=8))
def test_the_camp_in_favour_wins_exactly_when_the_game_says(name, council):
    """With the coalition C voting for and every other participant against, the rule's first
    outcome (the camp in favour wins) happens iff pop(C) >= thresholds[|C|] of its game."""
    rule = RULES[name]
    pops, present = council
    n = len(pops)
    codes = profiles(n, present, (FOR, AGAINST))
    index = rule.evaluate(codes, pops)
    states = [f"S{i}" for i in range(n)]
    table = dict(zip(states, (int(p) for p in pops)))
    participants = [s for s, p in zip(states, present) if p]
    g = rule.game(table, participants, full_council=bool(present.all()))
    for row, outcome in zip(codes, index):
        coalition = [states[i] for i in np.flatnonzero(row == FOR)]
        assert (outcome == 0) == g.wins(coalition)
    assert all(a >= b for a, b in zip(g.thresholds, g.thresholds[1:]))


@pytest.mark.parametrize("name", ALL_RULES)
@settings(max_examples=60, deadline=None)
@given(councils())
def test_margins_say_what_is_missing(name, council):
    """No state and no person missing to adopt means the camp in favour wins."""
    rule = RULES[name]
    pops, present = council
    for row in profiles(len(pops), present, CHOICES):
        camps = Camps.of(row, pops)
        margins = rule.margins(camps)
        adopt = margins["adopt"]
        assert adopt["states_missing"] >= 0 and adopt["population_missing"] >= 0
        if adopt["states_missing"] == 0 and adopt["population_missing"] == 0:
            assert rule.outcome_index(camps)[0] == 0


@pytest.mark.parametrize("name", ALL_RULES)
@settings(max_examples=40, deadline=None)
@given(councils(max_n=6), st.data())
def test_exact_passage_equals_brute_force(name, council, data):
    """rule.passage (the exact engine) equals enumerating every vote profile with its
    probability and evaluating it with the rule itself."""
    rule = RULES[name]
    pops, present = council
    n = len(pops)
    with_constructive = CONSTRUCTIVE in rule.alternatives and data.draw(st.booleans())
    values = (*CHOICES, CONSTRUCTIVE) if with_constructive else CHOICES
    raw = np.array(data.draw(st.lists(st.lists(st.floats(0.01, 1.0), min_size=len(values),
                                                max_size=len(values)), min_size=n, max_size=n)))
    probs = raw / raw.sum(axis=1, keepdims=True)
    states = [f"S{i}" for i in range(n)]
    columns = {FOR: "p_for", ABSTAIN: "p_abstain", AGAINST: "p_against",
               CONSTRUCTIVE: "p_constructive"}
    frame = pd.DataFrame(probs, index=states, columns=[columns[v] for v in values])
    table = dict(zip(states, (int(p) for p in pops)))
    participants = [s for s, p in zip(states, present) if p]
    result = passage_probability(rule, frame.loc[participants], table, participants,
                                 criticality=False, full_council=bool(present.all()))
    codes = profiles(n, present, values)
    weights = np.ones(len(codes))
    for i in np.flatnonzero(present):
        per_value = {v: probs[i, k] for k, v in enumerate(values)}
        weights *= np.array([per_value[Position(c)] for c in codes[:, i]])
    index = rule.evaluate(codes, pops)
    assert result.p_adopted == pytest.approx(float(weights[index == 0].sum()), abs=1e-9)
    in_the_end = float(weights[rule.adopted(index)].sum())
    assert rule.p_adopted_in_the_end(result) == pytest.approx(in_the_end, abs=1e-9)
    by_word = rule.outcome_probabilities(result)
    assert list(by_word) == list(rule.outcomes)
    for k, word in enumerate(rule.outcomes):
        assert by_word[word] == pytest.approx(float(weights[index == k].sum()), abs=1e-9)
    if result.p_blocked is not None:
        blocked = rule.outcomes.index("blocked")
        assert result.p_blocked == pytest.approx(float(weights[index == blocked].sum()), abs=1e-9)

"""Pivotal states from tallies equal re-voting every switched vote, for every registered rule
(small councils, random votes with absences, ties and tiny states, full or partial Council)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.treaty.pivotal import pivotal_states, tally
from model.treaty.positions import ABSENT, CHOICES
from model.treaty.rules import RULES, Camps, get_rule

ALL_RULES = sorted(RULES)


def revote(rule, codes, pops, full_council, alternatives):
    """The definition: switch one state at a time and re-evaluate the whole vote matrix."""
    adopted = rule.adopted(rule.evaluate(codes, pops, full_council))
    out = np.zeros((codes.shape[1], len(codes)), dtype=bool)
    for i in np.flatnonzero(codes[0] != ABSENT):
        for alt in alternatives:
            trial = codes.copy()
            trial[:, i] = alt
            changed = rule.adopted(rule.evaluate(trial, pops, full_council)) != adopted
            out[i] |= changed & (codes[:, i] != alt)
    return out


@st.composite
def votes(draw, rule_name):
    n = draw(st.integers(1, 9))
    small = draw(st.booleans())
    pops = np.array(draw(st.lists(st.integers(1, 9) if small else st.integers(1, 10**8),
                                  min_size=n, max_size=n)), dtype=np.int64)
    present = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if not present.any():
        present[0] = True
    R = draw(st.integers(1, 12))
    values = list(get_rule(rule_name).alternatives)
    rows = draw(st.lists(st.lists(st.sampled_from(values), min_size=n, max_size=n),
                         min_size=R, max_size=R))
    codes = np.array(rows, dtype=np.int8)
    codes[:, ~present] = ABSENT
    full = draw(st.sampled_from([None, False])) if present.all() else False
    return codes, pops, full


@pytest.mark.parametrize("name", ALL_RULES)
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_pivotal_states_equal_revoting(name, data):
    rule = get_rule(name)
    codes, pops, full = data.draw(votes(name))
    for alternatives in (CHOICES, rule.alternatives):
        got = pivotal_states(rule, codes, pops, full_council=full, alternatives=alternatives)
        assert np.array_equal(got, revote(rule, codes, pops, full, alternatives))


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_tally_equals_camps_of(data):
    codes, pops, full = data.draw(votes("unanimity"))
    a, b = tally(codes, pops, full), Camps.of(codes, pops, full)
    assert np.array_equal(a.count, b.count) and np.array_equal(a.population, b.population)
    assert (a.n_part, a.pop_part, a.n_all, a.pop_all, a.full_council) == \
        (b.n_part, b.pop_part, b.n_all, b.pop_all, b.full_council)
    assert np.array_equal(a.participating_pops, b.participating_pops)


def test_a_vote_won_with_room_to_spare_has_no_pivot_and_one_on_the_threshold_has():
    """Comitology, 27 equal states, 10 for, 12 abstain, 5 against: no opinion, and no single
    switch reaches 15 states either way. Council QMV, 18 for and 9 against: 66.7% of the
    population, so each state in favour is pivotal (17 states hold 63%) and no state against."""
    pops = np.full(27, 16_000_000, dtype=np.int64)
    spare = np.array([[0] * 10 + [1] * 12 + [2] * 5], dtype=np.int8)
    assert not pivotal_states(get_rule("comitology"), spare, pops).any()
    edge = np.array([[0] * 18 + [2] * 9], dtype=np.int8)
    got = pivotal_states(get_rule("qmv"), edge, pops)[:, 0]
    assert got[:18].all() and not got[18:].any()

"""The likelihood of partly observed cases equals brute-force enumeration of vote profiles."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.treaty.positions import ABSTAIN, AGAINST, FOR
from model.treaty.rules import get_rule
from model.validation.likelihood import (
    Record,
    band_bounds,
    case_log_likelihood,
    count_distribution,
    share_probability,
)

CODES = (int(FOR), int(ABSTAIN), int(AGAINST))


def _probabilities(draw, n):
    raw = np.array(draw(st.lists(st.lists(st.floats(0.01, 1.0), min_size=3, max_size=3),
                                 min_size=n, max_size=n)))
    return raw / raw.sum(axis=1, keepdims=True)


def _profiles(n):
    return np.array(list(itertools.product(CODES, repeat=n)), dtype=int)


def _weights(profiles, p):
    return np.prod(p[np.arange(p.shape[0]), profiles], axis=1)


def _check(got, p, named, joint):
    """The named part is the product of the named states' probabilities; the aggregate is
    the brute-force joint probability divided by it (the conditional)."""
    p_named = float(np.prod([p[i, c] for i, c in named.items()]))
    assert got["named"] == pytest.approx(np.log(p_named), rel=1e-12, abs=1e-12)
    assert got["aggregate"]["probability"] == pytest.approx(joint / p_named, rel=1e-7, abs=1e-12)
    assert got["total"] == pytest.approx(got["named"] + got["aggregate"]["log_probability"])


@st.composite
def records(draw, max_n=6):
    """A small council, probabilities, a true profile and a record of part of it."""
    n = draw(st.integers(2, max_n))
    pops = np.array(draw(st.lists(st.integers(1, 60), min_size=n, max_size=n)), dtype=np.int64)
    p = _probabilities(draw, n)
    truth = np.array(draw(st.lists(st.sampled_from(CODES), min_size=n, max_size=n)))
    named = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    kept = draw(st.lists(st.sampled_from(CODES), unique=True, min_size=1, max_size=3))
    totals = {c: int((truth == c).sum()) for c in kept}
    return pops, p, truth, {i: int(truth[i]) for i in named}, totals


@settings(max_examples=80, deadline=None)
@given(records())
def test_totals_likelihood_equals_brute_force(case):
    pops, p, _, named, totals = case
    n = len(pops)
    states = tuple(f"S{i}" for i in range(n))
    rec = Record(states, pops, named=named, totals=totals)
    got = case_log_likelihood(p, rec, get_rule("qmv"), dict(zip(states, pops.tolist())))
    profiles = _profiles(n)
    ok = np.ones(len(profiles), dtype=bool)
    for i, c in named.items():
        ok &= profiles[:, i] == c
    for c, k in totals.items():
        ok &= (profiles == c).sum(axis=1) == k
    brute = float(_weights(profiles, p)[ok].sum())
    _check(got, p, named, brute)
    assert got["aggregate"]["kind"] == "totals"


@settings(max_examples=60, deadline=None)
@given(records(), st.sampled_from(CODES), st.floats(0, 100), st.floats(0, 100))
def test_share_band_equals_brute_force(case, code, a, b):
    pops, p, _, named, _ = case
    low, high = min(a, b), max(a, b)
    n = len(pops)
    states = tuple(f"S{i}" for i in range(n))
    rec = Record(states, pops, named=named, share=(code, low, high))
    got = case_log_likelihood(p, rec, get_rule("qmv"), dict(zip(states, pops.tolist())))
    profiles = _profiles(n)
    ok = np.ones(len(profiles), dtype=bool)
    for i, c in named.items():
        ok &= profiles[:, i] == c
    camp = ((profiles == code) * pops).sum(axis=1)
    lo, hi = band_bounds(low, high, int(pops.sum()))
    ok &= (camp >= lo) & (camp <= hi)
    _check(got, p, named, float(_weights(profiles, p)[ok].sum()))


@settings(max_examples=60, deadline=None)
@given(records(), st.sampled_from(["qmv", "comitology", "unanimity", "council_rejection"]),
       st.data())
def test_outcome_likelihood_equals_brute_force(case, rule_name, data):
    pops, p, _, named, _ = case
    rule = get_rule(rule_name)
    word = data.draw(st.sampled_from([*rule.outcomes, "adopted_in_the_end"]))
    n = len(pops)
    states = tuple(f"S{i}" for i in range(n))
    rec = Record(states, pops, named=named, outcome=word)
    got = case_log_likelihood(p, rec, rule, dict(zip(states, pops.tolist())))
    profiles = _profiles(n)
    w = _weights(profiles, p)
    ok = np.ones(len(profiles), dtype=bool)
    for i, c in named.items():
        ok &= profiles[:, i] == c
    index = rule.evaluate(profiles, pops)
    hit = (rule.adopted(index) if word == "adopted_in_the_end"
           else index == rule.outcomes.index(word))
    _check(got, p, named, float(w[ok & hit].sum()))


def test_totals_come_first_and_the_outcome_is_reported_beside_them():
    pops = np.array([10, 20, 30, 40])
    p = np.full((4, 3), 1 / 3)
    rec = Record(("A", "B", "C", "D"), pops, named={0: int(FOR)}, totals={int(FOR): 2},
                 outcome="not_adopted")
    got = case_log_likelihood(p, rec, get_rule("simple"), {"A": 10, "B": 20, "C": 30, "D": 40})
    assert got["aggregate"]["kind"] == "totals"
    # one more 'for' among three unnamed states: 3 * (1/3) * (2/3)^2
    assert got["aggregate"]["probability"] == pytest.approx(4 / 9)
    assert set(got["reported"]) == {"outcome"}
    assert got["total"] == pytest.approx(np.log(1 / 3) + np.log(4 / 9))


def test_count_distribution_sums_to_one_and_matches_a_binomial():
    p = np.tile([0.2, 0.5, 0.3], (5, 1))
    dist = count_distribution(p)
    assert dist.sum() == pytest.approx(1.0)
    from scipy.stats import binom
    assert dist.sum(axis=1) == pytest.approx(binom.pmf(np.arange(6), 5, 0.2))


def test_band_bounds_include_both_ends_of_the_reported_band():
    assert band_bounds(48.0, 48.0, 100) == (48, 48)
    assert band_bounds(45.99, 45.99, 451_028_881) == (207_428_183, 207_428_182)  # no integer
    assert band_bounds(45.98, 46.0, 451_028_881) == (207_383_080, 207_473_285)


def test_share_probability_with_no_free_state_is_a_certainty_or_nothing():
    assert share_probability(np.zeros(0), np.zeros(0, dtype=np.int64), 0, 5) == 1.0
    assert share_probability(np.zeros(0), np.zeros(0, dtype=np.int64), 1, 5) == 0.0

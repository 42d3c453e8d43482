"""The ordered logit and the utility: the model's reused arrays and plane layout give the same
bits as the plain functions, probabilities are proper and move the documented way."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

from model.abm.behaviour import (
    standing_support,
    utility,
    vote_probabilities,
    vote_probability_planes,
)
from model.treaty.positions import ABSTAIN, AGAINST, FOR

shapes = st.tuples(st.integers(1, 6), st.integers(1, 40))


@settings(max_examples=60, deadline=None)
@given(shapes, st.integers(0, 2**32 - 1), st.booleans())
def test_planes_hold_the_probabilities_to_the_bit(shape, seed, drawn_cuts):
    rng = np.random.default_rng(seed)
    y = rng.normal(0, 3, size=shape)
    low = rng.normal(-1, 0.3, size=shape[1]) if drawn_cuts else -0.7
    high = low + rng.uniform(0.1, 3, size=shape[1]) if drawn_cuts else 1.2
    plain = vote_probabilities(y, low, high)
    planes = vote_probability_planes(y, low, high, np.empty((3, *shape)), np.empty(shape))
    assert np.array_equal(planes.transpose(1, 2, 0), plain)
    reused = vote_probabilities(y, low, high, out=np.empty((*shape, 3)),
                                scratch=np.empty(shape))
    assert np.array_equal(reused, plain)
    # the ordered logit itself, written out: P(against) = expit(cut_low - y), P(for) =
    # 1 - expit(cut_high - y), the rest abstains
    assert np.array_equal(plain[..., AGAINST], expit(low - y))
    assert np.array_equal(plain[..., FOR], 1.0 - expit(high - y))
    assert np.array_equal(plain[..., ABSTAIN], expit(high - y) - expit(low - y))
    assert np.allclose(plain.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    assert (plain >= 0).all() and (plain <= 1).all()


@given(st.floats(-5, 5), st.floats(0.01, 2))
def test_more_support_means_more_for_and_less_against(y, step):
    low, high = vote_probabilities(np.array([y, y + step]), -0.5, 0.8)
    assert high[FOR] > low[FOR] and high[AGAINST] < low[AGAINST]
    assert low[ABSTAIN] >= 0 and high[ABSTAIN] >= 0


def test_cut_points_out_of_order_are_refused():
    with pytest.raises(ValueError, match="cut_low"):
        vote_probabilities(np.zeros(3), 1.0, -1.0)
    with pytest.raises(ValueError, match="cut_low"):
        vote_probability_planes(np.zeros((1, 2)), np.array([0.0, 1.0]), np.array([1.0, 0.5]),
                                np.empty((3, 1, 2)), np.empty((1, 2)))


@settings(max_examples=40, deadline=None)
@given(shapes, st.integers(0, 2**32 - 1))
def test_utility_in_reused_arrays_is_the_same_to_the_bit(shape, seed):
    rng = np.random.default_rng(seed)
    n, r = shape
    coef = {"beta_stance": 0.8, "beta_stakes": rng.normal(1, 0.2, r), "beta_pressure": 0.6,
            "beta_peer": rng.normal(0.5, 0.1, r), "beta_backlash": 0.3, "beta_grievance": 0.4}
    args = (rng.normal(size=r), rng.normal(size=(n, 1)), rng.normal(size=(n, r)),
            rng.random((n, r)), rng.random((n, 1)), rng.uniform(-1, 1, (n, r)),
            rng.random((n, 1)), rng.normal(size=(n, r)), coef,
            {"pressure": 1.0, "grievance": 0.5, "backlash": 1.0})
    plain = utility(*args)
    reused = utility(*args, out=np.empty(shape), scratch=np.empty(shape))
    assert np.array_equal(plain, reused)
    standing = standing_support(args[0], args[1], args[2], coef)
    for out in (None, np.empty(shape)):       # the stance and stakes terms computed once
        kept = utility(*args, out=out, scratch=np.empty(shape), standing=standing)
        assert np.array_equal(plain, kept)
    if np.shape(standing) == shape:           # the kept terms are never written over
        with pytest.raises(ValueError, match="overlap"):
            utility(*args, out=standing, standing=standing)
    intercept, stance, stakes, pressure, sticks, peers, backlash, shock = args[:8]
    by_hand = (intercept + coef["beta_stance"] * stance + coef["beta_stakes"] * stakes
               - coef["beta_pressure"] * pressure + coef["beta_peer"] * peers
               + coef["beta_backlash"] * backlash + coef["beta_grievance"] * 0.5 * sticks
               + shock)
    assert np.array_equal(plain, by_hand)

"""The exposure-only ordered logit baseline: it recovers its coefficients and stays finite."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model.validation.baselines import fit_ordered_logit, ordered_logit_probabilities
from model.validation.cases import encode


def test_ordered_logit_recovers_its_coefficients_from_a_large_sample():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(6000, 2))
    truth = np.array([1.5, -0.8, -0.7, math.log(1.6)])       # slopes, low cut, log gap
    p = ordered_logit_probabilities(truth, X)
    assert np.allclose(p.sum(axis=1), 1.0) and (p > 0).all()
    y = (rng.random(6000)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    fitted = fit_ordered_logit(X, y)
    assert fitted == pytest.approx(truth, abs=0.12)


def test_ordered_logit_stays_finite_when_a_channel_separates_the_votes():
    X = np.array([[0.0], [0.0], [0.0], [0.0], [1.0]])
    y = encode(["for", "abstain", "for", "abstain", "against"])
    theta = fit_ordered_logit(X, y)
    assert np.isfinite(theta).all()
    assert ordered_logit_probabilities(theta, X[4:])[0, 2] > 0.9



"""Intervals and scoring rules (model.stats) against published values and their properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.stats import (
    accuracy,
    brier,
    cluster_mean_interval,
    log_loss,
    paired_difference_ci,
    score,
    unpaired_difference_ci,
    wilson_interval,
)
from model.validation.baselines import EPSILON, majority_leave_one_out, majority_probabilities
from model.validation.cases import encode


def test_wilson_interval_matches_the_closed_form():
    z = 1.959963984540054
    for k, n in [(0, 10), (3, 10), (50, 100), (999, 1000), (1, 10**6)]:
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        lo, hi = wilson_interval(k, n)
        assert lo == pytest.approx(max(0.0, centre - half), abs=1e-15)
        assert hi == pytest.approx(min(1.0, centre + half), abs=1e-15)
    assert wilson_interval(0, 0) == (0.0, 1.0)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**7), st.floats(0, 1), st.sampled_from([0.95, 0.9, 0.99, 0.5]))
def test_wilson_interval_is_scipys_to_the_bit(n, share, confidence):
    """The interval is written out (no scipy.stats import on the run path); it must stay
    exactly what scipy's binomtest gives."""
    from scipy.stats import binomtest

    k = min(n, int(share * n))
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    assert wilson_interval(k, n, confidence) == (max(0.0, float(ci.low)),
                                                 min(1.0, float(ci.high)))


def test_wilson_interval_refuses_more_successes_than_trials():
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(11, 10)


def test_paired_interval_covers_the_true_difference():
    """Coverage of the paired 95% interval on correlated pairs with a known difference."""
    rng = np.random.default_rng(2024)
    n, trials, hits = 300, 600, 0
    p_a, p_b = 0.2, 0.3
    for _ in range(trials):
        u = rng.random(n)
        noise = rng.random(n)
        mix = rng.random(n) < 0.7                       # 70% shared uniforms: correlated pairs
        v = np.where(mix, u, noise)
        x, y = u < p_a, v < p_b
        _, lo, hi = paired_difference_ci(x, y)
        hits += lo <= p_b - p_a <= hi
    coverage = hits / trials
    # binomial sd of the coverage estimate is about 0.009
    assert 0.92 <= coverage <= 0.985


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_paired_interval_contains_estimate_and_stays_in_range(pairs):
    x = [p[0] for p in pairs]
    y = [p[1] for p in pairs]
    d, lo, hi = paired_difference_ci(x, y)
    assert -1.0 <= lo <= d <= hi <= 1.0
    assert d == pytest.approx(np.mean(y) - np.mean(x))
    # swapping the conditions mirrors the interval
    d2, lo2, hi2 = paired_difference_ci(y, x)
    assert d2 == pytest.approx(-d) and lo2 == pytest.approx(-hi) and hi2 == pytest.approx(-lo)


def test_unpaired_interval_matches_newcombe():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 vs 48/80
    _d, lo, hi = unpaired_difference_ci(48, 80, 56, 70)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


def test_scores_of_a_two_state_example():
    # state 1 voted for with forecast (0.5, 0.3, 0.2): hit, -ln 0.5, 0.25 + 0.09 + 0.04 = 0.38
    # state 2 abstained with forecast (0.2, 0.2, 0.6): miss, -ln 0.2, 0.04 + 0.64 + 0.36 = 1.04
    p = np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6]])
    y = encode(["for", "abstain"])
    assert accuracy(p, y) == 0.5
    assert log_loss(p, y) == pytest.approx((math.log(2) + math.log(5)) / 2)
    assert brier(p, y) == pytest.approx((0.38 + 1.04) / 2)


def test_uniform_forecast_scores_one_third_log3_and_two_thirds():
    y = encode(["for", "against", "abstain", "abstain"])
    p = np.full((4, 3), 1 / 3)
    assert score(p, y) == {"accuracy": pytest.approx(1 / 3, abs=1e-6),
                           "log_loss": pytest.approx(math.log(3), abs=1e-6),
                           "brier": pytest.approx(2 / 3, abs=1e-6)}


def test_ties_share_the_accuracy_and_a_sure_hit_is_perfect():
    y = encode(["for", "against"])
    p = np.array([[0.4, 0.4, 0.2], [0.0, 0.0, 1.0]])     # tie for/abstain; certain against
    assert accuracy(p, y) == pytest.approx((0.5 + 1.0) / 2)
    assert brier(p[1:], y[1:]) == 0.0
    assert log_loss(p[1:], y[1:]) == 0.0
    assert brier(np.array([[1.0, 0.0, 0.0]]), encode(["against"])) == 2.0   # worst possible


def test_majority_baseline_and_its_documented_epsilon():
    y = encode(["abstain", "abstain", "for"])
    p = majority_probabilities(y, 3)
    assert p.tolist() == [[EPSILON, 1 - 2 * EPSILON, EPSILON]] * 3
    # two hits at 1 - 2 eps, one miss at eps
    expected = -(2 * math.log(1 - 2 * EPSILON) + math.log(EPSILON)) / 3
    assert log_loss(p, y) == pytest.approx(expected)
    assert accuracy(p, y) == pytest.approx(2 / 3)


def test_majority_baseline_shares_a_tie_and_does_not_miss_every_state_left_out():
    tied = encode(["for"] * 12 + ["abstain"] * 12 + ["against"] * 3)
    assert majority_probabilities(tied, 1)[0].tolist() == pytest.approx(
        [(1 - EPSILON) / 2, (1 - EPSILON) / 2, EPSILON])
    # a hard mode of the other states misses all 27 (each left-out state tips the tie away
    # from itself, the against states get the first-listed 'for'); within one vote is a tie
    hard = np.array([majority_probabilities(np.delete(tied, i), 1)[0] for i in range(27)])
    assert accuracy(hard, tied) == 0.0
    loso = majority_leave_one_out(tied)
    assert accuracy(loso, tied) == pytest.approx(24 * 0.5 / 27)
    assert log_loss(loso, tied) < log_loss(hard, tied)
    # with a clear majority the left-out forecast is the ordinary mode
    clear = encode(["for"] * 20 + ["against"] * 7)
    assert (majority_leave_one_out(clear).argmax(axis=1) == 0).all()


def test_unknown_position_word_is_an_input_error():
    from model.errors import InputError

    with pytest.raises(InputError, match="position"):
        encode(["for", "yes"])
    with pytest.raises(InputError, match="positions must be among"):
        encode(["for", "absent"])




# --- the Monte Carlo interval of a run whose blocks each draw their own parameters -------------

def test_cluster_interval_is_the_t_interval_of_the_block_means_for_equal_blocks():
    from scipy import stats

    rates = np.array([0.1, 0.9, 0.4, 0.6, 0.0, 1.0, 0.3, 0.7])
    lo, hi = cluster_mean_interval(rates, [250] * len(rates))
    # equal blocks: the textbook one-sample t interval of the block means
    half = stats.t.ppf(0.975, len(rates) - 1) * rates.std(ddof=1) / math.sqrt(len(rates))
    assert lo == pytest.approx(rates.mean() - half, rel=1e-12)
    assert hi == pytest.approx(rates.mean() + half, rel=1e-12)


def test_cluster_interval_weights_a_short_last_block_by_its_size():
    # a last block of 10 replications moves the centre (and the spread) by its weight only
    lo, hi = cluster_mean_interval([0.2, 0.2, 1.0], [250, 250, 10])
    centre = (0.2 * 500 + 1.0 * 10) / 510
    assert (lo + hi) / 2 == pytest.approx(centre, rel=1e-12)
    assert hi - lo < cluster_mean_interval([0.2, 0.2, 1.0], [250, 250, 250])[1] - \
        cluster_mean_interval([0.2, 0.2, 1.0], [250, 250, 250])[0]


@given(st.lists(st.floats(0, 1), min_size=2, max_size=60), st.floats(0.01, 0.5))
@settings(max_examples=200, deadline=None)
def test_cluster_interval_contains_the_mean_and_widens_with_spread(rates, stretch):
    sizes = [250] * len(rates)
    lo, hi = cluster_mean_interval(rates, sizes)
    mean = float(np.mean(rates))
    assert lo <= mean + 1e-12 and mean - 1e-12 <= hi
    # spreading the rates further from their mean never narrows the interval
    wider = [mean + (r - mean) * (1 + stretch) for r in rates]
    wlo, whi = cluster_mean_interval(wider, sizes)
    assert whi - wlo >= (hi - lo) - 1e-12


def test_cluster_interval_needs_two_blocks():
    with pytest.raises(ValueError, match="two blocks"):
        cluster_mean_interval([0.5], [250])

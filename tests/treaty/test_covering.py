"""The exact covering search against brute force over every subset, ties included."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.treaty import covering
from model.treaty.covering import cheapest_cover


def brute_force(costs, pops, branches):
    """The qualifying set first by (cost, size, -population, first item where sets differ)."""
    best = None
    for bits in product((1, 0), repeat=len(costs)):   # subsets with the first item come first
        chosen = [i for i, b in enumerate(bits) if b]
        size, pop = len(chosen), sum(pops[i] for i in chosen)
        if not any(size >= c and pop >= p for c, p in branches):
            continue
        key = (sum(costs[i] for i in chosen), size, -pop)
        if best is None or key < best[0]:
            best = (key, bits)
    return None if best is None else [bool(b) for b in best[1]]


SMALL_INTEGERS = st.integers(0, 4)


@st.composite
def problems(draw, cost=SMALL_INTEGERS):
    n = draw(st.integers(0, 11))
    costs = draw(st.lists(cost, min_size=n, max_size=n))
    pops = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    branches = draw(st.lists(st.tuples(st.integers(-1, n + 1), st.integers(-2, 9 * n + 2)),
                             min_size=1, max_size=3))
    return costs, pops, branches


def answer(costs, pops, branches):
    found = cheapest_cover(costs, pops, branches)
    return None if found is None else found.tolist()


@settings(max_examples=300, deadline=None)
@given(problems())
def test_integer_costs_match_brute_force_including_the_tie_rule(case):
    # small integer costs and populations: ties everywhere, and float64 adds them exactly
    assert answer(*case) == brute_force(*case)


@settings(max_examples=150, deadline=None)
@given(problems(cost=st.integers(0, 40).map(lambda v: v / 8)))
def test_costs_in_eighths_are_exact_too(case):
    assert answer(*case) == brute_force(*case)


@settings(max_examples=150, deadline=None)
@given(problems(cost=st.floats(0, 1e6, allow_nan=False, allow_infinity=False)))
def test_any_costs_give_the_least_cost(case):
    costs, pops, branches = case
    found, expected = answer(*case), brute_force(*case)
    assert (found is None) == (expected is None)
    if found is not None:
        chosen = [i for i, b in enumerate(found) if b]
        assert any(len(chosen) >= c and sum(pops[i] for i in chosen) >= p for c, p in branches)
        best = sum(c for c, b in zip(costs, expected) if b)
        assert sum(costs[i] for i in chosen) == pytest.approx(best, rel=1e-12, abs=0)


@pytest.mark.parametrize("leaf", [1, 2, 3, 5])
def test_the_answer_does_not_depend_on_how_the_items_are_split(monkeypatch, leaf):
    rng = np.random.default_rng(leaf)
    costs = rng.integers(0, 6, 16).astype(float)
    pops = rng.integers(0, 40, 16)
    branches = [(3, 200), (9, 0)]
    reference = cheapest_cover(costs, pops, branches).tolist()
    monkeypatch.setattr(covering, "LEAF", leaf)
    assert cheapest_cover(costs, pops, branches).tolist() == reference


def test_a_set_above_the_needed_size_only_if_it_is_cheaper():
    # zero-cost items are not added for nothing: the fewest members win the tie
    assert answer([0, 0, 1, 0], [1, 1, 10, 1], [(1, 2)]) == [True, True, False, False]
    # among equal cost and size, the larger population
    assert answer([1, 1, 1], [5, 7, 6], [(1, 5)]) == [False, True, False]


def test_nothing_qualifies():
    assert cheapest_cover([1.0, 1.0], [3, 4], [(3, 0), (1, 8)]) is None
    assert cheapest_cover([], [], [(1, 0)]) is None
    assert cheapest_cover([], [], [(0, 0)]).tolist() == []


def test_bad_items_are_refused():
    with pytest.raises(ValueError):
        cheapest_cover([1.0, float("inf")], [1, 1], [(1, 0)])
    with pytest.raises(ValueError):
        cheapest_cover([-1.0], [1], [(1, 0)])
    with pytest.raises(ValueError):
        cheapest_cover([1.0] * 63, [1] * 63, [(1, 0)])

"""Cheapest blocking coalition: the MILP against brute force over every subset."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import api
from model.errors import InputError
from model.inputs.council import EU27, population_table
from model.treaty.blocking import BlockingResult, blocking_branches, cheapest_blocking_coalition
from model.treaty.positions import ABSENT, AGAINST, FOR
from model.treaty.rules import RULE_NAMES, get_rule
from model.treaty.vote import vote


def game(rule, pops, participating=None):
    return get_rule(rule).game(pops, participating)


def stopped(rule: str, codes: np.ndarray, pops: np.ndarray, full: bool) -> np.ndarray:
    """Whether each vote profile leaves the measure not adopted (comitology: a QMV against)."""
    r = get_rule(rule)
    return ~r.adopted(r.evaluate(codes, pops, full))


def eu_pops():
    pops = population_table()
    return pops, sum(pops.values())


def brute_cheapest(rule, costs, pops: dict[str, int], participating) -> float | None:
    """Minimum cost over all subsets of movable participants moved to 'against'."""
    names = list(pops)
    part = [names.index(s) for s in (participating or names)]
    movable = [i for i in part if math.isfinite(costs.get(names[i], math.inf))]
    pop_arr = np.array([pops[s] for s in names], dtype=np.int64)
    masks = np.arange(1 << len(movable))
    codes = np.full((len(masks), len(names)), ABSENT, dtype=np.int64)
    codes[:, part] = FOR
    for bit, i in enumerate(movable):
        codes[(masks >> bit) & 1 == 1, i] = AGAINST
    ok = stopped(rule, codes, pop_arr, len(part) == len(names))
    if not ok.any():
        return None
    price = [float(costs[names[i]]) for i in movable]
    totals = [sum(price[b] for b in range(len(movable)) if m >> b & 1) for m in masks]
    return min(t for t, good in zip(totals, ok) if good)


@st.composite
def blocking_cases(draw):
    n = draw(st.integers(1, 10))
    small = draw(st.booleans())
    values = draw(st.lists(st.integers(1, 12) if small else st.integers(1, 90_000_000),
                           min_size=n, max_size=n))
    pops = {f"P{i}": v for i, v in enumerate(values)}
    names = list(pops)
    participating = None
    if draw(st.booleans()):
        participating = draw(st.lists(st.sampled_from(names), min_size=1, max_size=n, unique=True))
        participating.sort(key=names.index)
    costs = {}
    for s in names:
        kind = draw(st.sampled_from(["int", "float", "inf", "missing"]))
        if kind == "int":
            costs[s] = draw(st.integers(0, 5))
        elif kind == "float":  # resolved well above the documented 1e-10 relative tolerance
            costs[s] = draw(st.integers(0, 100_000)) / 1000
        elif kind == "inf":
            costs[s] = math.inf
    return draw(st.sampled_from(RULE_NAMES)), costs, pops, participating


@settings(max_examples=250, deadline=None)
@given(blocking_cases())
def test_milp_equals_brute_force(case):
    rule, costs, pops, participating = case
    expected = brute_cheapest(rule, costs, pops, participating)
    if expected is None:
        with pytest.raises(InputError) as err:
            cheapest_blocking_coalition(rule, costs, pops, participating)
        assert err.value.field == "cost"
        return
    result = cheapest_blocking_coalition(rule, costs, pops, participating)
    assert result.cost == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert result.cost == pytest.approx(sum(costs[s] for s in result.states), rel=1e-12, abs=0)
    # the returned coalition really stops the measure
    names = list(pops)
    part = participating or names
    codes = np.array([[AGAINST if s in result.states else FOR if s in part else ABSENT
                       for s in names]])
    pop_arr = np.array([pops[s] for s in names], dtype=np.int64)
    assert stopped(rule, codes, pop_arr, len(part) == len(names))[0]
    assert result.count == len(result.states)
    sizes = [pops[s] for s in result.states]
    assert sizes == sorted(sizes, reverse=True)
    assert result.population_share == pytest.approx(
        sum(pops[s] for s in result.states) / sum(pops[s] for s in part), abs=1e-15)


def test_eu27_unit_costs_qmv_four_states_over_35_percent():
    pops, total = eu_pops()
    result = api.cheapest_blocking_coalition("qmv", {s: 1.0 for s in EU27})
    assert isinstance(result, BlockingResult)
    assert result.count == 4 and result.cost == 4.0
    assert 100 * sum(pops[s] for s in result.states) > 35 * total
    assert result.population_share > 0.35
    positions = {s: ("against" if s in result.states else "for") for s in EU27}
    assert vote("qmv", positions, pops).outcome == "not_adopted"
    # no three states can block: the remaining 24 are deemed a qualified majority
    triples = list(combinations(range(27), 3))
    codes = np.full((len(triples), 27), FOR)
    for row, triple in enumerate(triples):
        codes[row, list(triple)] = AGAINST
    assert get_rule("qmv").adopted(get_rule("qmv").evaluate(codes, list(pops.values()))).all()
    d = result.to_dict()
    assert d == {"rule": "qmv", "cost": 4.0, "states": list(result.states), "count": 4,
                 "population_share": result.population_share}


def test_eu27_other_rules_with_unit_costs():
    unit = {s: 1.0 for s in EU27}
    assert api.cheapest_blocking_coalition("unanimity", unit).count == 1
    assert api.cheapest_blocking_coalition("simple", unit).count == 14  # 13 left: no majority
    rqmv = api.cheapest_blocking_coalition("rqmv", unit)
    assert rqmv.count == 3 and rqmv.states == ("DE", "FR", "IT")  # > 35% with no 4-state floor
    comitology = api.cheapest_blocking_coalition("comitology", unit)
    assert comitology.count == 15 and comitology.population_share >= 0.65  # QMV against


def test_unanimity_picks_the_cheapest_movable_state():
    costs = {s: 10.0 for s in EU27} | {"HU": 2.5, "SK": math.inf}
    result = api.cheapest_blocking_coalition("unanimity", costs)
    assert result.states == ("HU",) and result.cost == 2.5


def test_costs_steer_the_coalition_away_from_large_states():
    pops, total = eu_pops()
    costs = {s: 1.0 for s in EU27} | {"DE": math.inf, "FR": math.inf}
    result = api.cheapest_blocking_coalition("qmv", costs)
    assert "DE" not in result.states and "FR" not in result.states
    assert 100 * sum(pops[s] for s in result.states) > 35 * total
    positions = {s: ("against" if s in result.states else "for") for s in EU27}
    assert vote("qmv", positions, pops).outcome == "not_adopted"


def test_infeasible_costs_raise_input_error():
    small_only = {"MT": 1, "LU": 1, "CY": 1}
    with pytest.raises(InputError, match="no blocking coalition is possible") as err:
        api.cheapest_blocking_coalition("qmv", small_only)
    assert err.value.field == "cost"
    with pytest.raises(InputError):
        api.cheapest_blocking_coalition("comitology", {s: math.inf for s in EU27})
    with pytest.raises(InputError):
        api.cheapest_blocking_coalition("unanimity", {})
    with pytest.raises(InputError):
        api.cheapest_blocking_coalition("qmv", {"DE": -1.0})
    with pytest.raises(InputError):
        api.cheapest_blocking_coalition("qmv", {"DE": float("nan")})


def test_partial_participation_euro_area():
    euro = ["AT", "BE", "HR", "CY", "EE", "FI", "FR", "DE", "GR", "IE", "IT", "LV", "LT", "LU",
            "MT", "NL", "PT", "SK", "SI", "ES"]
    result = api.cheapest_blocking_coalition("qmv", {s: 1.0 for s in EU27}, participating=euro)
    assert set(result.states) <= set(euro)
    pops, _ = eu_pops()
    positions = {s: ("absent" if s not in euro else "against" if s in result.states else "for")
                 for s in EU27}
    assert vote("qmv", positions, pops).outcome == "not_adopted"
    # a smaller coalition cannot block: check every subset one state smaller
    g = game("qmv", pops, euro)
    for smaller in combinations(euro, result.count - 1):
        assert g.wins([s for s in euro if s not in smaller])


def test_branches_are_derived_from_the_game():
    pops, _ = eu_pops()
    g = game("qmv", pops)
    total = g.total
    quota = g.thresholds[15]
    assert blocking_branches(g) == [(4, total - quota + 1), (13, 0)]
    # comitology: defectors need 15 states and 65% (or 24 states), and the rest must lose
    assert blocking_branches(game("comitology", pops), against_must_win=True) == [
        (15, quota), (24, 0)]

"""Cheapest blocking coalition: the exact search against brute force over every subset (ties
included) and, for Councils too large for brute force, against an integer programme."""

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
        elif kind == "float":
            costs[s] = draw(st.integers(0, 100_000)) / 1000
        elif kind == "inf":
            costs[s] = math.inf
    return draw(st.sampled_from(RULE_NAMES)), costs, pops, participating


@settings(max_examples=250, deadline=None)
@given(blocking_cases())
def test_search_equals_brute_force(case):
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


def brute_best(rule, costs, pops: dict[str, int], participating) -> tuple[str, ...] | None:
    """The blocking coalition first by (cost, size, -population, alphabetical list of codes)."""
    names = list(pops)
    part = participating or names
    movable = [s for s in part if math.isfinite(costs.get(s, math.inf))]
    pop_arr = np.array([pops[s] for s in names], dtype=np.int64)
    best = None
    for size in range(len(movable) + 1):
        for chosen in combinations(sorted(movable), size):
            codes = np.array([[AGAINST if s in chosen else FOR if s in part else ABSENT
                               for s in names]])
            if not stopped(rule, codes, pop_arr, len(part) == len(names))[0]:
                continue
            key = (sum(costs[s] for s in chosen), size, -sum(pops[s] for s in chosen), chosen)
            if best is None or key < best:
                best = key
    return None if best is None else best[3]


@st.composite
def tied_cases(draw):
    """Small Councils with small integer costs and populations: many coalitions tie."""
    n = draw(st.integers(1, 8))
    pops = {f"S{i}": v for i, v in enumerate(draw(st.lists(st.integers(1, 6), min_size=n,
                                                            max_size=n)))}
    names = draw(st.permutations(list(pops)))          # the table's order must not matter
    pops = {s: pops[s] for s in names}
    costs = {s: draw(st.sampled_from([0, 1, 1, 2, math.inf])) for s in names}
    participating = None
    if draw(st.booleans()):
        participating = [s for s in names if draw(st.booleans())] or names[:1]
    return draw(st.sampled_from(RULE_NAMES)), costs, pops, participating


@settings(max_examples=200, deadline=None)
@given(tied_cases())
def test_ties_go_to_fewest_members_then_largest_population_then_alphabetical(case):
    rule, costs, pops, participating = case
    expected = brute_best(rule, costs, pops, participating)
    if expected is None:
        with pytest.raises(InputError):
            cheapest_blocking_coalition(rule, costs, pops, participating)
        return
    result = cheapest_blocking_coalition(rule, costs, pops, participating)
    assert sorted(result.states) == list(expected)
    assert result.cost == sum(costs[s] for s in expected)


def test_ties_in_the_eu27_with_unit_costs():
    pops, _ = eu_pops()
    unit = {s: 1.0 for s in EU27}
    # 4 states over 35% of the population block; of the many such sets of 4, the most populous
    qmv = api.cheapest_blocking_coalition("qmv", unit)
    largest = sorted(EU27, key=lambda s: (-pops[s], s))
    assert qmv.states == tuple(largest[:4])
    # unanimity: any one state blocks; the most populous is chosen
    assert api.cheapest_blocking_coalition("unanimity", unit).states == (largest[0],)
    # equal populations: alphabetical
    flat = {s: 10 for s in EU27}
    assert api.cheapest_blocking_coalition("unanimity", unit, flat).states == ("AT",)
    # 10 states of 10 hold 100 > 35% of 270 (and 4 or more members): the first ten codes
    assert api.cheapest_blocking_coalition("qmv", unit, flat).states == tuple(sorted(EU27)[:10])


def test_costs_whose_sum_overflows_still_give_a_coalition():
    # every blocking set of four costs inf in float64: the tie rule then picks among them
    result = api.cheapest_blocking_coalition("qmv", {s: 1e308 for s in EU27})
    assert result.states == ("DE", "FR", "IT", "ES") and result.cost == math.inf
    assert api.cheapest_blocking_coalition("unanimity", {"MT": 1e308}).cost == 1e308


def milp_cost(rule: str, costs: dict[str, float], pops: dict[str, int], participating=None):
    """The least cost by an integer programme per branch (scipy's HiGHS), for large Councils."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    r = get_rule(rule)
    g = r.game(pops, participating)
    against = r.opposing_game(pops, participating) if r.stopped_by_quota_against else None
    states = [s for s in g.states if math.isfinite(costs.get(s, math.inf))]
    c = np.array([costs[s] for s in states])
    p = np.array([g.populations[g.states.index(s)] for s in states], dtype=float)
    best = math.inf
    for count_min, pop_min in blocking_branches(g, r.stopped_by_quota_against, against):
        res = milp(c, integrality=np.ones(len(c)), bounds=Bounds(0, 1),
                   constraints=LinearConstraint(np.vstack([np.ones(len(c)), p]),
                                                [count_min, pop_min], [np.inf, np.inf]),
                   options={"mip_rel_gap": 0.0})
        if res.status == 0:
            best = min(best, float(c[res.x > 0.5].sum()))
    return best


def random_council(n: int, seed: int) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    return {f"{chr(65 + i // 26)}{chr(65 + i % 26)}": int(v)
            for i, v in enumerate(rng.integers(300_000, 84_000_000, n))}


@pytest.mark.parametrize("council", ["eu28", "enlargement35", "random44"])
@pytest.mark.parametrize("rule", ["qmv", "rqmv", "comitology"])
def test_large_councils_match_an_integer_programme(council, rule):
    if council == "random44":
        pops = random_council(44, seed=44)
    else:
        pops = population_table("council2016" if council == "eu28" else council)
    rng = np.random.default_rng(len(pops))
    costs = {s: float(v) for s, v in zip(pops, rng.uniform(0.4, 30.0, len(pops)))}
    result = cheapest_blocking_coalition(rule, costs, pops)
    assert result.cost == pytest.approx(milp_cost(rule, costs, pops), rel=1e-9)
    codes = np.array([[AGAINST if s in result.states else FOR for s in pops]])
    assert stopped(rule, codes, np.array(list(pops.values()), dtype=np.int64), True)[0]


def test_partial_participation_in_a_44_member_council_matches_an_integer_programme():
    pops = random_council(44, seed=7)
    taking_part = list(pops)[::2] + list(pops)[1:30:2]
    costs = {s: 1.0 + (i * 7919 % 97) / 8 for i, s in enumerate(pops)}   # eighths: exact sums
    result = cheapest_blocking_coalition("qmv", costs, pops, taking_part)
    assert set(result.states) <= set(taking_part)
    assert result.cost == pytest.approx(milp_cost("qmv", costs, pops, taking_part), rel=1e-9)


def test_the_search_module_does_not_import_scipy_optimize():
    import subprocess
    import sys

    code = ("import sys, model.treaty.blocking as b; "
            "b.cheapest_blocking_coalition('unanimity', {'A': 1, 'B': 2}, {'A': 5, 'B': 6}); "
            "print('scipy.optimize' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_more_movable_states_than_the_largest_council_are_one_clear_error():
    from model.treaty.blocking import MAX_STATES
    pops = {f"S{i:02d}": 1_000_000 + i for i in range(MAX_STATES + 1)}
    with pytest.raises(InputError, match=f"at most {MAX_STATES}") as err:
        cheapest_blocking_coalition("qmv", {s: 1.0 for s in pops}, pops)
    assert err.value.field == "cost"
    # the same Council with one state that cannot be moved is searched
    costs = {s: 1.0 for s in list(pops)[1:]}
    assert cheapest_blocking_coalition("qmv", costs, pops).count >= 4

"""Exact power indices and passage probabilities against brute-force enumeration."""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import combinations, pairwise, permutations, product

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from model import api
from model.errors import InputError
from model.inputs.council import EU27, population_table
from model.treaty.engine import exclusive
from model.treaty.game import Game
from model.treaty.positions import ABSENT, ABSTAIN, AGAINST, CONSTRUCTIVE, FOR
from model.treaty.power import (
    INDEX_COLUMNS,
    PassageResult,
    passage_probability,
    power_indices,
    power_of_game,
    swing_counts,
)
from model.treaty.rules import RULE_NAMES, get_rule


def game(rule, pops, participating=None, full_council=None):
    return get_rule(rule).game(pops, participating, full_council)

EURO_AREA = ("AT", "BE", "HR", "CY", "EE", "FI", "FR", "DE", "GR", "IE", "IT", "LV", "LT", "LU",
             "MT", "NL", "PT", "SK", "SI", "ES")


# --------------------------------------------------------------------------------------------
# brute-force oracles
# --------------------------------------------------------------------------------------------

def brute_counts(g: Game) -> tuple[np.ndarray, np.ndarray]:
    """Swings[i, k] and winning[k] by enumerating all 2^n coalitions and the definition
    (S not containing i, |S| = k, S loses, S + i wins)."""
    n = g.n
    masks = np.arange(1 << n)
    bits = (masks[:, None] >> np.arange(n)) & 1
    sizes = bits.sum(axis=1)
    pops = bits @ np.array(g.populations, dtype=np.int64)
    thresholds = np.array([min(int(t), g.never) for t in g.thresholds], dtype=np.int64)
    wins = pops >= thresholds[sizes]
    swings = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        without = masks[bits[:, i] == 0]
        pivotal = wins[without | (1 << i)] & ~wins[without]
        swings[i] = np.bincount(sizes[without][pivotal], minlength=n)
    return swings, np.bincount(sizes[wins], minlength=n + 1)


def brute_indices(g: Game) -> dict[str, list[float]]:
    """All indices from brute-force counts with exact fractions."""
    swings, winning = brute_counts(g)
    n = g.n
    total = [int(s) for s in swings.sum(axis=1)]
    w = int(winning.sum())
    losing = 2**n - w

    def ratio(a, b):
        return float(Fraction(a, b)) if b else math.nan

    shapley = [float(sum(Fraction(int(swings[i, k]) * math.factorial(k) * math.factorial(n - k - 1),
                                  math.factorial(n)) for k in range(n))) for i in range(n)]
    return {
        "banzhaf_absolute": [ratio(s, 2 ** (n - 1)) for s in total],
        "banzhaf_normalised": [ratio(s, sum(total)) for s in total],
        "shapley_shubik": shapley,
        "coleman_prevent": [ratio(s, w) for s in total],
        "coleman_initiate": [ratio(s, losing) for s in total],
        "winning": w,
    }


def shapley_by_orderings(g: Game) -> list[Fraction]:
    """Shapley-Shubik by its definition: share of the n! orderings in which i is pivotal."""
    n = g.n
    counts = [0] * n
    for order in permutations(range(n)):
        members: list[str] = []
        for i in order:
            before = g.wins(members)
            members.append(g.states[i])
            if g.wins(members) and not before:
                counts[i] += 1
                break
    return [Fraction(c, math.factorial(n)) for c in counts]


def vote_codes(values, participants: list[int], n_table: int) -> np.ndarray:
    """All vote profiles (rows) of the participants over ``values``; the rest ABSENT."""
    combos = np.array(list(product(values, repeat=len(participants))), dtype=np.int64)
    codes = np.full((len(combos), n_table), ABSENT, dtype=np.int64)
    codes[:, participants] = combos
    return codes


def profile_weights(codes: np.ndarray, participants: list[int], probs: pd.DataFrame,
                    names: list[str]) -> np.ndarray:
    column = {FOR: "p_for", AGAINST: "p_against", ABSTAIN: "p_abstain",
              CONSTRUCTIVE: "p_constructive"}
    weights = np.ones(len(codes))
    for j in participants:
        row = probs.loc[names[j]]
        per_code = np.array([row.get(column[c], 0.0) if c in column else 0.0 for c in range(5)])
        weights *= per_code[codes[:, j]]
    return weights


def brute_passage(rule, probs: pd.DataFrame, pops: dict[str, int], participating: list[str]):
    """P(adopted), P(blocked) and criticalities by enumerating every vote profile and
    evaluating it with the rule object."""
    names = list(pops)
    n_table = len(names)
    pop_arr = np.array([pops[s] for s in names], dtype=np.int64)
    part = [names.index(s) for s in participating]
    full = len(part) == n_table
    values = [FOR, AGAINST, ABSTAIN] + (
        [CONSTRUCTIVE] if "p_constructive" in probs.columns else [])
    codes = vote_codes(values, part, n_table)
    weights = profile_weights(codes, part, probs, names)
    outcome = get_rule(rule).evaluate(codes, pop_arr, full)
    p_adopted = float(weights[outcome == 0].sum())
    p_blocked = float(weights[outcome == 1].sum()) if rule == "comitology" else None
    crit, crit_adopt = {}, {}
    for j in part:
        others = [i for i in part if i != j]
        base = vote_codes(values, others, n_table)
        w = profile_weights(base, others, probs, names)

        def with_vote(code, base=base, j=j):
            rows = base.copy()
            rows[:, j] = code
            return get_rule(rule).evaluate(rows, pop_arr, full)

        if rule == "comitology":
            against, abstain, yes = with_vote(AGAINST), with_vote(ABSTAIN), with_vote(FOR)
            crit[names[j]] = float(w[(against == 1) != (abstain == 1)].sum())
            crit_adopt[names[j]] = float(w[(yes == 0) != (abstain == 0)].sum())
        else:
            value = float(w[with_vote(FOR) != with_vote(AGAINST)].sum())
            crit[names[j]] = crit_adopt[names[j]] = value
    return p_adopted, p_blocked, crit, crit_adopt


# --------------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------------

@st.composite
def tables(draw, max_n: int, min_n: int = 1):
    n = draw(st.integers(min_n, max_n))
    small = draw(st.booleans())  # small populations create ties and exact threshold hits
    values = draw(st.lists(st.integers(1, 12) if small else st.integers(1, 90_000_000),
                           min_size=n, max_size=n))
    return {f"P{i}": v for i, v in enumerate(values)}


@st.composite
def participation(draw, pops: dict[str, int]):
    names = list(pops)
    if draw(st.booleans()):
        return None
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
    return sorted(chosen, key=names.index)


@st.composite
def rule_games(draw, max_n: int = 14):
    pops = draw(tables(max_n))
    rule = draw(st.sampled_from(RULE_NAMES))
    return game(rule, pops, draw(participation(pops)))


@st.composite
def synthetic_games(draw, max_n: int = 14):
    """Any monotone size-and-population game, including zero populations."""
    n = draw(st.integers(1, max_n))
    pops = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n))
    total = sum(pops)
    thresholds = sorted(draw(st.lists(st.integers(0, total + 1), min_size=n + 1,
                                      max_size=n + 1)), reverse=True)
    return Game("custom", tuple(f"P{i}" for i in range(n)), tuple(pops), tuple(thresholds))


any_game = st.one_of(rule_games(), synthetic_games())


def assert_indices_match(frame: pd.DataFrame, expected: dict) -> None:
    for col in INDEX_COLUMNS:
        np.testing.assert_allclose(frame[col].to_numpy(), expected[col], rtol=0, atol=1e-12,
                                   err_msg=col)
    assert frame.attrs["winning_coalitions"] == expected["winning"]


# --------------------------------------------------------------------------------------------
# power indices: exactness
# --------------------------------------------------------------------------------------------

@settings(max_examples=120, deadline=None)
@given(any_game)
def test_counts_and_indices_equal_brute_force(g):
    counts = swing_counts(g)
    swings, winning = brute_counts(g)
    assert np.array_equal(counts.swings, swings)
    assert np.array_equal(counts.winning, winning)
    frame = power_of_game(g)
    assert list(frame.index) == list(g.states) and frame.index.name == "iso2"
    assert list(frame.columns) == list(INDEX_COLUMNS)
    assert_indices_match(frame, brute_indices(g))
    assert frame.attrs["coleman_collectivity"] == pytest.approx(
        counts.winning_coalitions / 2**g.n, abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(st.one_of(rule_games(max_n=6), synthetic_games(max_n=6)))
def test_shapley_shubik_equals_share_of_pivotal_orderings(g):
    expected = shapley_by_orderings(g)
    got = power_of_game(g)["shapley_shubik"].to_numpy()
    np.testing.assert_allclose(got, [float(x) for x in expected], rtol=0, atol=1e-12)


def test_power_indices_accepts_tables_and_participants():
    pops = {"A": 5, "B": 3, "C": 1, "D": 1}
    frame = power_indices("qmv", pops, participating=["A", "C", "B"])
    assert list(frame.index) == ["A", "C", "B"]
    assert frame.attrs["rule"] == "qmv"
    assert_indices_match(frame, brute_indices(game("qmv", pops, ["A", "C", "B"])))
    series = power_indices("simple", pd.Series(pops))
    assert series["banzhaf_normalised"].tolist() == pytest.approx([0.25] * 4, abs=1e-15)
    eurostat = api.power_indices("qmv", "eurostat2024")
    assert len(eurostat) == 27 and eurostat["shapley_shubik"].sum() == pytest.approx(1, abs=1e-12)


def test_bad_populations_are_rejected():
    with pytest.raises(InputError):
        power_indices("qmv", {"A": 1.5, "B": 2})
    with pytest.raises(InputError):
        power_indices("qmv", {"A": -1, "B": 2})
    with pytest.raises(InputError):
        power_indices("qmv", {"A": 1, "B": 2}, participating=["A", "Z"])
    with pytest.raises(InputError):
        power_indices("majority", {"A": 1})
    with pytest.raises(ValueError):
        power_of_game(Game("custom", ("A", "B"), (1, 1), (0, 1, 2)))  # thresholds increase


# --------------------------------------------------------------------------------------------
# power indices: axioms
# --------------------------------------------------------------------------------------------

@settings(max_examples=80, deadline=None)
@given(any_game)
def test_efficiency(g):
    assume(not g.wins(()) and g.wins(g.states))  # proper: empty loses, everyone wins
    frame = power_of_game(g)
    assert frame["banzhaf_normalised"].sum() == pytest.approx(1.0, abs=1e-12)
    assert frame["shapley_shubik"].sum() == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_symmetry_of_equal_populations(data):
    pops = data.draw(tables(12))
    assume(len(pops) >= 2)
    names = list(pops)
    a, b = data.draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
    pops[b] = pops[a]
    rule = data.draw(st.sampled_from(RULE_NAMES))
    participating = data.draw(participation(pops))
    if participating is not None:
        participating = sorted(set(participating) | {a, b}, key=names.index)
    frame = power_indices(rule, pops, participating)
    for col in INDEX_COLUMNS:
        left, right = frame.at[a, col], frame.at[b, col]
        assert (math.isnan(left) and math.isnan(right)) or left == pytest.approx(right, abs=1e-15)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 10**6), min_size=1, max_size=12), st.data())
def test_null_player_gets_nothing(halves, data):
    # weights all even, quota even: a player of population 1 can never turn a loss into a win
    weights = [2 * h for h in halves]
    total = sum(weights)
    quota = 2 * data.draw(st.integers(1, total // 2))
    states = tuple(f"P{i}" for i in range(len(weights) + 1))
    g = Game("weighted", states, (*tuple(weights), 1), (quota,) * (len(states) + 1))
    frame = power_of_game(g)
    assert (frame.loc["P" + str(len(weights))] == 0).all()
    assert frame["shapley_shubik"].sum() == pytest.approx(1.0, abs=1e-12)


# --------------------------------------------------------------------------------------------
# power indices: the EU27 under the Council's 2025 populations
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def eu_pops() -> dict[str, int]:
    return population_table()


@pytest.fixture(scope="module")
def eu_qmv(eu_pops) -> pd.DataFrame:
    return api.power_indices("qmv")


@pytest.mark.parametrize("rule", ["qmv", "rqmv"])
def test_real_populations_18_states_equal_brute_force(eu_pops, rule):
    # larger than the hypothesis games: 2^18 coalitions with the Council populations
    rng = np.random.default_rng(18)
    states = [EU27[i] for i in sorted(rng.choice(27, 18, replace=False))]
    g = game(rule, eu_pops, states)
    swings, winning = brute_counts(g)
    counts = swing_counts(g)
    assert np.array_equal(counts.swings, swings) and np.array_equal(counts.winning, winning)


def test_eu27_germany_has_the_largest_index_and_order_follows_population(eu_qmv, eu_pops):
    for col in INDEX_COLUMNS:
        assert eu_qmv[col].idxmax() == "DE"
    by_pop = sorted(eu_pops, key=eu_pops.get)
    ss = eu_qmv["shapley_shubik"]
    assert all(ss[a] <= ss[b] for a, b in pairwise(by_pop))
    assert eu_qmv["shapley_shubik"].sum() == pytest.approx(1.0, abs=1e-12)
    assert eu_qmv.attrs["rule"] == "qmv"
    # comitology is the QMV game
    assert api.power_indices("comitology").equals(eu_qmv)


def test_eu27_blocking_clause_moves_shapley_shubik_not_banzhaf(eu_qmv, eu_pops):
    g = game("qmv", eu_pops)
    quota = g.thresholds[15]
    no_clause = Game("qmv-no-blocking-clause", g.states, g.populations,
                     tuple(quota if t == 0 else t for t in g.thresholds))
    other = power_of_game(no_clause)
    # the coalitions only the clause makes winning: 24+ states whose <= 3 absent states hold
    # more than 35% of the population
    total = g.total
    extra = sum(1 for r in range(4) for c in combinations(g.populations, r)
                if 100 * (total - sum(c)) < 65 * total)
    assert extra > 0
    assert eu_qmv.attrs["winning_coalitions"] - other.attrs["winning_coalitions"] == extra
    bz = ((other["banzhaf_normalised"] - eu_qmv["banzhaf_normalised"]).abs()
          / eu_qmv["banzhaf_normalised"])
    ss = ((other["shapley_shubik"] - eu_qmv["shapley_shubik"]).abs() / eu_qmv["shapley_shubik"])
    # measured: Banzhaf moves by at most ~6e-6 (relative), Shapley-Shubik by up to ~3% (MT)
    assert bz.max() < 1e-4
    assert ss.max() > 0.01
    assert ss.max() > 100 * bz.max()
    de_ss = abs(other.at["DE", "shapley_shubik"] - eu_qmv.at["DE", "shapley_shubik"])
    de_bz = abs(other.at["DE", "banzhaf_normalised"] - eu_qmv.at["DE", "banzhaf_normalised"])
    assert de_ss > 1000 * de_bz


def test_eu27_unanimity_gives_everyone_equal_power():
    frame = api.power_indices("unanimity")
    for col in INDEX_COLUMNS:
        assert frame[col].nunique() == 1
    assert frame["banzhaf_normalised"].iloc[0] == pytest.approx(1 / 27, abs=1e-15)
    assert frame.attrs["winning_coalitions"] == 1


def test_eu27_partial_participation_euro_area(eu_pops):
    frame = api.power_indices("qmv", participating=list(EURO_AREA))
    assert sorted(frame.index) == sorted(EURO_AREA)
    assert frame["banzhaf_normalised"].sum() == pytest.approx(1.0, abs=1e-12)
    assert frame["shapley_shubik"].sum() == pytest.approx(1.0, abs=1e-12)
    assert frame["shapley_shubik"].idxmax() == "DE"
    # rebased rules: differs from the full-council-rules game on the same 20 states
    full_rules = power_of_game(game("qmv", {s: eu_pops[s] for s in EURO_AREA}, full_council=True))
    assert not np.allclose(full_rules["shapley_shubik"], frame["shapley_shubik"].loc[
        list(full_rules.index)])


def test_eu27_uniform_probability_half_links_passage_to_power(eu_qmv):
    result = api.passage_probability("qmv", {s: 0.5 for s in EU27})
    assert result.p_adopted == pytest.approx(eu_qmv.attrs["coleman_collectivity"], abs=1e-12)
    np.testing.assert_allclose(result.criticality.loc[eu_qmv.index],
                               eu_qmv["banzhaf_absolute"], rtol=0, atol=1e-12)


# --------------------------------------------------------------------------------------------
# passage probability and criticality: exactness on small games
# --------------------------------------------------------------------------------------------

unit = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))


@st.composite
def probability_tables(draw, names, constructive: bool):
    rows = {}
    for s in names:
        raw = draw(st.lists(unit, min_size=4 if constructive else 3,
                            max_size=4 if constructive else 3))
        assume(sum(raw) > 1e-3)
        total = sum(raw)
        rows[s] = [r / total for r in raw]
    cols = ["p_for", "p_against", "p_abstain"] + (["p_constructive"] if constructive else [])
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    frame.index.name = "iso2"
    return frame


def assert_matches_brute_force(rule, probs, pops, participating):
    result = passage_probability(rule, probs, pops, participating)
    states = participating or list(pops)
    p_ad, p_bl, crit, crit_ad = brute_passage(rule, probs, pops, states)
    assert result.p_adopted == pytest.approx(p_ad, abs=1e-12)
    if rule == "comitology":
        assert result.p_blocked == pytest.approx(p_bl, abs=1e-12)
        assert result.p_no_opinion == pytest.approx(1 - p_ad - p_bl, abs=1e-12)
    else:
        assert result.p_blocked is None and result.p_no_opinion is None
    assert list(result.criticality.index) == list(states)
    np.testing.assert_allclose(result.criticality.to_numpy(), [crit[s] for s in states],
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.criticality_adopt.to_numpy(),
                               [crit_ad[s] for s in states], rtol=0, atol=1e-12)
    return result


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_passage_and_criticality_equal_brute_force(data):
    pops = data.draw(tables(6))
    rule = data.draw(st.sampled_from(RULE_NAMES))
    participating = data.draw(participation(pops))
    probs = data.draw(probability_tables(list(pops), constructive=False))
    assert_matches_brute_force(rule, probs, pops, participating)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_comitology_on_seven_or_eight_states_equals_brute_force(data):
    # from 7 participants on, QMV in favour and QMV against exclude each other and the
    # meet-in-the-middle path is used (smaller committees are enumerated directly)
    pops = data.draw(tables(8, min_n=7))
    names = list(pops)
    participating = None
    if len(pops) == 8 and data.draw(st.booleans()):
        left_out = data.draw(st.sampled_from(names))        # one of 8 stays out: 7 take part
        participating = [s for s in names if s != left_out]
    probs = data.draw(probability_tables(names, constructive=False))
    assert exclusive(game("comitology", pops, participating))
    assert_matches_brute_force("comitology", probs, pops, participating)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_unanimity_with_constructive_abstention_equals_brute_force(data):
    pops = data.draw(tables(6))
    participating = data.draw(participation(pops))
    probs = data.draw(probability_tables(list(pops), constructive=True))
    assert_matches_brute_force("unanimity", probs, pops, participating)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_constructive_abstention_counts_as_abstention_outside_unanimity(data):
    pops = data.draw(tables(5))
    rule = data.draw(st.sampled_from([r for r in RULE_NAMES if r != "unanimity"]))
    probs = data.draw(probability_tables(list(pops), constructive=True))
    assert_matches_brute_force(rule, probs, pops, None)


def test_constructive_veto_case_by_hand():
    # 4 states of 10 people: two constructive abstainers (>= 1/3 of the states and of the
    # population) veto; a single one (1/4) does not
    pops = {"A": 10, "B": 10, "C": 10, "D": 10}
    probs = pd.DataFrame({"p_for": [1.0, 0.0, 0.0, 1.0], "p_against": [0.0] * 4,
                          "p_abstain": [0.0, 0.5, 0.5, 0.0],
                          "p_constructive": [0.0, 0.5, 0.5, 0.0]},
                         index=list(pops))
    result = passage_probability("unanimity", probs, pops)
    # B and C both abstain constructively with probability 1/4
    assert result.p_adopted == pytest.approx(0.75, abs=1e-15)
    # A (or D) decides unless B and C veto; if B votes for, nobody can veto any more
    assert result.criticality.to_dict() == pytest.approx({"A": 0.75, "B": 1.0, "C": 1.0, "D": 0.75})
    # with a single state in the table, its own constructive abstention is a veto but it
    # also means nobody voted for
    one = pd.DataFrame({"p_for": [0.5], "p_against": [0.0], "p_abstain": [0.0],
                        "p_constructive": [0.5]}, index=["A"])
    assert passage_probability("unanimity", one, {"A": 10}).p_adopted == pytest.approx(0.5)


def test_mapping_of_p_for_means_against_otherwise():
    pops = {"A": 40, "B": 30, "C": 20, "D": 10}
    p_for = {"A": 0.9, "B": 0.2, "C": 0.6, "D": 0.35}
    frame = pd.DataFrame({"p_for": p_for, "p_against": {k: 1 - v for k, v in p_for.items()},
                          "p_abstain": dict.fromkeys(p_for, 0.0)})
    for rule in RULE_NAMES:
        a = passage_probability(rule, p_for, pops)
        b = passage_probability(rule, frame, pops)
        assert a.p_adopted == pytest.approx(b.p_adopted, abs=1e-15)
        assert_matches_brute_force(rule, frame, pops, None)
    as_series = passage_probability("qmv", pd.Series(p_for), pops)
    assert as_series.p_adopted == pytest.approx(passage_probability("qmv", p_for, pops).p_adopted)


def test_to_dict_and_flags():
    pops = {"A": 40, "B": 30, "C": 20, "D": 10}
    p = {"A": 0.9, "B": 0.2, "C": 0.6, "D": 0.35}
    d = passage_probability("comitology", p, pops).to_dict()
    assert list(d) == ["rule", "p_adopted", "p_blocked", "p_no_opinion", "states"]
    assert [s["iso2"] for s in d["states"]] == list(pops)
    assert all(set(s) == {"iso2", "criticality"} for s in d["states"])
    d = passage_probability("qmv", p, pops).to_dict()
    assert list(d) == ["rule", "p_adopted", "states"]
    fast = passage_probability("qmv", p, pops, criticality=False)
    assert isinstance(fast, PassageResult) and fast.criticality is None
    assert fast.p_adopted == passage_probability("qmv", p, pops).p_adopted


def test_bad_probabilities_are_rejected():
    pops = {"A": 40, "B": 30}
    with pytest.raises(InputError):
        passage_probability("qmv", {"A": 0.5}, pops)  # B missing
    with pytest.raises(InputError):
        passage_probability("qmv", {"A": 0.5, "B": 1.5}, pops)
    with pytest.raises(InputError):
        passage_probability("qmv", pd.DataFrame({"p_for": [0.5, 0.5], "p_against": [0.5, 0.6],
                                                 "p_abstain": [0, 0]}, index=["A", "B"]), pops)
    with pytest.raises(InputError):
        passage_probability("qmv", pd.DataFrame({"p_for": [0.5, 0.5]}, index=["A", "B"]), pops)


# --------------------------------------------------------------------------------------------
# passage probability on the EU27 against Monte Carlo
# --------------------------------------------------------------------------------------------

Z999 = 3.2905  # two-sided 99.9% normal quantile
DRAWS = 200_000


def heterogeneous_probabilities(seed: int, constructive: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    if constructive:
        raw = np.column_stack([rng.uniform(0.4, 1, 27), rng.uniform(0, 0.004, 27),
                               rng.uniform(0, 0.3, 27), rng.uniform(0.2, 0.6, 27)])
        cols = ["p_for", "p_against", "p_abstain", "p_constructive"]
    else:
        raw = rng.dirichlet([2.0, 1.0, 0.5], size=27)
        cols = ["p_for", "p_against", "p_abstain"]
    raw = raw / raw.sum(axis=1, keepdims=True)
    return pd.DataFrame(raw, index=pd.Index(EU27, name="iso2"), columns=cols)


def simulate(rule: str, probs: pd.DataFrame, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    codes_of = [FOR, AGAINST, ABSTAIN, CONSTRUCTIVE][: probs.shape[1]]
    cum = np.cumsum(probs.to_numpy(), axis=1)
    u = rng.random((DRAWS, 27))
    choice = (u[:, :, None] > cum[None, :, :]).sum(axis=2)
    codes = np.array(codes_of)[np.minimum(choice, len(codes_of) - 1)]
    table = population_table()
    pops = np.array([table[s] for s in probs.index])
    return get_rule(rule).evaluate(codes, pops, True)


def assert_in_interval(p_exact: float, hits: np.ndarray) -> None:
    half_width = Z999 * math.sqrt(max(p_exact * (1 - p_exact), 1e-12) / DRAWS) + 1e-9
    assert abs(hits.mean() - p_exact) <= half_width, (hits.mean(), p_exact, half_width)


@pytest.mark.parametrize("rule", ["qmv", "rqmv", "simple"])
def test_eu27_exact_passage_within_monte_carlo_interval(rule):
    probs = heterogeneous_probabilities(11)
    result = api.passage_probability(rule, probs)
    assert 0.001 < result.p_adopted < 0.999  # a test that can fail in both directions
    assert_in_interval(result.p_adopted, simulate(rule, probs, 12) == 0)


def test_eu27_comitology_within_monte_carlo_interval():
    probs = heterogeneous_probabilities(21)
    probs["p_against"] += 0.25 * probs["p_for"]
    probs["p_for"] *= 0.75  # make blocking and adoption both plausible
    result = api.passage_probability("comitology", probs)
    outcome = simulate("comitology", probs, 22)
    for index, p in enumerate([result.p_adopted, result.p_blocked, result.p_no_opinion]):
        assert 0.001 < p < 0.999
        assert_in_interval(p, outcome == index)
    assert get_rule("comitology").outcomes == ("adopted", "blocked", "no_opinion")


def test_eu27_unanimity_with_constructive_abstention_within_monte_carlo_interval():
    probs = heterogeneous_probabilities(31, constructive=True)
    result = api.passage_probability("unanimity", probs)
    without_veto = float(np.prod(1 - probs["p_against"]) - np.prod(probs["p_abstain"]))
    assert result.p_adopted < without_veto - 0.01  # the Art. 31(1) TEU veto matters here
    assert 0.001 < result.p_adopted < 0.999
    assert_in_interval(result.p_adopted, simulate("unanimity", probs, 32) == 0)


def test_eu27_criticality_is_well_under_one_and_germany_most_critical():
    probs = heterogeneous_probabilities(41)
    probs.loc[:, ["p_for", "p_against", "p_abstain"]] = [0.6, 0.3, 0.1]
    result = api.passage_probability("qmv", probs)
    assert result.criticality.idxmax() == "DE"
    assert ((result.criticality > 0) & (result.criticality < 1)).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=11))
def test_sorted_subsets_are_a_stable_sort_of_every_subset(weights):
    """The half-enumerations of the meet-in-the-middle, built by merging, are exactly the
    stable sort of all subsets by (size, population) - ties (equal populations) included."""
    from model.treaty.engine import _layout

    m, shift = len(weights), 1 << (sum(weights) + 1).bit_length()
    masks = np.arange(1 << m)
    bits = (masks[:, None] >> np.arange(m)) & 1
    keys = bits.sum(axis=1) * shift + bits @ np.array(weights, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    got_order, inverse, got_keys, sizes, pops, offsets = _layout.__wrapped__(tuple(weights),
                                                                             shift)
    assert np.array_equal(got_order, order) and np.array_equal(got_keys, keys[order])
    assert np.array_equal(inverse[order], masks)
    assert np.array_equal(sizes, bits.sum(axis=1)[order])
    assert np.array_equal(pops, (bits @ np.array(weights))[order])
    assert np.array_equal(offsets, np.searchsorted(keys[order], np.arange(m + 2) * shift))


def test_a_table_of_probabilities_with_a_state_or_a_column_twice_is_refused():
    pops = {"A": 40, "B": 30, "C": 20, "D": 10}
    rows = pd.DataFrame({"p_for": [0.5, 0.6, 0.7, 0.8, 0.1], "p_against": [0.5, 0.4, 0.3, 0.2, 0.9],
                         "p_abstain": 0.0}, index=["A", "B", "C", "D", "B"])
    with pytest.raises(InputError, match="more than one row of probabilities for B"):
        passage_probability("qmv", rows, pops)
    doubled = pd.concat([rows.iloc[:4], rows.iloc[:4][["p_for"]]], axis=1)
    with pytest.raises(InputError, match="more than one column p_for"):
        passage_probability("qmv", doubled, pops)
    assert passage_probability("qmv", rows.iloc[:4], pops).p_adopted == pytest.approx(
        passage_probability("qmv", rows.iloc[:4].sample(frac=1, random_state=1), pops).p_adopted,
        abs=0)

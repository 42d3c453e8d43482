"""Treaty arithmetic at its exact thresholds, and the recorded October 2024 EV-duty vote."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ev_vote
from hypothesis import given, settings
from hypothesis import strategies as st

from model.errors import InputError
from model.inputs.council import EU27, population_table
from model.treaty.game import blocking_minimum
from model.treaty.positions import Position
from model.treaty.rules import get_rule
from model.treaty.vote import vote

NAMES = [f"S{i:02d}" for i in range(27)]


def equal_council(pop_each: int = 1000) -> dict[str, int]:
    return {s: pop_each for s in NAMES}


def positions(n_for: int, rest: str = "against", states=NAMES) -> dict[str, str]:
    return {s: ("for" if i < n_for else rest) for i, s in enumerate(states)}


# --- qmv: member threshold 14 vs 15 -------------------------------------------------------

def test_qmv_needs_15_of_27_states():
    # 15 of 27 equal states hold 55.6% of population: the member test passes, population fails
    assert vote("qmv", positions(15), equal_council()).outcome == "not_adopted"
    pops = {s: (10_000 if i < 14 else 10) for i, s in enumerate(NAMES)}  # first 14 hold ~99.9%
    assert vote("qmv", positions(14), pops).outcome == "not_adopted"
    assert vote("qmv", positions(15), pops).outcome == "adopted"


def test_qmv_population_one_person_either_side_of_65_percent():
    # 20 states in favour (member threshold met), population set so the for-camp holds
    # exactly 65% of 1,000,000 people, then one person fewer.
    total = 1_000_000
    for_pop, against_pop = 650_000, 350_000
    pops = {}
    for i, s in enumerate(NAMES):
        extra = 1 if i < 20 + against_pop % 7 else 0
        pops[s] = for_pop // 20 if i < 20 else against_pop // 7 + extra
    assert sum(pops[s] for s in NAMES[:20]) == for_pop
    assert sum(pops.values()) == total
    assert vote("qmv", positions(20), pops).outcome == "adopted"
    # move one person from the for-camp to the against-camp
    pops[NAMES[0]] -= 1
    pops[NAMES[26]] += 1
    assert vote("qmv", positions(20), pops).outcome == "not_adopted"


def test_blocking_minority_needs_four_states():
    # Three huge states against can hold >35% of population but cannot block.
    pops = {s: (100_000_000 if i >= 24 else 1_000) for i, s in enumerate(NAMES)}
    three_against = positions(24)                       # S24..S26 against: 99.99% of population
    assert vote("qmv", three_against, pops).outcome == "adopted"
    pops4 = {s: (100_000_000 if i >= 23 else 1_000) for i, s in enumerate(NAMES)}
    four_against = positions(23)
    assert vote("qmv", four_against, pops4).outcome == "not_adopted"


def test_abstention_counts_as_not_in_favour_in_qmv():
    pops = equal_council()
    pos = positions(18, rest="abstain")                  # 18 of 27 = 66.7% population, 18 states
    assert vote("qmv", pos, pops).outcome == "adopted"
    pos = positions(17, rest="abstain")                  # 17/27 = 62.96% < 65%
    assert vote("qmv", pos, pops).outcome == "not_adopted"


def test_rqmv_needs_20_of_27_states():
    pops = equal_council()
    assert vote("rqmv", positions(19), pops).outcome == "not_adopted"
    assert vote("rqmv", positions(20), pops).outcome == "adopted"


def test_rqmv_has_no_blocking_clause():
    pops = {s: (100_000_000 if i >= 24 else 1_000) for i, s in enumerate(NAMES)}
    assert vote("rqmv", positions(24), pops).outcome == "not_adopted"


def test_simple_majority_14_of_27():
    pops = equal_council()
    assert vote("simple", positions(13), pops).outcome == "not_adopted"
    assert vote("simple", positions(14), pops).outcome == "adopted"


def test_unanimity_abstention_does_not_block_but_against_does():
    pops = equal_council()
    assert vote("unanimity", positions(1, rest="abstain"), pops).outcome == "adopted"
    pos = positions(26, rest="against")
    assert vote("unanimity", pos, pops).outcome == "not_adopted"
    assert vote("unanimity", positions(0, rest="abstain"), pops).outcome == "not_adopted"


def test_constructive_abstention_one_third_of_states_and_population():
    pops = equal_council()
    pos = positions(18, rest="constructive")             # 9 of 27 = exactly one third
    assert vote("unanimity", pos, pops).outcome == "not_adopted"
    pos = positions(19, rest="constructive")             # 8 of 27 < one third
    assert vote("unanimity", pos, pops).outcome == "adopted"
    # 9 small states: one third of states but far less than one third of population
    small = {s: (10 if i >= 18 else 10_000) for i, s in enumerate(NAMES)}
    assert vote("unanimity", positions(18, rest="constructive"), small).outcome == "adopted"


def test_partial_participation_rebases_thresholds():
    # 20 participating states of equal size: QMV = 11 of 20 (55%) and 65% = 13 states' pop;
    # a blocking minority needs the fewest members above 35% (8) plus one = 9 members.
    pops = equal_council()

    def split(n_for):
        return {s: ("absent" if i >= 20 else ("for" if i < n_for else "against"))
                for i, s in enumerate(NAMES)}

    assert vote("qmv", split(13), pops).outcome == "adopted"          # 65% of participants
    assert vote("qmv", split(12), pops).outcome == "adopted"          # 8 against cannot block
    assert vote("qmv", split(11), pops).outcome == "not_adopted"      # 9 against block
    assert vote("qmv", split(12), pops).margins["adopt"]["blocking_minimum_states"] == 9


def test_partial_participation_blocking_minimum_art_238_3_a():
    # Participants: two states of 40% each and 18 small ones. More than 35% is held by one
    # state, so the blocking minority needs 1 + 1 = 2 members.
    pops = np.array([40] * 2 + [1] * 18)
    assert blocking_minimum(pops, full_council=False) == 2
    eu = population_table()
    assert blocking_minimum(np.array(list(eu.values())), full_council=False) == 4   # DE+FR < 35%


def test_eu27_member_quota_and_thresholds():
    g = get_rule("qmv").game(population_table())
    assert g.thresholds[14] == g.never and g.thresholds[15] < g.never
    assert g.thresholds[23] > 0 and g.thresholds[24] == 0
    assert 100 * g.thresholds[15] >= 65 * g.total > 100 * (g.thresholds[15] - 1)


def test_october_2024_ev_vote_gives_no_opinion():
    pos = ev_vote()
    result = vote("comitology", pos, population_table())
    assert result.outcome == "no_opinion"
    assert result.tally["for"].states == 10 and result.tally["against"].states == 5
    assert result.tally["for"].population_share == pytest.approx(0.460, abs=0.0006)
    assert result.tally["against"].population_share == pytest.approx(0.224, abs=0.0006)
    assert result.tally["abstain"].population_share == pytest.approx(0.315, abs=0.0008)
    assert result.appeal_committee is False
    # the same votes under Council QMV: abstentions count against adoption
    assert vote("qmv", pos, population_table()).outcome == "not_adopted"


def test_ev_vote_pivotal_states_are_those_that_would_change_it():
    pos = ev_vote()
    pops = population_table()
    result = vote("comitology", pos, pops)
    for s in EU27:
        changed = False
        for alt in ("for", "against", "abstain"):
            trial = dict(pos, **{s: alt})
            changed |= vote("comitology", trial, pops).outcome != result.outcome
        assert (s in result.pivotal) == changed


def test_comitology_blocked_and_appeal_trigger():
    pops = equal_council()
    pos = {s: ("against" if i < 18 else "for") for i, s in enumerate(NAMES)}
    assert vote("comitology", pos, pops).outcome == "blocked"
    pos = {s: ("against" if i < 14 else "abstain") for i, s in enumerate(NAMES)}
    out = vote("comitology", pos, pops)
    assert out.outcome == "no_opinion" and out.appeal_committee is True


def test_unknown_rule_and_position_are_input_errors():
    with pytest.raises(InputError, match="unknown rule"):
        vote("majority", positions(20), equal_council())
    with pytest.raises(InputError, match="unknown position"):
        vote("qmv", dict(positions(20), S00="yes"), equal_council())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["for", "against", "abstain"]), min_size=27, max_size=27),
       st.sampled_from(["qmv", "rqmv", "simple", "unanimity", "comitology"]))
def test_vectorised_evaluation_matches_single_votes(choice, rule):
    pops = population_table()
    pos = dict(zip(EU27, choice))
    codes = np.array([[Position.parse(pos[s]) for s in EU27]])
    rule_ = get_rule(rule)
    index = rule_.evaluate(codes, np.array([pops[s] for s in EU27]))[0]
    assert rule_.outcomes[index] == vote(rule, pos, pops).outcome


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["for", "against", "abstain"]), min_size=27, max_size=27))
def test_monotone_more_support_never_hurts(choice):
    pops = population_table()
    pos = dict(zip(EU27, choice))
    before = vote("qmv", pos, pops).outcome
    for s in EU27:
        if pos[s] != "for":
            after = vote("qmv", dict(pos, **{s: "for"}), pops).outcome
            assert not (before == "adopted" and after == "not_adopted")

"""The canonical minimal blocking coalition of failed votes: it blocks, it is minimal, and it is
drawn from the states whose votes counted against the measure."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from model.inputs.council import EU27, population_table
from model.treaty.coalitions import blocking_coalitions
from model.treaty.positions import ABSENT, ABSTAIN, AGAINST, FOR, Position
from model.treaty.vote import vote

POPS = np.array([population_table()[s] for s in EU27], dtype=np.int64)


def _blocks(rule: str, members) -> bool:
    positions = {s: ("against" if s in members else "for") for s in EU27}
    outcome = vote(rule, positions, dict(zip(EU27, (int(p) for p in POPS)))).outcome
    return outcome == "blocked" if rule == "comitology" else outcome != "adopted"


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["qmv", "rqmv", "simple", "unanimity", "comitology"]),
       st.lists(st.lists(st.sampled_from([FOR, AGAINST, ABSTAIN]), min_size=27, max_size=27),
                min_size=1, max_size=6))
def test_blocking_coalitions_block_are_minimal_and_drawn_from_opponents(rule, rows):
    votes = np.array(rows, dtype=np.int8)
    result = blocking_coalitions(votes, rule, list(EU27), POPS)
    counting = {AGAINST} if rule in ("unanimity", "comitology") else {AGAINST, ABSTAIN}
    for row, coalition in zip(votes, result):
        positions = {s: Position(c).word for s, c in zip(EU27, row)}
        outcome = vote(rule, positions, dict(zip(EU27, (int(p) for p in POPS)))).outcome
        failed = outcome == "blocked" if rule == "comitology" else outcome != "adopted"
        if not failed:
            assert coalition is None
            continue
        assert coalition is not None
        if coalition == ():
            assert rule == "unanimity"
            continue
        assert all(row[EU27.index(s)] in counting for s in coalition)
        assert _blocks(rule, coalition)
        for s in coalition:
            assert not _blocks(rule, set(coalition) - {s}), (rule, coalition, s)
        sizes = [POPS[EU27.index(s)] for s in coalition]
        assert sizes == sorted(sizes, reverse=True)


def test_blocking_coalition_prefers_states_voting_against():
    row = np.full(27, FOR, dtype=np.int8)
    for s in ("DE", "FR", "IT", "HU"):
        row[EU27.index(s)] = AGAINST
    row[EU27.index("ES")] = ABSTAIN                 # an abstainer the set does not need
    (coalition,) = blocking_coalitions(row[None, :], "qmv", list(EU27), POPS)
    assert coalition == ("DE", "FR", "IT", "HU")


def test_absent_states_never_join_a_coalition():
    row = np.full(27, FOR, dtype=np.int8)
    row[EU27.index("HU")] = ABSENT
    for s in ("DE", "FR", "IT", "ES", "PL"):
        row[EU27.index(s)] = AGAINST
    (coalition,) = blocking_coalitions(row[None, :], "qmv", list(EU27), POPS)
    assert coalition and "HU" not in coalition



"""The meet-in-the-middle building blocks of the exact engine, each against a direct oracle.

The whole engine is compared with brute force in test_power.py; these tests pin the faster
paths one by one (packed merge, block meets, subsets-first member sums, settled sizes), so a
failure names the piece that broke.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from model.treaty import engine
from model.treaty.engine import (
    _kinds,
    _meet,
    _merged_packed,
    _merged_pairs,
    _settled_kinds,
    swing_counts,
)
from model.treaty.game import Game
from model.treaty.rules import get_rule


def _shift(weights) -> int:
    return 1 << (sum(weights) + 1).bit_length()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 10**8), min_size=1, max_size=12))
def test_packed_merge_equals_the_merge_of_key_index_pairs(weights):
    """Packing key and bitmask index into one int64 sorts exactly as the stable sort of keys."""
    keys, order = _merged_packed(tuple(weights), _shift(weights))
    want_keys, want_order = _merged_pairs(tuple(weights), _shift(weights))
    assert np.array_equal(keys, want_keys) and np.array_equal(order, want_order)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 60), max_size=30), st.lists(st.integers(0, 60), max_size=30),
       st.integers(-5, 130))
def test_meet_counts_completing_pairs_from_both_sides(query, target, t):
    query, target = np.sort(np.array(query, dtype=np.int64)), np.sort(np.array(target,
                                                                               dtype=np.int64))
    out_q = np.zeros(len(query), dtype=np.int32)
    out_t = np.zeros(len(target), dtype=np.int32)
    _meet(query, target, t, out_q, out_t)
    pairs = query[:, None] + target[None, :] >= t
    assert out_q.tolist() == pairs.sum(axis=1).tolist()
    assert out_t.tolist() == pairs.sum(axis=0).tolist()


@st.composite
def quota_games(draw, max_n: int = 12):
    """Size-and-population games whose quotas are often settled by the extremes."""
    n = draw(st.integers(1, max_n))
    pops = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n))
    total = sum(pops)
    thresholds = sorted(draw(st.lists(st.integers(1, total), min_size=n + 1, max_size=n + 1)),
                        reverse=True)
    return Game("custom", tuple(f"P{i}" for i in range(n)), tuple(pops), tuple(thresholds))


@settings(max_examples=60, deadline=None)
@given(quota_games())
def test_settled_sizes_change_no_count(g):
    """Counting settled sizes as binomials gives what the search gives."""
    fast = swing_counts(g)
    with mock.patch.object(engine, "_settled_kinds", lambda kinds, thresholds, pops: kinds):
        searched = swing_counts(g)
    assert np.array_equal(fast.swings, searched.swings)
    assert np.array_equal(fast.winning, searched.winning)


def test_settled_kinds_by_hand():
    # populations 1, 2, 3, 10 (total 16): no empty coalition reaches 5; one state may or may
    # not reach 10 (searched); no pair reaches 14; every triple reaches 6; all four reach 16
    pops = np.array([1, 2, 3, 10])
    thresholds = [5, 10, 14, 6, 16]
    kinds = _kinds(thresholds, 16)
    assert _settled_kinds(kinds, thresholds, pops).tolist() == [2, 1, 2, 0, 0]


def test_large_council_keeps_the_index_properties():
    """36 members (halves of 2^18): Shapley-Shubik sums to 1, equal populations get equal
    power, a larger state never gets less, and the swing counts are consistent."""
    rng = np.random.default_rng(7)
    pops = {f"S{i:02d}": int(p) for i, p in enumerate(rng.integers(500_000, 84_000_000, 34))}
    pops["T1"] = pops["T2"] = 2_000_000
    g = get_rule("qmv").game(pops)
    frame = engine.power_of_game(g)
    assert abs(frame["shapley_shubik"].sum() - 1.0) < 1e-12
    assert frame.loc["T1"].tolist() == frame.loc["T2"].tolist()
    by_pop = frame.assign(pop=pd.Series(pops)).sort_values("pop")
    assert by_pop["banzhaf_absolute"].is_monotonic_increasing
    sc = swing_counts(g)
    assert (sc.swings >= 0).all() and sc.winning_coalitions == frame.attrs["winning_coalitions"]



@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=11))
def test_unmerge_positions_recorded_while_merging_equal_those_read_from_the_order(weights):
    """The packed build's fold positions (and populations, size offsets) are those of the
    sorted order: the wide-key fallback reads them from it."""
    m, shift = len(weights), _shift(weights)
    keys, order = _merged_pairs(tuple(weights), shift)
    pops, offsets, steps = engine._build_sorted_half(tuple(weights), shift)
    assert np.array_equal(pops, keys & (shift - 1))
    assert np.array_equal(offsets, np.searchsorted(keys, np.arange(m + 2) * shift))
    want = engine._fold_steps(engine._unmerge_levels(order, m))
    assert len(steps) == len(want) == (m + 1) // 2
    for classes, want_classes in zip(steps, want):
        assert [members for _, members in classes] == [members for _, members in want_classes]
        for (positions, _), (want_positions, _) in zip(classes, want_classes):
            assert np.array_equal(positions, want_positions)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_member_sums_in_sorted_order_equal_direct_sums(data):
    """Row r, player j: the sum over the subsets containing j, for values in sorted order that
    are zero outside a window of sizes, also when int32 must widen."""
    weights = data.draw(st.lists(st.integers(0, 50), min_size=0, max_size=9))
    m, shift = len(weights), _shift(weights)
    rows = data.draw(st.integers(1, 3))
    lo = data.draw(st.integers(0, m))
    hi = data.draw(st.integers(lo, m))
    dtype = data.draw(st.sampled_from([np.int32, np.int64]))
    bound = data.draw(st.sampled_from([3, 2**20, 2**31 - 1]))
    _, order = _merged_pairs(tuple(weights), shift)
    sizes = np.array([bin(int(mask)).count("1") for mask in order])
    values = np.array(data.draw(st.lists(st.integers(0, bound), min_size=rows << m,
                                         max_size=rows << m)), dtype=dtype).reshape(rows, -1)
    values[:, (sizes < lo) | (sizes > hi)] = 0
    _, _, steps = engine._build_sorted_half(tuple(weights), shift)
    got = engine._member_sums(values, steps, bound, (lo, hi))
    assert got.shape == (rows, m) and got.dtype == np.int64
    for j in range(m):
        inside = (order >> j) & 1 == 1
        assert got[:, j].tolist() == [sum(int(v) for v in row[inside]) for row in values]


@settings(max_examples=40, deadline=None)
@given(quota_games(max_n=10))
def test_counting_rows_one_at_a_time_changes_no_count(g):
    """Large halves count one quota size at a time (reused buffers, a size window per row);
    forcing that on small games gives the counts of all rows at once."""
    together = swing_counts(g)
    with mock.patch.object(engine, "_ROW_BUDGET", 1):
        one_by_one = swing_counts(g)
    assert np.array_equal(together.swings, one_by_one.swings)
    assert np.array_equal(together.winning, one_by_one.winning)

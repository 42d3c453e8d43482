"""Sums per block and their total in block order: the same bits however the blocks are split."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from model.abm.blocks import add_blocks, block_sums


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 300), min_size=1, max_size=12), st.data())
def test_block_totals_are_the_same_to_the_bit_however_the_blocks_are_split(sizes, data):
    rng = np.random.default_rng(len(sizes) * 1000 + sum(sizes))
    values = rng.random((4, sum(sizes), 3)) * 10.0 ** rng.integers(-3, 4, size=(4, 1, 3))
    sums = block_sums(values, sizes)
    assert sums.shape == (4, len(sizes), 3)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    whole = add_blocks(sums)
    cuts = sorted(data.draw(st.sets(st.integers(1, len(sizes) - 1), max_size=len(sizes) - 1))
                  if len(sizes) > 1 else [])
    total = None
    for lo, hi in zip([0, *cuts], [*cuts, len(sizes)]):
        # a chunk of whole blocks sums its blocks as the whole run does, and adds them on
        part = block_sums(values[:, starts[lo]:starts[hi]], sizes[lo:hi])
        assert np.array_equal(part, sums[:, lo:hi])
        total = add_blocks(part, total)
    assert np.array_equal(total, whole)
    assert np.allclose(whole / sum(sizes), values.mean(axis=1), rtol=1e-12, atol=0)


def test_add_blocks_leaves_the_running_total_alone():
    total = np.array([[1.0, 2.0]])
    out = add_blocks(np.ones((1, 3, 2)), total)
    assert out.tolist() == [[4.0, 5.0]] and total.tolist() == [[1.0, 2.0]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 300), min_size=1, max_size=8), st.integers(1, 30),
       st.integers(0, 2**32 - 1))
def test_block_sums_do_not_depend_on_the_layout(sizes, n, seed):
    """The model keeps probabilities as planes (3, n, R) where they used to be (n, R, 3): the
    block sums must be the same bits in either layout."""
    rng = np.random.default_rng(seed)
    values = rng.random((n, sum(sizes), 3)) * 10.0 ** rng.integers(-3, 4, size=(n, 1, 3))
    planes = np.ascontiguousarray(values.transpose(2, 0, 1))
    assert np.array_equal(block_sums(planes, sizes, axis=2).transpose(1, 2, 0),
                          block_sums(values, sizes))

"""The array seeding gives numpy's own generator states and first normals, to the bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.abm.seeding import first_normals, pcg64_states
from model.abm.uncertainty import block_normals, name_code

seeds = st.one_of(st.integers(0, 2**32 - 1), st.integers(0, 2**140))
key_rows = st.integers(0, 4).flatmap(
    lambda width: st.lists(st.lists(st.integers(0, 2**32 - 1), min_size=width, max_size=width),
                           min_size=1, max_size=6))


def numpy_state(seed: int, key) -> tuple[int, int]:
    state = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=tuple(key))).state["state"]
    return state["state"], state["inc"]


@settings(max_examples=200, deadline=None)
@given(seeds, key_rows)
def test_states_are_numpys(seed, rows):
    keys = np.array(rows, dtype=np.int64).reshape(len(rows), len(rows[0]))
    assert pcg64_states(seed, keys) == [numpy_state(seed, key) for key in rows]


@settings(max_examples=100, deadline=None)
@given(seeds, key_rows)
def test_first_normals_are_numpys(seed, rows):
    keys = np.array(rows, dtype=np.int64).reshape(len(rows), len(rows[0]))
    expected = [np.random.default_rng(np.random.SeedSequence(seed, spawn_key=tuple(key)))
                .standard_normal() for key in rows]
    assert first_normals(seed, keys).tolist() == expected


def test_block_normals_are_one_numpy_generator_per_block_and_parameter():
    names = ["beta_stakes", "effect.brandy_probe", "intercept.ev_duties"]
    got = block_normals(20240101, 37, 5, names)
    for b in range(5):
        for j, name in enumerate(names):
            rng = np.random.default_rng(np.random.SeedSequence(
                20240101, spawn_key=(37 + b, 1000, name_code(name))))
            assert got[b, j] == rng.standard_normal()


def test_keys_outside_32_bits_are_refused():
    with pytest.raises(ValueError):
        pcg64_states(1, np.array([[2**32]]))
    with pytest.raises(ValueError):
        pcg64_states(1, np.array([[-1]]))
    with pytest.raises(ValueError):
        pcg64_states(-1, np.array([[1]]))
    with pytest.raises(TypeError):                 # numpy's SeedSequence refuses them too
        pcg64_states(7.5, np.array([[1]]))
    with pytest.raises(TypeError):
        pcg64_states(7, np.array([[1.7]]))

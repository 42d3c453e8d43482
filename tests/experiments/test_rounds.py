"""rounds.csv is the same to the last bit however a run is split: into chunks of any sizes
(whole blocks), streamed or kept in memory, resumed from saved chunks; and each per-round
column is still the mean over the replications."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from helpers import FLAGSHIP
from helpers import small_spec as small
from hypothesis import given, settings
from hypothesis import strategies as st

import model.experiments.run as run_module
from model.abm.model import MEAN_COLUMNS, CouncilModel
from model.abm.plan import Plan
from model.abm.streams import BLOCK
from model.experiments.resolve import resolve
from model.experiments.results import csv_text
from model.experiments.run import run_experiment, run_scenario

R = 5 * BLOCK - 120          # five blocks, the last one short
SPEC = small(FLAGSHIP, replications=R, rounds=3)


@pytest.fixture(scope="module")
def scenario():
    return resolve(SPEC)


@pytest.fixture(scope="module")
def whole(scenario):
    return csv_text(run_scenario(scenario, R, SPEC.seed, chunk=R).rounds)


@settings(max_examples=12, deadline=None)
@given(st.sets(st.integers(1, 4)), st.booleans())
def test_any_split_into_chunks_gives_byte_identical_rounds_csv(scenario, whole, cuts, streamed):
    """Chunks of any sizes in whole blocks, combined as run_scenario combines them (streamed
    or in memory), give rounds.csv byte for byte as one chunk does."""
    n_outcomes = len(scenario.rule.outcomes)
    combined = run_module._Reduced(n_outcomes) if streamed else run_module._Combined(n_outcomes)
    plan = Plan()
    bounds = [0, *sorted(cuts), 5]
    for lo, hi in pairwise(bounds):
        size = min(hi * BLOCK, R) - lo * BLOCK
        combined.add(CouncilModel(scenario, size, SPEC.seed, first_block=lo, plan=plan).run())
    assert csv_text(combined.result().rounds) == whole


def test_a_run_resumed_from_saved_chunks_writes_the_same_rounds_csv(tmp_path, whole):
    """The chunk files keep the per-round block sums, so a resumed run adds the same numbers."""
    def stop_after_two_chunks(done, total):
        if done == 2 * SPEC.rounds + 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_experiment(SPEC, chunk=BLOCK, resume_dir=tmp_path, progress=stop_after_two_chunks)
    assert len(list(tmp_path.glob("chunk_*.npz"))) == 2
    for stream in (False, True):
        resumed = run_experiment(SPEC, chunk=BLOCK, resume_dir=tmp_path, stream=stream)
        assert csv_text(resumed.rounds) == whole


def test_a_resume_folder_of_the_earlier_chunk_format_starts_afresh(tmp_path, monkeypatch,
                                                                  whole):
    """Chunks saved by the format before (per-chunk means, no block sums) are not read."""
    with monkeypatch.context() as m:
        m.setattr(run_module, "_CHUNK_FORMAT", 2)
        run_experiment(SPEC, chunk=BLOCK, resume_dir=tmp_path)
    chunks = sorted(tmp_path.glob("chunk_*.npz"))
    assert len(chunks) == 5
    for path in chunks:
        path.write_bytes(b"a chunk of format 2")
    assert csv_text(run_experiment(SPEC, chunk=BLOCK, resume_dir=tmp_path).rounds) == whole


def test_the_per_round_columns_are_means_over_the_replications(scenario):
    model = CouncilModel(scenario, R, SPEC.seed)
    out = model.run()
    rounds = out.rounds
    last = rounds[rounds["round"] == SPEC.rounds - 1].reset_index(drop=True)
    part = model.participating
    expected = np.concatenate([model.probabilities.mean(axis=1),
                               model.sticks.mean(axis=1)[:, None],
                               model.carrots.mean(axis=1)[:, None]], axis=1)[part]
    assert last["iso2"].tolist() == [s for s, p in zip(model.all_states, part) if p]
    np.testing.assert_allclose(last[list(MEAN_COLUMNS)].to_numpy(), expected, rtol=1e-13)
    np.testing.assert_array_equal(last[["p_for", "p_abstain", "p_against"]].to_numpy(),
                                  out.mean_probabilities[part])

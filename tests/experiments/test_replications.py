"""Streamed runs: the replications table written to Parquet as the chunks come, the same rows
and summary as a run that keeps them in memory, the same bytes however the run is chunked,
resumable, and no model kept alive by reference cycles."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from helpers import EXPERIMENTS, FLAGSHIP, run_cli
from helpers import small_spec as small
from hypothesis import given, settings
from hypothesis import strategies as st

import model.experiments.run as run_module
from model.abm.model import CouncilModel
from model.errors import InputError
from model.experiments.replications import ParquetRows, read_table, replication_rows
from model.experiments.resolve import resolve
from model.experiments.results import csv_text, write_outputs
from model.experiments.run import run_experiment, run_scenario
from model.treaty.rules import get_rule

R = 2500       # ten blocks: more than numpy sums without reordering, were it to reorder


@pytest.fixture(scope="module")
def in_memory():
    return run_experiment(small(FLAGSHIP, replications=R, rounds=3), chunk=R, stream=False)


@pytest.fixture(scope="module")
def streamed():
    return run_experiment(small(FLAGSHIP, replications=R, rounds=3), chunk=500, stream=True)


def test_a_chunked_streamed_run_equals_a_whole_run_kept_in_memory(in_memory, streamed):
    """The same summary to the bit (the streamed run sums its block sums as they come, the
    whole run all at once), and the same table."""
    assert streamed.replications is None and streamed.votes is None
    assert streamed.summary == in_memory.summary
    assert streamed.summary["parameters"]["blocks"] == 10
    pd.testing.assert_frame_equal(streamed.rounds, in_memory.rounds, check_exact=True)
    assert csv_text(streamed.rounds) == csv_text(in_memory.rounds)
    table = read_table(streamed.replications_file)
    assert len(table) == R == pq.ParquetFile(streamed.replications_file).metadata.num_rows
    pd.testing.assert_frame_equal(table, in_memory.replications)
    assert csv_text(table) == csv_text(in_memory.replications)
    for name in ("adopted", "n_for"):
        assert np.array_equal(streamed.replication_column(name),
                              in_memory.replication_column(name))


def test_streamed_output_folder_has_parquet_in_place_of_csv(tmp_path, in_memory, streamed):
    write_outputs(in_memory, tmp_path)
    assert (tmp_path / "replications.csv").is_file()
    written = write_outputs(streamed, tmp_path)      # the same folder: the CSV goes
    names = [p.name for p in written]
    assert names[-1] == "summary.json" and "replications.parquet" in names
    assert not (tmp_path / "replications.csv").exists()
    assert not list(tmp_path.glob(".*.tmp"))
    assert csv_text(pd.read_parquet(tmp_path / "replications.parquet")) == csv_text(
        in_memory.replications)
    assert (tmp_path / "summary.json").read_text().startswith("{")


def test_streamed_bytes_do_not_depend_on_the_chunks(tmp_path):
    spec = small(FLAGSHIP, replications=750, rounds=3)
    for name, chunk in (("a", 250), ("b", 500), ("c", 750)):
        write_outputs(run_experiment(spec, chunk=chunk, stream=True), tmp_path / name)
    a = (tmp_path / "a" / "replications.parquet").read_bytes()
    assert a == (tmp_path / "b" / "replications.parquet").read_bytes()
    assert a == (tmp_path / "c" / "replications.parquet").read_bytes()
    assert (tmp_path / "a" / "summary.json").read_bytes() == (
        tmp_path / "c" / "summary.json").read_bytes()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=8), st.integers(1, 30))
def test_parquet_rows_bytes_are_the_same_however_the_rows_arrive(tmp_path_factory, cuts,
                                                                row_group):
    rule = get_rule("qmv")
    R = sum(cuts)
    rng = np.random.default_rng(R)
    votes = rng.integers(0, 3, size=(R, 27)).astype(np.int8)
    outcomes = rng.integers(0, 2, size=R)
    folder = tmp_path_factory.mktemp("rows")
    whole = ParquetRows(folder / "whole.parquet", row_group=row_group)
    whole.append(replication_rows(rule, outcomes, votes))
    pieces = ParquetRows(folder / "pieces.parquet", row_group=row_group)
    start = 0
    for n in cuts:
        pieces.append(replication_rows(rule, outcomes[start:start + n], votes[start:start + n],
                                       start))
        start += n
    a, b = whole.close(), pieces.close()
    assert a.read_bytes() == b.read_bytes()
    meta = pq.ParquetFile(a).metadata
    assert meta.num_rows == R and meta.num_row_groups == -(-R // row_group)
    assert read_table(a)["replication"].tolist() == list(range(R))


def test_an_interrupted_streamed_run_resumes_and_leaves_no_half_file(tmp_path):
    spec = small(FLAGSHIP, replications=1000)

    def stop_after_two_chunks(done, total):
        if done == 2 * spec.rounds + 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_experiment(spec, chunk=250, resume_dir=tmp_path, stream=True,
                       progress=stop_after_two_chunks)
    assert len(list(tmp_path.glob("chunk_*.npz"))) == 2
    assert not (tmp_path / "replications.parquet").exists()
    assert not list(tmp_path.glob(".*.tmp"))
    resumed = run_experiment(spec, chunk=250, resume_dir=tmp_path, stream=True)
    fresh = run_experiment(spec, chunk=250, stream=True)
    assert resumed.summary == fresh.summary
    assert resumed.replications_file.read_bytes() == fresh.replications_file.read_bytes()


def test_runs_above_the_threshold_stream_by_default(monkeypatch):
    monkeypatch.setattr(run_module, "STREAM_ABOVE", 500)
    assert run_experiment(small(FLAGSHIP, replications=500)).replications is not None
    big = run_experiment(small(FLAGSHIP, replications=750, rounds=2))
    assert big.streamed and big.output_files[2] == "replications.parquet"
    # an experiment with stages keeps its replications (the chain needs them): not streamed
    chained = small(EXPERIMENTS / "aci_determination_then_response.toml", replications=750,
                    rounds=2)
    assert not run_experiment(chained).streamed
    with pytest.raises(InputError, match="stages"):
        run_experiment(chained, stream=True)


def test_the_command_line_writes_parquet_for_a_large_run(tmp_path, monkeypatch):
    monkeypatch.setattr(run_module, "STREAM_ABOVE", 500)
    out = run_cli("run", FLAGSHIP, "--replications", "750", "--out", tmp_path / "r", "--json")
    assert out.json()["replications"] == 750
    assert not (tmp_path / "r" / "replications.csv").exists()
    assert pq.ParquetFile(tmp_path / "r" / "replications.parquet").metadata.num_rows == 750
    assert not (tmp_path / "r" / ".partial").exists()


def test_the_scratch_file_of_a_streamed_api_run_goes_with_its_result():
    result = run_experiment(small(FLAGSHIP, replications=250, rounds=2), stream=True)
    path = result.replications_file
    assert path.is_file()
    del result
    gc.collect()
    assert not path.exists()


def test_a_finished_chunks_model_is_freed_without_the_garbage_collector(monkeypatch):
    """Agents refer to their model: unless the cycle is broken, a chunk's arrays wait for the
    garbage collector, and a long run's peak memory grows with its replications."""
    alive = []
    original = CouncilModel.run

    def run_and_watch(self, on_round=None):
        alive.append(weakref.ref(self))
        return original(self, on_round)

    monkeypatch.setattr(CouncilModel, "run", run_and_watch)
    spec = small(FLAGSHIP, replications=750, rounds=2)
    gc.disable()
    try:
        run_scenario(resolve(spec), 750, spec.seed, chunk=250)
        assert len(alive) == 3 and all(ref() is None for ref in alive)
    finally:
        gc.enable()

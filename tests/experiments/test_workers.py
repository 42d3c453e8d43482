"""A run's chunks in worker processes: the same bytes as one process (kept in memory or
streamed, with stages, resumed), Ctrl-C stops the workers and keeps the finished chunks, and
the number of workers is chosen as documented."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys

import pandas as pd
import pytest
from helpers import EXPERIMENTS, FLAGSHIP, run_cli
from helpers import small_spec as small

import model.experiments.workers as workers_module
from model.errors import InputError
from model.experiments.results import csv_text
from model.experiments.run import run_experiment
from model.experiments.workers import PARALLEL_FROM, WORKERS_ENV, default_workers

SPEC = small(FLAGSHIP, replications=1500, rounds=4)      # six chunks of one block


def _same(a, b) -> None:
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.rounds, b.rounds, check_exact=True)
    assert csv_text(a.rounds) == csv_text(b.rounds)
    assert csv_text(a.states) == csv_text(b.states)


def test_two_workers_give_the_bytes_of_one_process_streamed_and_in_memory():
    one = run_experiment(SPEC, chunk=250, workers=1, stream=True)
    two = run_experiment(SPEC, chunk=250, workers=2, stream=True)
    _same(one, two)
    assert one.replications_file.read_bytes() == two.replications_file.read_bytes()
    kept = run_experiment(SPEC, chunk=250, workers=2, stream=False)
    _same(one, kept)
    assert csv_text(kept.replications) == csv_text(
        run_experiment(SPEC, chunk=250, workers=1, stream=False).replications)


def test_a_chain_of_stages_runs_its_stages_on_the_workers_with_the_same_bytes():
    spec = small(EXPERIMENTS / "aci_determination_then_response.toml", replications=1000,
                 rounds=3)
    one, two = (run_experiment(spec, chunk=250, workers=w) for w in (1, 2))
    _same(one, two)
    assert csv_text(one.replications) == csv_text(two.replications)


def test_an_interrupted_run_on_workers_stops_them_keeps_its_chunks_and_resumes(tmp_path):
    def stop_after_two_chunks(done, total):
        if done == 2 * SPEC.rounds:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_experiment(SPEC, chunk=250, workers=2, resume_dir=tmp_path, stream=True,
                       progress=stop_after_two_chunks)
    assert multiprocessing.active_children() == []          # no worker left running
    assert len(list(tmp_path.glob("chunk_*.npz"))) == 2
    assert not (tmp_path / "replications.parquet").exists()
    resumed = run_experiment(SPEC, chunk=250, workers=2, resume_dir=tmp_path, stream=True)
    fresh = run_experiment(SPEC, chunk=250, workers=1, stream=True)
    _same(resumed, fresh)
    assert resumed.replications_file.read_bytes() == fresh.replications_file.read_bytes()


def test_the_number_of_workers(monkeypatch):
    monkeypatch.setattr(workers_module, "_usable_cpus", lambda: 4)
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert default_workers(PARALLEL_FROM - 1) == 1          # too few chunks to gain
    assert default_workers(PARALLEL_FROM) == PARALLEL_FROM
    assert default_workers(40) == 4                          # every usable CPU
    assert default_workers(40, workers=2) == 2 and default_workers(1, workers=3) == 1
    monkeypatch.setenv(WORKERS_ENV, "2")
    assert default_workers(1) == 1 and default_workers(40) == 2
    assert default_workers(40, workers=3) == 3               # an explicit number wins
    for bad in ("two", "0"):
        monkeypatch.setenv(WORKERS_ENV, bad)
        with pytest.raises(InputError, match=WORKERS_ENV):
            default_workers(40)
    with pytest.raises(InputError, match="workers"):
        default_workers(40, workers=0)
    monkeypatch.delenv(WORKERS_ENV)
    # a Dask or multiprocessing worker is daemonic and may not start processes of its own
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True, raising=False)
    assert default_workers(40) == 1


def _defaults_in_a_pool_worker(_) -> tuple[int, int]:
    workers_module._usable_cpus = lambda: 4
    os.environ.pop(WORKERS_ENV, None)
    return default_workers(40), default_workers(40, workers=2)


def test_inside_another_pools_worker_a_run_stays_in_one_process_unless_told():
    # a concurrent.futures worker is not daemonic, but its pool is likely using the CPUs
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        assert pool.submit(_defaults_in_a_pool_worker, None).result() == (1, 2)


def test_the_command_line_takes_a_number_of_workers(tmp_path):
    args = ("run", FLAGSHIP, "--replications", "20000", "--json")      # two chunks
    one = run_cli(*args, "--workers", "1", "--out", tmp_path / "one").json()
    two = run_cli(*args, "--workers", "2", "--out", tmp_path / "two").json()
    assert one == two
    for name in ("states.csv", "rounds.csv", "summary.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    bad = run_cli(*args, "--workers", "0", "--out", tmp_path / "bad")
    assert bad.code == 2 and "--workers" in bad.stderr and bad.stderr.count("\n") == 1
    assert not (tmp_path / "bad").exists()


def _failing_in_chunk(block: int, fail):
    """run_chunk, but the chunk starting at ``block`` calls ``fail()`` (in the worker: forked
    workers inherit this patched module)."""
    original = workers_module.run_chunk

    def run_chunk(scenario, size, seed, point, first_block, plan, on_round=None):
        if first_block == block:
            fail()
        return original(scenario, size, seed, point, first_block, plan, on_round)

    return run_chunk


def test_a_worker_that_dies_stops_the_run_with_an_error_and_keeps_the_chunks(monkeypatch,
                                                                             tmp_path):
    """A worker killed (the kernel's out-of-memory killer, say) must not leave the run
    waiting for a chunk that never comes."""
    monkeypatch.setattr(workers_module, "run_chunk", _failing_in_chunk(3, lambda: os._exit(9)))
    with pytest.raises(InputError, match="worker process stopped"):
        run_experiment(SPEC, chunk=250, workers=2, resume_dir=tmp_path, stream=True)
    assert multiprocessing.active_children() == []
    saved = sorted(p.name for p in tmp_path.glob("chunk_*.npz"))
    # the chunks that came back before the failure, in order; never the one that died
    assert saved == [f"chunk_{b:06d}_250.npz" for b in range(len(saved))] and len(saved) <= 3
    monkeypatch.undo()
    resumed = run_experiment(SPEC, chunk=250, workers=2, resume_dir=tmp_path, stream=True)
    _same(resumed, run_experiment(SPEC, chunk=250, workers=1, stream=True))


def test_an_error_in_a_worker_reaches_the_run_as_itself(monkeypatch):
    def boom():
        raise InputError("no such lever", field="levers")

    monkeypatch.setattr(workers_module, "run_chunk", _failing_in_chunk(2, boom))
    with pytest.raises(InputError, match="field 'levers': no such lever"):
        run_experiment(SPEC, chunk=250, workers=2)
    assert multiprocessing.active_children() == []


def test_the_default_number_of_workers_is_lowered_to_fit_the_memory(monkeypatch):
    """Each worker holds a chunk: on a machine with many CPUs and little memory the default
    must shrink to what fits, not refuse a run one process could do; a number the user chose
    is refused with a line that names it."""
    import model.experiments.run as run_module

    monkeypatch.setattr(workers_module, "_usable_cpus", lambda: 8)
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    fit = run_module._workers_that_fit
    need = {k: run_module.memory_needed(50_000, 27, workers=k) for k in (1, 2, 3, 5)}
    monkeypatch.setattr(run_module, "available_memory", lambda: need[3] + 1)
    assert fit(50_000, 27, False, 10_000, None) == 3       # 5 chunks, 8 CPUs: 3 fit
    assert fit(50_000, 27, False, 10_000, 2) == 2
    with pytest.raises(InputError, match=r"field 'workers'.*--workers"):
        fit(50_000, 27, False, 10_000, 5)
    monkeypatch.setenv(WORKERS_ENV, "5")
    with pytest.raises(InputError, match=WORKERS_ENV):
        fit(50_000, 27, False, 10_000, None)
    monkeypatch.delenv(WORKERS_ENV)
    monkeypatch.setattr(run_module, "available_memory", lambda: need[1] - 1)
    with pytest.raises(InputError, match=r"field 'replications'.*run fewer replications$"):
        fit(50_000, 27, False, 10_000, None)
    monkeypatch.setattr(run_module, "available_memory", lambda: None)  # the system won't say
    assert fit(50_000, 27, False, 10_000, None) == 5


@pytest.mark.parametrize(("files", "expected"), [
    ({"cpu.max": "200000 100000\n"}, 2),                       # cgroup v2: 2 CPUs
    ({"cpu.max": "150000 100000\n"}, 2),                       # 1.5 CPUs: rounded up
    ({"cpu.max": "max 100000\n"}, None),                       # no quota
    ({"quota": "50000\n", "period": "100000\n"}, 1),           # cgroup v1: half a CPU
    ({"quota": "-1\n", "period": "100000\n"}, None),
    ({}, None),                                                # no cgroup files at all
    ({"cpu.max": "garbled\n"}, None),
])
def test_a_containers_cpu_quota_caps_the_workers(monkeypatch, tmp_path, files, expected):
    paths = {name: tmp_path / name for name in ("cpu.max", "quota", "period")}
    for name, text in files.items():
        paths[name].write_text(text)
    monkeypatch.setattr(workers_module, "CPU_QUOTA_FILES",
                        ((paths["cpu.max"], None), (paths["quota"], paths["period"])))
    assert workers_module._cpu_quota() == expected
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    cpus = workers_module._usable_cpus()
    assert cpus >= 1 and (expected is None or cpus <= expected)
    assert default_workers(40) == min(cpus, 40)


def _worker_view(conn) -> None:
    workers_module._start_worker(("job",))
    conn.send((signal.getsignal(signal.SIGINT) == signal.SIG_IGN, sys.stdout is sys.__stdout__,
               workers_module._JOB))
    conn.close()


def test_a_worker_ignores_ctrl_c_and_writes_to_the_real_streams():
    # the run's own process handles Ctrl-C; a worker that took it too would die mid-chunk
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_worker_view, args=(child,))
    proc.start()
    assert parent.recv() == (True, True, ("job",))
    proc.join()
    assert proc.exitcode == 0

"""The chunks of one run, in this process or in worker processes (and :func:`pool_map`, the
forked pool they share with a local sweep's points).

A long run is a sequence of chunks of whole random blocks (:mod:`model.experiments.run`).
Every chunk replays one plan - China's and the Commission's decisions, made on the expected
track, so the same for any number of replications - and draws its own blocks, so chunks are
independent once the plan is made. With more than one worker the plan is made here first, by
a model of a single block, and the chunks then run in forked worker processes; their outputs
come back in chunk order and are combined exactly as a single process combines them, so the
bytes are the same for any number of workers (tests check it).

Workers ignore Ctrl-C: the run's own process takes it, stops the workers and keeps the chunks
already saved, as a single process does.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from pathlib import Path

from ..abm.model import CouncilModel, RunOutput
from ..abm.plan import Plan
from ..abm.scenario import Scenario
from ..abm.streams import BLOCK
from ..errors import InputError

__all__ = ["run_chunk", "release", "default_workers", "chunk_outputs", "pool_map", "WORKERS_ENV",
           "PARALLEL_FROM"]

#: Environment variable that sets the default number of worker processes of a run.
WORKERS_ENV = "EUCOALITION_WORKERS"
#: A run uses several processes by default only when it has this many chunks left to run:
#: below it, starting the workers and planning apart cost more than they save.
PARALLEL_FROM = 3


def release(model: CouncilModel) -> None:
    """Drop a finished model's references, so its arrays (a few hundred bytes per replication
    and state) are freed now. Its agents refer back to it: a reference cycle that only the
    garbage collector would free, at a moment of its choosing - long runs kept several chunks'
    models alive at once, and their peak memory grew with the replications."""
    for agent in list(model.agents):
        agent.__dict__.clear()
    model.__dict__.clear()


def run_chunk(scenario: Scenario, size: int, seed: int, point: int, first_block: int,
              plan: Plan, on_round: Callable[[], None] | None = None) -> RunOutput:
    """One chunk: ``size`` replications from block ``first_block`` on, replaying ``plan``
    (or recording it, if it is not complete yet)."""
    model = CouncilModel(scenario, size, seed, point=point, first_block=first_block, plan=plan)
    out = model.run(on_round)
    release(model)          # freed before the next chunk's model is built
    del model
    return out


def make_plan(scenario: Scenario, seed: int, point: int, first_block: int, plan: Plan) -> None:
    """Complete ``plan`` with a model of one block: the decisions live on the expected track,
    so they are those a chunk of any size would record."""
    model = CouncilModel(scenario, BLOCK, seed, point=point, first_block=first_block,
                         collect=False, plan=plan)
    model.run()
    release(model)


#: Where a container's CPU quota is read (cgroup v2, then v1): quota and period in microseconds.
CPU_QUOTA_FILES = ((Path("/sys/fs/cgroup/cpu.max"), None),
                   (Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
                    Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")))


def _cpu_quota() -> int | None:
    """CPUs a container's quota allows (rounded up), or None without a quota: a container
    limited to 2 CPUs on a 64-core host should start 2 workers, not 64."""
    for quota_file, period_file in CPU_QUOTA_FILES:
        try:
            words = quota_file.read_text().split()
            if period_file is not None:
                words.append(period_file.read_text().strip())
            quota, period = words[0], float(words[1])
        except (OSError, IndexError, ValueError):
            continue
        if quota in ("max", "-1") or period <= 0:
            return None
        try:
            return max(1, math.ceil(float(quota) / period))
        except ValueError:
            continue
    return None


def _usable_cpus() -> int:
    """CPUs this process may run on: its affinity, capped by a container's CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):        # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    quota = _cpu_quota()
    return min(cpus, quota) if quota else cpus


def _can_fork() -> bool:
    """Worker processes are forked (they inherit the loaded package and the scenario, so they
    start in milliseconds); where forking is not the safe default, a run stays in one process."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def default_workers(chunks_to_run: int, workers: int | None = None) -> int:
    """How many processes run the chunks: ``workers`` if given, else ``$EUCOALITION_WORKERS``,
    else every usable CPU when at least :data:`PARALLEL_FROM` chunks are left and this process
    was not itself started by multiprocessing (a ``concurrent.futures`` worker, say: whoever
    started it is likely using the other CPUs) - and one inside a daemonic process (a Dask
    worker; it cannot have children) or where worker processes cannot be forked, whatever
    was asked."""
    if workers is None:
        text = os.environ.get(WORKERS_ENV, "").strip()
        if text:
            try:
                workers = int(text)
            except ValueError:
                raise InputError(f"must be a whole number, not '{text}'",
                                 field=WORKERS_ENV) from None
            if workers < 1:
                raise InputError("must be at least 1", field=WORKERS_ENV)
        elif chunks_to_run < PARALLEL_FROM or multiprocessing.parent_process() is not None:
            return 1        # few chunks, or started by multiprocessing: CPUs likely in use
        else:
            workers = _usable_cpus()
    elif workers < 1:
        raise InputError("must be at least 1", field="workers")
    if multiprocessing.current_process().daemon or not _can_fork():
        return 1
    return max(1, min(workers, chunks_to_run))


_JOB: tuple | None = None        # (scenario, seed, point, plan) of the worker's run


def detach_worker() -> None:
    """A worker ignores Ctrl-C (the run's process handles it) and writes to the real standard
    streams, not to whatever the parent had redirected them to (a progress bar's, whose lock
    another thread may have held at the fork)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__


def _start_worker(job: tuple) -> None:
    global _JOB
    detach_worker()
    _JOB = job


def _worker_chunk(chunk: tuple[int, int]) -> RunOutput:
    scenario, seed, point, plan = _JOB
    first_block, size = chunk
    return run_chunk(scenario, size, seed, point, first_block, plan)


def pool_map(fn: Callable, calls: list[tuple], workers: int,
             initializer: Callable[..., None] = detach_worker,
             initargs: tuple = ()) -> Iterator:
    """``fn(*call)`` for every call, in their order, from ``workers`` forked processes started
    with ``initializer(*initargs)``. At most two calls per worker are in flight, so finished
    results do not pile up. A worker that dies (killed, or out of memory) stops the work with
    an error instead of a wait."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=initializer, initargs=initargs)
    try:
        queued = iter(calls)
        flight = deque()
        while True:
            try:
                for call in islice(queued, 2 * workers - len(flight)):
                    flight.append(pool.submit(fn, *call))
                if not flight:
                    return
                out = flight.popleft().result()
            except BrokenProcessPool:
                raise InputError("a worker process stopped before finishing its work (killed, "
                                 "or out of memory); what was finished is saved: rerun with "
                                 "fewer workers or replications to resume",
                                 field="workers") from None
            yield out
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def chunk_outputs(scenario: Scenario, chunks: list[tuple[int, int]], seed: int, point: int,
                  plan: Plan, workers: int) -> Iterator[RunOutput]:
    """The outputs of ``chunks`` ((first_block, replications) each), in their order, from
    ``workers`` forked processes (:func:`pool_map`); the plan is completed here first if it is
    not yet."""
    if not plan.complete:
        make_plan(scenario, seed, point, chunks[0][0], plan)
    yield from pool_map(_worker_chunk, [(c,) for c in chunks], workers,
                        initializer=_start_worker, initargs=((scenario, seed, point, plan),))

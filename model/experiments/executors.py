"""Executors: where a sweep's design points run, chosen apart from what runs.

``local`` runs the points on this machine (forked worker processes, one per usable CPU, for
three points or more; else one after another in this process); ``dask`` submits them to a
dask.distributed cluster - a LocalCluster of ``workers`` single-threaded processes by default,
or a running scheduler given by address (the same code path on a laptop and on a cluster;
workers need this package and its params/ installed). Dask is an optional extra
(``pip install eucoalition[distributed]``) imported only when asked for. Either way a point's
result depends only on the experiment, the design and the seed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

from ..errors import InputError
from .spec import ExperimentSpec
from .workers import WORKERS_ENV, default_workers, detach_worker, pool_map

__all__ = ["EXECUTORS", "LocalExecutor", "DaskExecutor", "make_executor", "WORKER_ENVIRON"]

EXECUTORS = ("local", "dask")
#: A point's work: (point, spec, stream), and the function that turns it into a result row.
PointTask = tuple[int, ExperimentSpec, int]
Evaluate = Callable[[ExperimentSpec, int, int], dict]


def _point_worker() -> None:
    """A sweep's worker process: Ctrl-C is the sweep's, and each point runs its chunks in this
    one process (the other workers have the other CPUs)."""
    detach_worker()
    os.environ[WORKERS_ENV] = "1"


class LocalExecutor:
    """Run the points on this machine: on forked worker processes, one per usable CPU, when
    there are at least three (the rules of a run's chunks:
    :func:`model.experiments.workers.default_workers`; ``workers`` or ``$EUCOALITION_WORKERS``
    chooses), else one after another in this process. Either way a point's row is the same."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise InputError("must be at least 1", field="--workers")
        self.workers = workers

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def map(self, evaluate: Evaluate, tasks: Iterable[PointTask]) -> Iterator[tuple[int, dict]]:
        """Yield (point, evaluate(spec, point, stream)) for every task, in order."""
        tasks = list(tasks)
        workers = default_workers(len(tasks), self.workers)
        if workers <= 1:
            for point, spec, stream in tasks:
                yield point, evaluate(spec, point, stream)
            return
        rows = pool_map(evaluate, [(spec, point, stream) for point, spec, stream in tasks],
                        workers, initializer=_point_worker)
        for (point, _, _), row in zip(tasks, rows):
            yield point, row


#: Dask configuration for the workers of the cluster the executor starts. A nanny sets
#: ``MALLOC_TRIM_THRESHOLD_=65536`` in its worker's environment by default, which also turns
#: off glibc's adaptive threshold for mapping memory: every temporary array of a round (a few
#: MB) is then mapped and unmapped afresh, and a point ran 20-40% slower than in a plain
#: process. The setting is removed here; on a cluster of your own, set the same key to null.
WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


class DaskExecutor:
    """Run the points on a dask.distributed cluster: a LocalCluster of ``workers`` processes
    (one thread each) unless a scheduler address is given. Results come back as they finish."""

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        if workers is not None and workers < 1:
            raise InputError("must be at least 1", field="--workers")
        self.workers = workers
        self.scheduler = scheduler
        self.client = None
        self.cluster = None

    def __enter__(self):
        try:
            import logging

            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise InputError("the dask executor needs dask.distributed: pip install "
                             "'eucoalition[distributed]'", field="--executor") from None
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="10s")
            except OSError as exc:
                raise InputError(f"cannot reach scheduler {self.scheduler} ({exc})",
                                 field="--scheduler") from None
        else:
            import dask

            # distributed's own log lines are kept quiet, errors too: a worker's heartbeat
            # can fail with a traceback while the cluster shuts down after a sweep that
            # succeeded; a point that fails reaches the sweep as its exception all the same
            with dask.config.set(WORKER_ENVIRON):
                self.cluster = LocalCluster(n_workers=self.workers or os.cpu_count() or 1,
                                            threads_per_worker=1, processes=True,
                                            dashboard_address=None,
                                            silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def map(self, evaluate: Evaluate, tasks: Iterable[PointTask]) -> Iterator[tuple[int, dict]]:
        """Submit points as they are needed - a few per worker thread in flight, so a sweep of
        any size holds little in the scheduler - and yield results as they finish."""
        from dask.distributed import as_completed

        window = max(8, 4 * sum(self.client.nthreads().values()))
        pending = iter(tasks)
        futures: dict = {}
        done = as_completed()

        def submit_next() -> bool:
            for point, spec, stream in pending:
                fut = self.client.submit(evaluate, spec, point, stream, pure=False)
                futures[fut] = point
                done.add(fut)
                return True
            return False

        for _ in range(window):
            if not submit_next():
                break
        try:
            for fut in done:
                point = futures.pop(fut)
                result = fut.result()
                submit_next()
                yield point, result
        finally:
            for fut in list(futures):
                fut.cancel()


def make_executor(name: str, workers: int | None = None, scheduler: str | None = None):
    """The executor called ``name`` (``local`` or ``dask``), checked against its options."""
    if name == "local":
        if scheduler:
            raise InputError("a scheduler address needs --executor dask", field="--scheduler")
        return LocalExecutor(workers)
    if name == "dask":
        return DaskExecutor(workers, scheduler)
    raise InputError(f"unknown executor '{name}' (expected one of {', '.join(EXECUTORS)})",
                     field="--executor")



"""Sweep throughput: the local executor (1 process, every CPU) and Dask with 1 and 2 workers.

Prints design points x replications per second for each executor, measured side by side in
this run, the speed-up of 2 Dask workers over 1 (and over the local executor), and the local
executor's on every CPU over one process. It also
checks that every executor wrote byte-identical results.

The Dask clusters are started as the executor starts its own (``WORKER_ENVIRON``: without the
nanny's memory-trimming setting, which slows every point by 20-40%) and every process (the
local one too) is warmed up with one tiny run before the clock starts, and the sweep connects
to the clusters by scheduler address - the path a real cluster takes - so the figures are
steady-state throughput, not start-up. A pure CPU task run on the same clusters shows how much
parallelism the machine offers at that moment: the speed-up of the sweep cannot exceed it.

``--crossover`` instead times sweeps of growing size the way a user runs them -
``eucoalition sweep`` with the local executor (``--workers 1``, and every CPU), and with
``--executor dask --workers 2``, which starts its own cluster - and prints the first size at
which Dask beats one process, start-up included.

Usage::

    .venv/bin/python benchmarks/sweep.py [--points 64] [--replications 10000] [--rounds 12]
    .venv/bin/python benchmarks/sweep.py --crossover [--replications 2000]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.experiments.sweep import run_sweep  # noqa: E402

FLAGSHIP = ROOT / "experiments" / "aci_rare_earth_divide_and_rule.toml"


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _spin(seconds_of_work: int) -> float:
    """A pure CPU task (no I/O, no shared state), to measure how much parallelism the machine
    actually offers right now."""
    total = 0.0
    for i in range(seconds_of_work * 3_000_000):
        total += i % 7
    return total


def _ceiling(client, tasks: int) -> float:
    start = time.perf_counter()
    client.gather(client.map(_spin, [1] * tasks, pure=False))
    return time.perf_counter() - start


def _warm() -> int:
    """Load the model, params/ and its caches in this process: one tiny run at a point the
    benchmark never uses."""
    from model.experiments.spec import load_spec
    from model.experiments.sweep import evaluate_point

    spec = load_spec(FLAGSHIP).model_copy(update={"replications": 250, "rounds": 1})
    evaluate_point(spec, 10_000)
    return os.getpid()


def _design(levels: int) -> dict:
    budgets = [round(i / max(levels - 1, 1), 4) for i in range(levels)]
    return {"china.budget": budgets, "china.strategy": ["stick_only", "divide_and_rule"]}


def crossover(replications: int, rounds: int) -> None:
    """The local executor in one process and on every CPU against Dask with 2 workers (its
    cluster's start-up included) on sweeps of 2 to 64 points: where Dask's parallelism starts
    to pay for its start-up, and how the local executor on every CPU compares."""
    from model.experiments.spec import load_spec

    spec = load_spec(FLAGSHIP).model_copy(update={"rounds": rounds, "sweep": None})
    _warm()
    print(f"cross-over: points x {replications:,} replications x {rounds} rounds; the local "
          f"executor in 1 process and on every CPU, and `--executor dask --workers 2` (cluster "
          f"start-up included); {os.cpu_count()} CPUs")
    first = None
    runs = (("local, 1 process", "local", 1), ("local", "local", None), ("dask", "dask", 2))
    with tempfile.TemporaryDirectory() as tmp:
        for levels in (1, 2, 4, 8, 16, 32):
            times = {}
            for label, executor, workers in runs:
                out = Path(tmp) / f"{label.replace(' ', '_').replace(',', '')}_{levels}"
                start = time.perf_counter()
                run_sweep(spec, out, params=_design(levels), replications=replications,
                          chunk=4, executor=executor, workers=workers)
                times[label] = time.perf_counter() - start
            faster = times["dask"] < times["local, 1 process"]
            if faster and first is None:
                first = 2 * levels
            print(f"{2 * levels:>4} points: local 1 process {times['local, 1 process']:6.2f} s, "
                  f"local {times['local']:6.2f} s, dask (2 workers) {times['dask']:6.2f} s")
    print("cross-over: " + (f"Dask is faster than one process from {first} points of "
                            f"{replications:,} replications" if first else
                            "one process was faster than Dask at every size measured"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=64,
                        help="design points (budget levels x 2 strategies)")
    parser.add_argument("--replications", type=int, default=None,
                        help="per point (default 10,000; 2,000 with --crossover)")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--crossover", action="store_true",
                        help="time growing sweeps, local against Dask with start-up")
    args = parser.parse_args()
    if args.crossover:
        crossover(args.replications or 2_000, args.rounds)
        return
    args.replications = args.replications or 10_000
    import dask
    from dask.distributed import Client, LocalCluster

    from model.experiments.executors import WORKER_ENVIRON
    from model.experiments.spec import load_spec

    levels = max(1, args.points // 2)
    spec = load_spec(FLAGSHIP).model_copy(update={"rounds": args.rounds, "sweep": None})
    params = _design(levels)
    n_points = levels * 2
    work = n_points * args.replications
    print(f"design: {n_points} points (china.budget x china.strategy) x {args.replications:,} "
          f"replications x {args.rounds} rounds; {os.cpu_count()} CPUs")
    timings, outputs, ceilings = {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        runs = (("local, 1 process", "local", 1), ("local", "local", None),
                ("dask, 1 worker", "dask", 1), ("dask, 2 workers", "dask", 2))
        for label, executor, workers in runs:
            out = Path(tmp) / label.replace(" ", "_").replace(",", "")
            if executor == "local":
                _warm()
                start = time.perf_counter()
                run_sweep(spec, out, params=params, replications=args.replications, chunk=4,
                          workers=workers)
                timings[label] = time.perf_counter() - start
            else:
                with dask.config.set(WORKER_ENVIRON), \
                        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                     dashboard_address=None,
                                     silence_logs=logging.ERROR) as cluster, \
                        Client(cluster) as client:
                    client.run(_warm)
                    ceilings[label] = _ceiling(client, 4)
                    start = time.perf_counter()
                    run_sweep(spec, out, params=params, replications=args.replications, chunk=4,
                              executor="dask", scheduler=cluster.scheduler_address)
                    timings[label] = time.perf_counter() - start
            outputs[label] = files(out)
            print(f"{label:>16}: {timings[label]:7.2f} s  {work / timings[label]:10,.0f} "
                  "replications/s  "
                  f"{n_points / timings[label]:6.2f} points/s")
    same = all(o == outputs["local"] for o in outputs.values())
    ceiling = ceilings["dask, 1 worker"] / ceilings["dask, 2 workers"]
    print(f"parallelism available (pure CPU task, 2 workers vs 1): {ceiling:.2f}x")
    one, two = timings["dask, 1 worker"], timings["dask, 2 workers"]
    print(f"speed-up, 2 dask workers vs 1: {one / two:.2f}x")
    print(f"speed-up, 2 dask workers vs local: {timings['local'] / two:.2f}x")
    print(f"speed-up, local executor (every CPU) vs 1 process: "
          f"{timings['local, 1 process'] / timings['local']:.2f}x")
    print(f"outputs identical across executors: {'yes' if same else 'NO'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()

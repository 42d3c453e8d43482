"""Benchmark: the flagship at R = 10^4, 10^5 and 10^6, this code beside the code as it was.

Each measurement runs in a fresh process (so its peak memory is its own): the process loads
the package, warms it with a 250-replication run, then times ``run_experiment`` on R
replications and reports seconds, microseconds per replication and peak resident memory.
The baseline is the same measurement on another revision of the repository (default: the
commit before the performance work, checked out into a temporary git worktree), run in the same
invocation, so the ratios are fair on a noisy machine. This code is measured twice: with its
default number of worker processes (every usable CPU for a run of three chunks or more) and in
one process; a worker's peak memory is printed beside the run's own (each worker holds one
chunk at a time). Also printed: ``eucoalition run`` at
R = 10,000 against the warm API call, both of this code.

Usage: python benchmarks/abm.py [--sizes 10000,100000,1000000] [--baseline REV] [--no-baseline]
       python benchmarks/abm.py --cli-only      (just the command line against the API call)
Targets (issue 13): R = 10^6 under 20 s and under 1 GiB; per-replication cost at R = 10^5 at
least 4x lower than the baseline's; `eucoalition run` at R = 10^4 within 1.5 s of the API call.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = "experiments/aci_rare_earth_divide_and_rule.toml"
BASELINE = "a5ac719"      # the last commit before issue 13 (same model, same numbers)

CHILD = r"""
import json, resource, sys, time
from model import run_experiment
flagship, R, workers = sys.argv[1], int(sys.argv[2]), sys.argv[3]
options = {} if workers == "default" else {"workers": int(workers)}
run_experiment(flagship, replications=250)                    # warm: imports, params, caches
start, cpu = time.perf_counter(), time.process_time()
result = run_experiment(flagship, replications=R, **options)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "p_adopted": result.summary["p_adopted"],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_peak_mib":
                      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def measure(root: Path, R: int, workers: str = "default") -> dict:
    """One fresh process running the flagship at R replications from the code in ``root``
    (``workers``: "default", or a number of processes - this code only)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("EUCOALITION_WORKERS", None)
    proc = subprocess.run([sys.executable, "-c", CHILD, str(root / FLAGSHIP), str(R), workers],
                          cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:120]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_against_api(R: int = 10_000, repeat: int = 5) -> tuple[dict, dict]:
    """Wall and CPU time of `eucoalition run` (a fresh process, output written) and of the
    warm API call, alternated ``repeat`` times: the best of each (the machine is shared) and
    the median."""
    cli, api = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            start, cpu = time.perf_counter(), _children_cpu()
            subprocess.run([sys.executable, "-m", "model", "run", FLAGSHIP, "--replications",
                            str(R), "--out", str(Path(tmp) / "out")], cwd=ROOT, check=True,
                           capture_output=True)
            cli.append({"seconds": time.perf_counter() - start, "cpu": _children_cpu() - cpu})
        api.append(measure(ROOT, R))

    def summary(runs: list[dict]) -> dict:
        out = {k: min(m[k] for m in runs) for k in ("seconds", "cpu")}
        out["median"] = sorted(m["seconds"] for m in runs)[len(runs) // 2]
        return out

    return summary(cli), summary(api)


def line(label: str, R: int, m: dict) -> str:
    if "error" in m:
        return f"{label:>16} R={R:>9,}: {m['error']}"
    workers = (f" + workers' peak {m['worker_peak_mib']:4.0f} MiB each"
               if m.get("worker_peak_mib", 0) > 0 else "")
    return (f"{label:>16} R={R:>9,}: {m['seconds']:7.2f} s  {m['seconds'] / R * 1e6:6.1f} "
            f"us/rep  peak {m['peak_mib']:5.0f} MiB{workers}  P(adopted) {m['p_adopted']:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--cli-only", action="store_true",
                        help="only time `eucoalition run` against the warm API call")
    args = parser.parse_args()
    sizes = [] if args.cli_only else [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        old = None
        if sizes and not args.no_baseline:
            old = Path(tmp) / "baseline"
            subprocess.run(["git", "worktree", "add", "--detach", str(old), args.baseline],
                           cwd=ROOT, check=True, capture_output=True)
        try:
            print(f"flagship {FLAGSHIP}; {os.cpu_count()} CPUs; baseline "
                  f"{args.baseline if old else 'none'}")
            for R in sizes:
                new = measure(ROOT, R)
                print(line("this code", R, new))
                one = measure(ROOT, R, "1")
                print(line("  in 1 process", R, one))
                if old is not None:
                    base = measure(old, R)
                    print(line("baseline", R, base))
                    if "error" not in base and "error" not in new:
                        print(f"{'':>16} ratio (baseline / this code): time "
                              f"{base['seconds'] / new['seconds']:.2f}x "
                              f"({base['seconds'] / one['seconds']:.2f}x in 1 process), peak "
                              f"memory {base['peak_mib'] / new['peak_mib']:.2f}x")
        finally:
            if old is not None:
                subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT,
                               capture_output=True)
    cli, api = cli_against_api()
    print(f"eucoalition run at R=10,000: {cli['seconds']:.2f} s ({cli['cpu']:.2f} s CPU); warm "
          f"API call {api['seconds']:.2f} s ({api['cpu']:.2f} s CPU); difference "
          f"{cli['seconds'] - api['seconds']:.2f} s wall, {cli['cpu'] - api['cpu']:.2f} s CPU "
          f"[target <= 1.5 s; best of 5 each, alternated]; medians {cli['median']:.2f} s and "
          f"{api['median']:.2f} s, difference {cli['median'] - api['median']:.2f} s")


if __name__ == "__main__":
    main()

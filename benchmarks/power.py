"""Timing of the exact power and passage-probability engine against brute-force enumeration.

Run: ``.venv/bin/python benchmarks/power.py``. Prints the best-of-N wall time of

* all power indices of the EU27 under QMV (meet-in-the-middle, exact);
* the passage probability of the EU27 (p_adopted only, and with every state's criticality);
* a brute-force enumeration of all 2^20 coalitions of a random 20-state QMV game (the same
  computation: swing counts per state and coalition size), scaled by 2^(27-20) to estimate the
  EU27, and the ratio brute / exact;
* all power indices of a 36- and a 44-member Council (seeded random populations), for this code
  and for the code of another revision (``--baseline REV``, default the commit before the work
  on large Councils, checked out into a temporary git worktree), each in a fresh process, best
  of several runs with the half-enumeration cache cleared, in the same invocation so the
  ratios are fair on a noisy machine. ``--no-baseline`` skips the old code;
* the first call of a fresh process (what a user running one command waits for) for the EU27
  and the same 36- and 44-member Councils, median of three processes, for both code versions.

Usage: python benchmarks/power.py [--baseline REV] [--no-baseline]
Targets (issue 13): 36 members under 100 ms, 44 members under 2 s, also on the first call.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.api import passage_probability, power_indices
from model.inputs.tables import EU27, load_population
from model.treaty.engine import _layout, swing_counts
from model.treaty.rules import get_rule


def best_of(fn, runs: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def brute_force_counts(g) -> tuple[np.ndarray, np.ndarray]:
    """Swings[i, k] and winning[k] by checking every one of the 2^n coalitions."""
    n = g.n
    masks = np.arange(1 << n, dtype=np.int64)
    bits = ((masks[:, None] >> np.arange(n)) & 1).astype(np.int8)
    sizes = bits.sum(axis=1, dtype=np.int64)
    pops = bits.astype(np.float64) @ np.array(g.populations, dtype=np.float64)  # exact < 2^53
    thresholds = np.array([min(t, g.never) for t in g.thresholds], dtype=np.float64)
    wins = pops >= thresholds[sizes]
    swings = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        without = masks[bits[:, i] == 0]
        pivotal = wins[without | (1 << i)] & ~wins[without]
        swings[i] = np.bincount(sizes[without][pivotal], minlength=n)
    return swings, np.bincount(sizes[wins], minlength=n + 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    pops = load_population()
    table = {k: int(v) for k, v in pops.items()}
    print(f"machine: {__import__('os').cpu_count()} cores, numpy {np.__version__}")
    print("EU27, Council 2025 populations")

    def cold(fn):
        def run():
            _layout.cache_clear()  # the sorted half-enumerations are cached per population table
            return fn()
        return run

    t_power = best_of(cold(lambda: power_indices("qmv")), 30)
    t_power_warm = best_of(lambda: power_indices("qmv"), 30)
    print(f"  power_indices('qmv'): all 5 indices, exact      best of 30: {t_power * 1e3:7.2f} ms"
          f"  (cold cache; {t_power_warm * 1e3:.2f} ms with the half-enumerations cached)")
    frame = power_indices("qmv")
    for state in ("DE", "FR", "MT"):
        row = frame.loc[state]
        print(f"    {state}: banzhaf_normalised {row['banzhaf_normalised']:.6f}  "
              f"shapley_shubik {row['shapley_shubik']:.6f}")
    print(f"    winning coalitions {frame.attrs['winning_coalitions']:,} of 2^27")

    rng = np.random.default_rng(2024)
    probs = {s: float(p) for s, p in zip(EU27, rng.uniform(0.2, 0.95, 27))}
    t_pass = best_of(cold(lambda: passage_probability("qmv", probs, criticality=False)), 50)
    t_pass_warm = best_of(lambda: passage_probability("qmv", probs, criticality=False), 50)
    t_crit = best_of(cold(lambda: passage_probability("qmv", probs)), 30)
    t_crit_warm = best_of(lambda: passage_probability("qmv", probs), 30)
    p = passage_probability("qmv", probs).p_adopted
    print(f"  passage_probability('qmv'): p_adopted only      best of 50: {t_pass * 1e3:7.2f} ms"
          f"  (cold; {t_pass_warm * 1e3:.2f} ms cached; p_adopted = {p:.6f})")
    print(f"  passage_probability('qmv'): with criticality    best of 30: {t_crit * 1e3:7.2f} ms"
          f"  (cold; {t_crit_warm * 1e3:.2f} ms cached)")

    n_small = 20
    subset = sorted(rng.choice(len(EU27), n_small, replace=False))
    states = [EU27[i] for i in subset]
    g20 = get_rule("qmv").game(table, states)  # partial participation rules for the 20 states
    start = time.perf_counter()
    brute = brute_force_counts(g20)
    t_brute = time.perf_counter() - start
    exact = swing_counts(g20)
    same = np.array_equal(brute[0], exact.swings) and np.array_equal(brute[1], exact.winning)
    t_exact20 = best_of(cold(lambda: swing_counts(g20)), 30)
    estimate = t_brute * 2 ** (27 - n_small)
    print(f"brute force, random n={n_small} subset of the EU27 under qmv (numpy, all 2^{n_small} "
          f"coalitions): {t_brute:.3f} s; exact swing counts on the same game "
          f"{t_exact20 * 1e3:.2f} ms; identical: {same}")
    print(f"brute force for n=27 ESTIMATED by scaling the n={n_small} time by 2^{27 - n_small} = "
          f"{2 ** (27 - n_small)}: {estimate:.1f} s (not measured)")
    print(f"ratio brute(27, estimated) / exact power_indices(27, cold): {estimate / t_power:,.0f}x")
    larger_councils(None if args.no_baseline else args.baseline)


ROOT = Path(__file__).resolve().parents[1]
BASELINE = "93f36f9"  # the last commit before the large-Council work (same counts)

#: one fresh process per code version: seeded populations, best of ``runs`` cold-cache calls
LARGE_CHILD = r"""
import json, resource, sys, time
import numpy as np
import pandas  # noqa: F401  (imported by the API before any call; not part of the timing)
from model.treaty.engine import _layout, power_of_game
from model.treaty.rules import get_rule
rng = np.random.default_rng(2026)
out = {}
for n, runs in ((36, 7), (44, 3)):
    pops = {f"S{i:02d}": int(p) for i, p in enumerate(rng.integers(500_000, 84_000_000, n))}
    game = get_rule("qmv").game(pops)
    times = []
    for _ in range(runs):
        _layout.cache_clear()
        start = time.perf_counter()
        frame = power_of_game(game)
        times.append(time.perf_counter() - start)
    out[n] = {"first": times[0], "best": min(times),
              "frame": json.dumps([list(frame.index), frame.values.tolist()]),  # floats by repr
              "winning": int(frame.attrs["winning_coalitions"])}
out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""

TARGETS = {"36": 0.1, "44": 2.0}

#: one fresh process per call: the very first power_of_game of the process (imports done
#: before the clock starts), for the EU27 (Council populations) or the seeded 36 and 44
FIRST_CHILD = r"""
import json, sys, time
import numpy as np
import pandas  # noqa: F401  (imported by the API before any call; not part of the timing)
from model.treaty.engine import power_of_game
from model.treaty.rules import get_rule
n = int(sys.argv[1])
if n == 27:
    from model.inputs.tables import load_population
    pops = {k: int(v) for k, v in load_population().items()}
else:
    rng = np.random.default_rng(2026)  # the draws of the best-of child, in the same order
    for size in (36, 44):
        pops = {f"S{i:02d}": int(p) for i, p in enumerate(rng.integers(500_000, 84_000_000, size))}
        if size == n:
            break
game = get_rule("qmv").game(pops)
start = time.perf_counter()
frame = power_of_game(game)
print(json.dumps({"first": time.perf_counter() - start,
                  "frame": json.dumps([list(frame.index), frame.values.tolist()])}))
"""
FIRST_SIZES, FIRST_PROCESSES = ("27", "36", "44"), 3


def _first_calls(root: Path) -> dict:
    """Median and best over fresh processes of each size's first call, and its indices."""
    out = {}
    for n in FIRST_SIZES:
        runs = []
        for _ in range(FIRST_PROCESSES):
            proc = subprocess.run([sys.executable, "-c", FIRST_CHILD, n], cwd=root,
                                  capture_output=True, text=True,
                                  env={**os.environ, "PYTHONPATH": str(root)})
            if proc.returncode != 0:
                raise SystemExit(f"benchmark child failed in {root}: "
                                 f"{(proc.stderr.strip().splitlines() or ['?'])[-1]}")
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        times = sorted(r["first"] for r in runs)
        out[n] = {"median": times[len(times) // 2], "best": times[0], "frame": runs[0]["frame"]}
    return out


def _large(root: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", LARGE_CHILD], cwd=root, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(root)})
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed in {root}: "
                         f"{(proc.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def larger_councils(baseline: str | None) -> None:
    """Exact power of an enlarged Council: the shipped 35-member composition plus one
    candidate-sized state (36), and a 44-member table (the largest a user table may hold),
    populations drawn at random between Malta's and Germany's (seeded); this code beside the
    ``baseline`` revision, with a check that both give the same indices."""
    new, new_first = _large(ROOT), _first_calls(ROOT)
    old = old_first = None
    if baseline is not None:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "baseline"
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), baseline],
                           cwd=ROOT, check=True, capture_output=True)
            try:
                old, old_first = _large(tree), _first_calls(tree)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                               capture_output=True)
    print(f"power_indices('qmv') on larger Councils (qmv, seeded populations; best of cold-cache "
          f"runs, first call in brackets){'; baseline ' + baseline if baseline else ''}")
    for n, target in TARGETS.items():
        m = new[n]
        verdict = "met" if m["best"] < target else "NOT met"
        text = (f"  {n} members: this code {m['best']:7.3f} s ({m['first']:.3f} s)  "
                f"[target < {target:g} s: {verdict}]")
        if old is not None:
            b = old[n]
            same = b["frame"] == m["frame"] and b["winning"] == m["winning"]
            text += (f"; baseline {b['best']:7.3f} s ({b['first']:.3f} s); ratio "
                     f"{b['best'] / m['best']:.1f}x; identical indices: {same}")
        print(text)
    print(f"first call of a fresh process (imports before the clock; median and best of "
          f"{FIRST_PROCESSES} processes)")
    for n in FIRST_SIZES:
        m = new_first[n]
        text = f"  {n} members: this code {m['median']:7.3f} s (best {m['best']:.3f} s)"
        if old_first is not None:
            b = old_first[n]
            text += (f"; baseline {b['median']:7.3f} s (best {b['best']:.3f} s); identical "
                     f"indices: {b['frame'] == m['frame']}")
        print(text)
    text = f"  peak memory of the process (both sizes): this code {new['peak_mib']:,.0f} MiB"
    if old is not None:
        text += f"; baseline {old['peak_mib']:,.0f} MiB"
    print(text)


if __name__ == "__main__":
    main()

"""Timing of the cheapest blocking coalition: the exact search against the integer programme.

Run: ``.venv/bin/python benchmarks/blocking.py``. Prints, per call, the best-of-N wall time of
:func:`model.treaty.blocking.cheapest_blocking_coalition` (meet-in-the-middle over Pareto
fronts) and of the integer programme it replaced (one ``scipy.optimize.milp`` per branch,
HiGHS, costs scaled as before), measured in the same run so the ratio can be read on a noisy
machine, and whether both find the same coalition, on

* the calls China's divide-and-rule plan makes in the flagship experiment
  (experiments/aci_rare_earth_divide_and_rule.toml, captured by wrapping the function);
* the EU28 (Council figures of 2016), the 35-member enlargement table and a seeded random
  44-member Council, under qmv and comitology, with seeded costs in the flagship's range;
* a seeded hard case for the EU27: costs nearly proportional to population (times a factor
  uniform on [0.9, 1.1]), close to a subset-sum problem, the worst case of the search (with
  costs exactly proportional the MILP took over a minute on this machine).

Usage: python benchmarks/blocking.py [--runs 7]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import model.treaty.blocking as blocking  # noqa: E402
from model.inputs.council import population_table  # noqa: E402
from model.treaty.blocking import blocking_branches, cheapest_blocking_coalition  # noqa: E402
from model.treaty.rules import get_rule  # noqa: E402


def milp_coalition(rule: str, costs: dict, population: dict, participating=None) -> tuple:
    """The replaced method: the cheapest of one MILP per branch (scaled as the old code did)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    r = get_rule(rule)
    g = r.game(population, participating)
    against = r.opposing_game(population, participating) if r.stopped_by_quota_against else None
    states = [s for s in g.states if math.isfinite(costs.get(s, math.inf))]
    c = np.array([float(costs[s]) for s in states])
    p = np.array([g.populations[g.states.index(s)] for s in states], dtype=float)
    scale = 1e4 / c.max() if len(c) and c.max() > 0 else 1.0
    best = (math.inf, ())
    for count_min, pop_min in blocking_branches(g, r.stopped_by_quota_against, against):
        res = milp(c * scale, integrality=np.ones(len(c)), bounds=Bounds(0, 1),
                   constraints=LinearConstraint(np.vstack([np.ones(len(c)), p]),
                                                [count_min, pop_min], [np.inf, np.inf]),
                   options={"mip_rel_gap": 0.0})
        if res.status == 0 and float(c[res.x > 0.5].sum()) < best[0]:
            best = (float(c[res.x > 0.5].sum()), tuple(sorted(np.array(states)[res.x > 0.5])))
    return best


def flagship_calls() -> list[tuple]:
    """(rule, costs, population, participating) of every call of the flagship's plan."""
    from model.api import run_experiment

    calls, original = [], blocking.cheapest_blocking_coalition

    def capture(rule, costs, population, participating=None, **options):
        calls.append((getattr(rule, "name", rule), dict(costs), dict(population),
                       None if participating is None else list(participating)))
        return original(rule, costs, population, participating, **options)

    blocking.cheapest_blocking_coalition = capture
    try:
        run_experiment(ROOT / "experiments" / "aci_rare_earth_divide_and_rule.toml",
                       replications=20)
    finally:
        blocking.cheapest_blocking_coalition = original
    return calls


def best_of(fn, runs: int) -> float:
    fn()
    return min(_timed(fn) for _ in range(runs))


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(label: str, call: tuple, runs: int) -> float:
    rule, costs, population, participating = call
    new = cheapest_blocking_coalition(rule, costs, population, participating)
    old_cost, old_states = milp_coalition(rule, costs, population, participating)
    t_new = best_of(lambda: cheapest_blocking_coalition(rule, costs, population, participating),
                    runs)
    t_old = best_of(lambda: milp_coalition(rule, costs, population, participating), runs)
    same = "same coalition" if tuple(sorted(new.states)) == old_states else (
        f"DIFFERENT: search {sorted(new.states)} {new.cost!r}, MILP {old_states} {old_cost!r}")
    print(f"  {label:<34} search {t_new * 1e3:8.2f} ms   MILP {t_old * 1e3:8.2f} ms   "
          f"ratio {t_old / t_new:6.1f}x   {same}")
    return t_old / t_new


def seeded_costs(population: dict, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {s: float(v) for s, v in zip(population, rng.uniform(0.4, 30.0, len(population)))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="best of this many calls")
    args = parser.parse_args()
    print(f"numpy {np.__version__}; best of {args.runs} calls each")
    calls = flagship_calls()
    print(f"flagship plan: {len(calls)} calls")
    ratios = [compare(f"call {i + 1} ({c[0]}, {len(c[3] or c[2])} states)", c, args.runs)
              for i, c in enumerate(calls)]
    print(f"  median ratio MILP / search over the plan: {statistics.median(ratios):.1f}x")
    rng = np.random.default_rng(44)
    councils = {
        "EU28 (council2016)": population_table("council2016"),
        "enlargement35": population_table("enlargement35"),
        "random 44": {f"X{i:02d}": int(v)
                      for i, v in enumerate(rng.integers(300_000, 84_000_000, 44))},
    }
    print("larger Councils, seeded costs uniform on [0.4, 30]")
    for name, pops in councils.items():
        for rule in ("qmv", "comitology"):
            compare(f"{name}, {rule}", (rule, seeded_costs(pops, len(pops)), pops, None),
                    args.runs)
    eu27 = population_table()
    noise = np.random.default_rng(27).uniform(0.9, 1.1, len(eu27))
    near = {s: v / 1e6 * f for (s, v), f in zip(eu27.items(), noise)}
    print("hard case: costs nearly proportional to population")
    for rule in ("qmv", "comitology"):
        compare(f"EU27, {rule}", (rule, near, eu27, None), 3)


if __name__ == "__main__":
    main()

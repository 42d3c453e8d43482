"""Benchmark: one ensemble-vectorised model with R = 10,000 against 10,000 models with R = 1.

Both sides run the same experiment (the flagship by default) in this process, so the ratio is
robust to a noisy machine. The R = 1 side runs a sample of models and scales the time up to
10,000 (the models are independent and identical in cost); the script says how many it ran.

Usage: python benchmarks/ensemble.py [EXPERIMENT.toml] [--sample 40]
Targets (issue 3): ratio >= 50x; 10,000 replications of a 12-round experiment under 2 s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from model.abm.model import CouncilModel
from model.experiments.resolve import resolve
from model.experiments.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment", nargs="?",
                        default=str(ROOT / "experiments" / "aci_rare_earth_divide_and_rule.toml"))
    parser.add_argument("--replications", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=40, help="R=1 models actually run")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    spec = load_spec(args.experiment)
    R = args.replications
    measure(spec, R, args)
    # The same without China's planning (exact criticality + cheapest blocking coalition each
    # round, which the R = 1 models repeat and the ensemble does once): the ratio of the array
    # work alone.
    quiet = spec.model_copy(update={"china": spec.china.model_copy(update={"strategy": "none",
                                                                            "budget": 0.0})})
    print()
    measure(quiet, R, args, label=" (China's strategy set to none)")


def measure(spec, R: int, args, label: str = "") -> None:
    scenario = resolve(spec)

    ensemble = best_of(lambda: CouncilModel(scenario, R, spec.seed).run(), args.repeat)

    def singles():
        for r in range(args.sample):
            CouncilModel(scenario, 1, spec.seed, first_block=r).run()

    sample_time = best_of(singles, 1)
    per_model = sample_time / args.sample
    scaled = per_model * R
    print(f"experiment: {spec.name}{label} ({spec.measure}, {spec.rounds} rounds, "
          f"China: {spec.china.strategy})")
    print(f"one model, R={R:,} replications in lockstep: {ensemble:.3f} s (best of {args.repeat})")
    print(f"{R:,} separate R=1 models: {scaled:.1f} s (ran {args.sample}, "
          f"{per_model * 1000:.1f} ms each, scaled x{R / args.sample:g})")
    print(f"ratio (separate / ensemble): {scaled / ensemble:.0f}x   [target >= 50x]")
    print(f"target 10,000 replications x 12 rounds under 2 s: "
          f"{'met' if ensemble < 2.0 and R >= 10_000 and spec.rounds >= 12 else 'NOT met'}")


if __name__ == "__main__":
    main()

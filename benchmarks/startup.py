"""Benchmark: start-up time of the command line and the wall time of the test suite.

Each command runs in a fresh process (best of --repeat runs), beside the baseline of a bare
interpreter start measured in the same run, so the figures can be read on a noisy machine.
Targets (issue 8): `eucoalition --help` and `eucoalition vote ...` under 0.5 s; the test suite
under 2 minutes (--suite runs it once).

Usage: python benchmarks/startup.py [--repeat 7] [--suite]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRY = [sys.executable, "-m", "model"]
COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "eucoalition --help": [*ENTRY, "--help"],
    "eucoalition vote (EV vote, --json)": [*ENTRY, "vote", "--rule", "comitology", "--for",
                                           "IT,FR,PL,NL,IE,LV,LT,EE,BG,DK", "--against",
                                           "DE,HU,MT,SI,SK", "--json"],
}


def best_of(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--suite", action="store_true", help="also time the whole test suite")
    args = parser.parse_args()
    base = None
    for label, command in COMMANDS.items():
        t = best_of(command, args.repeat)
        base = t if base is None else base
        target = "" if "baseline" in label else (
            f"  [target < 0.5 s: {'met' if t < 0.5 else 'NOT met'}]")
        print(f"{label:<38} {t:6.3f} s  ({t / base:4.1f}x the bare interpreter){target}")
    if args.suite:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                              cwd=ROOT, capture_output=True, text=True)
        t = time.perf_counter() - start
        last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        print(f"{'test suite (python -m pytest)':<38} {t:6.1f} s  ({last})  "
              f"[target < 120 s: {'met' if t < 120 else 'NOT met'}]")


if __name__ == "__main__":
    main()

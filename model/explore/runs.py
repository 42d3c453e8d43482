"""Running the page's scenarios with the code of ``eucoalition run`` and ``compare``.

A run is :func:`model.api.run_experiment` on the validated spec, so the page's numbers are those
of ``eucoalition run`` on the exported file, byte for byte. The last few runs are kept
(keyed by the experiment dict), so that switching to the comparison or exporting a briefing
does not run a scenario again. A comparison pairs the two runs as ``eucoalition compare`` does:
both with the saved scenario's seed and replications, reported by
:func:`model.experiments.compare.compare_results`.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

from ..api import run_experiment
from ..experiments.compare import compare_results
from ..experiments.results import ExperimentResult
from .scenario import spec_of

__all__ = ["RunCache", "Progress", "paired"]


class Progress:
    """How far the run of each open page is: page token -> (rounds done, rounds in all),
    written by the run, read by the page's progress line (both from server threads)."""

    def __init__(self) -> None:
        self._state: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def reporter(self, token: str | None):
        """The ``progress(done, total)`` callback of a run for page ``token`` (None: none)."""
        if token is None:
            return None

        def report(done: int, total: int) -> None:
            with self._lock:
                self._state[token] = (done, total)

        return report

    def of(self, token: str | None) -> tuple[int, int] | None:
        with self._lock:
            return self._state.get(token) if token is not None else None

    def done(self, token: str | None) -> None:
        with self._lock:
            self._state.pop(token, None)


class RunCache:
    """The results of the last ``size`` experiment dicts run (thread-safe: the page's server
    answers requests in threads)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._results: OrderedDict[str, ExperimentResult] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(raw: dict) -> str:
        return json.dumps(raw, sort_keys=True)

    def run(self, raw: dict, progress=None) -> ExperimentResult:
        """The result of the experiment dict ``raw`` (run now unless it is kept), telling
        ``progress(done, total)`` how many rounds are done."""
        key = self.key(raw)
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        result = run_experiment(spec_of(raw), progress=progress)
        with self._lock:
            self._results[key] = result
            while len(self._results) > self.size:
                self._results.popitem(last=False)
        return result


def paired(cache: RunCache, saved: dict, current: dict) -> dict:
    """The comparison report of ``current`` (b) against ``saved`` (a), paired by common random
    numbers: ``current`` runs with ``saved``'s seed and replications, as ``eucoalition
    compare saved.toml current.toml`` runs it."""
    same = {k: saved[k] for k in ("seed", "replications")}
    a = cache.run(saved)
    b = cache.run({**current, **same})
    report = compare_results(a, a.votes, b, b.votes)
    if any(current[k] != saved[k] for k in same):
        report["pairing_note"] = (f"the current scenario runs here with the saved one's seed "
                                  f"{saved['seed']} and {saved['replications']:,} replications, "
                                  "so that the two are paired")
    return report

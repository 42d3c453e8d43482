"""Experiment spec -> seeded model runs -> tidy results, summary and atomic output files.

``run_experiment`` resolves an experiment file, runs the Mesa model in chunks of whole random
blocks (so a chunked run equals a single run byte for byte), and returns an
:class:`ExperimentResult` with the summary dict and pandas tables. ``write_outputs`` writes
them atomically; an interrupted run resumes from the chunks already saved.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from . import __version__
from .council import BLOCK, CouncilModel, RunOutput
from .data import data_hashes, file_sha256
from .rules import OUTCOMES
from .spec import ExperimentSpec, Scenario, resolve, spec_and_path, spec_table

__all__ = ["ExperimentResult", "run_experiment", "write_outputs", "wilson_interval",
           "atomic_write_text", "atomic_write_bytes", "DEFAULT_CHUNK"]

DEFAULT_CHUNK = 40 * BLOCK   # 10,000 replications per model run


def wilson_interval(successes: int, n: int, z: float = float(norm.ppf(0.975))) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% by default).

    >>> [round(x, 4) for x in wilson_interval(50, 100)]
    [0.4038, 0.5962]
    """
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write a file so readers see either the old or the complete new content."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


@dataclass
class ExperimentResult:
    """Summary dict plus tidy tables of one experiment."""

    spec: ExperimentSpec
    summary: dict
    states: pd.DataFrame          # one row per state
    rounds: pd.DataFrame          # one row per round and state
    replications: pd.DataFrame    # one row per replication
    china: pd.DataFrame           # China's actions (in force and planned)
    manifest: dict = field(default_factory=dict)
    source_path: Path | None = None
    votes: np.ndarray | None = None   # (R, 27) position codes of every replication's vote


def _chunks(total: int, chunk: int) -> list[tuple[int, int]]:
    """(first_block, replications) of chunks made of whole blocks."""
    chunk = max(BLOCK, (chunk // BLOCK) * BLOCK)
    out, start = [], 0
    while start < total:
        size = min(chunk, total - start)
        out.append((start // BLOCK, size))
        start += size
    return out


def _run_chunk(scenario: Scenario, first_block: int, size: int, seed: int, point: int,
               on_round: Callable[[], None] | None = None) -> RunOutput:
    return CouncilModel(scenario, size, seed, point=point, first_block=first_block).run(on_round)


def _save_chunk(path: Path, out: RunOutput) -> None:
    import io

    buf = io.BytesIO()
    np.savez(buf, outcomes=out.outcomes, votes=out.votes, probabilities=out.probabilities,
             pivotal=out.pivotal, expected=out.expected, spend=out.spend,
             rounds=np.frombuffer(json.dumps(out.rounds).encode(), dtype=np.uint8),
             china=np.frombuffer(json.dumps(out.china_log).encode(), dtype=np.uint8),
             levers=np.frombuffer(json.dumps(out.levers_used).encode(), dtype=np.uint8))
    atomic_write_bytes(path, buf.getvalue())


def _load_chunk(path: Path, states: list[str]) -> RunOutput:
    z = np.load(path)
    return RunOutput(states=states, outcomes=z["outcomes"], votes=z["votes"],
                     probabilities=z["probabilities"], pivotal=z["pivotal"], expected=z["expected"],
                     rounds=json.loads(z["rounds"].tobytes()), china_log=json.loads(z["china"].tobytes()),
                     levers_used=json.loads(z["levers"].tobytes()), spend=z["spend"])


def _combine(parts: list[RunOutput]) -> RunOutput:
    first = parts[0]
    if len(parts) == 1:
        return first
    sizes = np.array([len(p.outcomes) for p in parts], dtype=float)
    rounds = pd.DataFrame(first.rounds)
    value_cols = ["p_for", "p_abstain", "p_against", "stick", "carrot"]
    stacked = np.stack([pd.DataFrame(p.rounds)[value_cols].to_numpy() for p in parts])
    rounds[value_cols] = np.tensordot(sizes / sizes.sum(), stacked, axes=1)
    return RunOutput(
        states=first.states, outcomes=np.concatenate([p.outcomes for p in parts]),
        votes=np.concatenate([p.votes for p in parts]),
        probabilities=np.concatenate([p.probabilities for p in parts], axis=1),
        pivotal=np.concatenate([p.pivotal for p in parts], axis=1), expected=first.expected,
        rounds=rounds.to_dict("records"), china_log=first.china_log,
        levers_used=first.levers_used, spend=first.spend)


def _claim_resume_dir(resume_dir: Path, spec: ExperimentSpec, point: int) -> None:
    """Keep saved chunks only if they belong to this very run (same spec, point, data and
    version); otherwise clear them, so an edited experiment never reuses stale chunks."""
    stamp = json.dumps({"spec": spec.model_dump(mode="json"), "point": point,
                        "data": data_hashes(_user_tables(spec)), "version": __version__},
                       sort_keys=True)
    marker = resume_dir / "run.json"
    if marker.is_file() and marker.read_text() == stamp:
        return
    for old in resume_dir.glob("chunk_*.npz"):
        old.unlink()
    atomic_write_text(marker, stamp)


def _unverified_inputs(scenario: Scenario) -> list[dict]:
    """Exposure cells this measure uses that rest on UNVERIFIED estimates."""
    used = set(scenario.stakes_weights) | {ins.channel for ins in scenario.instruments.values()}
    cells = scenario.exposure_table.unverified_cells()
    cells = cells[cells["channel"].isin(used) & cells["iso2"].isin(scenario.states)]
    return [{"iso2": r.iso2, "channel": r.channel} for r in cells.itertuples()]


def _tables(scenario: Scenario, out: RunOutput) -> tuple[dict, pd.DataFrame, pd.DataFrame,
                                                          pd.DataFrame, pd.DataFrame]:
    spec, rule = scenario.spec, scenario.rule
    words = OUTCOMES[rule]
    R = len(out.outcomes)
    counts = np.bincount(out.outcomes, minlength=len(words))
    if rule == "comitology":
        adopted = out.outcomes != words.index("blocked")
    else:
        adopted = out.outcomes == 0
    k = int(adopted.sum())
    lo, hi = wilson_interval(k, R)
    part = [i for i, s in enumerate(out.states) if s in set(scenario.states)]
    mean_p = out.probabilities.mean(axis=1)
    total_spend = float(out.spend.sum())
    state_rows = []
    for i in part:
        state_rows.append({
            "iso2": out.states[i],
            "p_for": round(float(mean_p[i, 0]), 6),
            "p_abstain": round(float(mean_p[i, 1]), 6),
            "p_against": round(float(mean_p[i, 2]), 6),
            "p_pivotal": round(float(out.pivotal[i].mean()), 6),
            "targeted_share": round(float(out.spend[i] / total_spend), 6) if total_spend > 0 else 0.0,
        })
    states = pd.DataFrame(state_rows)
    from .power import passage_probability

    expected = pd.DataFrame(out.expected[part], columns=["p_for", "p_abstain", "p_against"],
                            index=[out.states[i] for i in part])
    pop = pd.Series(scenario.populations, index=out.states)
    exact = passage_probability(rule, expected, population=pop, participating=list(expected.index))
    exact_adopted = (1.0 - exact.p_blocked) if rule == "comitology" else exact.p_adopted
    summary = {
        "experiment": spec.name,
        "measure": spec.measure,
        "rule": rule,
        "replications": R,
        "seed": spec.seed,
        "rounds": spec.rounds,
        "p_adopted": round(k / R, 6),
        "p_adopted_ci95": [round(lo, 6), round(hi, 6)],
        "outcomes": {w: round(int(c) / R, 6) for w, c in zip(words, counts)},
        "p_adopted_expected_track": round(float(exact_adopted), 6),
        "china": {"strategy": spec.china.strategy, "budget_per_round": scenario.budget,
                  "total_spend": round(total_spend, 6)},
        "commission_levers_used": out.levers_used,
        "unverified_inputs": _unverified_inputs(scenario),
        "states": state_rows,
    }
    if rule == "comitology":
        summary["adoption_note"] = ("comitology: the act is adopted unless a qualified majority "
                                    "votes against (positive opinion or no opinion)")
    reps = pd.DataFrame({
        "replication": np.arange(R),
        "outcome": [words[o] for o in out.outcomes],
        "adopted": adopted,
        "n_for": (out.votes == 0).sum(axis=1),
        "n_against": (out.votes == 1).sum(axis=1),
        "n_abstain": (out.votes == 2).sum(axis=1),
    })
    rounds = pd.DataFrame(out.rounds).round(6)
    china = pd.DataFrame(out.china_log, columns=["round", "instrument", "target", "intensity",
                                                 "spend", "source"]).round(6)
    return summary, states, rounds, reps, china


def run_experiment(path_or_spec, replications: int | None = None, seed: int | None = None, *,
                   point: int = 0, chunk: int = DEFAULT_CHUNK, resume_dir: Path | None = None,
                   progress: Callable[[int, int], None] | None = None) -> ExperimentResult:
    """Run an experiment file (or spec) and return its result.

    Parameters
    ----------
    path_or_spec : path of an experiment TOML, a dict, or an ExperimentSpec.
    replications, seed : override the file's values.
    point : index of the experiment point in a sweep (part of every random stream's key).
    chunk : replications per model run (rounded to whole blocks of 250).
    resume_dir : where finished chunks are kept so an interrupted run resumes.
    progress : called as progress(done_rounds, total_rounds).
    """
    spec, source_path = spec_and_path(path_or_spec)
    update = {}
    if replications is not None:
        update["replications"] = int(replications)
    if seed is not None:
        update["seed"] = int(seed)
    if update:
        spec = spec.model_copy(update=update)
    if spec.replications < 1:
        from .errors import InputError

        raise InputError("replications must be at least 1", field="replications")
    scenario = resolve(spec)
    plan = _chunks(spec.replications, chunk)
    total_rounds = len(plan) * spec.rounds
    done = 0
    parts = []
    if resume_dir is not None:
        _claim_resume_dir(Path(resume_dir), spec, point)
    for first_block, size in plan:
        cache = (Path(resume_dir) / f"chunk_{first_block:06d}_{size}.npz") if resume_dir else None
        if cache is not None and cache.exists():
            parts.append(_load_chunk(cache, list(scenario.all_states)))
            done += spec.rounds
            if progress:
                progress(done, total_rounds)
            continue

        def tick() -> None:
            nonlocal done
            done += 1
            if progress:
                progress(done, total_rounds)

        out = _run_chunk(scenario, first_block, size, spec.seed, point, tick)
        if cache is not None:
            _save_chunk(cache, out)
        parts.append(out)
    combined = _combine(parts)
    summary, states, rounds, reps, china = _tables(scenario, combined)
    manifest = {
        "experiment": spec.name,
        "source_file": source_path.name if source_path else None,
        "source_sha256": file_sha256(source_path) if source_path else None,
        "parameters": spec.model_dump(exclude_none=True),
        "resolved": {"rule": scenario.rule, "coefficients": scenario.coef,
                     "intercept": scenario.intercept, "stakes": scenario.stakes_weights,
                     "budget": scenario.budget, "levers": scenario.levers},
        "seed": spec.seed,
        "replications": spec.replications,
        "block_size": BLOCK,
        "data_sha256": data_hashes(_user_tables(spec)),
        "version": __version__,
    }
    return ExperimentResult(spec, summary, states, rounds, reps, china, manifest, source_path,
                            votes=combined.votes)


def _user_tables(spec: ExperimentSpec) -> dict[str, Path]:
    """A user-supplied population table, so the manifest records its hash too."""
    from .data import POPULATION_TABLES

    if spec.population in POPULATION_TABLES:
        return {}
    return {f"population:{Path(spec.population).name}": Path(spec.population)}


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n", float_format="%.6g")


def write_outputs(result: ExperimentResult, out_dir: Path | str) -> list[Path]:
    """Write summary.json, states.csv, rounds.csv, replications.csv, china_actions.csv,
    parameters.csv and manifest.json atomically (summary last, so its presence marks a
    complete run)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "states.csv": _csv(result.states),
        "rounds.csv": _csv(result.rounds),
        "replications.csv": _csv(result.replications),
        "china_actions.csv": _csv(result.china),
        "parameters.csv": _csv(spec_table(result.spec)),
        "manifest.json": json.dumps(result.manifest, indent=2, sort_keys=True, default=str) + "\n",
        "summary.json": json.dumps(result.summary, indent=2) + "\n",
    }
    written = []
    for name, text in files.items():
        atomic_write_text(out_dir / name, text)
        written.append(out_dir / name)
    return written

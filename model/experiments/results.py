"""What a run returns and writes: the summary, the tidy tables, one manifest builder, and the
atomic writing of an output folder.

Machine-readable outputs (summary.json, the CSV files) carry full float precision; rounding is
for display only (the command line and briefings), so that a state's p_for + p_abstain +
p_against adds up to 1 as exactly as floating point allows. The replications table is
replications.csv, or replications.parquet for a streamed run
(:mod:`model.experiments.replications`); the summary is computed from the run's reductions
either way, so it is the same whether the run kept its replications or streamed them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..abm.behaviour import COLUMNS
from ..abm.model import RunOutput
from ..abm.scenario import Scenario
from ..abm.streams import BLOCK
from ..abm.uncertainty import rate_intervals, uncertainty_shares
from ..inputs.tables import POPULATION_TABLES, data_hashes
from ..io import atomic_write_text, file_sha256
from ..stats import wilson_interval
from ..treaty.positions import ABSTAIN, AGAINST, FOR
from ..version import __version__
from .replications import FILE_NAMES, read_column, replication_rows
from .spec import ExperimentSpec, spec_table

__all__ = ["ExperimentResult", "summarise", "manifest", "write_outputs", "user_tables", "csv_text",
           "OUTPUT_FILES"]

#: The files of a run's output folder; summary.json is written last and marks a complete run.
#: A streamed run writes replications.parquet in place of replications.csv.
OUTPUT_FILES = ("states.csv", "rounds.csv", "replications.csv", "china_actions.csv",
                "parameters.csv", "manifest.json", "summary.json")


@dataclass
class ExperimentResult:
    """Summary dict plus tidy tables of one experiment."""

    spec: ExperimentSpec
    summary: dict
    states: pd.DataFrame          # one row per state
    rounds: pd.DataFrame          # one row per round and state
    replications: pd.DataFrame | None   # one row per replication (None when streamed)
    china: pd.DataFrame           # China's actions (in force and planned)
    manifest: dict = field(default_factory=dict)
    source_path: Path | None = None
    votes: np.ndarray | None = None   # (R, n) position codes of every replication's vote
    replications_file: Path | None = None   # the streamed table (Parquet), if streamed

    @property
    def streamed(self) -> bool:
        return self.replications_file is not None

    def replication_column(self, name: str) -> np.ndarray:
        """One column of the replications table, from memory or read from the streamed file."""
        if self.replications is not None:
            return self.replications[name].to_numpy()
        return read_column(self.replications_file, name)

    @property
    def output_files(self) -> tuple[str, ...]:
        """The files :func:`write_outputs` writes for this result, in order."""
        table = FILE_NAMES["parquet" if self.streamed else "csv"]
        return tuple(table if f == FILE_NAMES["csv"] else f for f in OUTPUT_FILES)


def _unverified_inputs(scenario: Scenario) -> list[dict]:
    """Exposure cells this measure uses that rest on UNVERIFIED estimates."""
    used = set(scenario.stakes_weights) | {ins.channel for ins in scenario.instruments.values()}
    cells = scenario.exposure_table.unverified_cells()
    cells = cells[cells["channel"].isin(used) & cells["iso2"].isin(scenario.states)]
    return [{"iso2": r.iso2, "channel": r.channel} for r in cells.itertuples()]


def summarise(spec: ExperimentSpec, scenario: Scenario, out: RunOutput) -> tuple[
        dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The summary dict and the states, replications and China's-actions tables of a run."""
    from ..treaty.power import passage_probability

    rule = scenario.rule
    words = rule.outcomes
    R = out.n_replications
    counts = out.outcome_counts.sum(axis=0)
    adopted_per_block = out.outcome_counts[:, rule.adopted(np.arange(len(words)))].sum(axis=1)
    k = int(adopted_per_block.sum())
    lo, hi = wilson_interval(k, R)
    part = [i for i, s in enumerate(out.states) if s in set(scenario.states)]
    mean_p = out.mean_probabilities
    p_pivotal = out.p_pivotal
    total_spend = float(out.spend.sum())
    state_rows = [{
        "iso2": out.states[i],
        "p_for": float(mean_p[i, FOR]),
        "p_abstain": float(mean_p[i, ABSTAIN]),
        "p_against": float(mean_p[i, AGAINST]),
        "p_pivotal": float(p_pivotal[i]),
        "targeted_share": float(out.spend[i] / total_spend) if total_spend > 0 else 0.0,
    } for i in part]
    expected = pd.DataFrame(out.expected[part], columns=list(COLUMNS),
                            index=[out.states[i] for i in part])
    pop = dict(zip(out.states, (int(p) for p in scenario.populations)))
    exact = passage_probability(rule, expected, population=pop, participating=list(expected.index))
    drawn = scenario.uncertainty is not None and out.theta is not None
    sizes = out.block_sizes or [R]
    rates = adopted_per_block / np.asarray(sizes, dtype=float)
    interval = rate_intervals(rates, (lo, hi), drawn, sizes)
    shares = (uncertainty_shares(rates, out.theta, scenario.uncertainty.names)
              if drawn else [])
    summary = {
        "experiment": spec.name,
        "measure": spec.measure,
        "rule": rule.name,
        "replications": R,
        "seed": spec.seed,
        "rounds": spec.rounds,
        "as_of": scenario.knowledge_date,
        "as_of_rule": scenario.as_of_rule,
        "composition": scenario.composition,
        "population_table": _table_name(scenario.population_table),
        "p_adopted": k / R,
        "p_adopted_ci95": interval["monte_carlo"],
        "p_adopted_interval": {"monte_carlo": interval["monte_carlo"],
                               "total": interval["total"],
                               "parameter_draws": interval["parameter_draws"]},
        "uncertainty": shares,
        "parameters": {"drawn": scenario.uncertainty.names if drawn else [],
                       "fixed": scenario.fixed, "blocks": len(sizes)},
        "outcomes": {w: int(c) / R for w, c in zip(words, counts)},
        "p_adopted_expected_track": float(rule.p_adopted_in_the_end(exact)),
        "china": {"strategy": scenario.strategy, "budget_per_round": scenario.budget,
                  "total_spend": total_spend},
        "commission_levers_used": out.levers_used,
        **({"commission_levers_too_late": out.levers_too_late} if out.levers_too_late else {}),
        "unverified_inputs": _unverified_inputs(scenario),
        "neutral_members": scenario.neutral_members,
        "actions_not_used": scenario.actions_not_used,
        **({"context": scenario.context} if any(scenario.context.values()) else {}),
        "states": state_rows,
    }
    if rule.adoption_note:
        summary["adoption_note"] = rule.adoption_note
    reps = (None if out.outcomes is None
            else pd.DataFrame(replication_rows(rule, out.outcomes, out.votes)))
    china = pd.DataFrame(out.china_log, columns=["round", "instrument", "target", "intensity",
                                                 "spend", "source"])
    return summary, pd.DataFrame(state_rows), reps, china


def _table_name(table: str) -> str:
    """A shipped table's name, or a user table's file name (never a local path)."""
    return table if table in POPULATION_TABLES else Path(table).name


def user_tables(spec: ExperimentSpec) -> dict[str, Path]:
    """User-supplied population and composition tables, so the manifest records their hashes
    too."""
    out = {}
    if spec.population is not None and spec.population not in POPULATION_TABLES:
        out[f"population:{Path(spec.population).name}"] = Path(spec.population)
    if spec.composition is not None and Path(spec.composition).is_file():
        out[f"composition:{Path(spec.composition).name}"] = Path(spec.composition)
    return out


def manifest(spec: ExperimentSpec, scenario: Scenario, source_path: Path | None) -> dict:
    """What a reader needs to reproduce a run: the experiment, the resolved parameters, seed,
    replications, the hashes of every data file and the package version."""
    return {
        "experiment": spec.name,
        "source_file": source_path.name if source_path else None,
        "source_sha256": file_sha256(source_path) if source_path else None,
        "parameters": spec.model_dump(exclude_none=True),
        "as_of": scenario.knowledge_date,
        "as_of_rule": scenario.as_of_rule,
        "composition": {"name": scenario.composition, "title": scenario.composition_title,
                        "members": list(scenario.all_states)},
        "resolved": {"rule": scenario.rule.name, "coefficients": scenario.coef,
                     "intercept": scenario.intercept, "stakes": scenario.stakes_weights,
                     "budget": scenario.budget, "levers": scenario.levers},
        "seed": spec.seed,
        "replications": spec.replications,
        "block_size": BLOCK,
        "data_sha256": data_hashes(user_tables(spec)),
        "version": __version__,
    }


def csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV with full float precision (shortest exact representation)."""
    return frame.to_csv(index=False, lineterminator="\n")


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy a file so readers of ``target`` see the old or the complete new content."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_outputs(result: ExperimentResult, out_dir: Path | str) -> list[Path]:
    """Write the result's :attr:`~ExperimentResult.output_files` atomically (summary last,
    so its presence marks a complete run); the other format's replications table, left by an
    earlier run into the same folder, is removed."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)     # incomplete until written again
    for name in FILE_NAMES.values():
        if name not in result.output_files:
            (out_dir / name).unlink(missing_ok=True)
    texts = {
        "states.csv": csv_text(result.states),
        "rounds.csv": csv_text(result.rounds),
        "china_actions.csv": csv_text(result.china),
        "parameters.csv": csv_text(spec_table(result.spec)),
        "manifest.json": json.dumps(result.manifest, indent=2, sort_keys=True, default=str) + "\n",
        "summary.json": json.dumps(result.summary, indent=2) + "\n",
    }
    written = []
    for name in result.output_files:
        if name == FILE_NAMES["parquet"]:
            _copy_atomically(result.replications_file, out_dir / name)
        elif name == FILE_NAMES["csv"]:
            atomic_write_text(out_dir / name, csv_text(result.replications))
        else:
            atomic_write_text(out_dir / name, texts[name])
        written.append(out_dir / name)
    return written

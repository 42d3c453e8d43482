"""Parameter sweeps: run an experiment at every design point, stream results to disk, resume.

``run_sweep`` takes an experiment file with a ``[sweep]`` table (or parameters given on the
command line, :mod:`model.experiments.design`), builds the design and runs the experiment at
every point,
each with its own experiment-point index (``point`` in every random stream's key,
model.abm.streams), so a point's result depends only on the experiment, the design and the seed -
never on the executor, the number of workers or the order in which points finish.

Output directory::

    manifest.json            experiment, sweep, seed, replications, data hashes, version
    design.csv               one row per design point
    chunks/part-00000.parquet   results of points 0..chunk-1 (one file per chunk of points)
    points.csv               every point's parameters and adoption probability (at the end)
    sensitivity.csv          which parameters move the adoption probability most (at the end)
    sweep.json               the summary; written last, so its presence marks a finished sweep

Every file is written atomically. A point's result is also kept in ``.partial/`` as soon as it
is known, and a chunk's Parquet file is written when its last point finishes, so an interrupted
sweep (Ctrl-C, a killed worker or machine) reruns only the points it had not finished and ends
with the same bytes as an uninterrupted run. Parquet files have a fixed schema and carry no
timestamps.

Executors (:mod:`model.experiments.executors`): ``local`` runs the points one after another
in this process; ``dask`` submits them to a dask.distributed cluster.
"""

from __future__ import annotations

import io
import json
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..inputs.tables import EU27, data_hashes
from ..io import atomic_write_bytes, atomic_write_text, file_sha256
from ..version import __version__
from .design import SweepSpec, apply_point, assignment, build_design, check_points, parse_sweep
from .executors import make_executor
from .results import csv_text
from .run import run_experiment
from .spec import ExperimentSpec, spec_and_path, spec_composition

__all__ = ["Sweep", "SweepResult", "plan_sweep", "run_sweep", "evaluate_point", "read_results",
           "METRICS", "metrics"]

def metrics(members=EU27) -> tuple[tuple[str, pa.DataType], ...]:
    """Result columns besides the point index and the parameters, in file order, for a
    Council of ``members``."""
    return (
        ("replications", pa.int64()),
        ("n_adopted", pa.int64()),
        ("p_adopted", pa.float64()),
        ("p_adopted_lo", pa.float64()),
        ("p_adopted_hi", pa.float64()),
        ("p_adopted_total_lo", pa.float64()),
        ("p_adopted_total_hi", pa.float64()),
        ("p_adopted_expected_track", pa.float64()),
        ("total_spend", pa.float64()),
        *((f"p_for_{s}", pa.float64()) for s in members),
        *((f"p_against_{s}", pa.float64()) for s in members),
    )


#: The result columns of a sweep in today's EU27.
METRICS = metrics()


@dataclass
class Sweep:
    """A planned sweep: the base experiment, the validated design and its table."""

    spec: ExperimentSpec
    sweep: SweepSpec
    design: pd.DataFrame
    source_path: Path | None

    @property
    def n_points(self) -> int:
        return len(self.design)

    @property
    def n_chunks(self) -> int:
        return -(-self.n_points // self.sweep.chunk)

    def chunk_points(self, c: int) -> range:
        return range(c * self.sweep.chunk, min((c + 1) * self.sweep.chunk, self.n_points))

    def point_spec(self, point: int) -> ExperimentSpec:
        return apply_point(self.spec, assignment(self.design, self.sweep, point))

    def schema(self) -> pa.Schema:
        fields = [pa.field("point", pa.int64())]
        for p in self.sweep.parameters:
            fields.append(pa.field(p.name, pa.float64() if p.kind == "numeric" else pa.string()))
        if "sobol_matrix" in self.design.columns:
            fields += [pa.field("sobol_matrix", pa.int64()), pa.field("sobol_row", pa.int64())]
        fields += [pa.field(name, typ)
                   for name, typ in metrics(spec_composition(self.spec).members)]
        return pa.schema(fields)

    def manifest(self) -> dict:
        spec = self.spec
        return {
            "kind": "sweep",
            "experiment": spec.name,
            "source_file": self.source_path.name if self.source_path else None,
            "source_sha256": file_sha256(self.source_path) if self.source_path else None,
            "parameters": spec.model_dump(exclude_none=True),
            "sweep": self.sweep.to_dict(),
            "sweep_sha256": self.sweep.fingerprint(),
            "points": self.n_points,
            "chunks": self.n_chunks,
            "seed": spec.seed,
            "replications": spec.replications,
            "point_streams": ("SeedSequence(seed, spawn_key=(point, block, purpose)); point = "
                              + ("0 for every design point (common random numbers)"
                                 if self.sweep.common_random_numbers else "the design row")),
            "data_sha256": data_hashes(),
            "version": __version__,
        }


@dataclass
class SweepResult:
    """A finished sweep: the results table (one row per point), the sensitivity table and the
    summary written to sweep.json."""

    sweep: Sweep
    results: pd.DataFrame
    sensitivity: pd.DataFrame
    summary: dict
    out_dir: Path


def plan_sweep(experiment, *, params: dict[str, Any] | None = None, design: str | None = None,
               samples: int | None = None, replications: int | None = None,
               chunk: int | None = None, fixed_parameters: bool = False) -> Sweep:
    """Validate an experiment's sweep (file table, or ``params`` from the command line) and
    build its design table. Bad input raises InputError naming the file and field."""
    spec, path = spec_and_path(experiment)
    if fixed_parameters:
        spec = spec.model_copy(update={"fixed_parameters": True})
    if replications is not None:
        if replications < 1:
            raise InputError("must be at least 1", field="--replications")
        spec = spec.model_copy(update={"replications": int(replications)})
    sweep = parse_sweep(spec.sweep, file=path, default_seed=spec.seed, design=design,
                        samples=samples, parameters=params, chunk=chunk)
    table = build_design(sweep)
    check_points(spec, sweep, table, file=path)
    return Sweep(spec, sweep, table, path)


def evaluate_point(spec: ExperimentSpec, point: int, stream: int | None = None) -> dict:
    """Run design point ``point`` and return its result row; ``stream`` is the experiment-point
    index of its random numbers (default: ``point``)."""
    result = run_experiment(spec, point=point if stream is None else stream)
    s = result.summary
    lo, hi = s["p_adopted_interval"]["monte_carlo"]
    row = {
        "point": int(point),
        "replications": int(s["replications"]),
        "n_adopted": int(result.replication_column("adopted").sum()),
        "p_adopted": float(s["p_adopted"]),
        "p_adopted_lo": float(lo),
        "p_adopted_hi": float(hi),
        "p_adopted_total_lo": float(s["p_adopted_interval"]["total"][0]),
        "p_adopted_total_hi": float(s["p_adopted_interval"]["total"][1]),
        "p_adopted_expected_track": float(s["p_adopted_expected_track"]),
        "total_spend": float(s["china"]["total_spend"]),
    }
    states = {r["iso2"]: r for r in s["states"]}
    members = spec_composition(spec).members
    for iso in members:
        row[f"p_for_{iso}"] = float(states[iso]["p_for"]) if iso in states else math.nan
    for iso in members:
        row[f"p_against_{iso}"] = float(states[iso]["p_against"]) if iso in states else math.nan
    return row


# --- files ------------------------------------------------------------------------------------

def _parquet_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=False, store_schema=False)
    return buf.getvalue()


def _chunk_table(sweep: Sweep, rows: list[dict]) -> pa.Table:
    schema = sweep.schema()
    design = sweep.design.set_index("point")
    columns: dict[str, list] = {f.name: [] for f in schema}
    for row in sorted(rows, key=lambda r: r["point"]):
        d = design.loc[row["point"]]
        for f in schema:
            if f.name in row:
                columns[f.name].append(row[f.name])
            else:
                value = d[f.name]
                columns[f.name].append(int(value) if pa.types.is_integer(f.type)
                                       else float(value) if pa.types.is_floating(f.type)
                                       else str(value))
    return pa.table(columns, schema=schema)


def read_results(out_dir: Path | str) -> pd.DataFrame:
    """All finished chunks of a sweep directory as one table, in point order."""
    files = sorted((Path(out_dir) / "chunks").glob("part-*.parquet"))
    if not files:
        return pd.DataFrame()
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


def _check_manifest(out_dir: Path, manifest: dict) -> None:
    path = out_dir / "manifest.json"
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        raise InputError("unreadable manifest; use a fresh --out directory", file=path) from None
    what = {"kind": "kind", "parameters": "experiment", "sweep_sha256": "design",
            "seed": "seed", "replications": "replications", "data_sha256": "params/ data",
            "version": "package version"}
    changed = [label for key, label in what.items() if old.get(key) != manifest.get(key)]
    if changed:
        raise InputError(f"this directory holds a different sweep ({', '.join(changed)} "
                         "changed); use another --out or delete it", file=path)


# --- running ------------------------------------------------------------------------------------

def run_sweep(experiment, out: Path | str, *, params: dict[str, Any] | None = None,
              design: str | None = None, samples: int | None = None,
              replications: int | None = None, chunk: int | None = None,
              executor: str = "local", workers: int | None = None, scheduler: str | None = None,
              fixed_parameters: bool = False,
              progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Run a sweep into ``out``, resuming whatever an earlier, interrupted run left there.

    Parameters
    ----------
    experiment : experiment file (with a [sweep] table unless ``params`` is given), dict or spec.
    out : output directory (see the module docstring for its layout).
    params : parameters from the command line
        (:func:`model.experiments.design.parse_param_options`); they replace the file's
        [sweep.parameters].
    design, samples, chunk : replace the file's sweep.design, sweep.samples, sweep.chunk.
    replications : replications per design point (default: the experiment's).
    executor : "local" or "dask"; workers and scheduler configure dask.
    progress : called as progress(points_done, points_total) after every point.

    Returns
    -------
    SweepResult
    """
    plan = plan_sweep(experiment, params=params, design=design, samples=samples,
                      replications=replications, chunk=chunk, fixed_parameters=fixed_parameters)
    runner = make_executor(executor, workers, scheduler)
    out_dir = Path(out)
    manifest = plan.manifest()
    _check_manifest(out_dir, manifest)
    atomic_write_text(out_dir / "manifest.json",
                      json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    design_cols = [c for c in plan.design.columns]
    atomic_write_text(out_dir / "design.csv", csv_text(plan.design[design_cols]))
    chunks_dir, partial = out_dir / "chunks", out_dir / ".partial"
    chunks_dir.mkdir(parents=True, exist_ok=True)
    part = lambda c: chunks_dir / f"part-{c:05d}.parquet"          # noqa: E731
    done_chunks = {c for c in range(plan.n_chunks) if part(c).exists()}
    rows: dict[int, dict] = {}
    if partial.exists():
        for f in sorted(partial.glob("point-*.json")):
            row = json.loads(f.read_text())
            if row["point"] // plan.sweep.chunk not in done_chunks:
                rows[row["point"]] = row
    todo = [p for c in range(plan.n_chunks) if c not in done_chunks for p in plan.chunk_points(c)
            if p not in rows]
    done = plan.n_points - len(todo)
    if progress:
        progress(done, plan.n_points)

    def finish_chunk(c: int) -> None:
        table = _chunk_table(plan, [rows.pop(p) for p in plan.chunk_points(c)])
        atomic_write_bytes(part(c), _parquet_bytes(table))
        done_chunks.add(c)
        for p in plan.chunk_points(c):
            (partial / f"point-{p:07d}.json").unlink(missing_ok=True)

    for c in range(plan.n_chunks):                    # chunks finished but not yet written
        if c not in done_chunks and all(p in rows for p in plan.chunk_points(c)):
            finish_chunk(c)
    if todo:
        with runner:
            for point, row in runner.map(evaluate_point, ((p, plan.point_spec(p),
                                                          plan.sweep.run_point(p))
                                                         for p in todo)):
                rows[point] = row
                atomic_write_text(partial / f"point-{point:07d}.json", json.dumps(row) + "\n")
                c = point // plan.sweep.chunk
                if all(p in rows for p in plan.chunk_points(c)):
                    finish_chunk(c)
                done += 1
                if progress:
                    progress(done, plan.n_points)
    shutil.rmtree(partial, ignore_errors=True)
    return _finish(plan, out_dir)


def _finish(plan: Sweep, out_dir: Path) -> SweepResult:
    from .sensitivity import sensitivity

    results = read_results(out_dir)
    names = [p.name for p in plan.sweep.parameters]
    keep = ["point", *names, "replications", "n_adopted", "p_adopted", "p_adopted_lo",
            "p_adopted_hi", "p_adopted_total_lo", "p_adopted_total_hi",
            "p_adopted_expected_track", "total_spend"]
    atomic_write_text(out_dir / "points.csv", csv_text(results[keep]))
    table = sensitivity(results, plan.sweep)
    atomic_write_text(out_dir / "sensitivity.csv", csv_text(table))
    best = results.loc[results["p_adopted"].idxmax()]
    worst = results.loc[results["p_adopted"].idxmin()]

    def point_dict(row) -> dict:
        return {"point": int(row["point"]),
                "values": {n: (float(row[n]) if isinstance(row[n], (float, np.floating))
                               else row[n]) for n in names},
                "p_adopted": float(row["p_adopted"]),
                "p_adopted_ci95": [float(row["p_adopted_lo"]), float(row["p_adopted_hi"])],
                "p_adopted_interval": {
                    "monte_carlo": [float(row["p_adopted_lo"]), float(row["p_adopted_hi"])],
                    "total": [float(row["p_adopted_total_lo"]), float(row["p_adopted_total_hi"])]},
                "points_with_this_value": int((results["p_adopted"] == row["p_adopted"]).sum())}

    summary = {
        "experiment": plan.spec.name,
        "measure": plan.spec.measure,
        "design": plan.sweep.design,
        "samples": plan.sweep.samples,
        "common_random_numbers": plan.sweep.common_random_numbers,
        "parameters": [p.to_dict() for p in plan.sweep.parameters],
        "points": plan.n_points,
        "replications_per_point": plan.spec.replications,
        "seed": plan.spec.seed,
        "p_adopted_min": point_dict(worst),
        "p_adopted_max": point_dict(best),
        "sensitivity_r2": _clean(table.attrs.get("r2")),
        "sensitivity": [{k: _clean(v) for k, v in r.items()} for r in table.to_dict("records")],
    }
    atomic_write_text(out_dir / "sweep.json", json.dumps(summary, indent=2) + "\n")
    return SweepResult(plan, results, table, summary, out_dir)


def _clean(value):
    """JSON-friendly: NaN -> None, numpy scalars -> Python (full precision)."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value

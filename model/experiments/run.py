"""Run an experiment: spec -> resolved scenario -> seeded model runs in chunks -> results.

``run_experiment`` resolves an experiment file, runs the Mesa model in chunks of whole random
blocks (so a chunked run equals a single run byte for byte) and returns an
:class:`~model.experiments.results.ExperimentResult`. With ``resume_dir`` every finished chunk
is saved as it comes, so an interrupted run resumes from the chunks already done. A run of more
than :data:`~model.experiments.replications.STREAM_ABOVE` replications streams its
replications table to Parquet as the chunks come and keeps only reductions, so its memory does
not grow with the replications; a run whose memory would exceed what the machine has is
refused before it starts.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..abm.blocks import add_blocks
from ..abm.model import STATE_REPORTERS, RunOutput
from ..abm.plan import Plan
from ..abm.scenario import Scenario
from ..abm.streams import BLOCK
from ..errors import InputError
from ..inputs.tables import data_hashes
from ..io import atomic_write_bytes, atomic_write_text
from ..version import __version__
from .replications import FILE_NAMES, STREAM_ABOVE, ParquetRows, replication_rows
from .resolve import resolve
from .results import ExperimentResult, manifest, summarise, user_tables
from .spec import ExperimentSpec, spec_and_path
from .stages import run_stages
from .workers import WORKERS_ENV, chunk_outputs, default_workers, run_chunk

__all__ = ["run_experiment", "DEFAULT_CHUNK", "memory_needed", "available_memory"]

DEFAULT_CHUNK = 40 * BLOCK   # 10,000 replications per model run
#: Memory a run keeps per replication per member state (votes, probabilities, pivotal flags
#: and the replications table; measured on the flagship), and what a chunk needs on top. A
#: streamed run keeps per replication only its share of the block sums (24 bytes per state
#: per block of 250).
_BYTES_PER_REPLICATION_STATE = 120
_BYTES_PER_REPLICATION_STATE_STREAMED = 1
_BYTES_PER_CHUNK_REPLICATION_STATE = 400


def memory_needed(replications: int, states: int, chunk: int = DEFAULT_CHUNK, *,
                  streamed: bool = False, workers: int = 1) -> int:
    """Bytes a run of ``replications`` over ``states`` member states needs (an estimate);
    every worker process holds one chunk at a time."""
    working = min(chunk, replications) * states * _BYTES_PER_CHUNK_REPLICATION_STATE * workers
    kept = _BYTES_PER_REPLICATION_STATE_STREAMED if streamed else _BYTES_PER_REPLICATION_STATE
    return replications * states * kept + working + 200 * 2**20


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (None if the system does not say)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def _workers_that_fit(replications: int, states: int, streamed: bool, chunk: int,
                      workers: int | None) -> int:
    """The number of worker processes the run uses, checked against the memory available:
    the default number is lowered until the run fits (each worker holds a chunk); a number
    the user chose (``workers`` or ``$EUCOALITION_WORKERS``) is kept or refused."""
    chosen = workers is not None or bool(os.environ.get(WORKERS_ENV, "").strip())
    n = default_workers(_n_chunks(replications, chunk), workers)
    have = available_memory()

    def need(k: int) -> int:
        return memory_needed(replications, states, chunk, streamed=streamed, workers=k)

    while have is not None and need(n) > have and n > 1 and not chosen:
        n -= 1
    if have is not None and need(n) > have:
        hint = ("run fewer replications or fewer workers (--workers, "
                f"${WORKERS_ENV})" if n > 1 else "run fewer replications")
        raise InputError(f"{replications:,} replications on {n} worker process(es) would need "
                         f"about {need(n) / 2**30:,.1f} GiB of memory; "
                         f"{have / 2**30:,.1f} GiB is available: {hint}",
                         field="workers" if n > 1 else "replications")
    return n


def _chunk_size(chunk: int) -> int:
    return max(BLOCK, (chunk // BLOCK) * BLOCK)


def _n_chunks(total: int, chunk: int) -> int:
    """How many chunks :func:`_chunks` makes (without listing them: a refused run may ask for
    more chunks than memory holds)."""
    return -(-total // _chunk_size(chunk))


def _chunks(total: int, chunk: int) -> list[tuple[int, int]]:
    """(first_block, replications) of chunks made of whole blocks."""
    chunk = _chunk_size(chunk)
    out, start = [], 0
    while start < total:
        size = min(chunk, total - start)
        out.append((start // BLOCK, size))
        start += size
    return out


def _save_chunk(path: Path, out: RunOutput) -> None:
    def text(obj) -> np.ndarray:
        return np.frombuffer(json.dumps(obj).encode(), dtype=np.uint8)

    buf = io.BytesIO()
    extra = {} if out.theta is None else {"theta": out.theta}
    np.savez(buf, outcomes=out.outcomes, votes=out.votes, probability_sums=out.probability_sums,
             pivotal_counts=out.pivotal_counts, expected=out.expected, spend=out.spend,
             round_records=text(out.round_records.to_dict("list")), round_sums=out.round_sums,
             china=text(out.china_log),
             levers=text(out.levers_used), late=text(out.levers_too_late),
             blocks=np.array(out.block_sizes or [], dtype=np.int64),
             **extra)
    atomic_write_bytes(path, buf.getvalue())


def _load_chunk(path: Path, states: list[str]) -> RunOutput:
    z = np.load(path)

    def text(name: str):
        return json.loads(z[name].tobytes())

    return RunOutput(states=states, outcomes=z["outcomes"], votes=z["votes"],
                     probability_sums=z["probability_sums"], pivotal_counts=z["pivotal_counts"],
                     expected=z["expected"],
                     round_records=pd.DataFrame(text("round_records"))[
                         ["round", "iso2", *STATE_REPORTERS]],
                     round_sums=z["round_sums"],
                     china_log=text("china"), levers_used=text("levers"), spend=z["spend"],
                     block_sizes=[int(b) for b in z["blocks"]] if "blocks" in z else None,
                     theta=z.get("theta"),
                     levers_too_late=text("late") if "late" in z else {})


#: Version of the saved chunk files; a resume directory of another format is started afresh.
_CHUNK_FORMAT = 3      # 3: per-round sums per block in place of per-chunk means


def outcome_counts(outcomes: np.ndarray, sizes: list[int], n_outcomes: int) -> np.ndarray:
    """(blocks, outcomes): how many replications of each block ended in each outcome."""
    block = np.repeat(np.arange(len(sizes)), sizes)
    flat = np.bincount(block * n_outcomes + outcomes, minlength=len(sizes) * n_outcomes)
    return flat.reshape(len(sizes), n_outcomes)


class _Combined:
    """One RunOutput from chunks: arrays and the final-round block sums concatenated, integer
    counts added, the per-round block sums added up in block order as the chunks come.

    Block sums are added in block order however the run was chunked (the RunOutput averages
    them, :mod:`model.abm.blocks`) and counts add up, so the summary, the replications table
    and rounds.csv are the same to the bit for any chunking; the per-round sums are held as one
    block, their total, so they do not grow with the replications."""

    def __init__(self, n_outcomes: int) -> None:
        self.n_outcomes = n_outcomes
        self.parts: list[RunOutput] = []
        self.rounds: np.ndarray | None = None

    def add(self, out: RunOutput) -> None:
        self.rounds = add_blocks(out.round_sums, self.rounds)
        counts = outcome_counts(out.outcomes, out.block_sizes or [len(out.outcomes)],
                                self.n_outcomes)
        self.parts.append(replace(out, round_sums=None, outcome_counts=counts))

    def result(self) -> RunOutput:
        parts = self.parts
        first = replace(parts[0], round_sums=self.rounds[:, None])
        if len(parts) == 1:
            return first
        return replace(
            first, outcomes=np.concatenate([p.outcomes for p in parts]),
            votes=np.concatenate([p.votes for p in parts]),
            probability_sums=np.concatenate([p.probability_sums for p in parts], axis=1),
            pivotal_counts=np.sum([p.pivotal_counts for p in parts], axis=0),
            block_sizes=[b for p in parts for b in (p.block_sizes or [])],
            theta=None if first.theta is None else np.concatenate([p.theta for p in parts]),
            outcome_counts=np.concatenate([p.outcome_counts for p in parts]))


class _Reduced:
    """A streamed run's RunOutput, reduced as the chunks come: nothing per replication and,
    per block of 250, only its outcome counts and parameter draws (the intervals and the
    uncertainty shares need them).

    The block sums of the final-round probabilities and of the per-round columns are added
    block after block as they come (:func:`~model.abm.blocks.add_blocks`, the order in which a
    whole run's block sums are added, so the means are the same to the bit; tests check it)
    and held as one block, their total; pivotal counts are added up."""

    def __init__(self, n_outcomes: int) -> None:
        self.n_outcomes = n_outcomes
        self.first: RunOutput | None = None
        self.counts: list[np.ndarray] = []
        self.theta: list[np.ndarray] = []
        self.blocks: list[int] = []
        self.probabilities: np.ndarray | None = None
        self.rounds: np.ndarray | None = None

    def add(self, out: RunOutput) -> None:
        sizes = out.block_sizes or [len(out.outcomes)]
        self.counts.append(outcome_counts(out.outcomes, sizes, self.n_outcomes))
        self.blocks += list(sizes)
        if out.theta is not None:
            self.theta.append(out.theta)
        if self.first is None:
            self.first, self.pivotal = out, out.pivotal_counts.copy()
        else:
            self.pivotal += out.pivotal_counts
        self.probabilities = add_blocks(out.probability_sums, self.probabilities)
        self.rounds = add_blocks(out.round_sums, self.rounds)

    def result(self) -> RunOutput:
        first = self.first
        return RunOutput(
            states=first.states, outcomes=None, votes=None,
            probability_sums=self.probabilities[:, None], pivotal_counts=self.pivotal,
            expected=first.expected, round_records=first.round_records,
            round_sums=self.rounds[:, None], china_log=first.china_log,
            levers_used=first.levers_used, spend=first.spend,
            levers_too_late=first.levers_too_late, block_sizes=self.blocks,
            theta=np.concatenate(self.theta) if self.theta else None,
            outcome_counts=np.concatenate(self.counts))


def _claim_resume_dir(resume_dir: Path, spec: ExperimentSpec, point: int) -> None:
    """Keep saved chunks only if they belong to this very run (same spec, point, data and
    version); otherwise clear them, so an edited experiment never reuses stale chunks."""
    stamp = json.dumps({"spec": spec.model_dump(mode="json"), "point": point,
                        "chunk_format": _CHUNK_FORMAT,
                        "data": data_hashes(user_tables(spec)), "version": __version__},
                       sort_keys=True)
    marker = resume_dir / "run.json"
    if marker.is_file() and marker.read_text() == stamp:
        return
    for old in resume_dir.glob("chunk_*.npz"):
        old.unlink()
    atomic_write_text(marker, stamp)


def run_scenario(scenario: Scenario, replications: int, seed: int, *, point: int = 0,
                 chunk: int = DEFAULT_CHUNK, resume_dir: Path | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 rows: Callable[[RunOutput, int], None] | None = None,
                 workers: int | None = None) -> RunOutput:
    """Run a resolved scenario in chunks of whole blocks and combine them.

    With ``rows``, each chunk's output is handed to ``rows(chunk_output, first_replication)``
    as it comes, in order, and the returned RunOutput keeps only the reductions (its
    ``outcomes`` and ``votes`` are None): memory does not grow with the replications.
    ``workers``: processes running the chunks (default: :func:`~.workers.default_workers`);
    the result is the same to the bit for any number."""
    chunks = _chunks(replications, chunk)
    total_rounds = len(chunks) * scenario.rounds
    done = 0
    n_outcomes = len(scenario.rule.outcomes)
    combined = _Combined(n_outcomes) if rows is None else _Reduced(n_outcomes)
    plan = Plan()       # recorded by the first chunk that runs, replayed by the others

    def cache_of(first_block: int, size: int) -> Path | None:
        return (Path(resume_dir) / f"chunk_{first_block:06d}_{size}.npz") if resume_dir else None

    def tick(rounds: int = 1) -> None:
        nonlocal done
        done += rounds
        if progress:
            progress(done, total_rounds)

    todo = [c for c in chunks if not (cache_of(*c) and cache_of(*c).exists())]
    pending = set(todo)
    n_workers = default_workers(len(todo), workers)
    pooled = chunk_outputs(scenario, todo, seed, point, plan, n_workers) if n_workers > 1 \
        else None
    try:
        for first_block, size in chunks:
            cache = cache_of(first_block, size)
            serial = pooled is None and (first_block, size) in pending
            if (first_block, size) not in pending:
                out = _load_chunk(cache, list(scenario.all_states))
            elif pooled is not None:
                out = next(pooled)
            else:
                out = run_chunk(scenario, size, seed, point, first_block, plan, tick)
            if cache is not None and (first_block, size) in pending:
                _save_chunk(cache, out)
            if rows is not None:
                rows(out, first_block * BLOCK)
            combined.add(out)
            if not serial:      # a chunk run here ticked round by round
                tick(scenario.rounds)
    finally:
        if pooled is not None:
            pooled.close()          # stops the workers, also when interrupted
    return combined.result()


def _streams(spec: ExperimentSpec, stream: bool | None) -> bool:
    """Whether the run streams its replications table (see the module doc)."""
    if stream is None:
        return spec.replications > STREAM_ABOVE and not spec.stages
    if stream and spec.stages:
        raise InputError("an experiment with stages keeps its replications in memory: it "
                         "cannot stream them", field="stages")
    return bool(stream)


def _rows_file(resume_dir: Path | None) -> tuple[Path, str | None]:
    """Where a streamed table is written: in the resume folder, or in a temporary folder of
    its own (removed with the result)."""
    if resume_dir is not None:
        return Path(resume_dir) / FILE_NAMES["parquet"], None
    folder = tempfile.mkdtemp(prefix="eucoalition-run-")
    return Path(folder) / FILE_NAMES["parquet"], folder


def run_experiment(path_or_spec, replications: int | None = None, seed: int | None = None, *,
                   point: int = 0, chunk: int = DEFAULT_CHUNK, resume_dir: Path | None = None,
                   fixed_parameters: bool = False, stream: bool | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   workers: int | None = None) -> ExperimentResult:
    """Run an experiment file (or spec) and return its result.

    Parameters
    ----------
    path_or_spec : path of an experiment TOML, a dict, or an ExperimentSpec.
    replications, seed : override the file's values.
    point : index of the experiment point in a sweep (part of every random stream's key).
    chunk : replications per model run (rounded to whole blocks of 250).
    resume_dir : where finished chunks are kept so an interrupted run resumes.
    fixed_parameters : keep every coefficient at its estimate (no parameter draws).
    stream : write the replications table to Parquet as it comes and keep no per-replication
        arrays (``result.replications_file``, in ``resume_dir`` or else a temporary folder
        removed with the result; ``result.replications`` and ``result.votes`` are None).
        Default: above STREAM_ABOVE replications, for experiments without stages.
    progress : called as progress(done_rounds, total_rounds).
    workers : processes running the chunks; default: every usable CPU for a run of at least
        PARALLEL_FROM chunks (``$EUCOALITION_WORKERS`` overrides), else one. The result is the
        same to the bit for any number.
    """
    spec, source_path = spec_and_path(path_or_spec)
    update = {}
    if replications is not None:
        update["replications"] = int(replications)
    if seed is not None:
        update["seed"] = int(seed)
    if fixed_parameters:
        update["fixed_parameters"] = True
    if update:
        spec = spec.model_copy(update=update)
    if spec.replications < 1:
        raise InputError("replications must be at least 1", field="replications")
    streamed = _streams(spec, stream)
    scenario = resolve(spec)
    workers = _workers_that_fit(spec.replications, len(scenario.all_states), streamed, chunk,
                                workers)
    if resume_dir is not None:
        Path(resume_dir).mkdir(parents=True, exist_ok=True)
        _claim_resume_dir(Path(resume_dir), spec, point)
    writer, scratch = None, None
    if streamed:
        path, scratch = _rows_file(resume_dir)
        writer = ParquetRows(path)
    try:
        combined = run_scenario(
            scenario, spec.replications, spec.seed, point=point, chunk=chunk,
            resume_dir=resume_dir, progress=progress, workers=workers,
            rows=None if writer is None else
            lambda out, start: writer.append(replication_rows(scenario.rule, out.outcomes,
                                                              out.votes, start)))
        rows_path = writer.close() if writer is not None else None
    except BaseException:
        if writer is not None:
            writer.abort()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        raise
    summary, states, reps, china = summarise(spec, scenario, combined)
    if spec.stages:
        chain = run_stages(
            spec, scenario, combined, seed=spec.seed, point=point, resume_dir=resume_dir,
            run=lambda sc, folder: run_scenario(sc, spec.replications, spec.seed, point=point,
                                                chunk=chunk, resume_dir=folder,
                                                workers=workers))
        for name, values in chain.pop("_columns").items():
            reps[name] = values
        summary.update(chain)
    result = ExperimentResult(spec, summary, states, combined.rounds, reps, china,
                              manifest(spec, scenario, source_path), source_path,
                              votes=combined.votes, replications_file=rows_path)
    if scratch is not None:
        weakref.finalize(result, shutil.rmtree, scratch, ignore_errors=True)
    return result

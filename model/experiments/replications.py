"""The replications table - one row per replication - kept in memory or streamed to Parquet.

A run of at most :data:`STREAM_ABOVE` replications keeps its table in memory and writes it
as ``replications.csv``, as it always has. A larger run writes the same rows as they come,
chunk by chunk, to ``replications.parquet`` (:class:`ParquetRows`) and keeps only its
reductions, so its peak memory does not grow with the number of replications. The rows go
out in row groups of :data:`ROW_GROUP` replications whatever the chunks are, so the file's
bytes do not depend on how the run was split; the file is written under a temporary name and
renamed once complete.

>>> import numpy as np
>>> from model.treaty.rules import get_rule
>>> votes = np.array([[0, 0, 2], [2, 2, 0]], dtype=np.int8)
>>> rows = replication_rows(get_rule("simple"), np.array([0, 1]), votes, start=10)
>>> rows["replication"].tolist(), rows["outcome"].tolist(), rows["n_for"].tolist()
([10, 11], ['adopted', 'not_adopted'], [2, 1])
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..treaty.positions import ABSTAIN, AGAINST, FOR

__all__ = ["STREAM_ABOVE", "ROW_GROUP", "FILE_NAMES", "replication_rows", "ParquetRows",
           "read_column", "read_table"]

#: Runs with more replications than this stream their table to replications.parquet.
STREAM_ABOVE = 100_000
#: Replications per Parquet row group (fixed, so the bytes do not depend on the chunks).
ROW_GROUP = 100_000
#: The table's file in an output folder: in memory (CSV) or streamed (Parquet).
FILE_NAMES = {"csv": "replications.csv", "parquet": "replications.parquet"}


def replication_rows(rule, outcomes: np.ndarray, votes: np.ndarray, start: int = 0) -> dict:
    """The table's columns for replications ``start, start + 1, ...``: the outcome word,
    whether the measure is adopted, and the number of states for, against and abstaining."""
    words = np.array(rule.outcomes, dtype=object)
    return {
        "replication": np.arange(start, start + len(outcomes), dtype=np.int64),
        "outcome": words[np.asarray(outcomes, dtype=np.intp)],
        "adopted": rule.adopted(outcomes),
        "n_for": (votes == FOR).sum(axis=1, dtype=np.int64),
        "n_against": (votes == AGAINST).sum(axis=1, dtype=np.int64),
        "n_abstain": (votes == ABSTAIN).sum(axis=1, dtype=np.int64),
    }


class ParquetRows:
    """Append replication rows to a Parquet file as they come; :meth:`close` completes it.

    Rows are buffered and written in row groups of exactly ``row_group`` replications (the
    last may be shorter), to a temporary file in the target's folder that replaces the target
    only when closed; :meth:`abort` removes it (an interrupted run leaves no half file)."""

    def __init__(self, path: Path | str, row_group: int = ROW_GROUP) -> None:
        self.path = Path(path)
        self.row_group = int(row_group)
        self.rows = 0
        self._buffer: list[dict] = []
        self._buffered = 0
        self._writer = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                   suffix=".tmp")
        os.close(fd)
        self._tmp = Path(tmp)

    def append(self, columns: dict) -> None:
        """Add rows (a dict of equal-length columns, as :func:`replication_rows` gives)."""
        n = len(next(iter(columns.values())))
        self._buffer.append(columns)
        self._buffered += n
        self.rows += n
        while self._buffered >= self.row_group:
            self._flush(self.row_group)

    def _flush(self, n: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        merged = {k: np.concatenate([c[k] for c in self._buffer]) for k in self._buffer[0]}
        table = pa.table({k: pa.array(v[:n], type=pa.string() if k == "outcome" else None)
                          for k, v in merged.items()})
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._tmp, table.schema)
        self._writer.write_table(table, row_group_size=n)
        rest = {k: v[n:] for k, v in merged.items()}
        self._buffered -= n
        self._buffer = [rest] if self._buffered else []

    def close(self) -> Path:
        """Write what is buffered, complete the file and rename it into place."""
        if self._buffered or self._writer is None:
            if not self._buffer:
                raise ValueError("no replications were written")
            self._flush(self._buffered)
        self._writer.close()
        os.chmod(self._tmp, 0o666 & ~_umask())
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the unfinished file."""
        if self._writer is not None:
            self._writer.close()
        self._tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_column(path: Path | str, name: str) -> np.ndarray:
    """One column of a streamed table (reads only that column)."""
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=[name]).column(name).to_numpy()


def read_table(path: Path | str) -> pd.DataFrame:
    """The whole streamed table as a DataFrame (the dtypes of the in-memory table)."""
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pandas()

"""Saved steps of long fits, so that an interrupted calibration or validation resumes.

A work folder holds a stamp (what the steps depend on: the cases' records, the free
parameters and their scales, replications, seeds, the data and the version) and the steps
themselves: every model evaluation of a fit (the probabilities of each case at one parameter
vector, ``evaluations/``) and any JSON result a caller names. Steps are reused only under the
same stamp; a different one clears the folder first. A resumed fit retraces the optimizer's
deterministic path and finds every evaluation it had already made on disk.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes, atomic_write_text

__all__ = ["claim", "saved", "Evaluations"]

STAMP = "stamp.json"


def claim(work: Path | None, stamp: dict) -> None:
    """Keep the steps saved in ``work`` only if they were made under ``stamp``; otherwise
    remove them (the stamp, ``full_fit.json``, ``case_NNN.json`` and ``evaluations/``,
    nothing else)."""
    if work is None:
        return
    work.mkdir(parents=True, exist_ok=True)
    text = json.dumps(stamp, sort_keys=True)
    marker = work / STAMP
    if marker.is_file() and marker.read_text() == text:
        return
    # only what this module writes is removed: a folder a user names may hold other files
    shutil.rmtree(work / "evaluations", ignore_errors=True)
    for old in [marker, work / "full_fit.json", *work.glob("case_[0-9][0-9][0-9].json")]:
        old.unlink(missing_ok=True)
    atomic_write_text(marker, text)


def saved(work: Path | None, name: str, compute: Callable[[], dict]) -> dict:
    """A step's JSON result: read from ``work`` if saved there, else computed and saved."""
    path = None if work is None else work / name
    if path is not None and path.is_file():
        return json.loads(path.read_text())
    result = compute()
    if path is not None:
        atomic_write_text(path, json.dumps(result))
    return result


class Evaluations:
    """Model evaluations of a fit on disk: the list of per-case probability arrays at one
    parameter vector (fitted scale), keyed by the vector's exact bytes."""

    def __init__(self, work: Path | None) -> None:
        self.folder = None if work is None else Path(work) / "evaluations"
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: bytes) -> Path | None:
        return None if self.folder is None else self.folder / (
            hashlib.sha256(key).hexdigest()[:32] + ".npz")

    def get(self, key: bytes) -> list[np.ndarray] | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        with np.load(path) as z:
            return [z[f"case_{i}"] for i in range(len(z.files))]

    def put(self, key: bytes, arrays: list[np.ndarray]) -> None:
        path = self._path(key)
        if path is None:
            return
        buf = io.BytesIO()
        np.savez(buf, **{f"case_{i}": a for i, a in enumerate(arrays)})
        atomic_write_bytes(path, buf.getvalue())

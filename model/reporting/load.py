"""Reading results folders back: a run (summary.json), a comparison (compare.json) or a sweep
(sweep.json), with its manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError

__all__ = ["Result", "load_result"]


@dataclass
class Result:
    """One results directory: its kind (run, compare, sweep), payload and manifest."""

    kind: str
    path: Path
    data: dict
    manifest: dict
    parts: dict = field(default_factory=dict)     # compare: the "a" and "b" runs
    table: pd.DataFrame | None = None            # sweep: results
    path_out: Path = Path(".")                   # where the briefing's charts go

    @property
    def title(self) -> str:
        if self.kind == "compare":
            return f"{self.data['a']} vs {self.data['b']}"
        return self.data["experiment"]


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"unreadable ({type(exc).__name__})", file=path) from None


def load_result(path: Path | str) -> Result:
    """Read a run, compare or sweep output directory (InputError if it is none of them)."""
    path = Path(path)
    if not path.is_dir():
        raise InputError("not a directory", file=path)
    manifest = _read_json(path / "manifest.json") if (path / "manifest.json").exists() else {}
    if (path / "compare.json").exists():
        data = _read_json(path / "compare.json")
        parts = {k: load_result(path / k) for k in ("a", "b")
                 if (path / k / "summary.json").exists()}
        return Result("compare", path, data, manifest, parts=parts)
    if (path / "sweep.json").exists():
        from ..experiments.sweep import read_results

        return Result("sweep", path, _read_json(path / "sweep.json"), manifest,
                      table=read_results(path))
    if (path / "summary.json").exists():
        data = _read_json(path / "summary.json")
        if "states" not in data or "p_adopted" not in data:
            raise InputError("not a run summary", file=path / "summary.json")
        return Result("run", path, data, manifest)
    if (path / "design.csv").exists():
        raise InputError("sweep not finished (no sweep.json); rerun the sweep to complete it",
                         file=path)
    raise InputError("no summary.json, compare.json or sweep.json: not a results directory",
                     file=path)

"""Load and validate the data tables of params/ (and user-supplied tables) with provenance.

This module and :mod:`model.inputs.catalogue` are the only readers of params/. Every table keeps
its ``source`` and ``confidence`` columns; rows whose confidence is UNVERIFIED are estimates and
are carried with that flag. Validation errors name the file, row and column
(:class:`model.errors.InputError`).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io import file_sha256
from .council import (
    CONFIDENCE_LEVELS,
    EU27,
    PARAMS_DIR,
    POPULATION_TABLES,
    council_population,
    normalise_iso2,
    parse_iso2_list,
    parse_number,
    population_table,
)
from .dating import parse_date, period_end

__all__ = [
    "EU27", "PARAMS_DIR", "CONFIDENCE_LEVELS", "normalise_iso2", "parse_iso2_list", "read_csv",
    "check_provenance",
    "read_toml", "load_member_states", "load_population", "load_exposures", "load_alignment",
    "load_probabilities", "load_costs", "data_hashes", "council_population", "POPULATION_TABLES",
]


def read_csv(path: Path | str, required: Iterable[str]) -> pd.DataFrame:
    """Read a CSV as strings and check that the required columns exist."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"malformed CSV ({first})", file=path) from None
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=path, field=missing[0])
    return frame


def read_toml(path: Path | str) -> dict:
    """Read a TOML file, turning syntax errors into one-line InputErrors."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        with open(path, "rb") as fh:
            return tomllib.loads(fh.read().decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("not a text file (malformed TOML: it is not UTF-8)", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"malformed TOML ({exc})", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror or type(exc).__name__})", file=path) from None


def check_provenance(frame: pd.DataFrame, path: Path) -> None:
    """Every row names its source and one of the confidence levels (an InputError naming the
    file, row and field otherwise)."""
    for i, rec in enumerate(frame.to_dict("records"), start=2):
        if not rec["source"].strip():
            raise InputError("missing source", file=path, row=i, field="source")
        if rec["confidence"].strip() not in CONFIDENCE_LEVELS:
            raise InputError(f"unknown confidence '{rec['confidence']}' (expected one of "
                             f"{', '.join(CONFIDENCE_LEVELS)})", file=path, row=i,
                             field="confidence")


def _unique_states(codes: list[str], path: Path) -> None:
    seen: set[str] = set()
    for i, code in enumerate(codes, start=2):
        if code in seen:
            raise InputError(f"duplicate country code {code}", file=path, row=i, field="iso2")
        seen.add(code)


@lru_cache(maxsize=8)
def _member_states(path: Path) -> pd.DataFrame:
    frame = read_csv(path, ["iso2", "name", "population", "source", "confidence"])
    frame["iso2"] = [normalise_iso2(c, file=path, row=i) for i, c in enumerate(frame["iso2"], 2)]
    _unique_states(list(frame["iso2"]), path)
    check_provenance(frame, path)
    frame["population"] = [parse_number(v, file=path, row=i, field="population", integer=True)
                           for i, v in enumerate(frame["population"], 2)]
    missing = sorted(set(EU27) - set(frame["iso2"]))
    if missing:
        raise InputError(f"member states missing: {', '.join(missing)}", file=path, field="iso2")
    return frame.set_index("iso2").loc[list(EU27)]


def load_member_states(path: Path | str | None = None) -> pd.DataFrame:
    """The 27 member states with their Council QMV population for 2025 and its provenance.

    >>> ms = load_member_states()
    >>> len(ms), int(ms.loc["DE", "population"])
    (27, 83395240)
    """
    return _member_states(Path(path) if path else PARAMS_DIR / "member_states.csv").copy()


def load_population(spec: str | Path | None = None) -> pd.Series:
    """Integer populations by ISO2 code used for the Treaty arithmetic.

    ``spec`` is None or 'council2025' (the default Council figures), 'eurostat2024',
    'eurostat2025', or the path of a user CSV with columns iso2,population. A user table may
    list a subset of states; only those states can then take part in a vote.

    >>> int(load_population("eurostat2024").sum())
    449206579
    """
    if spec is None or str(spec) == "council2025":
        return load_member_states()["population"].astype("int64").rename("population")
    table = population_table(spec)
    return pd.Series(list(table.values()), index=pd.Index(list(table), name="iso2"),
                     name="population", dtype="int64")


def _tidy_table(path: Path, value_numeric: bool) -> pd.DataFrame:
    """A long table of sourced rows. ``known_from`` (the day a row became known) may be left
    out - of a column or a cell - for an annual figure: it is then the end of its reference
    ``year`` (the convention of scripts/build_params.py)."""
    required = ["iso2", "sector" if value_numeric else "indicator", "indicator", "value", "unit",
                "year", "source", "confidence"]
    frame = read_csv(path, dict.fromkeys(required))
    frame["iso2"] = [normalise_iso2(c, file=path, row=i, allow_eu=True)
                     for i, c in enumerate(frame["iso2"], 2)]
    check_provenance(frame, path)
    if "known_from" not in frame.columns:
        frame["known_from"] = ""
    dates = []
    for i, (v, year) in enumerate(zip(frame["known_from"], frame["year"]), 2):
        day = parse_date(v, file=path, row=i, field="known_from") or period_end(year)
        if day is None:
            raise InputError("no date it became known, and no year to date it by", file=path,
                             row=i, field="known_from")
        dates.append(day)
    frame["known_from"] = dates
    if value_numeric:
        frame["value"] = [parse_number(v, file=path, row=i, field="value")
                          for i, v in enumerate(frame["value"], 2)]
    if "item" not in frame.columns:
        frame["item"] = ""
    frame["row"] = range(2, len(frame) + 2)
    frame["unverified"] = frame["confidence"] == "UNVERIFIED"
    return frame


@lru_cache(maxsize=4)
def _exposures(path: Path) -> pd.DataFrame:
    return _tidy_table(path, value_numeric=True)


def load_exposures(path: Path | str | None = None) -> pd.DataFrame:
    """Sector exposures to China in long format with provenance and an ``unverified`` flag."""
    return _exposures(Path(path) if path else PARAMS_DIR / "exposures.csv").copy()


@lru_cache(maxsize=4)
def _alignment(path: Path) -> pd.DataFrame:
    return _tidy_table(path, value_numeric=False)


def load_alignment(path: Path | str | None = None) -> pd.DataFrame:
    """Political alignment indicators (BRI memorandum, 14+1, opinion polls, China Index)."""
    return _alignment(Path(path) if path else PARAMS_DIR / "alignment.csv").copy()


def _probability(value: str, *, file: Path, row: int, field: str) -> float:
    number = parse_number(value, file=file, row=row, field=field, nonnegative=False)
    if not 0.0 <= number <= 1.0:
        raise InputError(f"probability {value} outside [0, 1]", file=file, row=row, field=field)
    return float(number)


def load_probabilities(path: Path | str) -> pd.DataFrame:
    """Read iso2,p_for,p_against,p_abstain[,p_constructive] and check each row sums to 1."""
    path = Path(path)
    frame = read_csv(path, ["iso2", "p_for", "p_against", "p_abstain"])
    cols = ["p_for", "p_against", "p_abstain",
            *(["p_constructive"] if "p_constructive" in frame else [])]
    codes = [normalise_iso2(c, file=path, row=i) for i, c in enumerate(frame["iso2"], 2)]
    _unique_states(codes, path)
    out = pd.DataFrame(index=pd.Index(codes, name="iso2"))
    for col in cols:
        out[col] = [_probability(v, file=path, row=i, field=col)
                    for i, v in enumerate(frame[col], 2)]
    for i, total in enumerate(out[cols].sum(axis=1), 2):
        if abs(total - 1.0) > 1e-6:
            raise InputError(f"probabilities sum to {total:.6g}, not 1", file=path, row=i,
                             field=cols[0])
    return out


def load_costs(path: Path | str) -> pd.Series:
    """Read iso2,cost (non-negative; 'inf' marks a state that cannot be moved)."""
    path = Path(path)
    frame = read_csv(path, ["iso2", "cost"])
    codes = [normalise_iso2(c, file=path, row=i) for i, c in enumerate(frame["iso2"], 2)]
    _unique_states(codes, path)
    values = []
    for i, v in enumerate(frame["cost"], 2):
        if v.strip().lower() in {"inf", "infinity"}:
            values.append(math.inf)
        else:
            values.append(float(parse_number(v, file=path, row=i, field="cost")))
    return pd.Series(values, index=pd.Index(codes, name="iso2"), name="cost")


def data_hashes(extra: Mapping[str, Path] | None = None) -> dict[str, str]:
    """Hashes of every file in params/ the tool reads (and any extra files) for run manifests;
    params/sources/ holds what scripts/build_params.py builds params/ from and is left out."""
    files = sorted(p for p in PARAMS_DIR.rglob("*")
                   if p.is_file() and p.relative_to(PARAMS_DIR).parts[0] != "sources")
    out = {str(p.relative_to(PARAMS_DIR)): file_sha256(p) for p in files}
    for name, path in (extra or {}).items():
        out[name] = file_sha256(path)
    return out

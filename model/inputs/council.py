"""The Council's members and their populations: codes, aliases and population tables.

Read with the standard library only (no pandas), so that the quick commands (``eucoalition
vote``) start fast. Population figures are exact integers; a table that leaves members out is
an error unless the caller says who takes part.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from ..errors import InputError

__all__ = ["PARAMS_DIR", "EU27", "CONFIDENCE_LEVELS", "POPULATION_TABLES", "normalise_iso2",
           "parse_iso2_list", "parse_number", "read_rows", "population_table",
           "council_population"]

PARAMS_DIR = Path(os.environ.get("EUCOALITION_PARAMS",
                                 Path(__file__).resolve().parents[2] / "params"))

#: The 27 member states by their ISO 3166-1 alpha-2 code (Greece as GR; EL accepted as alias).
EU27: tuple[str, ...] = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)
_ALIASES = {"EL": "GR"}
CONFIDENCE_LEVELS = ("high", "medium-high", "medium", "low-medium", "low", "derived", "UNVERIFIED")
POPULATION_TABLES = {
    "council2025": "member_states.csv",
    "eurostat2024": "population_eurostat_2024.csv",
    "eurostat2025": "population_eurostat_2025.csv",
}


def normalise_iso2(code: object, *, file: object = None, row: int | None = None,
                   field: str = "iso2", allow_eu: bool = False) -> str:
    """Return the canonical ISO2 code of a member state (EL -> GR), or raise InputError.

    >>> normalise_iso2(" el ")
    'GR'
    """
    text = str(code).strip().upper()
    text = _ALIASES.get(text, text)
    if text in EU27 or (allow_eu and text == "EU"):
        return text
    raise InputError(f"unknown country code '{str(code).strip()}' (expected one of the EU27 "
                     "ISO2 codes, e.g. DE, FR, GR/EL)", file=file, row=row, field=field)


def parse_iso2_list(text: str | None, *, field: str) -> list[str]:
    """Parse a comma-separated list such as 'DE,FR, it' into canonical codes."""
    if not text:
        return []
    return [normalise_iso2(part, field=field) for part in text.split(",") if part.strip()]


def parse_number(value: str, *, file: object, row: int, field: str, integer: bool = False,
                 nonnegative: bool = True) -> float | int:
    """A number from a table cell, or an InputError naming file, row and field."""
    text = value.strip().replace("_", "")
    try:
        number = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise InputError(f"'{value}' is not {kind}", file=file, row=row, field=field) from None
    if not integer and not math.isfinite(number):
        raise InputError(f"'{value}' is not a finite number", file=file, row=row, field=field)
    if nonnegative and number < 0:
        raise InputError(f"negative value {value}", file=file, row=row, field=field)
    return number


def read_rows(path: Path | str, required: Iterable[str]) -> list[dict[str, str]]:
    """The rows of a CSV file as dicts of stripped strings, with the required columns checked;
    any failure to read is one InputError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh, skipinitialspace=True)
            header = [c.strip() for c in (reader.fieldnames or [])]
            rows = []
            for raw in reader:
                if None in raw:
                    raise InputError(f"row {reader.line_num} has more cells than the header",
                                     file=path)
                rows.append({k.strip(): (v or "").strip() for k, v in raw.items()})
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"malformed CSV ({type(exc).__name__})", file=path) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=path, field=missing[0])
    return rows


def population_table(spec: str | Path | None = None) -> dict[str, int]:
    """Integer populations by ISO2 code from a population table.

    ``spec`` is None or 'council2025' (the Council's figures for 2025), 'eurostat2024',
    'eurostat2025', or the path of a user CSV with columns iso2,population.

    >>> sum(population_table("eurostat2024").values())
    449206579
    """
    key = "council2025" if spec is None else str(spec)
    path = PARAMS_DIR / POPULATION_TABLES[key] if key in POPULATION_TABLES else Path(spec)
    info = path.stat() if path.is_file() else None
    return dict(_population_cached(path, info and (info.st_mtime_ns, info.st_size)))


@lru_cache(maxsize=16)
def _population_cached(path: Path, _stamp: tuple | None) -> tuple[tuple[str, int], ...]:
    """A population CSV, re-read when the file changes (cached on path, mtime and size)."""
    out: dict[str, int] = {}
    for i, rec in enumerate(read_rows(path, ["iso2", "population"]), start=2):
        code = normalise_iso2(rec["iso2"], file=path, row=i)
        if code in out:
            raise InputError(f"duplicate country code {code}", file=path, row=i, field="iso2")
        number = parse_number(rec["population"], file=path, row=i, field="population",
                              integer=True)
        if number == 0:
            raise InputError("population must be positive", file=path, row=i, field="population")
        out[code] = number
    return tuple(out.items())


def council_population(table: str | Path | Mapping | None = None,
                       participating: Iterable[str] | None = None,
                       members: tuple[str, ...] = EU27) -> dict[str, int]:
    """Populations of the Council's members from a table (see :func:`load_population`), or a
    mapping iso2 -> population already in hand.

    Every member needs a figure: a table that leaves members out is an error naming them,
    unless the caller says who takes part (``participating``) and the missing members are
    among those who do not.

    >>> len(council_population())
    27
    """
    if isinstance(table, Mapping):
        pops = {str(k): v for k, v in table.items()}
        where = None
    else:
        pops = population_table(table)
        where = None if table is None or str(table) in POPULATION_TABLES else table
    taking_part = set(members) if participating is None else set(participating)
    missing = [s for s in members if s not in pops and s in taking_part]
    if missing:
        hint = ("; list who takes part to vote without them" if participating is None else "")
        raise InputError(f"the population table has no figure for {len(missing)} member "
                         f"state{'s' if len(missing) > 1 else ''}: {', '.join(missing)}{hint}",
                         file=where, field="population")
    return pops

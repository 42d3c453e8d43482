"""The Council's members and their populations: codes, aliases, population tables and the
Council's composition on a given day.

The Council was the EU27 with the United Kingdom until Croatia joined on 1 July 2013, the EU28
until the United Kingdom left on 31 January 2020, and the EU27 since (params/compositions.toml);
a hypothetical enlargement is a table of members and populations of any size the exact engine
supports (a shipped example adds Ukraine, Moldova and the six Western Balkan candidates).

Read with the standard library only (no pandas), so that the quick commands (``eucoalition
vote``) start fast. Population figures are exact integers; a table that leaves members out is
an error unless the caller says who takes part.
"""

from __future__ import annotations

import csv
import math
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import InputError
from .dating import parse_date

__all__ = ["PARAMS_DIR", "EU27", "CONFIDENCE_LEVELS", "POPULATION_TABLES", "normalise_iso2",
           "parse_iso2_list", "parse_number", "read_rows", "population_table",
           "council_population", "Composition", "composition", "compositions", "country_names",
           "MAX_MEMBERS"]

PARAMS_DIR = Path(os.environ.get("EUCOALITION_PARAMS",
                                 Path(__file__).resolve().parents[2] / "params"))

#: The 27 member states by their ISO 3166-1 alpha-2 code (Greece as GR; EL accepted as alias).
EU27: tuple[str, ...] = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)
_ALIASES = {"EL": "GR", "UK": "GB"}
#: The largest Council the exact engine takes (two halves of 2^22 subsets).
MAX_MEMBERS = 44
CONFIDENCE_LEVELS = ("high", "medium-high", "medium", "low-medium", "low", "derived", "UNVERIFIED")
POPULATION_TABLES = {
    "council2025": "member_states.csv",
    "council2016": "population_council_2016.csv",
    "eurostat2024": "population_eurostat_2024.csv",
    "eurostat2025": "population_eurostat_2025.csv",
    "enlargement35": "population_enlargement35.csv",
}


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Every country code the package knows (params/countries.csv): the member states, the
    United Kingdom and the candidate countries, with their names."""
    return {r["iso2"]: r["name"] for r in read_rows(PARAMS_DIR / "countries.csv",
                                                    ["iso2", "name"])}


def normalise_iso2(code: object, *, file: object = None, row: int | None = None,
                   field: str = "iso2", allow_eu: bool = False,
                   members: Iterable[str] | None = None) -> str:
    """The canonical ISO2 code of a country (EL -> GR, UK -> GB), or an InputError.

    With ``members`` the code must be one of them (the Council's composition); otherwise any
    country of params/countries.csv.

    >>> normalise_iso2(" el "), normalise_iso2("UK")
    ('GR', 'GB')
    """
    raw = str(code).strip()
    text = _ALIASES.get(raw.upper(), raw.upper())
    if allow_eu and text == "EU":
        return text
    allowed = set(members) if members is not None else set(EU27) | set(country_names())
    if text in allowed:
        return text
    if members is not None and text in country_names():
        raise InputError(f"{country_names()[text]} ({text}) is not a member of this Council",
                         file=file, row=row, field=field)
    raise InputError(f"unknown country code '{raw}' (expected an ISO2 code such as DE, FR, "
                     "GR/EL or GB/UK)", file=file, row=row, field=field)


def parse_iso2_list(text: str | None, *, field: str,
                    members: Iterable[str] | None = None) -> list[str]:
    """Parse a comma-separated list such as 'DE,FR, it' into canonical codes."""
    if not text:
        return []
    return [normalise_iso2(part, field=field, members=members)
            for part in text.split(",") if part.strip()]


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

    ``spec`` is None or the name of a shipped table (:data:`POPULATION_TABLES`: 'council2025',
    the Council's figures for 2025; 'council2016', for the EU28; 'eurostat2024',
    'eurostat2025'; 'enlargement35'), or the path of a user CSV with columns iso2,population.

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
    if len(out) > MAX_MEMBERS:
        raise InputError(f"{len(out)} members is more than the exact engine takes "
                         f"({MAX_MEMBERS})", file=path, field="iso2")
    return tuple(out.items())


def council_population(table: str | Path | Mapping | None = None,
                       participating: Iterable[str] | None = None,
                       members: Iterable[str] = EU27) -> dict[str, int]:
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
    members = tuple(members)
    taking_part = set(members) if participating is None else set(participating)
    missing = [s for s in members if s not in pops and s in taking_part]
    if missing:
        hint = ("; list who takes part to vote without them" if participating is None else "")
        raise InputError(f"the population table has no figure for {len(missing)} member "
                         f"state{'s' if len(missing) > 1 else ''}: {', '.join(missing)}{hint}",
                         file=where, field="population")
    return pops


@dataclass(frozen=True)
class Composition:
    """The Council's membership for a period (or a hypothetical one) and the population table
    its votes are counted with."""

    name: str
    title: str
    members: tuple[str, ...]
    population: str                   # a table name (POPULATION_TABLES) or a CSV path
    valid_from: str | None = None
    valid_to: str | None = None
    hypothetical: bool = False
    source: str = ""
    note: str = ""

    def populations(self, table: str | Path | None = None,
                    participating: Iterable[str] | None = None) -> dict[str, int]:
        """The members' populations from the composition's table (or ``table``), in the order
        of :attr:`members`; a member without a figure is an error unless it does not take part.
        """
        pops = council_population(table if table is not None else self.population,
                                  participating, self.members)
        return {s: pops[s] for s in self.members if s in pops}

    def holds(self, day: str) -> bool:
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or day <= self.valid_to))


@lru_cache(maxsize=4)
def _compositions(path: Path) -> dict[str, Composition]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read compositions ({type(exc).__name__})", file=path) from None
    out = {}
    for name, body in raw.items():
        members = tuple(normalise_iso2(c, file=path, field=f"{name}.members")
                        for c in body["members"])
        out[name] = Composition(
            name=name, title=body["title"], members=members, population=body["population"],
            valid_from=parse_date(body.get("valid_from"), file=path, field=f"{name}.valid_from"),
            valid_to=parse_date(body.get("valid_to"), file=path, field=f"{name}.valid_to"),
            hypothetical=bool(body.get("hypothetical", False)), source=body.get("source", ""),
            note=body.get("note", ""))
    return out


def compositions() -> dict[str, Composition]:
    """The shipped compositions of the Council by name (params/compositions.toml)."""
    return _compositions(PARAMS_DIR / "compositions.toml")


def composition(spec: str | Path | None = None, day: str | None = None) -> Composition:
    """The Council as ``spec`` names it: a composition's name ('eu27', 'eu28', 'eu27_uk',
    'enlargement35'), a date (the Council as it was that day), or the path of a table of
    members and populations (a hypothetical Council of any size up to :data:`MAX_MEMBERS`).
    Without ``spec``, the Council on ``day`` (today's EU27 when that is None too).

    >>> composition("2017-01-26").name, len(composition("eu28").members)
    ('eu28', 28)
    >>> composition(day="2012-05-01").name
    'eu27_uk'
    """
    shipped = compositions()
    if spec is not None and str(spec) in shipped:
        return shipped[str(spec)]
    if spec is not None:
        text = str(spec)
        try:
            day = parse_date(text, field="composition")
        except InputError:
            if not Path(text).is_file():
                raise InputError(f"unknown composition '{text}' (expected one of "
                                 f"{', '.join(shipped)}, a date YYYY-MM-DD or the path of a "
                                 "table iso2,population)", field="composition") from None
            members = tuple(population_table(text))
            return Composition(name=Path(text).stem,
                               title=f"hypothetical Council ({Path(text).name})",
                               members=members, population=text, hypothetical=True,
                               source=f"user table {Path(text).name}")
    if day is None:
        return shipped["eu27"]
    dated = [c for c in shipped.values() if not c.hypothetical and c.holds(day)]
    if not dated:
        raise InputError(f"no Council composition is recorded for {day}", field="composition")
    return dated[0]

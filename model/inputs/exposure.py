"""Per-state exposure channels built from params/exposures.csv, with provenance.

A channel is one way China can reach a member state (trade retaliation, car exports, pork,
spirits, dairy, Chinese plants at home, rare-earth magnet supply, joint battery projects with
its firms, cherries, its firms on China's countermeasure list) or one way a measure helps it
(its own car industry), or one way China reaches its defence industry (defence spending). Each
channel turns one sourced indicator into a number per state (share of GDP - computed from a
value in euros, or given as a share - per 1,000 inhabitants, or a 0/1 flag) and then into an
index
``log(1 + value / reference)``: 0.1% of GDP or 10 cars per 1,000 inhabitants give log 2 = 0.69,
1% of GDP gives 2.4, and a flag gives 1 (it is not transformed). The concave index is a modelling
choice: a sector's political weight grows with its size, but less than proportionally, and a
small but concentrated sector (cognac, pork) still counts. The references are in
params/behaviour.toml (``exposure_ref_pct_gdp``, ``exposure_ref_per_1000``).

Only rows known by the run's ``as_of`` date count (``known_from``, :mod:`model.inputs.dating`).
Among a state's known rows for a channel the most recent reference year is used, except that a
sourced figure at most :data:`SOURCED_WINDOW` years older is preferred to an UNVERIFIED
estimate (a sourced 2023 figure over a 2024 guess); for Chinese plants the latest known amount
of every plant is summed. A %-of-GDP channel divides by the GDP of the same year when it is
known, else by the latest known GDP. Every row's fate - used, known only after ``as_of``,
superseded - is kept (:attr:`ExposureTable.rows`), so a run can list what went into it.

A state with no figure for a channel gets 0 and the provenance says "not found" (a member of a
hypothetical Council without any data is flagged as neutral); figures the data mark UNVERIFIED
are used and flagged, never silently promoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd

from .dating import known_by
from .tables import EU27, load_exposures, load_member_states

__all__ = ["Channel", "CHANNELS", "ExposureTable", "build_exposures", "weakest", "SOURCED_WINDOW"]

#: How many years older a sourced figure may be and still be preferred to an UNVERIFIED one.
SOURCED_WINDOW = 2

_RANK = {"high": 0, "medium-high": 1, "derived": 2, "medium": 2, "low-medium": 3, "low": 4,
         "UNVERIFIED": 5}


def weakest(levels) -> str:
    """The weakest of several confidence levels ('not found' if none)."""
    levels = [lv for lv in levels if lv in _RANK]
    return max(levels, key=_RANK.__getitem__) if levels else "not found"


@dataclass(frozen=True)
class Channel:
    """One exposure channel: which indicator it reads and how it is scaled."""

    name: str
    sector: str
    indicator: str
    scale: str          # "pct_gdp" | "share_pct_gdp" (a % of GDP as given) | "per_capita" | "flag"
    aggregate: str      # "latest" (most recent year) | "sum" (add all rows, e.g. plants)
    doc: str


CHANNELS: tuple[Channel, ...] = (
    Channel("trade", "trade", "exports_to_china", "pct_gdp", "latest",
            "Goods exports to China as % of GDP: exposure to general trade retaliation."),
    Channel("cars", "cars", "car_exports_to_china_value", "pct_gdp", "latest",
            "Car exports to China as % of GDP: exposure to car tariffs and the luxury-car tax."),
    Channel("car_industry", "cars", "passenger_car_production", "per_capita", "latest",
            "Passenger-car production per inhabitant: the industry that competes with Chinese "
            "EVs."),
    Channel("pork", "pork", "pork_exports_to_china_value", "pct_gdp", "latest",
            "Pork exports to China as % of GDP: exposure to the pork anti-dumping case."),
    Channel("spirits", "spirits", "wine_spirits_exports_to_china", "pct_gdp", "latest",
            "Wine and spirits exports to China as % of GDP: exposure to the brandy case."),
    Channel("dairy", "dairy", "named_in_china_dairy_probe", "flag", "latest",
            "Named in China's 2024 anti-subsidy dairy investigation (1) or not (0)."),
    Channel("plants", "chinese_plants", "chinese_plant_investment", "pct_gdp", "sum",
            "Chinese battery and car plant investment at home as % of GDP (sum over plants)."),
    Channel("magnets", "rare_earth_magnets", "automotive_supplier_hub", "flag", "latest",
            "Automotive supplier hub exposed to rare-earth magnet licensing (qualitative, low)."),
    Channel("defence", "defence", "defence_expenditure_pct_gdp", "share_pct_gdp", "latest",
            "Defence spending as % of GDP (NATO, EDA, IISS): the defence build-up China's "
            "refusal of military end-use licences reaches."),
    Channel("partnerships", "battery_partnerships", "chinese_battery_partnership_investment",
            "pct_gdp", "sum",
            "Chinese battery investment in joint projects with the state's own firms (AESC with "
            "Renault at Douai, XTC with Orano at Dunkirk) as % of GDP: what a carrot of joint "
            "investment and technology partnership reaches."),
    Channel("cherries", "cherries", "cherry_market_access_protocol", "flag", "latest",
            "A market-access protocol for cherries signed with China (Spain, 11 Apr 2025): a "
            "fruit market opened, apart from pork."),
    Channel("countermeasures", "countermeasures", "on_china_countermeasure_list", "flag",
            "latest", "Firms of the state on China's countermeasure list under its Anti-Foreign "
            "Sanctions Law (the Lithuanian banks, 13 Aug 2025)."),
)


@dataclass(frozen=True)
class ExposureTable:
    """Indexed exposures (states x channels, max = 1), the provenance of every cell, and the
    fate of every input row at ``as_of``."""

    index: pd.DataFrame        # iso2 x channel, log(1 + value / reference); flags 0/1
    raw: pd.DataFrame          # iso2 x channel, values before indexing (in the channel's scale)
    provenance: pd.DataFrame   # rows: iso2, channel, raw, unit, year, confidence, source
    rows: pd.DataFrame         # every exposure row a channel reads: used, or why not
    as_of: str | None = None

    def unverified_cells(self) -> pd.DataFrame:
        """Cells that rest on an UNVERIFIED estimate (directly or through a GDP figure)."""
        return self.provenance[self.provenance["confidence"] == "UNVERIFIED"]

    def neutral_members(self) -> list[str]:
        """Members without a single figure on any channel (all neutral)."""
        found = self.provenance[self.provenance["confidence"] != "not found"]
        return [s for s in self.index.index if s not in set(found["iso2"])]


_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")
_BRACKETS = re.compile(r"\([^)]*\)")


def _year(text: str) -> int:
    """The reference year of a row: the latest four-digit year in its ``year`` text outside
    brackets, so a range or a half-year counts as its last year, an estimate ('2024e', NATO's
    estimate of 2024) as its year, and a note in brackets ('published Jan 2025') not at all
    (0 if the text has no year).

    >>> _year("2020-2022"), _year("2025-H1"), _year("2025-01..04"), _year("2024e"), _year("")
    (2022, 2025, 2025, 2024, 0)
    >>> _year("2024e (published Jan 2025)")
    2024
    """
    return max((int(t) for t in _FOUR_DIGITS.findall(_BRACKETS.sub(" ", text))), default=0)


class _Row(NamedTuple):
    """One exposure row as the selection reads it (taken from the frame once: picking among a
    state's few rows is plain Python, not a pandas operation per cell)."""

    row: int
    item: str
    value: float
    unit: str
    year: str
    ref: int            # the reference year, _year(year)
    known_from: str
    confidence: str
    source: str


def _records(frame: pd.DataFrame) -> dict[tuple[str, str, str], list[_Row]]:
    """The rows of ``frame`` grouped by (sector, indicator, iso2), in the frame's order."""
    groups: dict[tuple[str, str, str], list[_Row]] = {}
    columns = (frame[c].tolist() for c in ("sector", "indicator", "iso2", "row", "item", "value",
                                           "unit", "year", "known_from", "confidence", "source"))
    for sector, indicator, iso, row, item, value, unit, year, known, conf, source in zip(*columns):
        groups.setdefault((sector, indicator, iso), []).append(
            _Row(int(row), item, value, unit, year, _year(year), known, conf, source))
    return groups


def _newest(rows: list[_Row]) -> _Row:
    """The row of the most recent reference year; within a year, the latest vintage (the
    row known last; of rows known the same day, the last in the file)."""
    return max(reversed(rows), key=lambda r: (r.ref, r.known_from))


def _choose_latest(rows: list[_Row]) -> _Row:
    """The row a 'latest' channel uses among a state's known rows (see the module doc)."""
    latest = _newest(rows)
    if latest.confidence == "UNVERIFIED":
        sourced = [r for r in rows if r.confidence != "UNVERIFIED"
                   and r.ref >= latest.ref - SOURCED_WINDOW]
        if sourced:
            return _newest(sourced)
    return latest


def _choose_sum(rows: list[_Row]) -> list[_Row]:
    """For a 'sum' channel: the latest known row of every item (a plant; a row without an
    item is an item of its own), in the order the rows became known."""
    ordered = sorted(rows, key=lambda r: r.known_from)
    last = {r.item or str(r.row): r for r in ordered}
    return [r for r in ordered if last[r.item or str(r.row)] is r]


def _gdp_for(gdp: list[_Row], year: int) -> _Row | None:
    """GDP of the same reference year if known, else the latest known (None if none)."""
    if not gdp:
        return None
    same = [g for g in gdp if g.ref == year]
    return _newest(same) if same else _choose_latest(gdp)


def build_exposures(exposures: pd.DataFrame | None = None,
                    population: pd.Series | None = None, ref_pct_gdp: float = 0.1,
                    ref_per_1000: float = 10.0, as_of: str | None = None,
                    members: tuple[str, ...] = EU27) -> ExposureTable:
    """Compute every channel for the Council's members from the long exposure table, using
    the rows known by ``as_of`` (all rows when None).

    With the shipped table (``exposures=None``) the result is cached per population,
    references, date and members, since sweeps resolve many scenarios from the same data.
    """
    population = (load_member_states()["population"] if population is None else population)
    if exposures is None:
        key = tuple((s, int(population.loc[s])) for s in members)
        return _shipped(key, float(ref_pct_gdp), float(ref_per_1000), as_of)
    return _build(exposures, population, ref_pct_gdp, ref_per_1000, as_of, tuple(members))


@lru_cache(maxsize=64)
def _shipped(population: tuple, ref_pct_gdp: float, ref_per_1000: float,
             as_of: str | None) -> ExposureTable:
    pop = pd.Series(dict(population), name="population")
    return _build(load_exposures(), pop, ref_pct_gdp, ref_per_1000, as_of,
                  tuple(s for s, _ in population))


def _reads(exposures: pd.DataFrame) -> pd.Series:
    """Rows some channel (or a %-of-GDP division) reads."""
    keys = {(c.sector, c.indicator) for c in CHANNELS} | {("economy", "gdp_eur_bn")}
    return pd.Series([k in keys for k in zip(exposures["sector"], exposures["indicator"])],
                     index=exposures.index)


def _cell(ch: Channel, mine: list[_Row], gdp: list[_Row], population: float):
    """One state's value of one channel from its known rows: (value, unit, years, levels,
    rows used, source) or (None, reason)."""
    used = _choose_sum(mine) if ch.aggregate == "sum" else [_choose_latest(mine)]
    # summed as pandas' Series.sum does (NaN as 0, numpy's pairwise order), so a sum over
    # many plants keeps its last bit
    value = float(np.nansum(np.array([r.value for r in used])))
    levels = [r.confidence for r in used]
    rows = {r.row for r in used}
    unit = used[0].unit
    if ch.scale == "pct_gdp":
        g = _gdp_for(gdp, used[0].ref)
        if g is None:
            return None, "no GDP figure known by then"
        value = 100.0 * value / float(g.value)
        levels.append(g.confidence)
        rows.add(g.row)
        unit = f"% of GDP ({unit} / GDP EUR bn {g.year})"
    elif ch.scale == "per_capita":
        value = value / population * 1000.0
        unit = f"{unit} per 1,000 inhabitants"
    return (value, unit, ";".join(sorted({r.year for r in used})), levels, rows,
            " | ".join(sorted({r.source for r in used}))), ""


def _build(exposures: pd.DataFrame, population: pd.Series, ref_pct_gdp: float,
           ref_per_1000: float, as_of: str | None, members: tuple[str, ...]) -> ExposureTable:
    exposures = exposures.assign(known=known_by(exposures["known_from"], as_of))
    exposures = exposures[_reads(exposures) & exposures["iso2"].isin(members)]
    known = _records(exposures[exposures["known"]])
    pop = dict(zip(population.index, population.tolist()))
    raw = np.zeros((len(members), len(CHANNELS)))
    prov, used_rows, no_gdp = [], set(), set()
    for j, ch in enumerate(CHANNELS):
        for i, iso in enumerate(members):
            mine = known.get((ch.sector, ch.indicator, iso))
            if mine is None:
                prov.append((iso, ch.name, 0.0, "", "", "not found",
                             "no figure in params/exposures.csv known by then"))
                continue
            cell, reason = _cell(ch, mine, known.get(("economy", "gdp_eur_bn", iso), []),
                                 float(pop[iso]))
            if cell is None:
                no_gdp |= {r.row for r in mine}
                prov.append((iso, ch.name, 0.0, "", "", "not found", reason))
                continue
            value, unit, years, levels, rows_used, source = cell
            used_rows |= rows_used
            raw[i, j] = value
            prov.append((iso, ch.name, value, unit, years, weakest(levels), source))
    status = ["used" if int(r) in used_rows else "known after as_of" if not k
              else "no GDP known by then" if int(r) in no_gdp else "superseded"
              for r, k in zip(exposures["row"], exposures["known"])]
    rows_table = exposures.assign(used=[s == "used" for s in status], status=status)[
        ["row", "iso2", "sector", "indicator", "item", "value", "unit", "year", "known_from",
         "confidence", "source", "used", "status"]].reset_index(drop=True)
    index = raw.copy()
    for j, ch in enumerate(CHANNELS):
        if ch.scale != "flag":
            index[:, j] = np.log1p(raw[:, j] / (ref_per_1000 if ch.scale == "per_capita"
                                                else ref_pct_gdp))
    provenance = pd.DataFrame(prov, columns=["iso2", "channel", "raw", "unit", "year",
                                             "confidence", "source"])
    labels = {"index": pd.Index(members, name="iso2"), "columns": channel_names()}
    return ExposureTable(index=pd.DataFrame(index, **labels), raw=pd.DataFrame(raw, **labels),
                         provenance=provenance, rows=rows_table, as_of=as_of)


def channel_names() -> list[str]:
    return [c.name for c in CHANNELS]

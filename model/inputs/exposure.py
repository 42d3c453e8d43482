"""Per-state exposure channels built from params/exposures.csv, with provenance.

A channel is one way China can reach a member state (trade retaliation, car exports, pork,
spirits, dairy, Chinese plants at home, rare-earth magnet supply) or one way a measure helps it
(its own car industry). Each channel turns one sourced indicator into a number per state
(share of GDP, per 1,000 inhabitants, or a 0/1 flag) and then into an index
``log(1 + value / reference)``: 0.1% of GDP or 10 cars per 1,000 inhabitants give log 2 = 0.69,
1% of GDP gives 2.4, and a flag gives 1 (it is not transformed). The concave index is a modelling
choice: a sector's political weight grows with its size, but less than proportionally, and a
small but concentrated sector (cognac, pork) still counts. The references are in
params/behaviour.toml (``exposure_ref_pct_gdp``, ``exposure_ref_per_1000``).

A state with no figure for a channel gets 0 and the provenance says "not found"; figures the
data mark UNVERIFIED are used and flagged, never silently promoted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from .tables import EU27, load_exposures, load_member_states

__all__ = ["Channel", "CHANNELS", "ExposureTable", "build_exposures", "weakest"]

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
    scale: str          # "pct_gdp" | "per_capita" | "flag"
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
)


@dataclass(frozen=True)
class ExposureTable:
    """Indexed exposures (states x channels, max = 1) and the provenance of every cell."""

    index: pd.DataFrame        # iso2 x channel, log(1 + value / reference); flags 0/1
    raw: pd.DataFrame          # iso2 x channel, values before indexing (in the channel's scale)
    provenance: pd.DataFrame   # rows: iso2, channel, raw, unit, year, confidence, source

    def unverified_cells(self) -> pd.DataFrame:
        """Cells that rest on an UNVERIFIED estimate (directly or through a GDP figure)."""
        return self.provenance[self.provenance["confidence"] == "UNVERIFIED"]


def _gdp(exposures: pd.DataFrame) -> pd.DataFrame:
    rows = exposures[(exposures["sector"] == "economy") & (exposures["indicator"] == "gdp_eur_bn")]
    return rows.set_index("iso2")


def build_exposures(exposures: pd.DataFrame | None = None,
                    population: pd.Series | None = None, ref_pct_gdp: float = 0.1,
                    ref_per_1000: float = 10.0) -> ExposureTable:
    """Compute every channel for the 27 states from the long exposure table.

    With the shipped table (``exposures=None``) the result is cached per population and
    references, since sweeps resolve many scenarios from the same data.
    """
    population = (load_member_states()["population"] if population is None else population)
    if exposures is None:
        key = tuple((s, int(population.loc[s])) for s in EU27)
        return _shipped(key, float(ref_pct_gdp), float(ref_per_1000))
    return _build(exposures, population, ref_pct_gdp, ref_per_1000)


@lru_cache(maxsize=32)
def _shipped(population: tuple, ref_pct_gdp: float, ref_per_1000: float) -> ExposureTable:
    pop = pd.Series(dict(population), name="population")
    return _build(load_exposures(), pop, ref_pct_gdp, ref_per_1000)


def _build(exposures: pd.DataFrame, population: pd.Series, ref_pct_gdp: float,
           ref_per_1000: float) -> ExposureTable:
    gdp = _gdp(exposures)
    raw = pd.DataFrame(0.0, index=pd.Index(EU27, name="iso2"), columns=[c.name for c in CHANNELS])
    prov = []
    for ch in CHANNELS:
        rows = exposures[(exposures["sector"] == ch.sector)
                         & (exposures["indicator"] == ch.indicator) & (exposures["iso2"] != "EU")]
        for iso in EU27:
            mine = rows[rows["iso2"] == iso]
            if mine.empty:
                prov.append((iso, ch.name, 0.0, "", "", "not found",
                             "no figure in params/exposures.csv"))
                continue
            if ch.aggregate == "sum":
                value, used = float(mine["value"].sum()), mine
            else:
                latest = mine.sort_values("year").iloc[-1]
                value, used = float(latest["value"]), mine.loc[[latest.name]]
            levels = list(used["confidence"])
            unit = used["unit"].iloc[0]
            if ch.scale == "pct_gdp":
                value = 100.0 * value / float(gdp.loc[iso, "value"])
                levels.append(gdp.loc[iso, "confidence"])
                unit = f"% of GDP ({unit} / GDP EUR bn)"
            elif ch.scale == "per_capita":
                value = value / float(population.loc[iso]) * 1000.0
                unit = f"{unit} per 1,000 inhabitants"
            raw.loc[iso, ch.name] = value
            prov.append((iso, ch.name, value, unit, ";".join(sorted(set(used["year"]))),
                         weakest(levels), " | ".join(sorted(set(used["source"])))))
    index = raw.copy()
    for ch in CHANNELS:
        if ch.scale != "flag":
            ref = ref_pct_gdp if ch.scale == "pct_gdp" else ref_per_1000
            index[ch.name] = np.log1p(raw[ch.name] / ref)
    provenance = pd.DataFrame(prov, columns=["iso2", "channel", "raw", "unit", "year",
                                             "confidence", "source"])
    return ExposureTable(index=index, raw=raw, provenance=provenance)


def channel_names() -> list[str]:
    return [c.name for c in CHANNELS]

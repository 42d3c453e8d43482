"""Rebuild params/member_states.csv, params/population_*.csv and params/exposures.csv
from the team's sourced data folder (default ../shared/data).

Run once when the sourced data change; the tool itself never reads the shared folder.
Every row keeps its source and confidence; rows the data folder marks UNVERIFIED stay
UNVERIFIED. Usage: python scripts/build_params.py [DATA_DIR]
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"


def rows(data: Path, name: str) -> list[dict[str, str]]:
    with open(data / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write(path: Path, header: list[str], body: list[list[object]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(header)
        out.writerows(body)


def build_populations(data: Path) -> None:
    pop = rows(data, "population.csv")
    by_metric: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    for r in pop:
        by_metric[r["metric"]][r["iso2"]] = r
    council = by_metric["council_qmv_population_2025_derived"]
    shares = by_metric["council_qmv_share_2025_pct"]
    states = sorted(k for k in council if k != "EU")
    body = []
    for iso in states:
        c, s = council[iso], shares[iso]
        body.append([
            iso, c["country"], int(c["value"]), s["value"],
            "Council Rules of Procedure Annex III 2025 share x 451,028,881 (derived); " + c["source"],
            c["confidence"],
        ])
    write(PARAMS / "member_states.csv",
          ["iso2", "name", "population", "council_share_pct", "source", "confidence"], body)
    for metric, fname in [("eurostat_population_2024_01_01", "population_eurostat_2024.csv"),
                          ("eurostat_population_2025_01_01", "population_eurostat_2025.csv")]:
        table = by_metric[metric]
        write(PARAMS / fname, ["iso2", "population", "source", "confidence"],
              [[iso, int(table[iso]["value"]), table[iso]["source"], table[iso]["confidence"]]
               for iso in states])


def tidy(r: dict[str, str], sector: str, indicator: str, value: object | None = None,
         unit: str | None = None, note: str | None = None) -> list[object]:
    return [r["iso2"], sector, indicator, r["value"] if value is None else value,
            unit or r["unit"], r.get("year", r.get("period", "")), r["source"], r["confidence"],
            (note if note is not None else r.get("note", "")).strip()]


def build_exposures(data: Path) -> None:
    out: list[list[object]] = []
    trade_metrics = {"exports_to_china": "exports_to_china", "imports_from_china": "imports_from_china",
                     "imports_from_china_pct_gdp": "imports_from_china_pct_gdp"}
    for r in rows(data, "trade_china.csv"):
        if r["metric"] in trade_metrics:
            out.append(tidy(r, "trade", trade_metrics[r["metric"]]))
    for r in rows(data, "gdp.csv"):
        if r["metric"] == "gdp_2024_eur_bn_derived":
            out.append(tidy(r, "economy", "gdp_eur_bn"))
    auto_map = {"car_exports_to_china_value": "car_exports_to_china_value",
                "car_imports_from_china_value": "car_imports_from_china_value",
                "large_engine_car_exports_to_china_units": "large_engine_car_exports_to_china_units"}
    oem = defaultdict(dict)
    for r in rows(data, "sector_autos.csv"):
        if r["metric"] in auto_map:
            out.append(tidy(r, "cars", auto_map[r["metric"]]))
        else:
            out.append(tidy(r, "cars", r["metric"]))
            oem[r["metric"]] = r
    agri = {"brandy_exports_to_china_value": "spirits", "cognac_share_of_exports_to_china": "spirits",
            "cognac_exports_to_china_value_change": "spirits", "wine_spirits_exports_to_china": "spirits",
            "pork_exports_to_china_value": "pork", "china_pork_imports_total": "pork",
            "dairy_imports_affected_by_china_cvd": "dairy"}
    for r in rows(data, "sector_agrifood.csv"):
        if r["metric"].endswith("_change"):
            continue  # a growth rate, not an exposure level (exposures are non-negative)
        out.append(tidy(r, agri[r["metric"]], r["metric"]))
    for r in rows(data, "china_trade_measures.csv"):
        if r["measure"] == "China CVD on EU dairy" and r["event"] == "investigation opened":
            for iso in r["target_iso2"].split(";"):
                out.append([iso, "dairy", "named_in_china_dairy_probe", 1, "flag", r["date"][:4],
                            r["source"], r["confidence"], r["note"]])
    for r in rows(data, "chinese_plants.csv"):
        value = r["investment_eur_bn"]
        confidence = r["confidence"]
        note = f"{r['company']} {r['site']}: {r['type']}, {r['capacity']}; {r['note']}".strip()
        if not value:
            if "UNVERIFIED ~EUR 1 bn" in r["note"]:
                value, confidence = "1.0", "UNVERIFIED"
            else:
                note = "amount NOT FOUND (counted as plant without amount); " + note
                value, confidence = "", confidence
        out.append([r["iso2"], "chinese_plants", "chinese_plant_investment", value, "EUR bn",
                    (r["status_start"] or "")[-4:] if r["status_start"][-4:].isdigit() else "2025",
                    r["source"], confidence, note])
    for r in rows(data, "chinese_fdi.csv"):
        out.append(tidy(r, "fdi", r["metric"]))
    for r in rows(data, "rare_earths.csv"):
        iso = {"EU": "EU", "China->EU": "EU", "China->DE": "DE", "EU auto suppliers": "EU"}.get(r["scope"])
        if iso is None:
            continue
        row = dict(r, iso2=iso, year=r["period"])
        out.append(tidy(row, "rare_earth_magnets", r["metric"] + ("_" + r["period"] if "magnet_exports" in r["metric"] or "clepa" in r["metric"] else "")))
    hubs = ["DE", "CZ", "SK", "HU", "ES", "IT", "FR"]
    for iso in hubs:
        out.append([iso, "rare_earth_magnets", "automotive_supplier_hub", 1, "flag", "2025",
                    "SOURCES.md section 3.5 (qualitative: automotive supplier hubs most exposed to magnet licensing)",
                    "low", "qualitative; member-state magnet dependence NOT FOUND as a quantified table"])
    out = [r for r in out if r[3] != ""]  # plants whose amount was not found stay out
    for extra in sorted((PARAMS / "research").glob("*.csv")):
        # figures researched for this project (same long format, each row sourced)
        with open(extra, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                out.append([r[k] for k in ["iso2", "sector", "indicator", "value", "unit", "year",
                                           "source", "confidence", "note"]])
    write(PARAMS / "exposures.csv",
          ["iso2", "sector", "indicator", "value", "unit", "year", "source", "confidence", "note"], out)


def build_alignment(data: Path) -> None:
    body = []
    for r in rows(data, "alignment_indicators.csv"):
        if r["metric"] == "ev_cvd_vote_2024_10_04":
            continue  # the vote is a back-test target, never an input to stance
        confidence, note = r["confidence"], r["note"]
        if confidence.startswith("high (for text)"):
            # the survey's text is high confidence; per-country percentages were not found
            confidence, note = "high", (note + "; " + r["confidence"]).strip("; ")
        body.append([r["iso2"], r["metric"], r["value"], r["unit"], r["year"], r["source"],
                     confidence, note])
    write(PARAMS / "alignment.csv",
          ["iso2", "indicator", "value", "unit", "year", "source", "confidence", "note"], body)


if __name__ == "__main__":
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    build_populations(data_dir)
    build_exposures(data_dir)
    build_alignment(data_dir)
    print("params rebuilt from", data_dir)

"""Rebuild the tables of params/ from the sourced files in params/sources/.

Run when the sources change; the tool itself never reads params/sources/. Every row keeps its
source and confidence, and gets the date from which it was publicly known (``known_from``), so
that a back-test uses only what existed before a vote:

* an investment or a plant: its announcement date (params/sources/research/dates/);
* a measure (a probe, duties): the date China announced it;
* an annual statistic: the end of its reference year, unless its publication date is known;
* a status (a BRI memorandum, 14+1 membership): the date it took effect.

Where the second research pass (params/sources/team_data/additions/) holds a sourced figure,
it replaces an UNVERIFIED estimate of the same state, indicator and year; a sourced figure of
another year is added beside the estimate with its own year, and the exposure builder prefers
it when it is at most two years older (model/inputs/exposure.py). Estimates stay UNVERIFIED.

Usage: python scripts/build_params.py [SOURCES_DIR]   (default params/sources)
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from model.io import atomic_write_text  # noqa: E402  (the repository's own package)

PARAMS = ROOT / "params"
EXPOSURE_COLUMNS = ["iso2", "sector", "indicator", "item", "value", "unit", "year", "known_from",
                    "source", "confidence", "note"]
ALIGNMENT_COLUMNS = ["iso2", "indicator", "value", "unit", "year", "known_from", "source",
                     "confidence", "note"]
#: USD per EUR in 2023 implied by the IMF's April 2024 WEO (params/sources/research/recent/).
USD_PER_EUR_2023 = 1.08158
#: Where an exposure's source file lives in the repository (named in every source string).
TEAM = "params/sources/team_data"
RESEARCH = "params/sources/research"


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [{k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(fh)]


def write(path: Path, header: list[str], body: list[list[object]]) -> None:
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\n")
    out.writerow(header)
    out.writerows(body)
    atomic_write_text(path, text.getvalue())
    print(f"wrote {path.name} ({len(body)} rows)")


def year_end(year: str) -> str:
    """The end of a reference period written as 2024, 2025-H1, 2023 Jan-May or 2020-2022."""
    found = re.findall(r"(19|20)\d\d", year)
    if not found:
        raise ValueError(f"no year in {year!r}")
    last = re.findall(r"(?:19|20)\d\d", year)[-1]
    if "H1" in year:
        return f"{last}-06-30"
    return f"{last}-12-31"


def cited(file: str, source: str) -> str:
    """A source string that names the repository file the row was read from."""
    return f"{file}: {source}" if source else file


# --- populations ---------------------------------------------------------------------------

def build_populations(src: Path) -> None:
    pop = rows(src / "team_data" / "population.csv")
    by_metric: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    for r in pop:
        by_metric[r["metric"]][r["iso2"]] = r
    council = by_metric["council_qmv_population_2025_derived"]
    shares = by_metric["council_qmv_share_2025_pct"]
    states = sorted(k for k in council if k != "EU")
    body = []
    for iso in states:
        c, s = council[iso], shares[iso]
        body.append([iso, c["country"], int(c["value"]), s["value"],
                     "Council Rules of Procedure Annex III 2025 share x 451,028,881 (derived); "
                     + c["source"], c["confidence"]])
    write(PARAMS / "member_states.csv",
          ["iso2", "name", "population", "council_share_pct", "source", "confidence"], body)
    for metric, fname in [("eurostat_population_2024_01_01", "population_eurostat_2024.csv"),
                          ("eurostat_population_2025_01_01", "population_eurostat_2025.csv")]:
        table = by_metric[metric]
        write(PARAMS / fname, ["iso2", "population", "source", "confidence"],
              [[iso, int(table[iso]["value"]), table[iso]["source"], table[iso]["confidence"]]
               for iso in states])
    annex = rows(src / "research" / "populations" / "council_annex3.csv")
    body = []
    for r in annex:
        if r["valid_from"] != "2016-01-01":
            continue
        total = int(r["total_union"])
        value = round(float(r["share_pct"]) * total / 100)
        body.append([r["iso2"], value,
                     cited(f"{RESEARCH}/populations/council_annex3.csv",
                           f"Annex III 2016 share {r['share_pct']}% x {total:,} (derived); "
                           + r["source"]), "derived"])
    write(PARAMS / "population_council_2016.csv", ["iso2", "population", "source", "confidence"],
          sorted(body))
    candidates = {r["iso2"]: r for r in rows(src / "research" / "populations" / "candidates.csv")}
    with open(PARAMS / "member_states.csv", newline="", encoding="utf-8") as fh:
        eu = list(csv.DictReader(fh))
    body = [[r["iso2"], r["population"], "Council 2025 figure (params/member_states.csv)",
             r["confidence"]] for r in eu]
    for iso in ("UA", "MD", "AL", "BA", "ME", "MK", "RS", "XK"):
        c = candidates[iso]
        body.append([iso, c["population"],
                     cited(f"{RESEARCH}/populations/candidates.csv",
                           f"{c['source']} (reference date {c['reference_date']})"),
                     c["confidence"]])
    write(PARAMS / "population_enlargement35.csv",
          ["iso2", "population", "source", "confidence"], body)


# --- exposures ------------------------------------------------------------------------------

LEVELS = ("high", "medium-high", "medium", "low-medium", "low", "derived", "UNVERIFIED")


def level(text: str) -> tuple[str, str]:
    """A confidence level from text such as 'high (national concept)': (level, the rest)."""
    text = text.strip()
    for lv in sorted(LEVELS, key=len, reverse=True):
        if text.startswith(lv):
            return lv, text[len(lv):].strip(" ;()")
    if text.startswith("derived"):
        return "derived", text
    raise ValueError(f"no confidence level in {text!r}")


def exposure_row(iso: str, sector: str, indicator: str, value, unit: str, year: str,
                 known_from: str, source: str, confidence: str, note: str = "",
                 item: str = "") -> list[object]:
    return [iso, sector, indicator, item, value, unit, year, known_from, source, confidence, note]


def team_rows(src: Path, name: str, sector: str, indicators: dict[str, str] | None = None,
              skip=lambda r: False) -> list[list[object]]:
    """Rows of a team table in the tidy format (metric -> indicator), dated at the end of their
    reference year."""
    out = []
    for r in rows(src / "team_data" / name):
        if skip(r) or (indicators is not None and r["metric"] not in indicators):
            continue
        indicator = indicators[r["metric"]] if indicators else r["metric"]
        out.append(exposure_row(r["iso2"], sector, indicator, r["value"], r["unit"], r["year"],
                                year_end(r["year"]), cited(f"{TEAM}/{name}", r["source"]),
                                r["confidence"], r["note"]))
    return out


def sourced_trade(src: Path, team: list[list[object]]) -> list[list[object]]:
    """The second pass's sourced trade figures: a figure of the same state, flow and year
    replaces the UNVERIFIED estimate; other years are added beside it. Partial years, other
    currencies and balances are kept in the sources only."""
    out = []
    name = "additions/trade_china_sourced.csv"
    for r in rows(src / "team_data" / name):
        if r["flow"] not in ("exports_to_china", "imports_from_china"):
            continue
        if not re.fullmatch(r"(19|20)\d\d", r["year"]) or not r["unit"].startswith("EUR bn"):
            continue
        confidence, detail = level(r["confidence"])
        note = "; ".join(x for x in (detail, f"as seen: {r['snippet']}") if x)
        row = exposure_row(r["iso2"], "trade", r["flow"], r["value"], "EUR bn", r["year"],
                           year_end(r["year"]), cited(f"{TEAM}/{name}", r["source"]), confidence,
                           note)
        for old in team:
            if old[:3] == row[:3] and old[6] == row[6] and old[9] == "UNVERIFIED":
                team.remove(old)
        out.append(row)
    return out


def agrifood_rows(src: Path) -> list[list[object]]:
    sectors = {"brandy_exports_to_china_value": "spirits", "cognac_share_of_exports_to_china":
               "spirits", "wine_spirits_exports_to_china": "spirits",
               "pork_exports_to_china_value": "pork", "china_pork_imports_total": "pork",
               "dairy_imports_affected_by_china_cvd": "dairy"}
    out = team_rows(src, "sector_agrifood.csv", "", skip=lambda r: r["metric"].endswith("_change"))
    for row in out:
        row[1] = sectors[row[2]]
    name = "additions/agrifood_sourced.csv"
    adds = {r["metric"]: r for r in rows(src / "team_data" / name)}
    # China's brandy imports (sourced, USD, Jan-Nov 2023) replace the UNVERIFIED French row
    brandy = adds["brandy_exports_to_china_value"]
    out = [r for r in out if not (r[0] == "FR" and r[2] == "brandy_exports_to_china_value")]
    out.append(exposure_row("FR", "spirits", "brandy_imports_by_china_value", brandy["value"],
                            "USD bn (China's imports of grape brandy, Jan-Nov; France 99.8% of EU)",
                            "2023", "2024-01-09", cited(f"{TEAM}/{name}", brandy["source"]),
                            level(brandy["confidence"])[0], f"as seen: {brandy['snippet']}"))
    # the same figure in the spirits channel's unit: EUR at the IMF's implied 2023 rate, a lower
    # bound of France's wine and spirits exports (brandy only, eleven months), known from the
    # January 2024 release of China's customs data
    out.append(exposure_row("FR", "spirits", "wine_spirits_exports_to_china",
                            round(float(brandy["value"]) / USD_PER_EUR_2023, 4),
                            "EUR bn (lower bound: grape brandy only, Jan-Nov)", "2023",
                            "2024-01-09", cited(f"{TEAM}/{name}", brandy["source"]), "derived",
                            f"DERIVED: USD {brandy['value']} bn / {USD_PER_EUR_2023} USD per EUR "
                            f"(the rate implied by the IMF's April 2024 WEO, {RESEARCH}/recent/"
                            "NOTES.md); dated at the customs release reported on 2024-01-09 "
                            "(cnwinenews.com)"))
    # Germany's pork: barred from China since 2020 (sourced) replaces the UNVERIFIED zero
    de = adds["pork_exports_to_china_status"]
    out = [r for r in out if not (r[0] == "DE" and r[2] == "pork_exports_to_china_value")]
    out.append(exposure_row("DE", "pork", "pork_exports_to_china_value", 0, "EUR bn", "2023",
                            "2023-12-31", cited(f"{TEAM}/{name}", de["source"]),
                            level(de["confidence"])[0],
                            "German pork barred from China since 2020 (African swine fever); "
                            f"as seen: {de['snippet']}"))
    return out


def dairy_flags(src: Path) -> list[list[object]]:
    """States named in China's anti-subsidy dairy probe, known from the day it opened."""
    out = []
    name = "china_trade_measures.csv"
    for r in rows(src / "team_data" / name):
        if r["measure"] == "China CVD on EU dairy" and r["event"] == "investigation opened":
            for iso in r["target_iso2"].split(";"):
                out.append(exposure_row(iso, "dairy", "named_in_china_dairy_probe", 1, "flag",
                                        r["date"][:4], r["date"],
                                        cited(f"{TEAM}/{name}", r["source"]), r["confidence"],
                                        r["note"]))
    return out


def plant_rows(src: Path) -> list[list[object]]:
    """Chinese battery and car plants: the amount known when each was announced, and later
    amounts from the day they were published; a plant without any amount adds nothing."""
    out = []
    name = "research/dates/plant_announcements.csv"
    for r in rows(src / "research" / "dates" / "plant_announcements.csv"):
        if r["iso2"] == "PL":                      # an acquisition (Tencent-Techland), not a plant
            continue
        if r["investment_eur_bn"]:
            out.append(exposure_row(r["iso2"], "chinese_plants", "chinese_plant_investment",
                                    r["investment_eur_bn"], "EUR bn", r["announced"][:4],
                                    r["announced"], cited(f"params/sources/{name}", r["source"]),
                                    level(r["confidence"])[0],
                                    "amount stated when the plant was announced",
                                    item=f"{r['company']} {r['site']}"))
    later = [  # later amounts: (item, iso2, value, date, source, confidence, note)
        ("CALB Sines", "PT", "2.06", "2024-01-22",
         "The Portugal News 2024-01-22 citing Jornal Economico (EUR 2,060 m); see "
         f"params/sources/{name}, row CALB 2025-02-21", "medium",
         "amount reported before the investment decision of 2025-02-21"),
        ("BYD Szeged", "HU", "4.0", "2025-09-11",
         cited(f"{TEAM}/chinese_plants.csv", "automotiveworld.com 11 Sep 2025 (EUR 4 bn)"),
         "medium", "no amount was stated at the announcement of 2023-12-22; other sources say "
                   "'over EUR 1 bn' (wcevcar.com, date not found)"),
        ("CATL Arnstadt (Erfurter Kreuz), Thuringia", "DE", "1.8", "2023-12-31",
         cited(f"{TEAM}/chinese_plants.csv", "invest-in-thuringia.de; stern.de; mdr.de"),
         "high", "expansion figure; its publication date was not found, so it is dated at the "
                 "end of 2023, the year the plant started (an assumption)"),
    ]
    for item, iso, value, date, source, confidence, note in later:
        out.append(exposure_row(iso, "chinese_plants", "chinese_plant_investment", value,
                                "EUR bn", date[:4], date, source, confidence, note, item=item))
    return out


def partnership_rows(src: Path) -> list[list[object]]:
    """Chinese battery investments in joint projects with a member state's own firms (the
    policy paper's 'joint investments in battery technologies and technological partnerships'),
    the amount known when each was announced. They are not in the chinese_plants rows, so no
    measure's plant stake counts them twice."""
    name = "research/dates/partnerships.csv"
    return [exposure_row(r["iso2"], "battery_partnerships",
                         "chinese_battery_partnership_investment", r["investment_eur_bn"],
                         "EUR bn", r["announced"][:4], r["announced"],
                         cited(f"params/sources/{name}", r["source"]), r["confidence"],
                         r["note"], item=f"{r['company']} with {r['partner']}, {r['site']}")
            for r in rows(src / "research" / "dates" / "partnerships.csv")]


#: Flags read from dated events of the timeline: (sector, indicator, date, a word of the event).
TIMELINE_FLAGS = (
    ("cherries", "cherry_market_access_protocol", "2025-04-11", "cherries"),
    ("countermeasures", "on_china_countermeasure_list", "2025-08-13", "Urbo"),
)


def timeline_flags(src: Path) -> list[list[object]]:
    """A 0/1 flag for each state an event of the timeline names, known from its day: Spain's
    cherry protocol (a market opened, apart from pork), the Lithuanian banks China listed."""
    name = "research/dates/timeline.csv"
    events = rows(src / "research" / "dates" / "timeline.csv")
    out = []
    for sector, indicator, date, word in TIMELINE_FLAGS:
        found = [e for e in events if e["date"] == date and word in e["event"]]
        if len(found) != 1:
            raise ValueError(f"timeline.csv: expected one event of {date} with {word!r}")
        e = found[0]
        for iso in e["targets"].split(";"):
            out.append(exposure_row(iso, sector, indicator, 1, "flag", date[:4], date,
                                    cited(f"params/sources/{name}", e["source"]),
                                    level(e["confidence"])[0], e["event"]))
    return out


def magnet_hubs() -> list[list[object]]:
    hubs = ["DE", "CZ", "SK", "HU", "ES", "IT", "FR"]
    return [exposure_row(iso, "rare_earth_magnets", "automotive_supplier_hub", 1, "flag", "2025",
                         "2025-04-04",
                         f"{TEAM}/SOURCES.md section 3.5 (qualitative: automotive supplier hubs "
                         "most exposed to magnet licensing)", "low",
                         "qualitative; member-state magnet dependence NOT FOUND as a quantified "
                         "table; known from China's licensing requirement of 4 April 2025")
            for iso in hubs]


def rare_earth_rows(src: Path) -> list[list[object]]:
    out = []
    name = "rare_earths.csv"
    for r in rows(src / "team_data" / name):
        iso = {"EU": "EU", "China->EU": "EU", "China->DE": "DE",
               "EU auto suppliers": "EU"}.get(r["scope"])
        if iso is None:
            continue
        dated = "magnet_exports" in r["metric"] or "clepa" in r["metric"]
        indicator = r["metric"] + ("_" + r["period"] if dated else "")
        known = r["period"] if re.fullmatch(r"\d{4}-\d\d-\d\d", r["period"]) else (
            f"{r['period'][:7]}-28" if re.fullmatch(r"\d{4}-\d\d", r["period"]) else
            year_end(r["period"]))
        out.append(exposure_row(iso, "rare_earth_magnets", indicator, r["value"], r["unit"],
                                r["period"], known, cited(f"{TEAM}/{name}", r["source"]),
                                r["confidence"], r["note"]))
    return out


#: The day each vintage of a state's defence spending became known
#: (params/sources/research/dates/NOTES.md, "Dates for the defence figures"); a vintage known
#: only by its period is dated at the period's end, the cautious reading.
DEFENCE_VINTAGES = {
    ("nato_defence_expenditure_pct_gdp", "2025"): "2026-03-26",
    ("nato_defence_expenditure_pct_gdp_estimate", "2025e (published Aug 2025)"): "2025-08-28",
    ("nato_defence_expenditure_pct_gdp_estimate", "2024e (published Jun 2024)"): "2024-06-18",
    ("nato_defence_expenditure_pct_gdp_estimate", "2023e"): "2024-06-30",
    ("defence_budget_pct_gdp_iiss", "2024"): "2025-06-30",
    ("eda_defence_expenditure_pct_gdp", "2024"): "2025-12-31",
    ("defence_expenditure_pct_gdp_national_estimate", "2026 (estimate)"): "2025-12-31",
}
DEFENCE_DATING = {
    "2024-06-30": "NATO's 2023 estimates were published in early 2024: dated at the end of its "
                  "first half",
    "2025-06-30": "IISS Military Balance 2025 (2024 budgets): publication day not found, dated at "
                  "the end of the first half of 2025",
    "2025-12-31": "publication day not found: dated at the end of 2025",
}


def defence_rows(src: Path) -> list[list[object]]:
    """Defence spending as % of GDP, every vintage of every state that has one, dated at its
    publication (the defence channel, model/inputs/exposure.py). States without any figure
    stay without a row (the channel says 'not found'); EU totals, arms-export shares and
    firms' revenues cover too few states for a channel and are kept in the sources."""
    out = []
    name = f"{RESEARCH}/dates/defence.csv"
    for r in rows(src / "research" / "dates" / "defence.csv"):
        known = DEFENCE_VINTAGES.get((r["indicator"], r["year"]))
        if known is None or r["iso2"] == "EU":
            continue
        text = r["confidence"].replace("medium-low", "low-medium")
        confidence, detail = level(text)
        if r["indicator"] == "defence_expenditure_pct_gdp_national_estimate":
            note_when = ("the article's date was not found; a 2026 budget estimate is public "
                         "before 2026 begins, so dated at the end of 2025 (an inference)")
        else:
            note_when = DEFENCE_DATING.get(known, "")
        note = "; ".join(x for x in (f"indicator in the source: {r['indicator']}", detail,
                                     note_when, f"as seen: {r['snippet']}") if x)
        out.append(exposure_row(r["iso2"], "defence", "defence_expenditure_pct_gdp", r["value"],
                                "% of GDP", r["year"], known, cited(name, r["source"]),
                                confidence, note))
    return out


#: The EU's monthly imports of Chinese rare-earth magnets before the licensing of 4 April
#: 2025 (March 2025; params/sources/research/rare_earths/magnet_exports_eu.csv): the level a
#: month's shortfall is measured against.
MAGNET_BASELINE_MONTH = "2025-03"
SCHEDULE_COLUMNS = ["schedule", "month", "intensity", "source", "confidence", "note"]


def build_schedules(src: Path) -> None:
    """Monthly intensities of China's instruments (params/schedules.csv).

    ``eu_magnet_shortfall``: the shortfall of a month's magnet exports to the EU against March
    2025, ``max(0, 1 - tonnes / March tonnes)`` - derived from two sourced numbers; that
    pressure follows the shortfall is a modelling assumption (the instrument's ``schedule``
    in params/instruments.toml says so). ``mofcom_oct2025_controls``: the controls of 9 Oct
    2025, announced (1) and suspended (0), from the dated announcements."""
    folder = f"{RESEARCH}/rare_earths"
    series = rows(src / "research" / "rare_earths" / "magnet_exports_eu.csv")
    base = next(r for r in series if r["month"] == MAGNET_BASELINE_MONTH)
    body = []
    for r in series:
        shortfall = max(0.0, 1.0 - float(r["tonnes"]) / float(base["tonnes"]))
        body.append(["eu_magnet_shortfall", r["month"], f"{shortfall:.4f}",
                     cited(f"{folder}/magnet_exports_eu.csv", f"{r['source']} | baseline "
                           f"{MAGNET_BASELINE_MONTH}: {base['source']}"), "derived",
                     f"max(0, 1 - {r['tonnes']} t / {base['tonnes']} t); the month's tonnes: "
                     f"{r['confidence']}, the baseline's: {base['confidence']}; {r['note']}"])
    for r in rows(src / "research" / "rare_earths" / "oct2025_controls.csv"):
        body.append(["mofcom_oct2025_controls", r["month"], r["intensity"],
                     cited(f"{folder}/oct2025_controls.csv", r["source"]), r["confidence"],
                     r["note"]])
    write(PARAMS / "schedules.csv", SCHEDULE_COLUMNS, body)


def fdi_rows(src: Path) -> list[list[object]]:
    out = team_rows(src, "chinese_fdi.csv", "fdi")
    name = "additions/fdi_sourced.csv"
    for r in rows(src / "team_data" / name):
        if r["metric"].startswith("plant_") or not r["unit"].startswith(("EUR bn", "% of GDP")):
            continue                   # plants are built from the dated plant table
        confidence, detail = level(r["confidence"])
        out.append(exposure_row(r["iso2"], "fdi", r["metric"], r["value"], r["unit"],
                                r["year"], year_end(r["year"]),
                                cited(f"{TEAM}/{name}", r["source"]), confidence,
                                "; ".join(x for x in (detail, f"as seen: {r['snippet']}") if x)))
    return out


def history_rows(src: Path) -> list[list[object]]:
    """Older trade with China and GDP (params/sources/research/history/): whole years in EUR on
    Eurostat's community concept only (half-years, national concepts and GBP are kept in the
    sources). GDP 2012-2022 is a 2023 vintage of Eurostat nama_10_gdp, dated at the end of
    each reference year: the first releases a back-test would have seen may differ from it by
    later revisions."""
    out = []
    name = f"{RESEARCH}/history/trade_gdp_history.csv"
    for r in rows(src / "research" / "history" / "trade_gdp_history.csv"):
        if r["iso2"] == "EU" or not re.fullmatch(r"(19|20)\d\d", r["year"]):
            continue
        if r["indicator"] in ("exports_to_china", "imports_from_china"):
            if not r["unit"].startswith("EUR bn (Eurostat"):
                continue
            sector, note = "trade", f"as seen: {r['snippet']}"
        elif r["indicator"] == "gdp_eur_bn":
            sector, note = "economy", ("Eurostat nama_10_gdp, 2023 vintage; dated at the end of "
                                       "the reference year (first releases may differ by "
                                       "later revisions)")
        else:
            continue
        out.append(exposure_row(r["iso2"], sector, r["indicator"], r["value"], "EUR bn", r["year"],
                                year_end(r["year"]), cited(name, r["source"]),
                                level(r["confidence"])[0], note))
    return out


def recent_rows(src: Path) -> list[list[object]]:
    """GDP 2022-2024 as published in the IMF's April 2024 World Economic Outlook (dated at its
    release) and national trade figures for 2022-2023 (params/sources/research/recent/)."""
    out = []
    name = f"{RESEARCH}/recent/trade_gdp_2021_2023.csv"
    for r in rows(src / "research" / "recent" / "trade_gdp_2021_2023.csv"):
        if r["iso2"] == "EU" or not re.fullmatch(r"(19|20)\d\d", r["year"]):
            continue
        if r["indicator"] == "gdp_eur_bn":
            sector = "economy"
        elif r["indicator"] in ("exports_to_china", "imports_from_china"):
            sector = "trade"
        else:
            continue
        known = r["published"] if re.fullmatch(r"\d{4}-\d\d-\d\d", r["published"]) else (
            year_end(r["year"]))
        derived = "DERIVED" in r["unit"] or r["snippet"].startswith("DERIVED")
        note = "; ".join(x for x in (
            "DERIVED: USD figure / the USD-EUR rate implied by the IMF's own euro-area figures"
            if derived else "", "publication date not found: dated at the end of the reference "
            "year" if known != r["published"] else "", f"as seen: {r['snippet']}") if x)
        out.append(exposure_row(r["iso2"], sector, r["indicator"], r["value"], "EUR bn", r["year"],
                                known, cited(name, r["source"]), level(r["confidence"])[0], note))
    return out


def build_exposures(src: Path) -> None:
    trade = team_rows(src, "trade_china.csv", "trade",
                      {"exports_to_china": "exports_to_china",
                       "imports_from_china": "imports_from_china",
                       "imports_from_china_pct_gdp": "imports_from_china_pct_gdp"})
    out = trade + sourced_trade(src, trade)
    out += team_rows(src, "gdp.csv", "economy", {"gdp_2024_eur_bn_derived": "gdp_eur_bn"})
    out += history_rows(src) + recent_rows(src)
    out += team_rows(src, "sector_autos.csv", "cars")
    for r in rows(src / "research" / "car_production.csv"):
        out.append(exposure_row(r["iso2"], r["sector"], r["indicator"], r["value"], r["unit"],
                                r["year"], year_end(r["year"]),
                                cited(f"{RESEARCH}/car_production.csv", r["source"]),
                                r["confidence"], r["note"]))
    out += agrifood_rows(src) + dairy_flags(src) + plant_rows(src) + fdi_rows(src)
    out += rare_earth_rows(src) + magnet_hubs() + defence_rows(src)
    out += partnership_rows(src) + timeline_flags(src)
    out = [r for r in out if r[4] != ""]
    out.sort(key=lambda r: (r[1], r[2], r[0], r[7], r[3]))
    write(PARAMS / "exposures.csv", EXPOSURE_COLUMNS, out)


# --- alignment ------------------------------------------------------------------------------

#: The day each survey or index was published (params/sources/research/history/NOTES.md A3).
PUBLISHED = {"public_view_of_china_2020_sinophone_borderlands": "2020-11-16",
             "public_view_of_china_2023_ecfr": "2023-06-07",
             "china_index_2022_economy_domain_score": "2022-12-08"}


def status_value(indicator: str, text: str) -> tuple[str, str]:
    """A dated status row's value in the coded vocabulary (model/inputs/stance.py), and what
    the source said when it said more."""
    text = text.strip()
    if indicator == "bri_mou_status":
        if text.startswith("signed"):
            return "signed", text[len("signed"):].strip(" ()")
        if text.startswith(("exited", "MoU expired")):
            return "exited", text
        if text.startswith(("not signed", "declined")):
            return "not signed", text if text != "not signed" else ""
    if indicator == "china_ceec_format_membership":
        for word in ("never member", "member", "left", "observer"):
            if text.startswith(word):
                return word, text[len(word):].strip(" ()")
    raise ValueError(f"uncoded {indicator} value {text!r}")


def history_date(text: str) -> tuple[str, str]:
    """A valid_from date (YYYY-MM-DD), or the month's end for YYYY-MM (with a note)."""
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        return text, ""
    if re.fullmatch(r"\d{4}-\d\d", text):
        y, m = int(text[:4]), int(text[5:])
        end = f"{text}-{[31, 29 if y % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]}"
        return end, f"known in {text} (day not found; dated at the month's end)"
    raise ValueError(f"no date in {text!r}")


def build_alignment(src: Path) -> None:
    """BRI memoranda and the China-CEEC format from the dated history (each change on the day
    it took effect); surveys and the China Index from the team's table, dated at publication;
    the United Kingdom's rows from the history."""
    body = []
    hist = f"{RESEARCH}/history/alignment_history.csv"
    for r in rows(src / "research" / "history" / "alignment_history.csv"):
        ind = r["indicator"]
        if ind in ("bri_mou_status", "china_ceec_format_membership"):
            value, said = status_value(ind, r["value"])
        elif r["iso2"] == "GB":
            value, said = r["value"], ""
        else:
            continue
        day, when = history_date(r["valid_from"])
        note = "; ".join(x for x in (f"source says: {said}" if said else "", when,
                                     f"as seen: {r['snippet']}") if x)
        body.append([r["iso2"], ind, value, "status" if ind in INDICATOR_STATUS else "category",
                     day[:4], day, cited(hist, r["source"]), level(r["confidence"])[0], note])
    name = "alignment_indicators.csv"
    for r in rows(src / "team_data" / name):
        if r["metric"] not in PUBLISHED:
            continue  # statuses come from the history; the 2024 vote is a back-test target
        confidence, note = r["confidence"], r["note"]
        if confidence.startswith("high (for text)"):
            # the survey's text is high confidence; per-country percentages were not found
            confidence, note = "high", (note + "; " + r["confidence"]).strip("; ")
        body.append([r["iso2"], r["metric"], r["value"], r["unit"], r["year"],
                     PUBLISHED[r["metric"]], cited(f"{TEAM}/{name}", r["source"]), confidence,
                     (note + "; dated at publication "
                      f"({RESEARCH}/history/NOTES.md A3)").strip("; ")])
    body.sort(key=lambda b: (b[1], b[0], b[5]))
    write(PARAMS / "alignment.csv", ALIGNMENT_COLUMNS, body)


INDICATOR_STATUS = ("bri_mou_status", "china_ceec_format_membership")


def main(sources: Path) -> int:
    """Build every table into a scratch folder, then move them into params/ one by one
    (each replace is atomic); a source that cannot be read or parsed stops the build with one
    line and leaves params/ as it was."""
    global PARAMS
    target = PARAMS
    with tempfile.TemporaryDirectory(dir=target) as scratch:
        PARAMS = Path(scratch)
        try:
            for step in (build_populations, build_exposures, build_schedules, build_alignment):
                step(sources)
        except (OSError, KeyError, ValueError, StopIteration, csv.Error) as exc:
            what = f"missing column or key {exc}" if isinstance(exc, KeyError) else (
                str(exc) or type(exc).__name__)
            print(f"build_params: {step.__name__}: {what} (params/ left unchanged)",
                  file=sys.stderr)
            return 2
        finally:
            PARAMS = target
        for built in sorted(Path(scratch).iterdir()):
            os.replace(built, target / built.name)
    print("params rebuilt from", sources)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else PARAMS / "sources"))

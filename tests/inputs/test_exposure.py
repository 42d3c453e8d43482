"""The exposure table picks the rows the module documents: the most recent reference year, the
latest vintage within a year, a sourced figure over an UNVERIFIED one within SOURCED_WINDOW
years, the latest known row of every item on a 'sum' channel, the GDP of the same year else
the latest known, and only rows known by ``as_of``. The expected picks below are worked out
by hand from those rules (the table is small enough to read)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.inputs.exposure import CHANNELS, SOURCED_WINDOW, build_exposures
from model.inputs.tables import load_exposures

HEADER = "iso2,sector,indicator,item,value,unit,year,known_from,source,confidence,note\n"
#: Data rows; a row's number is its line in the file (the header is line 1).
ROWS = """\
DE,economy,gdp_eur_bn,,4000,EUR bn,2023,2024-02-28,Destatis,high,
DE,economy,gdp_eur_bn,,4400,EUR bn,2024,2025-02-28,Destatis,high,
DE,trade,exports_to_china,,110,EUR bn,2023,2024-09-01,Destatis revision,medium-high,
DE,trade,exports_to_china,,100,EUR bn,2023,2024-03-01,Destatis first release,high,
DE,trade,exports_to_china,,200,EUR bn,2022,2024-12-01,a late table of an older year,high,
DE,cars,passenger_car_production,,4000000,cars,2023,2024-01-15,VDA,high,
DE,cars,passenger_car_production,,3600000,cars,2022,2023-01-15,VDA,high,
DE,defence,defence_expenditure_pct_gdp,,1.5,% of GDP,2023,2024-02-14,NATO,medium-high,
DE,defence,defence_expenditure_pct_gdp,,2.0,% of GDP,2024,2025-06-01,NATO,medium,
DE,cars,bmw_group_deliveries_china,,715200,vehicles,2024,2024-12-31,BMW,high,no channel reads it
FR,economy,gdp_eur_bn,,2500,EUR bn,2022,2023-03-01,INSEE,high,
FR,economy,gdp_eur_bn,,2800,EUR bn,2024,2025-03-01,INSEE,high,
FR,cars,car_exports_to_china_value,,5,EUR bn,2022,2023-04-01,customs,high,
FR,cars,car_exports_to_china_value,,9,EUR bn,2024,2025-01-15,team estimate,UNVERIFIED,
FR,dairy,named_in_china_dairy_probe,,1,flag,2024,2024-08-21,MOFCOM,high,
HU,economy,gdp_eur_bn,,200,EUR bn,2023,2024-03-01,KSH,high,
HU,cars,car_exports_to_china_value,,2,EUR bn,2021,2022-03-01,KSH,high,
HU,cars,car_exports_to_china_value,,3,EUR bn,2024,2025-01-15,team estimate,UNVERIFIED,
HU,chinese_plants,chinese_plant_investment,CATL,7.5,EUR bn,2024,2025-01-10,CATL,medium-high,
HU,chinese_plants,chinese_plant_investment,CATL,7,EUR bn,2022,2022-08-12,CATL,high,
HU,chinese_plants,chinese_plant_investment,BYD Szeged,4,EUR bn,2025,2025-09-11,BYD,medium,
HU,chinese_plants,chinese_plant_investment,,1,EUR bn,2023,2023-05-09,press,low,
HU,chinese_plants,chinese_plant_investment,,0.5,EUR bn,2023,2023-06-01,press,low-medium,
MT,economy,gdp_eur_bn,,15,EUR bn,2021,2022-03-01,NSO,high,
MT,economy,gdp_eur_bn,,17,EUR bn,2022,2023-03-01,NSO,high,
MT,trade,exports_to_china,,0.17,EUR bn,2023,2024-03-01,NSO,medium,
SK,economy,gdp_eur_bn,,120,EUR bn,2023,2024-11-01,SUSR,high,
SK,trade,exports_to_china,,3,EUR bn,2023,2024-05-01,SUSR,high,
GB,trade,exports_to_china,,30,EUR bn,2023,2024-03-01,ONS,high,not a member here
MT,trade,exports_to_china,,0.34,EUR bn,2023,2024-03-01,NSO corrected table,medium,same day as row 27
"""
MEMBERS = ("DE", "FR", "HU", "MT", "SK")
POPULATION = pd.Series({"DE": 80_000_000, "FR": 68_000_000, "HU": 9_600_000, "MT": 540_000,
                        "SK": 5_400_000}, name="population")
VOTE = "2024-10-04"


@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("exposure") / "exposures.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    return load_exposures(path)


def table(rows: pd.DataFrame, as_of: str | None = None):
    return build_exposures(rows, POPULATION, ref_pct_gdp=0.1, ref_per_1000=10.0, as_of=as_of,
                           members=MEMBERS)


def cell(t, iso: str, channel: str) -> dict:
    p = t.provenance
    (found,) = p[(p["iso2"] == iso) & (p["channel"] == channel)].to_dict("records")
    return found


def status(t) -> dict[int, str]:
    return dict(zip(t.rows["row"], t.rows["status"]))


def test_the_most_recent_year_wins_and_within_a_year_the_latest_vintage(rows):
    # 2023 (rows 4 and 5) beats the 2022 figure published later (row 6); of the two 2023
    # vintages the revision (row 4, 110: known last, though first in the file) is used, over
    # the GDP of 2023 (row 2), not 2024
    latest = table(rows)
    assert latest.raw.loc["DE", "trade"] == 100.0 * 110 / 4000
    de = cell(latest, "DE", "trade")
    assert de["year"] == "2023" and de["confidence"] == "medium-high"
    assert de["unit"] == "% of GDP (EUR bn / GDP EUR bn 2023)"
    assert latest.index.loc["DE", "trade"] == pytest.approx(math.log1p(27.5))
    assert {r: status(latest)[r] for r in (2, 3, 4, 5, 6)} == {
        2: "used", 3: "superseded", 4: "used", 5: "superseded", 6: "superseded"}
    # in June 2024 only the first release was known
    june = table(rows, "2024-06-01")
    assert june.raw.loc["DE", "trade"] == 100.0 * 100 / 4000
    assert {r: status(june)[r] for r in (2, 3, 4, 5, 6)} == {
        2: "used", 3: "known after as_of", 4: "known after as_of", 5: "used",
        6: "known after as_of"}


def test_a_sourced_figure_within_the_window_is_preferred_to_an_estimate(rows):
    assert SOURCED_WINDOW == 2
    t = table(rows)
    # France: the sourced 2022 figure (row 14) is 2 years older than the 2024 estimate: used,
    # over the GDP of 2022
    assert t.raw.loc["FR", "cars"] == 100.0 * 5 / 2500
    fr = cell(t, "FR", "cars")
    assert fr["year"] == "2022" and fr["confidence"] == "high"
    assert (status(t)[14], status(t)[15], status(t)[12], status(t)[13]) == (
        "used", "superseded", "used", "superseded")
    # Hungary: the sourced 2021 figure is 3 years older: the estimate is used and flagged;
    # no 2024 GDP, so the latest known (2023)
    assert t.raw.loc["HU", "cars"] == 100.0 * 3 / 200
    hu = cell(t, "HU", "cars")
    assert hu["confidence"] == "UNVERIFIED" and hu["unit"].endswith("GDP EUR bn 2023)")
    assert (status(t)[18], status(t)[19]) == ("superseded", "used")
    assert list(t.unverified_cells()[["iso2", "channel"]].itertuples(index=False)) == [
        ("HU", "cars")]
    # before the estimate was known, the old sourced figure is all there is
    assert table(rows, VOTE).raw.loc["HU", "cars"] == 100.0 * 2 / 200


def test_a_sum_channel_adds_the_latest_known_row_of_every_item(rows):
    # CATL's revision (row 20) replaces its first figure (row 21, known earlier though later
    # in the file); the two rows without an item are items of their own: 7.5 + 4 + 1 + 0.5 =
    # 13 over HU's GDP of 200
    t = table(rows)
    assert t.raw.loc["HU", "plants"] == 100.0 * 13 / 200
    hu = cell(t, "HU", "plants")
    assert hu["year"] == "2023;2024;2025" and hu["source"] == "BYD | CATL | press"
    assert hu["confidence"] == "low"
    assert [status(t)[r] for r in range(20, 25)] == [
        "used", "superseded", "used", "used", "used"]
    # at the vote: CATL's first figure and the two small items, 7 + 1 + 0.5 = 8.5
    vote = table(rows, VOTE)
    assert vote.raw.loc["HU", "plants"] == 100.0 * 8.5 / 200
    assert [status(vote)[r] for r in range(20, 25)] == [
        "known after as_of", "used", "known after as_of", "used", "used"]


def test_per_capita_share_and_flag_channels(rows):
    t = table(rows)
    # 4,000,000 cars (2023, over 2022's 3,600,000) for 80 million inhabitants
    assert t.raw.loc["DE", "car_industry"] == 50.0
    assert cell(t, "DE", "car_industry")["unit"] == "cars per 1,000 inhabitants"
    assert t.index.loc["DE", "car_industry"] == pytest.approx(math.log(6.0))
    # a share of GDP as given, with no GDP division: 2024 now, 2023 at the vote
    assert t.raw.loc["DE", "defence"] == 2.0
    assert cell(t, "DE", "defence")["unit"] == "% of GDP"
    assert table(rows, VOTE).raw.loc["DE", "defence"] == 1.5
    # a flag is not transformed
    assert t.raw.loc["FR", "dairy"] == 1.0 and t.index.loc["FR", "dairy"] == 1.0
    absent = cell(t, "DE", "dairy")
    assert absent["confidence"] == "not found" and t.index.loc["DE", "dairy"] == 0.0


def test_gdp_of_the_same_year_else_the_latest_known_else_not_found(rows):
    t = table(rows)
    # Malta: no 2023 GDP, so 2022's 17 (not 2021's 15); of two 2023 rows known the same day
    # the later in the file (row 31, a corrected table) is used
    assert t.raw.loc["MT", "trade"] == 100.0 * 0.34 / 17
    assert (status(t)[27], status(t)[31], status(t)[25]) == ("superseded", "used", "superseded")
    assert cell(t, "MT", "trade")["unit"].endswith("GDP EUR bn 2022)")
    assert t.raw.loc["SK", "trade"] == 100.0 * 3 / 120
    # Slovakia at the vote: its trade figure is known, its GDP only from November
    vote = table(rows, VOTE)
    sk = cell(vote, "SK", "trade")
    assert sk["confidence"] == "not found" and sk["source"] == "no GDP figure known by then"
    assert (status(vote)[29], status(vote)[28]) == ("no GDP known by then", "known after as_of")
    assert vote.raw.loc["SK"].eq(0.0).all() and vote.neutral_members() == ["SK"]


def test_the_rows_table_lists_every_read_row_of_the_members_once(rows):
    t = table(rows)
    # row 11 (BMW deliveries) is read by no channel, row 30 is not a member's
    assert list(t.rows["row"]) == [r for r in range(2, 32) if r not in (11, 30)]
    assert (t.rows["used"] == (t.rows["status"] == "used")).all()
    assert list(t.provenance[["iso2", "channel"]].itertuples(index=False)) == [
        (iso, ch.name) for ch in CHANNELS for iso in MEMBERS]
    assert list(t.index.index) == list(MEMBERS)
    assert list(t.index.columns) == [ch.name for ch in CHANNELS]


_READ = [(c.sector, c.indicator) for c in CHANNELS] + [("economy", "gdp_eur_bn")]


@st.composite
def late_rows(draw):
    """An as_of date and one row of any read indicator that became known after it."""
    as_of = draw(st.sampled_from([None, "2023-12-31", VOTE, "2025-03-01"]))
    sector, indicator = draw(st.sampled_from(_READ))
    year = draw(st.integers(2015, 2026))
    known = draw(st.dates(min_value=pd.Timestamp("2023-01-01").date(),
                          max_value=pd.Timestamp("2026-12-31").date())).isoformat()
    return as_of, {
        "iso2": draw(st.sampled_from(MEMBERS)), "sector": sector, "indicator": indicator,
        "item": draw(st.sampled_from(["", "CATL", "a new plant"])),
        "value": draw(st.floats(0.01, 5000.0)), "unit": "EUR bn", "year": str(year),
        "known_from": known, "source": "hypothesis", "confidence": draw(
            st.sampled_from(["high", "medium", "UNVERIFIED"])), "note": ""}


@settings(max_examples=60, deadline=None)
@given(late_rows())
def test_a_row_known_only_later_never_changes_the_table(rows, drawn):
    as_of, new = drawn
    if as_of is None or new["known_from"] <= as_of:
        as_of = "2022-12-31"        # the earliest date the drawn rows cannot be known by
    base = table(rows, as_of)
    extended = pd.concat([rows, pd.DataFrame([{**new, "row": 99,
                                               "unverified": new["confidence"] == "UNVERIFIED"}])],
                         ignore_index=True)
    after = table(extended, as_of)
    for part in ("index", "raw", "provenance"):
        pd.testing.assert_frame_equal(getattr(base, part), getattr(after, part),
                                      check_exact=True)
    assert dict(zip(after.rows["row"], after.rows["status"]))[99] == "known after as_of"


@settings(max_examples=40, deadline=None)
@given(value=st.floats(0.01, 10.0), later=st.integers(1, 3), iso=st.sampled_from(MEMBERS),
       confidence=st.sampled_from(["high", "medium", "low"]))
def test_a_sourced_share_of_a_newer_year_is_the_one_used(rows, value, later, iso, confidence):
    """Whatever a state had, a known sourced defence share of a more recent year is its
    value (a share of GDP is used as given)."""
    new = {"iso2": iso, "sector": "defence", "indicator": "defence_expenditure_pct_gdp",
           "item": "", "value": value, "unit": "% of GDP", "year": str(2024 + later),
           "known_from": "2024-01-01", "source": "hypothesis", "confidence": confidence,
           "note": "", "row": 99, "unverified": False}
    t = table(pd.concat([rows, pd.DataFrame([new])], ignore_index=True))
    assert t.raw.loc[iso, "defence"] == value
    assert cell(t, iso, "defence")["confidence"] == confidence
    assert dict(zip(t.rows["row"], t.rows["status"]))[99] == "used"


def test_an_estimate_counts_as_its_year_on_the_shipped_defence_rows():
    """NATO publishes estimates ('2024e'): at the EV-duty vote Belgium's June 2024 estimate of
    2024 (1.30% of GDP) is the most recent year, not the 2023 estimate dated later (1.13%),
    and by the flagship's date the 2025 estimate (2.0%) has replaced both."""
    def belgium(as_of):
        table = build_exposures(as_of=as_of)
        cell = table.provenance.set_index(["iso2", "channel"]).loc[("BE", "defence")]
        return float(table.raw.loc["BE", "defence"]), cell["year"]

    assert belgium("2024-10-04") == (1.30, "2024e (published Jun 2024)")
    assert belgium("2025-12-01") == (2.0, "2025e (published Aug 2025)")

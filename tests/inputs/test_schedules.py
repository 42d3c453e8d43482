"""Monthly intensity schedules: what params/schedules.csv holds, how a vote date maps rounds to
its months, and one-line errors for bad schedule input."""

from __future__ import annotations

import csv
import datetime
import importlib.util
import shutil
from itertools import pairwise

import pytest
from helpers import ROOT
from hypothesis import given
from hypothesis import strategies as st

from model.errors import InputError
from model.experiments.resolve import resolve
from model.experiments.spec import load_spec
from model.inputs import catalogue
from model.inputs.dating import round_months
from model.inputs.schedules import factors, intensity_in, load_schedules

SCHEDULES = ROOT / "params" / "schedules.csv"


def shipped_rows() -> list[dict[str, str]]:
    with open(SCHEDULES, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def squeeze_spec(vote_date: str, rounds: int = 12):
    return load_spec({
        "name": "t", "measure": "aci_determination", "rounds": rounds, "vote_date": vote_date,
        "china": {"actions": [{"instrument": "rare_earth_licence_slowdown",
                               "date": "2025-04-04"}]}})


def squeeze(vote_date: str, rounds: int = 12):
    return resolve(squeeze_spec(vote_date, rounds))


def test_the_magnet_shortfall_is_the_papers_series_against_march_2025():
    table = load_schedules()["eu_magnet_shortfall"]
    # 1,035 t in April and 395 t in May against 1,843 t in March (the policy paper)
    assert table["2025-03"] == 0.0
    assert table["2025-04"] == pytest.approx(1 - 1035 / 1843, abs=1e-4)
    assert table["2025-05"] == pytest.approx(1 - 395 / 1843, abs=1e-4)
    assert table["2025-05"] > table["2025-04"] > table["2025-06"] > table["2025-07"] == 0.0
    controls = load_schedules()["mofcom_oct2025_controls"]
    assert controls == {"2025-10": 1.0, "2025-11": 0.0}      # announced 9 Oct, suspended 7 Nov
    assert all(r["source"] and r["confidence"] for r in shipped_rows())


def test_a_runs_monthly_multipliers_come_from_the_table():
    """Round r of a vote on vote_date stands for the month r - (rounds - 1) months before it;
    each round's multiplier is that month's shortfall over the stated severity (0.75)."""
    rows = {r["month"]: float(r["intensity"]) for r in shipped_rows()
            if r["schedule"] == "eu_magnet_shortfall"}
    reference = catalogue.instruments()["rare_earth_licence_slowdown"].schedule.reference.value
    for vote in ("2025-05-30", "2025-07-31", "2025-10-31"):
        scenario = squeeze(vote)
        months = round_months(vote, 12)
        assert scenario.round_months == months and months[-1] == vote[:7]
        expected = [rows[max(m for m in rows if m <= month)] / reference
                    if any(m <= month for m in rows) else 0.0 for month in months]
        assert list(scenario.actions[0].profile) == pytest.approx(expected)
    may = squeeze("2025-05-30").actions[0].profile
    assert may[-1] == pytest.approx(rows["2025-05"] / 0.75) and may[-2] == pytest.approx(
        rows["2025-04"] / 0.75) and set(may[:-2]) == {0.0}


def test_without_a_vote_date_an_instrument_keeps_its_stated_effect():
    spec = load_spec({"name": "t", "measure": "aci_determination", "china": {"actions": [
        {"instrument": "rare_earth_licence_slowdown", "date": "2025-04-04"}]}})
    scenario = resolve(spec)
    assert scenario.actions[0].profile is None and scenario.round_months is None


@given(table=st.dictionaries(st.sampled_from([f"2025-{m:02d}" for m in range(1, 13)]),
                             st.floats(0, 1), min_size=1),
       vote=st.dates(min_value=datetime.date(2024, 6, 1), max_value=datetime.date(2026, 6, 30)),
       rounds=st.integers(1, 24))
def test_months_are_consecutive_and_intensities_stay_in_range(table, vote, rounds):
    table = dict(sorted(table.items()))
    months = round_months(vote.isoformat(), rounds)
    assert len(months) == rounds and months[-1] == vote.isoformat()[:7]
    assert all(a < b for a, b in pairwise(months))
    got = factors(table, months, reference=1.0)
    assert all(0.0 <= f <= 1.0 for f in got)
    for month, f in zip(months, got):
        assert f == (table[month] if month in table else intensity_in(table, month))
        if month < min(table):
            assert f == 0.0


HEADER = "schedule,month,intensity,source,confidence,note\n"


@pytest.mark.parametrize("row, needle", [
    ("s,2025-5,0.5,a source,medium,\n", "row 2, field 'month': '2025-5' is not a month"),
    ("s,May 2025,0.5,a source,medium,\n", "field 'month'"),
    ("s,2025-13,0.5,a source,medium,\n", "field 'month'"),
    ("s,2025-05,1.5,a source,medium,\n", "row 2, field 'intensity': intensity 1.5 outside [0, 1]"),
    ("s,2025-05,-0.1,a source,medium,\n", "field 'intensity'"),
    ("s,2025-05,lots,a source,medium,\n", "field 'intensity'"),
    ("s,2025-05,0.5,,medium,\n", "field 'source': missing source"),
    ("s,2025-05,0.5,a source,sure,\n", "field 'confidence'"),
    ("s,2025-05,0.5,a,medium,\ns,2025-05,0.6,a,medium,\n", "row 3, field 'month'"),
])
def test_bad_schedule_rows_name_the_file_row_and_field(tmp_path, row, needle):
    path = tmp_path / "schedules.csv"
    path.write_text(HEADER + row)
    with pytest.raises(InputError) as err:
        load_schedules(path)
    message = str(err.value)
    assert needle in message and str(path) in message and len(message.splitlines()) == 1


def test_an_instrument_naming_an_unknown_schedule_is_an_error(tmp_path):
    text = (ROOT / "params" / "instruments.toml").read_text().replace(
        'name = "eu_magnet_shortfall"', 'name = "eu_magnet_shortage"', 1)
    path = tmp_path / "instruments.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        catalogue.instruments(path)
    assert "rare_earth_licence_slowdown.schedule.name" in str(err.value)
    assert "unknown schedule 'eu_magnet_shortage'" in str(err.value)


def test_a_bad_vote_date_is_one_line_with_exit_2(cli, tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text('name = "x"\nmeasure = "aci_determination"\nvote_date = "2025-05"\n')
    result = cli("run", path, "--out", tmp_path / "out")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "field 'vote_date'" in result.stderr and "not a date" in result.stderr


def test_the_shipped_tables_are_what_the_build_script_writes(tmp_path, monkeypatch):
    """params/schedules.csv and params/exposures.csv are in step with params/sources/."""
    spec = importlib.util.spec_from_file_location("build_params", ROOT / "scripts" /
                                                  "build_params.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    out = tmp_path / "params"
    out.mkdir()
    monkeypatch.setattr(build, "PARAMS", out)
    monkeypatch.setattr(build, "ROOT", tmp_path)
    build.build_schedules(ROOT / "params" / "sources")
    build.build_exposures(ROOT / "params" / "sources")
    for name in ("schedules.csv", "exposures.csv"):
        assert (out / name).read_bytes() == (ROOT / "params" / name).read_bytes(), name
    shutil.rmtree(out)


def test_the_inputs_of_a_timed_run_list_the_schedule_months_it_read():
    from model.experiments.inputs import inputs_table

    rows = [r for r in inputs_table(squeeze_spec("2025-05-30"))["rows"]
            if r["file"] == "params/schedules.csv"]
    used = {r["indicator"].split()[-1] for r in rows if r["used"]}
    assert used == {"2025-03", "2025-04", "2025-05"}
    assert all(r["confidence"] == "derived" and r["source"] for r in rows)
    assert not [r for r in inputs_table(load_spec({"name": "t", "measure": "ev_cvd"}))["rows"]
                if r["file"] == "params/schedules.csv"]


def test_a_timed_vote_with_chained_stages_is_refused(tmp_path):
    path = tmp_path / "chain.toml"
    path.write_text('name = "x"\nmeasure = "aci_determination"\nvote_date = 2025-05-30\n'
                    '[[stages]]\nname = "r"\nmeasure = "aci_response"\n')
    with pytest.raises(InputError) as err:
        load_spec(path)
    assert str(path) in str(err.value) and "vote_date" in str(err.value)
    assert len(str(err.value).splitlines()) == 1

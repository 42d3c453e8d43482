"""Case files: the recorded vote of 4 October 2024, its round trip and one-line errors."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest
from helpers import EV_CASE as CASE
from helpers import FIXTURES

from model.errors import InputError
from model.inputs.council import EU27
from model.io import toml_dumps
from model.validation.cases import dump_case, load_case, observed_outcome

FIXTURE = FIXTURES / "votes_2024_10_04.csv"


def test_case_file_holds_the_recorded_vote_of_4_october_2024():
    spec = load_case(CASE)
    recorded = pd.read_csv(FIXTURE).set_index("iso2")["position"]
    assert spec.observed.positions == {s: recorded[s] for s in EU27}
    counts = pd.Series(spec.observed.positions).value_counts()
    assert (counts["for"], counts["against"], counts["abstain"]) == (10, 5, 12)
    assert spec.observed.date == "2024-10-04" and "Reuters" in spec.observed.source
    assert observed_outcome(spec) == "no_opinion"        # no QMV for and no QMV against


def test_case_file_lists_chinas_actions_with_date_and_source():
    spec = load_case(CASE)
    instruments = {a.instrument for a in spec.china.actions}
    assert {"brandy_probe", "pork_probe", "dairy_probe",
            "large_engine_car_tariff_threat"} <= instruments
    for action in spec.china.actions:
        assert action.date and action.source
    dates = {a.instrument: a.date for a in spec.china.actions}
    assert (dates["brandy_probe"], dates["pork_probe"], dates["dairy_probe"]) == (
        "2024-01-05", "2024-06-17", "2024-08-21")


def test_case_file_round_trips(tmp_path):
    spec = load_case(CASE)
    path = tmp_path / "again.toml"
    path.write_text(dump_case(spec), encoding="utf-8")
    assert load_case(path) == spec
    # and the text is stable: dumping the reloaded case gives the same bytes
    assert dump_case(load_case(path)) == path.read_text(encoding="utf-8")


def _case_dict() -> dict:
    with open(CASE, "rb") as fh:
        return tomllib.load(fh)


def _positions(d: dict) -> dict:
    return d["observed"]["positions"]


@pytest.mark.parametrize("mutate, field, message", [
    (lambda d: d["observed"].update(turnout=0.9), "observed.turnout", "unknown key"),
    (lambda d: _positions(d).update(XX="for"), "observed.positions", "unknown country code 'XX'"),
    (lambda d: _positions(d).update(DE="maybe"), "observed.positions.DE", "Input should be"),
    (lambda d: _positions(d).update(GB="for"), "observed.positions.GB",
     "GB is not a member of the Council here"),
    (lambda d: d["observed"].update(totals={"for": 10, "against": 5, "abstain": 11}),
     "observed.totals", "the totals add up to 26 but 27 states voted"),
    (lambda d: d["observed"].update(totals={"for": 3}), "observed.totals.for",
     "10 states are named 'for' but the total is 3"),
    (lambda d: d["observed"].update(totals={"for": -1}), "observed.totals", ">= 0"),
    (lambda d: d["observed"].update(shares={"for": [40, 50], "against": [30, 35]}),
     "observed.shares", "give one position's population share"),
    (lambda d: d["observed"].update(shares={"for": [50, 40]}), "observed.shares", "low <= high"),
    (lambda d: d["observed"].update(outcome="passed"), "observed.outcome",
     "unknown outcome 'passed' for rule comitology"),
    (lambda d: d["observed"].update(positions={}), "observed", "nothing observed"),
    (lambda d: _positions(d).update(EL="for"), "observed.positions", "GR is listed twice"),
    (lambda d: d["observed"].update(date="4 Oct 2024"), "observed.date", "not a date"),
    (lambda d: d["observed"].pop("source"), "observed.source", "Field required"),
    (lambda d: d.pop("observed"), "observed", "needs an [observed] table"),
    (lambda d: _positions(d).update(MT="absent"), "observed.positions.MT", "absent"),
    (lambda d: d.update(absent=["MT"]), "observed.positions.MT", "listed in 'absent'"),
])
def test_bad_case_files_name_the_file_and_the_field(tmp_path, mutate, field, message):
    raw = _case_dict()
    mutate(raw)
    path = tmp_path / "bad_case.toml"
    path.write_text(toml_dumps(raw), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_case(path)
    text = str(err.value)
    assert "bad_case.toml" in text and f"field '{field}" in text and message in text



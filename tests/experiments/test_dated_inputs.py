"""Dated inputs: a run uses only what was known by its as_of date, says what it left out, and
files written before dates existed keep working."""

from __future__ import annotations

import math

import pytest
from helpers import EV, EV_CASE, FIXTURES, ROOT, run_cli

from model.experiments.inputs import INPUT_COLUMNS, inputs_table
from model.experiments.resolve import resolve
from model.experiments.spec import load_spec, spec_as_of, spec_composition
from model.inputs.exposure import build_exposures
from model.inputs.stance import code_indicators
from model.inputs.tables import load_member_states
from model.validation.cases import load_case

VOTE = "2024-10-04"
#: The team's data folder beside the repository (spelled so this file does not contain it).
NEEDLE = "/".join(("..", "shared")) + "/"


@pytest.fixture(scope="module")
def october():
    return inputs_table(EV_CASE)


def _plants(report, iso, item):
    return [r for r in report["rows"] if r["iso2"] == iso and "chinese_plant_investment" in
            r["indicator"] and item in r["indicator"]]


def test_the_october_2024_case_uses_nothing_known_after_the_vote(october):
    assert october["as_of"] == VOTE and october["as_of_rule"] == "vote date"
    dated = [r for r in october["rows"] if r["used"] and r["date"]
             and r["file"].startswith("params/")]
    assert dated and all(r["date"] <= VOTE for r in dated)
    late = [r for r in october["rows"] if r["status"] == "known after as_of"]
    assert late and all(r["date"] > VOTE and not r["used"] for r in late)


def test_plants_announced_after_the_vote_are_listed_as_not_used(october):
    # CATL-Stellantis at Figueruelas (Zaragoza), announced 10 Dec 2024
    (zaragoza,) = _plants(october, "ES", "Figueruelas")
    assert zaragoza["date"] == "2024-12-10" and not zaragoza["used"]
    # CALB Sines: the investment decision of 21 Feb 2025 is not used; the EUR 2.06 bn reported
    # on 22 Jan 2024 was public before the vote and is
    sines = {r["date"]: r for r in _plants(october, "PT", "CALB")}
    assert not sines["2025-02-21"]["used"] and sines["2025-02-21"]["status"] == "known after as_of"
    assert sines["2024-01-22"]["used"]
    # BYD Szeged: the EUR 4 bn figure appeared only in Sept 2025
    (szeged,) = _plants(october, "HU", "BYD")
    assert szeged["date"] == "2025-09-11" and not szeged["used"]
    # EVE Energy Debrecen was announced (EUR 1 bn) on 9 May 2023, not in July 2025
    (eve,) = _plants(october, "HU", "EVE")
    assert eve["date"] == "2023-05-09" and eve["used"]


def test_the_same_case_with_the_latest_data_would_see_the_later_plants():
    spec = load_case(EV_CASE).model_copy(update={"as_of": "2026-01-01"})
    table = resolve(spec).exposure_table
    assert table.raw.loc["ES", "plants"] > 0
    assert resolve(load_case(EV_CASE)).exposure_table.raw.loc["ES", "plants"] == 0


def test_every_inputs_row_has_the_documented_keys(october):
    assert set(october["rows"][0]) == set(INPUT_COLUMNS)
    files = {r["file"] for r in october["rows"]}
    assert {"params/exposures.csv", "params/alignment.csv", "params/member_states.csv"} <= files
    assert str(EV_CASE) in files                       # China's actions of the case file


def test_alignment_takes_each_states_status_on_the_day():
    before = code_indicators(as_of="2019-03-22")
    signed = code_indicators(as_of="2019-03-23")
    after = code_indicators(as_of="2024-06-01")
    assert math.isnan(before.loc["IT", "bri_mou_status"])     # no memorandum yet: neutral
    assert signed.loc["IT", "bri_mou_status"] == -1.0
    assert after.loc["IT", "bri_mou_status"] == 0.5           # exited
    # Lithuania left the 17+1 on 22 May 2021; no survey was published before 2020-11-16
    assert code_indicators(as_of="2021-05-21").loc["LT", "china_ceec_format_membership"] == -1
    assert code_indicators(as_of="2021-05-22").loc["LT", "china_ceec_format_membership"] == 1
    early = code_indicators(as_of="2016-07-15")
    assert early["public_view_of_china_2020_sinophone_borderlands"].isna().all()


def test_exposures_prefer_same_year_gdp_and_never_a_later_vintage():
    pop = load_member_states()["population"]
    t = build_exposures(population=pop, as_of=VOTE)
    de = t.provenance[(t.provenance["iso2"] == "DE") & (t.provenance["channel"] == "trade")]
    assert de["year"].iloc[0] == "2023" and "GDP EUR bn 2023" in de["unit"].iloc[0]
    used_gdp = t.rows[(t.rows["indicator"] == "gdp_eur_bn") & t.rows["used"]]
    assert (used_gdp["known_from"] <= VOTE).all()


def test_case_and_experiment_defaults():
    case = load_case(EV_CASE)
    assert spec_as_of(case) == VOTE and spec_composition(case).name == "eu27"
    assert case.population == "council2025"
    exp = load_spec(EV)
    assert exp.as_of == VOTE                               # the flagship of the vote day
    summary = resolve(load_spec(ROOT / "experiments" / "aci_rare_earth_no_pressure.toml"))
    assert summary.as_of is None and summary.as_of_rule == "latest data"
    assert summary.knowledge_date >= "2025-04-04"


def test_files_written_before_dates_and_compositions_existed_still_run(tmp_path):
    legacy_case = load_case(FIXTURES / "legacy_case_2024_10_04.toml")
    assert len(legacy_case.observed.positions) == 27
    assert spec_as_of(legacy_case) == VOTE
    # its undated-to-the-day threat ("2024 (exact date not found)") counts as known at the
    # end of 2024, after the vote: listed, not used
    scenario = resolve(legacy_case)
    assert [a["instrument"] for a in scenario.actions_not_used] == [
        "large_engine_car_tariff_threat", "market_access_protocol"]
    legacy = load_spec(FIXTURES / "legacy_experiment_ev_duties.toml")
    assert legacy.as_of is None and legacy.population == "council2025"
    assert resolve(legacy).actions_not_used == []          # the latest data: everything counts
    out = run_cli("run", FIXTURES / "legacy_experiment_ev_duties.toml", "--replications", "250",
                  "--out", tmp_path / "legacy", "--json")
    assert out.code == 0, out.stderr
    assert out.json()["as_of_rule"] == "latest data"


def test_the_inputs_command_prints_json_and_a_table():
    out = run_cli("inputs", EV_CASE, "--json")
    report = out.json()
    assert report["as_of"] == VOTE and report["composition"] == "eu27"
    table = run_cli("inputs", EV_CASE)
    assert table.code == 0 and "known only after 2024-10-04" in table.stdout
    bad = run_cli("inputs", ROOT / "nothing.toml")
    assert bad.code == 2 and "nothing.toml" in bad.stderr


def test_no_tracked_file_points_outside_the_repository():
    """Source strings, scripts and documents name files in the repository or public
    references, never the team's folder beside it."""
    skip = {".git", ".venv", "results", "__pycache__", ".pytest_cache", "eucoalition.egg-info"}
    offenders = []
    for path in ROOT.rglob("*"):
        if any(part in skip for part in path.relative_to(ROOT).parts) or not path.is_file():
            continue
        if path.suffix not in (".py", ".toml", ".csv", ".md", ".txt", ".cfg", ".yml", ""):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if NEEDLE in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_a_sourced_stance_change_counts_from_its_date_only():
    base = load_case(EV_CASE)
    shift = {"iso2": "ES", "stance": 0.5, "date": "2024-09-09", "source": "a test source"}
    later = dict(shift, date="2024-12-01")
    from model.experiments.spec import ContextSpec

    with_shift = base.model_copy(update={"context": [ContextSpec(**shift)]})
    too_late = base.model_copy(update={"context": [ContextSpec(**later)]})
    i = resolve(base).all_states.index("ES")
    assert resolve(with_shift).stance[i] == pytest.approx(resolve(base).stance[i] + 0.5)
    assert resolve(too_late).stance[i] == resolve(base).stance[i]
    assert resolve(too_late).context["not_used"][0]["date"] == "2024-12-01"


def test_a_context_entry_for_a_non_member_names_the_field(tmp_path):
    text = EV_CASE.read_text(encoding="utf-8") + (
        '\n[[context]]\niso2 = "GB"\nstance = 0.5\ndate = 2024-01-01\nsource = "x"\n')
    path = tmp_path / "case.toml"
    path.write_text(text)
    out = run_cli("backtest", path)
    assert out.code == 2 and "context[0].iso2" in out.stderr and "GB" in out.stderr

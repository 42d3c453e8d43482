"""The library of recorded decisions (params/votes/): every case loads in the Council of its
date, uses only what was known before it, and a partly observed case is scored by the exact
probability of what it holds."""

from __future__ import annotations

import csv
import itertools
import re

import numpy as np
import pytest
from helpers import EV_CASE, ROOT, run_cli

from model.experiments.run import run_experiment
from model.inputs.dating import period_end
from model.io import toml_dumps
from model.treaty.positions import ABSTAIN, AGAINST, FOR
from model.validation.backtest import backtest
from model.validation.cases import load_case, observed_hash

VOTES = ROOT / "params" / "votes"
CASES = sorted(VOTES.glob("*.toml"))
SOURCES = ROOT / "params" / "sources" / "team_data"


def test_the_library_holds_every_expressible_decision_and_says_why_others_are_left_out():
    readme = (VOTES / "README.md").read_text(encoding="utf-8")
    ids = set()
    for table in (SOURCES / "votes.csv", SOURCES / "additions" / "vote_cases_more.csv"):
        with open(table, encoding="utf-8") as fh:
            ids |= {r["case_id"] for r in csv.DictReader(fh)}
    assert len(ids) == 17
    for case_id in ids:
        line = next((x for x in readme.splitlines() if case_id in x), None)
        assert line is not None, f"{case_id} is neither in the library nor left out with a reason"
        file = re.search(r"`([a-z0-9_]+)\.toml`", line)
        assert file or "left out" in line.lower(), line
        if file:
            assert (VOTES / f"{file.group(1)}.toml").is_file(), line
    assert len(CASES) >= 17


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_each_case_votes_in_the_council_of_its_date_with_what_was_known_before(path):
    spec = load_case(path)
    day = spec.observed.date
    members_expected = 27 if day < "2013-07-01" or day >= "2020-02-01" else 28
    from model.experiments.spec import spec_composition

    comp = spec_composition(spec)
    assert len(comp.members) == members_expected
    assert ("GB" in comp.members) == (day < "2020-02-01")
    for action in spec.china.actions:
        assert period_end(action.date) < day, (action.instrument, action.date)
        assert action.source.startswith("params/sources/"), action.source
    assert spec.observed.source.startswith("params/sources/")


def test_a_case_with_only_totals_is_scored_by_exact_enumeration(tmp_path):
    council = tmp_path / "council.csv"
    council.write_text("iso2,population\nDE,84\nFR,68\nIT,59\nES,48\nPL,37\nNL,18\n")
    case = {"name": "totals_only", "measure": "ev_cvd", "rule": "qmv", "composition":
            "council.csv", "rounds": 3, "replications": 250, "seed": 7,
            "observed": {"totals": {"for": 3, "against": 2, "abstain": 1},
                         "source": "a test", "date": "2024-10-04"}}
    path = tmp_path / "case.toml"
    path.write_text(toml_dumps(case))
    report = backtest([path], misfits=0)
    (entry,) = report["cases"]
    assert entry["holds"] == {"named": 0, "voting": 6,
                              "totals": {"for": 3, "abstain": 1, "against": 2}}
    assert entry["n_states"] == 0 and entry["accuracy"] is None
    p = run_experiment(load_case(path)).states.set_index("iso2")
    states = list(p.index)
    probs = p[["p_for", "p_abstain", "p_against"]].to_numpy()   # columns in Position order
    brute = 0.0
    for profile in itertools.product((FOR, ABSTAIN, AGAINST), repeat=len(states)):
        profile = np.array(profile)
        if ((profile == FOR).sum(), (profile == AGAINST).sum()) == (3, 2):
            brute += float(np.prod(probs[np.arange(len(states)), profile]))
    agg = entry["log_likelihood"]["aggregate"]
    assert agg["kind"] == "totals" and agg["probability"] == pytest.approx(brute, rel=1e-9)


def test_a_renamed_copy_of_the_calibration_case_is_still_in_sample(tmp_path):
    copy = tmp_path / "renamed.toml"
    copy.write_text(EV_CASE.read_text(encoding="utf-8").replace(
        'name = "ev_cvd_2024_10_04"', 'name = "some_other_name"'))
    assert load_case(copy).name == "some_other_name"
    assert observed_hash(load_case(copy)) == observed_hash(load_case(EV_CASE))
    report = backtest([copy], replications=250, misfits=0)
    assert report["cases"][0]["model_in_sample"]
    assert any("some_other_name" in n and "in-sample" in n for n in report["notes"])


def test_backtest_runs_on_the_whole_library_and_says_what_each_case_holds():
    out = run_cli("backtest", *CASES, "--replications", "250", "--misfits", "0", "--json")
    report = out.json()
    assert report["overall"]["n_cases"] == len(CASES)
    kinds = {c["case"]: c["holds"] for c in report["cases"]}
    assert kinds["ev_cvd_2024_10_04"]["named"] == 27
    assert kinds["solar_ad_2013_05_24_advisory"]["totals"] == {"for": 4, "abstain": 5,
                                                               "against": 18}
    assert kinds["fsr_2022_11_28"] == {"named": 0, "voting": 27, "outcome": "adopted"}
    assert "share" in kinds["solar_ad_2017_02_17_appeal"]
    for c in report["cases"]:
        assert np.isfinite(c["log_likelihood"]["total"])
    table = run_cli("backtest", *CASES[:3], "--replications", "250", "--misfits", "0")
    assert table.code == 0 and "holds" in table.stdout

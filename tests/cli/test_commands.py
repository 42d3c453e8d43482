"""The command line's JSON contracts (other tools rely on them) and its tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import EV_AGAINST, EV_FOR, FLAGSHIP
from helpers import run_cli as cli

from model.inputs.council import EU27


def cli_json(*args: str) -> dict:
    return cli(*args, "--json").json()


def test_vote_json_contract_on_the_ev_vote():
    out = cli_json("vote", "--rule", "comitology", "--for", EV_FOR, "--against", EV_AGAINST)
    assert set(out) >= {"rule", "outcome", "tally", "margins", "pivotal"}
    assert out["outcome"] == "no_opinion"
    assert out["tally"]["for"]["states"] == 10 and out["tally"]["abstain"]["states"] == 12
    assert out["tally"]["against"]["population_share"] == pytest.approx(0.2242, abs=1e-4)
    assert out["pivotal"] == []


def test_vote_el_alias_and_others():
    out = cli_json("vote", "--rule", "unanimity", "--for", "EL", "--others", "abstain")
    assert out["outcome"] == "adopted"
    out = cli_json("vote", "--rule", "unanimity", "--constructive",
                   "DE,FR,IT,ES,PL,RO,NL,BE,CZ", "--others", "for")
    assert out["outcome"] == "not_adopted"          # 9 states, > 1/3 of the population


def test_power_json_contract():
    out = cli_json("power", "--rule", "qmv")
    assert out["rule"] == "qmv" and out["winning_coalitions"] == 17_729_938
    states = {row["iso2"]: row for row in out["states"]}
    assert set(states) == set(EU27)
    assert sum(r["banzhaf_normalised"] for r in states.values()) == pytest.approx(1.0)
    assert sum(r["shapley_shubik"] for r in states.values()) == pytest.approx(1.0)
    assert max(states, key=lambda s: states[s]["shapley_shubik"]) == "DE"


def test_power_partial_participation():
    members = "DE,FR,IT,ES,NL,BE,AT,PT,FI,IE,GR,SK,SI,LT,LV,EE,LU,CY,MT,HR"
    out = cli_json("power", "--rule", "qmv", "--participating", members)
    assert len(out["states"]) == 20
    assert sum(r["shapley_shubik"] for r in out["states"]) == pytest.approx(1.0)


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_probability_json_contract(tmp_path):
    path = write_csv(tmp_path / "p.csv", "iso2,p_for,p_against,p_abstain",
                     [f"{s},0.5,0.3,0.2" for s in EU27])
    out = cli_json("probability", "--rule", "comitology", "--probabilities", str(path))
    assert set(out) >= {"rule", "p_adopted", "p_blocked", "p_no_opinion", "states"}
    assert out["p_adopted"] + out["p_blocked"] + out["p_no_opinion"] == pytest.approx(1.0)
    assert {r["iso2"] for r in out["states"]} == set(EU27)
    qmv = cli_json("probability", "--rule", "qmv", "--probabilities", str(path))
    assert "p_blocked" not in qmv and qmv["p_adopted"] == pytest.approx(out["p_adopted"])


def test_blocking_json_contract(tmp_path):
    path = write_csv(tmp_path / "c.csv", "iso2,cost", [f"{s},1" for s in EU27])
    out = cli_json("blocking", "--rule", "qmv", "--costs", str(path))
    assert set(out) == {"rule", "cost", "states", "count", "population_share"}
    assert out["count"] == 4 and out["cost"] == 4 and out["population_share"] > 0.35


def test_probability_outside_unit_interval_exit_2(tmp_path):
    path = write_csv(tmp_path / "p.csv", "iso2,p_for,p_against,p_abstain", ["DE,1.5,0,0"])
    proc = cli("probability", "--rule", "qmv", "--probabilities", str(path))
    assert proc.code == 2 and "outside [0, 1]" in proc.stderr and str(path) in proc.stderr


def test_run_writes_outputs_and_json(tmp_path):
    out = cli_json("run", str(FLAGSHIP), "--replications", "250", "--out", str(tmp_path / "run"))
    assert set(out) >= {"experiment", "measure", "rule", "replications", "seed", "p_adopted",
                        "p_adopted_ci95", "outcomes", "states"}
    assert set(out["states"][0]) >= {"iso2", "p_for", "p_abstain", "p_against", "p_pivotal",
                                     "targeted_share"}
    lo, hi = out["p_adopted_ci95"]
    assert lo <= out["p_adopted"] <= hi
    written = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"summary.json", "states.csv", "rounds.csv", "manifest.json"} <= written
    assert not any(name.startswith(".") for name in written)     # no partial files left


def test_list_names_every_registered_object():
    from model.abm.levers import LEVERS
    from model.abm.strategies import STRATEGIES
    from model.inputs import catalogue
    from model.treaty.rules import RULES

    proc = cli("list")
    assert proc.code == 0
    for name in [*RULES, *catalogue.measures(), *catalogue.instruments(), *STRATEGIES, *LEVERS]:
        assert name in proc.stdout

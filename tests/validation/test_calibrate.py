"""Calibration: parameter recovery from votes the model itself simulated, held-out refits,
the calibrated behaviour file and its provenance, and bad input."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pytest
from helpers import EV, NO_PRESSURE
from helpers import EV_CASE as CASE

from model.errors import InputError
from model.experiments.resolve import resolve
from model.experiments.run import run_experiment
from model.experiments.spec import apply_overrides, load_spec
from model.inputs import catalogue
from model.inputs.council import EU27, PARAMS_DIR
from model.io import file_sha256, toml_dumps
from model.stats import score
from model.treaty.positions import CHOICES
from model.validation.backtest import backtest
from model.validation.behaviour_file import behaviour_toml, write_behaviour
from model.validation.calibrate import (
    FREE_DEFAULT,
    GROUPS,
    PRIORS_PATH,
    CaseLikelihood,
    calibrate,
    load_prior_sd,
    parameters,
)
from model.validation.cases import load_case

SHIPPED = PARAMS_DIR / "behaviour.toml"


def synthetic_case(measure: str, seed: int, truth: dict, *, rounds: int = 3,
                   replications: int = 100) -> dict:
    """A case whose recorded positions are drawn from the model's own probabilities at
    ``truth`` (same seed and replications as the fit will use)."""
    raw = {"name": f"sim_{measure}_{seed}", "measure": measure, "rounds": rounds,
           "replications": replications, "seed": seed, "china": {"strategy": "none"},
           "observed": {"positions": dict.fromkeys(EU27, "abstain"),
                        "source": "simulated by the model (tests/test_calibrate.py)",
                        "date": "2024-01-01"}}
    lik = CaseLikelihood(load_case(raw), parameters([measure], FREE_DEFAULT),
                         replications=replications)
    p = lik.probabilities(truth)
    u = np.random.default_rng(1000 + seed).random(len(p))
    draws = (u[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    raw["observed"]["positions"] = {s: CHOICES[k].word for s, k in zip(lik.states, draws)}
    return raw


TRUTH = {
    "intercept.ev_cvd": 1.3, "stakes.ev_cvd.car_industry": 0.6, "stakes.ev_cvd.cars": -1.2,
    "stakes.ev_cvd.plants": -0.8, "stakes.ev_cvd.trade": -0.3,
    "intercept.fdi_screening": 1.4, "stakes.fdi_screening.plants": -0.4,
    "stakes.fdi_screening.trade": -0.6,
    "beta_stance": 1.6, "cut_gap": 2.6,
}


@pytest.fixture(scope="module")
def recovery():
    cases = ([synthetic_case("ev_cvd", s, TRUTH) for s in (1, 2, 3)]
             + [synthetic_case("fdi_screening", s, TRUTH) for s in (4, 5, 6)])
    return calibrate(cases, replications=100, held_out="none")


def test_calibration_recovers_known_coefficients_within_its_intervals(recovery):
    rows = {r["name"]: r for r in recovery.estimates()}
    assert set(rows) == set(TRUTH)
    for name, true in TRUTH.items():
        lo, hi = rows[name]["ci95"]
        assert lo <= true <= hi, (name, true, rows[name])
    # the data moved the estimates from the priors toward the truth
    est = np.array([rows[n]["estimate"] for n in TRUTH])
    prior = np.array([rows[n]["prior_mean"] for n in TRUTH])
    truth = np.array(list(TRUTH.values()))
    assert np.abs(est - truth).sum() < np.abs(prior - truth).sum()
    # the coefficients every case informs are pinned down more tightly than their priors (the
    # intercepts less so: every state trades with China, so the trade channel shadows them)
    for name in ("beta_stance", "cut_gap"):
        assert rows[name]["se"] < 0.5 * rows[name]["prior_sd"]


def test_in_sample_fit_beats_the_priors_and_six_cases_are_not_called_weak(recovery):
    assert recovery.in_sample["overall"]["log_loss"] < recovery.prior_model["overall"]["log_loss"]
    assert recovery.in_sample["overall"]["n_states"] == 6 * 27
    assert not any("weak fit" in w for w in recovery.warnings)
    assert recovery.optimizer["success"]
    assert recovery.log_posterior < recovery.log_likelihood     # the penalty is a cost


def test_fitting_path_equals_run_experiment_with_the_same_overrides():
    spec = load_case(CASE).model_copy(update={"rounds": 4})
    lik = CaseLikelihood(spec, parameters(["ev_cvd"]), replications=250)
    values = {"intercept.ev_cvd": 0.9, "stakes.ev_cvd.cars": -2.0, "stakes.ev_cvd.trade": 0.1,
              "beta_stance": 1.4, "cut_gap": 3.0}
    fast = lik.probabilities(values)
    slow = run_experiment(apply_overrides(lik.spec, lik.overrides(values))).states
    assert np.abs(slow[["p_for", "p_abstain", "p_against"]].to_numpy() - fast).max() < 1e-6
    o = lik.overrides(values)
    assert o["cut_high"] - o["cut_low"] == pytest.approx(3.0)
    assert (o["cut_high"] + o["cut_low"]) / 2 == pytest.approx(0.0)   # prior midpoint kept


def test_leave_one_case_out_predicts_each_case_from_a_fit_on_the_others():
    a, b = (synthetic_case("ev_cvd", s, TRUTH, rounds=2, replications=50) for s in (7, 8))
    both = calibrate([a, b], free=["cut_gap"], replications=50, held_out="auto")
    assert both.held_out["method"] == "leave-one-case-out"
    only_b = calibrate([b], free=["cut_gap"], replications=50, held_out="none")
    lik_a = CaseLikelihood(load_case(a), only_b.params, replications=50)
    expected = score(lik_a.probabilities(only_b.values), lik_a.y)
    got = both.held_out["cases"][a["name"]]
    for key in ("accuracy", "log_loss", "brier"):
        assert got[key] == pytest.approx(expected[key], abs=1e-4)
    assert any("weak fit: 2 cases" in w for w in both.warnings)


def test_calibration_is_deterministic_and_writes_a_loadable_behaviour_file(tmp_path):
    case = synthetic_case("ev_cvd", 9, TRUTH, rounds=2, replications=50)
    runs = [calibrate([case], free=["beta_stance", "cut_gap"], replications=50, held_out="none")
            for _ in range(2)]
    assert behaviour_toml(runs[0]) == behaviour_toml(runs[1])
    out = write_behaviour(runs[0], tmp_path / "behaviour.toml")
    coef = catalogue.coefficients(out)
    prior = catalogue.coefficients(PRIORS_PATH)
    assert coef.beta_stance.confidence == "calibrated"
    assert coef.beta_stance.value == pytest.approx(runs[0].values["beta_stance"], abs=1e-6)
    assert coef.cut_high.value - coef.cut_low.value == pytest.approx(runs[0].values["cut_gap"],
                                                                     abs=1e-5)
    assert case["name"] in coef.beta_stance.source and "95% interval" in coef.beta_stance.note
    assert coef.beta_pressure == prior.beta_pressure          # not fitted: the prior, unchanged
    assert catalogue.calibrated_measures(out) == {}          # no measure value was fitted
    meta = tomllib.loads(out.read_text(encoding="utf-8"))["meta"]
    assert meta["fitted_on"] == [case["name"]] and meta["replications"] == 50
    assert meta["free"] == ["beta_stance", "cut_gap"]
    assert "Gaussian" in meta["penalty"] and "in-sample" in meta["in_sample_warning"]
    assert meta["priors_sha256"] == file_sha256(PRIORS_PATH)
    assert "exposures.csv" in meta["data_sha256"]
    assert any("weak fit: 1 case" in w for w in meta["warnings"])


# --- the shipped calibration -------------------------------------------------------------------
LIBRARY = sorted((PARAMS_DIR / "votes").glob("*.toml"))


def test_shipped_behaviour_file_records_what_it_was_fitted_on():
    raw = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    meta = raw["meta"]
    # fitted on the whole library, each case file and the priors as shipped (else: recalibrate)
    assert sorted(meta["fitted_on"]) == sorted(p.stem for p in LIBRARY)
    for path in LIBRARY:
        assert meta["case_files"][path.stem]["sha256"] == file_sha256(path), path.name
        assert meta["seed"][path.stem] == load_case(path).seed
    assert meta["priors_sha256"] == file_sha256(PRIORS_PATH)
    assert meta["free"][-4:] == ["beta_stance", "beta_stakes", "beta_pressure", "cut_gap"]
    coef = catalogue.coefficients(SHIPPED)
    for name in ("beta_stance", "beta_stakes", "beta_pressure", "cut_low", "cut_high"):
        field = getattr(coef, name)
        assert field.confidence == "calibrated" and "ev_cvd_2024_10_04" in field.source, name
    assert coef.beta_peer.confidence == "assumption"
    measures = {load_case(p).measure for p in LIBRARY}
    cal = catalogue.calibrated_measures(SHIPPED)
    assert set(cal) == measures
    for name in measures:
        assert cal[name].intercept.confidence == "calibrated"
        assert "95% interval" in cal[name].intercept.note
        assert cal[name].stakes == {}            # stakes keep their priors, scaled by beta_stakes


def test_the_shipped_posterior_is_a_proper_normal_over_the_free_parameters():
    post = catalogue.posterior(SHIPPED)
    meta = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))["meta"]
    assert post["names"] == meta["free"]
    cov = np.array(post["cov"])
    assert np.allclose(cov, cov.T) and np.all(np.linalg.eigvalsh(cov) > 0)
    values = catalogue.coefficients(SHIPPED)
    # its centre is the estimate written beside it (in natural units)
    for name, transform, theta in zip(post["names"], post["transforms"], post["mean"]):
        if name.startswith("beta_"):
            assert transform == "log"
            assert np.exp(theta) == pytest.approx(getattr(values, name).value, abs=1e-6)


def test_experiments_pick_up_the_calibrated_intercept_unless_they_override_it():
    cal = catalogue.calibrated_measures()["ev_cvd"]
    prior = catalogue.measures()["ev_cvd"]
    spec = load_spec(EV)
    scenario = resolve(spec)
    assert scenario.intercept == cal.intercept.value != prior.intercept.value
    expected = {ch: s.value for ch, s in prior.stakes.items()}
    expected.update({ch: s.value for ch, s in cal.stakes.items()})
    assert scenario.stakes_weights == expected
    overridden = resolve(apply_overrides(spec, {"intercept": -0.25, "stakes.cars": 0.0}))
    assert overridden.intercept == -0.25 and overridden.stakes_weights["cars"] == 0.0
    # a measure nobody calibrated keeps its prior
    other = resolve(load_spec(NO_PRESSURE))
    assert other.intercept == catalogue.measures()[other.measure.name].intercept.value


def test_shipped_file_reproduces_the_recorded_in_sample_fit():
    meta = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))["meta"]
    out = backtest([CASE], replications=meta["replications"], misfits=0, fixed_parameters=True)
    recorded = meta["in_sample"]["cases"]["ev_cvd_2024_10_04"]
    assert out["cases"][0]["log_loss"] == pytest.approx(recorded["log_loss"], abs=1e-4)


def test_priors_file_has_a_documented_sd_for_every_group():
    sd = load_prior_sd()
    # every calibration group, and the instruments' effects (drawn in runs, never fitted)
    assert set(sd) == set(GROUPS) | {"instrument_effect"}
    raw = tomllib.loads(PRIORS_PATH.read_text(encoding="utf-8"))["prior_sd"]
    for body in raw.values():
        assert body["source"] and body["confidence"] == "assumption"


# --- bad input ---------------------------------------------------------------------------------
def test_a_case_overriding_a_fitted_coefficient_is_refused(tmp_path):
    raw = tomllib.loads(CASE.read_text(encoding="utf-8"))
    raw["overrides"] = {"beta_stance": 2.0}
    path = tmp_path / "overriding.toml"
    path.write_text(toml_dumps(raw), encoding="utf-8")
    with pytest.raises(InputError) as err:
        calibrate([path], replications=1)
    assert "overriding.toml" in str(err.value) and "overrides.beta_stance" in str(err.value)


@pytest.mark.parametrize("free, message", [
    (["beta_charm"], "unknown free coefficient"),
    (["stakes", "beta_stakes"], "not identified together"),
    ([], "nothing to fit"),
])
def test_bad_free_sets_are_refused(free, message):
    with pytest.raises(InputError, match=message):
        calibrate([CASE], free=free, replications=1)


@pytest.mark.parametrize("table, field", [
    ({"no_such_measure": {"intercept": {"value": 1.0, "source": "x", "confidence": "calibrated"}}},
     "measures.no_such_measure"),
    ({"ev_cvd": {"stakes": {"magnets": {"value": 1.0, "source": "x", "confidence": "calibrated"}}}},
     "measures.ev_cvd.stakes.magnets"),
    ({"ev_cvd": {"intercept": {"value": 1.0, "source": "x", "confidence": "guessed"}}},
     "measures.ev_cvd.intercept.confidence"),
])
def test_bad_calibrated_measure_tables_name_the_file_and_field(tmp_path, table, field):
    raw = tomllib.loads(PRIORS_PATH.read_text(encoding="utf-8"))
    raw["measures"] = table
    path = tmp_path / "bad_behaviour.toml"
    path.write_text(toml_dumps(raw), encoding="utf-8")
    with pytest.raises(InputError) as err:
        catalogue.calibrated_measures(path)
    assert "bad_behaviour.toml" in str(err.value) and f"field '{field}'" in str(err.value)


def test_calibrate_command_writes_the_file_and_reports_json(tmp_path, cli):
    case = tmp_path / "sim.toml"
    case.write_text(toml_dumps(synthetic_case("ev_cvd", 12, TRUTH, rounds=2, replications=50)),
                    encoding="utf-8")
    out = tmp_path / "cal.toml"
    proc = cli("calibrate", str(case), "--out", str(out), "--free", "cut_gap",
               "--replications", "50", "--held-out", "none", "--json")
    assert proc.code == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["out"] == str(out) and out.exists()
    assert [e["name"] for e in report["estimates"]] == ["cut_gap"]
    assert report["held_out"] is None and report["in_sample_warning"].startswith("in-sample")
    bad = cli("calibrate", str(case), "--out", str(tmp_path / "x.toml"), "--free", "charm")
    assert bad.code == 2 and bad.stderr.count("\n") == 1 and "charm" in bad.stderr
    assert not (tmp_path / "x.toml").exists()


def test_a_documented_sign_is_kept_unless_the_user_frees_it(tmp_path):
    """Votes simulated with the trade weight of the EV duties reversed (+2.5 where the
    documented direction is '-'): the constrained fit keeps it negative; with --free-sign the
    fit may follow the data, and the file records that choice and drops the direction."""
    truth = {**TRUTH, "stakes.ev_cvd.trade": 2.5}
    assert catalogue.measures()["ev_cvd"].stakes["trade"].direction == "-"
    cases = [synthetic_case("ev_cvd", s, truth, rounds=2, replications=50) for s in (11, 12)]
    kept = calibrate(cases, free=["stakes"], replications=50, held_out="none")
    assert kept.values["stakes.ev_cvd.trade"] < 0 and kept.signs_freed == []
    freed = calibrate(cases, free=["stakes"], replications=50, held_out="none",
                      free_signs=["stakes.ev_cvd.trade"])
    assert freed.signs_freed == ["stakes.ev_cvd.trade"]
    assert freed.values["stakes.ev_cvd.trade"] > 0
    assert any("sign freed by the user and reversed" in w for w in freed.warnings)
    out = write_behaviour(freed, tmp_path / "behaviour.toml")
    raw = tomllib.loads(out.read_text(encoding="utf-8"))
    assert raw["meta"]["signs_freed"] == ["stakes.ev_cvd.trade"]
    trade = raw["measures"]["ev_cvd"]["stakes"]["trade"]
    assert "direction" not in trade and "--free-sign" in trade["note"]
    assert raw["measures"]["ev_cvd"]["stakes"]["cars"]["direction"] == "-"   # others kept


@pytest.mark.parametrize("name", ["cut_gap", "beta_nonsense", "stakes.ev_cvd.nothing"])
def test_a_sign_that_cannot_be_freed_is_refused(name):
    with pytest.raises(InputError, match="cannot free the sign"):
        parameters(["ev_cvd"], ["stakes"], free_signs=[name])


def test_a_calibration_with_a_work_folder_resumes_from_its_saved_evaluations(tmp_path):
    """Every model evaluation is saved as it is made: a rerun (after an interruption, or
    not) retraces the optimizer's path without running the model again, and ends the same."""
    case = synthetic_case("ev_cvd", 21, TRUTH, rounds=2, replications=40)
    settings = dict(free=["beta_stance", "cut_gap"], replications=40, held_out="none")
    first = calibrate([case], work=tmp_path, **settings)
    assert first.optimizer["model_runs"] > 0 and any((tmp_path / "evaluations").iterdir())
    again = calibrate([case], work=tmp_path, **settings)
    assert again.optimizer["model_runs"] == 0
    assert behaviour_toml(again) == behaviour_toml(first)
    assert behaviour_toml(first) == behaviour_toml(calibrate([case], **settings))
    other = calibrate([case], work=tmp_path, **{**settings, "replications": 41})
    assert other.optimizer["model_runs"] > 0           # other settings: nothing reused

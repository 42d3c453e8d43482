"""Leave-one-case-out validation: the command's contract and what it may claim."""

from __future__ import annotations

import pytest
from helpers import ROOT, run_cli

VOTES = ROOT / "params" / "votes"
CASES = [VOTES / f"{n}.toml" for n in ("ev_cvd_2024_07_15_advisory", "ev_cvd_2024_10_04",
                                       "hk_statement_2021_04_16", "hk_statement_2021_06_04")]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = run_cli("validate", *CASES, "--replications", "60", "--draws", "3", "--free",
                  "intercept,cut_gap", "--json", "--work", str(tmp_path_factory.mktemp("w")))
    return out.json()


def test_validate_reports_every_case_held_out_with_the_documented_keys(report):
    assert report["method"] == "leave-one-case-out"
    assert [c["case"] for c in report["cases"]] == [p.stem for p in CASES]
    for c in report["cases"]:
        assert {"case", "n_observed", "outcome_probability", "outcome_observed",
                "baselines"} <= set(c)
        assert set(c["baselines"]) == {"uniform", "majority", "exposure_logit", "as_last_time"}
        if c["n_named"]:
            assert {"log_loss", "accuracy"} <= set(c)
    assert {"log_loss", "accuracy", "brier", "outcome_brier"} <= set(report["model"])
    for name, m in report["baselines"].items():
        assert {"log_loss", "accuracy", "brier", "outcome_brier"} <= set(m), name
    assert len(report["reliability"]) == 5


def test_a_split_vote_is_never_predicted_with_certainty(report):
    october = next(c for c in report["cases"] if c["case"] == "ev_cvd_2024_10_04")
    assert october["outcome_observed"] == "no_opinion"
    assert 0.0 < october["outcome_probability"] < 0.9995


def test_as_last_time_uses_the_previous_vote_on_the_same_measure(report):
    by_case = {c["case"]: c for c in report["cases"]}
    assert by_case["ev_cvd_2024_07_15_advisory"]["baselines"]["as_last_time"] is None
    assert by_case["ev_cvd_2024_10_04"]["baselines"]["as_last_time"] is not None
    assert by_case["hk_statement_2021_06_04"]["baselines"]["as_last_time"] is not None
    assert report["baselines"]["as_last_time"]["n_cases"] == 2


def test_validate_needs_two_cases(tmp_path):
    out = run_cli("validate", CASES[0], "--work", str(tmp_path))
    assert out.code == 2 and "at least two cases" in out.stderr


def test_an_interrupted_validation_resumes_with_the_same_result(tmp_path, monkeypatch, report):
    from model.validation import validate as module

    settings = dict(free=["intercept", "cut_gap"], replications=60, draws=3)

    def stop_after_two(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        module.validate(CASES, work=tmp_path, progress=stop_after_two, **settings)
    assert sorted(p.name for p in tmp_path.glob("case_*.json")) == ["case_000.json",
                                                                     "case_001.json"]
    fits = []
    real = module.Posterior.fit
    monkeypatch.setattr(module.Posterior, "fit",
                        lambda self, *a, **k: fits.append(1) or real(self, *a, **k))
    resumed = module.validate(CASES, work=tmp_path, **settings)
    assert len(fits) == 2                     # only the two cases left; the full fit was saved
    assert resumed == report                  # the same figures as an uninterrupted run


def test_saved_steps_of_other_settings_are_not_reused(tmp_path):
    from model.validation.validate import validate

    validate(CASES[:2], work=tmp_path, free=["cut_gap"], replications=40, draws=2)
    stamp = (tmp_path / "stamp.json").read_text()
    other = validate(CASES[:2], work=tmp_path, free=["cut_gap"], replications=41, draws=2)
    assert (tmp_path / "stamp.json").read_text() != stamp
    assert other == validate(CASES[:2], free=["cut_gap"], replications=41, draws=2)

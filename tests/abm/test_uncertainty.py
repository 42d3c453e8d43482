"""Parameter uncertainty in every number: draws per block, two intervals, what drives them;
and the mechanisms that move a coerced state, each in its documented direction."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import EXPERIMENTS, FLAGSHIP, NO_PRESSURE, run_cli, with_china
from helpers import small_spec as small

from model.abm.uncertainty import block_normals, name_code
from model.experiments.compare import compare
from model.experiments.resolve import resolve
from model.experiments.run import run_experiment
from model.experiments.spec import apply_overrides, load_spec
from model.inputs import catalogue

CHAIN = EXPERIMENTS / "aci_determination_then_response.toml"


@pytest.fixture(scope="module")
def drawn():
    return run_experiment(small(FLAGSHIP, replications=2000))


@pytest.fixture(scope="module")
def fixed():
    return run_experiment(small(FLAGSHIP, replications=2000), fixed_parameters=True)


def test_the_total_interval_contains_the_monte_carlo_one(drawn):
    s = drawn.summary
    mc, total = s["p_adopted_interval"]["monte_carlo"], s["p_adopted_interval"]["total"]
    assert mc == s["p_adopted_ci95"]
    assert total[0] <= mc[0] and mc[1] <= total[1]
    assert total[1] - total[0] > mc[1] - mc[0]          # the parameters add real width
    assert s["parameters"]["blocks"] == 8 and "beta_stance" in s["parameters"]["drawn"]


def test_the_monte_carlo_interval_counts_that_a_block_shares_one_draw(drawn, fixed):
    # replications of a block share a parameter draw, so the run's figure is an average of 8
    # draws: its Monte Carlo interval comes from the spread of the 8 blocks (and contains the
    # binomial interval, which treats the 2,000 replications as independent)
    from model.stats import cluster_mean_interval, wilson_interval

    s = drawn.summary
    adopted = drawn.replications["adopted"].to_numpy(dtype=float).reshape(8, 250).mean(axis=1)
    c_lo, c_hi = cluster_mean_interval(adopted, [250] * 8)
    w_lo, w_hi = wilson_interval(round(s["p_adopted"] * 2000), 2000)
    assert s["p_adopted_interval"]["monte_carlo"] == [max(0.0, min(w_lo, c_lo)),
                                                      min(1.0, max(w_hi, c_hi))]
    assert s["p_adopted_interval"]["parameter_draws"] == 8
    mc = s["p_adopted_interval"]["monte_carlo"]
    assert mc[1] - mc[0] > w_hi - w_lo                  # the blocks differ: wider than binomial
    # with the parameters fixed the replications are independent: Wilson
    f = fixed.summary
    k = round(f["p_adopted"] * 2000)
    assert f["p_adopted_interval"]["monte_carlo"] == list(wilson_interval(k, 2000))
    assert f["p_adopted_interval"]["parameter_draws"] == 0


def test_with_fixed_parameters_the_total_interval_is_the_monte_carlo_one(fixed):
    s = fixed.summary
    assert s["p_adopted_interval"]["total"] == s["p_adopted_interval"]["monte_carlo"]
    assert s["parameters"]["drawn"] == [] and s["uncertainty"] == []
    assert "beta_stance" in s["parameters"]["fixed"]


def test_fixed_parameters_reproduce_a_run_without_draws_byte_for_byte():
    """--fixed-parameters is the model as it ran before parameter draws: the same run with
    every drawable parameter overridden at its central value (an override is never drawn)
    gives identical replications."""
    spec = small(FLAGSHIP, replications=500)
    scenario = resolve(spec)
    pinned = {name: value for name, value in scenario.coef.items()
              if name.startswith("beta_") or name in ("shock_sd", "cut_low", "cut_high")}
    pinned["intercept"] = scenario.intercept
    pinned.update({f"stakes.{ch}": w for ch, w in scenario.stakes_weights.items()})
    pinned.update({f"instrument.{n}.effect": i.effect.value
                   for n, i in scenario.instruments.items()})
    a = run_experiment(spec, fixed_parameters=True)
    b = run_experiment(apply_overrides(spec, pinned))
    assert b.summary["parameters"]["drawn"] == []
    assert a.replications.equals(b.replications)


def test_the_decomposition_names_the_drivers_largest_first(drawn):
    shares = drawn.summary["uncertainty"]
    assert shares and shares[-1]["parameter"].startswith("interactions")
    head = [x["share"] for x in shares[:-1]]
    assert head == sorted(head, reverse=True)
    assert sum(x["share"] for x in shares) == pytest.approx(1.0)
    assert {x["parameter"] for x in shares[:-1]} <= set(drawn.summary["parameters"]["drawn"])


def test_a_scenario_compared_with_itself_differs_by_exactly_zero_with_draws():
    spec = small(FLAGSHIP, replications=1000)
    c = compare(spec, spec)
    assert c["difference"] == 0.0
    assert c["difference_interval"]["total"] == [0.0, 0.0] or (
        c["difference_interval"]["total"][0] <= 0.0 <= c["difference_interval"]["total"][1])
    assert all(r["shift"] == 0.0 for r in c["states"])


def test_draws_are_shared_across_scenarios_and_independent_of_the_split():
    names = ["beta_stance", "effect.brandy_probe"]
    whole = block_normals(7, 0, 4, names)
    split = np.vstack([block_normals(7, 0, 2, names), block_normals(7, 2, 2, names)])
    assert np.array_equal(whole, split)
    assert name_code("beta_stance") != name_code("beta_stakes")
    # two scenarios with the same seed draw the same values of their common parameters
    a = run_experiment(small(FLAGSHIP, replications=500))
    b = run_experiment(small(NO_PRESSURE, replications=500))
    assert a.summary["parameters"]["drawn"][:6] == b.summary["parameters"]["drawn"][:6]


def test_directed_parameters_never_change_sign_in_draws():
    spec = small(FLAGSHIP, replications=2500)
    from model.abm.model import CouncilModel

    scenario = resolve(spec)
    model = CouncilModel(scenario, 2500, spec.seed)
    documented = catalogue.measures()[scenario.measure.name].stakes
    for ch, prior in documented.items():
        values = model.draws[f"stakes.{scenario.measure.name}.{ch}"]
        assert np.all(np.sign(values) == (1 if prior.direction == "+" else -1)), ch
    for name in ("beta_stance", "beta_pressure", "beta_backlash", "cut_gap", "shock_sd"):
        assert np.all(model.draws[name] > 0), name
    assert len(np.unique(model.draws["beta_stance"])) == 10          # one draw per block


def test_run_prints_both_intervals_and_the_drivers(tmp_path):
    out = run_cli("run", FLAGSHIP, "--replications", "1000", "--out", tmp_path / "a")
    assert out.code == 0, out.stderr
    assert "with parameter uncertainty" in out.stdout
    assert "the Monte Carlo error of this figure, from 4 parameter draws" in out.stdout
    assert "only 4 parameter draws" in out.stdout          # 1,000 replications: a warning
    assert "uncertainty driven by" in out.stdout
    fixed = run_cli("run", FLAGSHIP, "--replications", "1000", "--fixed-parameters", "--out",
                    tmp_path / "b", "--json")
    s = fixed.json()
    assert s["p_adopted_interval"]["total"] == s["p_adopted_interval"]["monte_carlo"]


# --- mechanisms ---------------------------------------------------------------------------------

def _coerced_support(overrides: dict) -> float:
    """Germany's P(for) on the ACI determination while China's squeeze lands on it."""
    spec = load_spec({"name": "mech", "measure": "aci_determination", "rounds": 4,
                      "replications": 500, "seed": 5, "fixed_parameters": True,
                      "china": {"actions": [{"instrument": "rare_earth_licence_slowdown",
                                             "targets": ["DE"], "round": 0}]},
                      "overrides": overrides})
    return float(run_experiment(spec).states.set_index("iso2").loc["DE", "p_for"])


def test_grievance_raises_and_fear_lowers_a_coerced_states_support_for_the_aci():
    base = _coerced_support({})
    assert _coerced_support({"beta_grievance": 2.0}) > base          # grievance: up
    assert _coerced_support({"beta_grievance": 0.0}) < base
    assert _coerced_support({"beta_pressure": 2.0}) < base           # fear: down
    assert _coerced_support({"beta_pressure": 0.0}) > base


def test_grievance_plays_no_part_where_the_measure_does_not_answer_coercion():
    assert catalogue.measures()["ev_cvd"].forces["grievance"].value == 0.0
    spec = with_china(small(EXPERIMENTS / "ev_duties_2024.toml", replications=500,
                            fixed_parameters=True), strategy="none")
    a = run_experiment(apply_overrides(spec, {"beta_grievance": 0.5}))
    b = run_experiment(apply_overrides(spec, {"beta_grievance": 3.0}))
    assert a.states.equals(b.states)


def test_every_measure_documents_each_force():
    for name, m in catalogue.measures().items():
        assert set(m.forces) == set(catalogue.FORCES), name
        for force in m.forces.values():
            assert force.source and force.confidence == "assumption"


# --- chains of decisions ------------------------------------------------------------------------

def test_response_measures_never_pass_where_the_determination_failed():
    result = run_experiment(CHAIN, replications=1000)
    reps = result.replications
    failed = ~reps["adopted"].astype(bool)
    assert failed.any()
    assert not reps.loc[failed, "reached_response"].any()
    assert not reps.loc[failed, "adopted_response"].any()
    assert (reps["adopted_chain"] == reps["adopted_response"]).all()
    stages = result.summary["stages"]
    assert [s["measure"] for s in stages] == ["aci_determination", "aci_response"]
    assert stages[1]["p_reached"] == pytest.approx(stages[0]["p_adopted"])
    assert result.summary["chain"]["p_adopted"] <= stages[0]["p_adopted"]


def test_the_appeal_committee_is_reached_only_after_no_opinion_with_a_majority_against():
    result = run_experiment(EXPERIMENTS / "ev_provisional_definitive_appeal.toml",
                            replications=500)
    reps = result.replications
    assert reps["reached_definitive"].all()          # the advisory opinion never stops it
    appeal = reps["reached_appeal"]
    assert (reps.loc[appeal, "adopted_chain"] == reps.loc[appeal, "adopted_appeal"]).all()
    assert (reps.loc[~appeal, "adopted_chain"] == reps.loc[~appeal, "adopted_definitive"]).all()


def test_a_stage_requirement_must_name_an_outcome_of_the_stage_before(tmp_path):
    text = CHAIN.read_text().replace('requires = "adopted"', 'requires = "no_opinion"')
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    out = run_cli("run", bad, "--replications", "250", "--out", tmp_path / "x")
    assert out.code == 2 and "stages[0].requires" in out.stderr

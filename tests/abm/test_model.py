"""The agent-based model: determinism, split independence, exactness and face validity."""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest
from helpers import EV, FLAGSHIP, assert_split_independent, with_china
from helpers import small_spec as small

from model.abm.behaviour import standing_support
from model.abm.model import CouncilModel
from model.api import passage_probability
from model.errors import InputError
from model.experiments.resolve import resolve
from model.experiments.results import write_outputs
from model.experiments.run import run_experiment
from model.experiments.spec import apply_overrides, load_spec
from model.inputs import catalogue
from model.stats import wilson_interval


def test_same_seed_gives_byte_identical_outputs(tmp_path):
    spec = small(FLAGSHIP)
    for name in ("a", "b"):
        write_outputs(run_experiment(spec), tmp_path / name)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "summary.json" in files and "manifest.json" in files
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_different_seeds_differ():
    a = run_experiment(small(FLAGSHIP), seed=1)
    b = run_experiment(small(FLAGSHIP), seed=2)
    assert not a.replications.equals(b.replications)


def test_results_do_not_depend_on_how_the_work_is_split():
    assert_split_independent(small(FLAGSHIP, replications=1000))


def test_interrupted_run_resumes_from_saved_chunks(tmp_path):
    spec = small(FLAGSHIP, replications=1000)
    calls = {"n": 0}

    def stop_after_two_chunks(done, total):
        calls["n"] += 1
        if done == 2 * spec.rounds + 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_experiment(spec, chunk=250, resume_dir=tmp_path, progress=stop_after_two_chunks)
    assert len(list(tmp_path.glob("chunk_*.npz"))) == 2
    resumed = run_experiment(spec, chunk=250, resume_dir=tmp_path)
    fresh = run_experiment(spec, chunk=250)
    assert resumed.summary == fresh.summary


def test_one_mesa_model_carries_all_replications():
    scenario = resolve(small(FLAGSHIP))
    model = CouncilModel(scenario, replications=300, seed=5)
    assert isinstance(model, mesa.Model)
    assert len(model.agents) == 27 + 2
    out = model.run()
    assert model.probabilities.shape == (27, 300, 3)
    assert np.allclose(model.probabilities.sum(axis=-1), 1.0)
    # the output keeps block sums (300 = one block of 250 and one of 50), not every replication
    assert out.probability_sums.shape == (27, 2, 3)
    assert np.allclose(out.probability_sums.sum(axis=1), model.probabilities.sum(axis=1))
    assert np.allclose(out.mean_probabilities.sum(axis=-1), 1.0)
    single = CouncilModel(scenario, replications=1, seed=5).run()   # R = 1 is an ordinary ABM
    assert single.votes.shape == (1, 27)


def test_the_kept_standing_support_follows_a_changed_stance_or_stakes():
    scenario = resolve(small(FLAGSHIP))
    model = CouncilModel(scenario, replications=300, seed=5)
    model.step()

    def fresh():
        stance = np.array([a.stance for a in model.member_states])
        stakes = model.stakes_r if np.ndim(model.stakes_r) == 2 else model.stakes_r[:, None]
        return standing_support(model.intercept_r, stance[:, None], stakes, model.coef_r)

    assert np.array_equal(model.standing[2], fresh())
    before = model.standing[2].copy()
    model.member_states[0].stance += 1.0          # an agent's stance edited between rounds
    model.step()
    assert np.array_equal(model.standing[2], fresh())
    assert not np.array_equal(model.standing[2][0], before[0])
    assert np.array_equal(model.standing[2][1:], before[1:])
    model.scale_channel(model.channels[0], 3.0)   # a lever's effect on exposure and stakes
    model.refresh_stakes()
    model.step()
    assert np.array_equal(model.standing[2], fresh())


@pytest.mark.parametrize("measure", ["ev_cvd", "aci_determination", "cfsp_statement"])
def test_exact_adoption_probability_agrees_with_monte_carlo(measure):
    # No preference shocks, no China and no parameter draws: every replication has the same vote
    # probabilities, so the exact passage probability (model.power) is the true adoption
    # probability.
    spec = load_spec({"name": "exact", "measure": measure, "rounds": 3, "replications": 20000,
                      "seed": 11, "overrides": {"shock_sd": 0.0}, "fixed_parameters": True})
    result = run_experiment(spec)
    probs = result.states.set_index("iso2")[["p_for", "p_abstain", "p_against"]]
    exact = passage_probability(result.summary["rule"], probs)
    p_exact = 1 - exact.p_blocked if result.summary["rule"] == "comitology" else exact.p_adopted
    k = int(result.replications["adopted"].sum())
    lo, hi = wilson_interval(k, len(result.replications), confidence=0.999)
    assert lo <= p_exact <= hi
    assert result.summary["p_adopted_expected_track"] == pytest.approx(p_exact, abs=1e-5)


@pytest.mark.parametrize("strategy",
                         ["uniform", "stick_only", "carrot_and_stick", "divide_and_rule",
                          "pressure_2025"])
def test_more_budget_never_raises_adoption_of_a_measure_china_opposes(strategy):
    spec = small(FLAGSHIP, replications=1000)
    previous = None
    for budget in (0.0, 0.25, 0.5, 1.0):
        result = run_experiment(with_china(spec, strategy=strategy, budget=budget))
        adopted = result.replications["adopted"].to_numpy(dtype=float)
        if previous is not None:
            diff = adopted - previous                                 # common random numbers
            se = diff.std(ddof=1) / np.sqrt(len(diff)) if diff.any() else 0.0
            assert diff.mean() <= 3 * se + 1e-12, (strategy, budget)
        previous = adopted


def test_divide_and_rule_spends_on_exposed_pivotal_states():
    # China plans on the central parameters; with them fixed, its targeting is what is tested
    spec = with_china(small(FLAGSHIP, fixed_parameters=True), strategy="divide_and_rule",
                      budget=0.5)
    result = run_experiment(spec)
    spend = result.states.set_index("iso2")["targeted_share"]
    targets = spend[spend > 0].index
    scenario = resolve(spec)
    reachable = scenario.exposure[:, [scenario.channels.index(i.channel)
                                      for i in scenario.instruments.values()]].max(axis=1)
    exposure = pd.Series(reachable, index=scenario.all_states)
    assert (exposure[targets] > 0).all()
    # the states China spends most on are more pivotal than the median state
    baseline = run_experiment(with_china(spec, strategy="none", budget=0.0))
    expected = baseline.states.set_index("iso2")[["p_for", "p_abstain", "p_against"]]
    expected = expected.div(expected.sum(axis=1), axis=0)
    crit = passage_probability("qmv", expected).criticality
    top = spend.sort_values(ascending=False).index[:3]
    assert crit[top].mean() > crit.median()
    # and divide and rule moves the outcome more per unit of budget than uniform pressure
    uniform = run_experiment(with_china(spec, strategy="uniform", budget=0.5))
    assert result.summary["p_adopted"] < uniform.summary["p_adopted"]


def test_more_car_exports_to_china_lower_germanys_support_for_ev_duties_and_a_carrot_more():
    spec = small(EV, replications=1000)
    base = run_experiment(spec).states.set_index("iso2")
    more = run_experiment(apply_overrides(spec, {"exposure.cars": 2.0})).states.set_index("iso2")
    assert more.loc["DE", "p_for"] < base.loc["DE", "p_for"]
    assert more.loc["DE", "p_against"] > base.loc["DE", "p_against"]
    actions = [*spec.china.actions,
               {"instrument": "luxury_car_tax_threshold", "targets": ["DE"], "round": 0}]
    carrot = load_spec(dict(spec.model_dump(), china=dict(spec.china.model_dump(), actions=[
        a if isinstance(a, dict) else a.model_dump() for a in actions] + [
        {"instrument": "high_level_visit", "targets": ["DE"], "round": 1, "intensity": 3.0}])))
    carrot = apply_overrides(carrot, {"exposure.cars": 2.0})
    further = run_experiment(carrot).states.set_index("iso2")
    assert further.loc["DE", "p_for"] < more.loc["DE", "p_for"]


@pytest.mark.parametrize("measure", sorted(catalogue.measures()))
def test_every_stake_moves_support_in_its_documented_direction(measure):
    """More exposure on a channel moves every exposed state the way params/measures.toml
    documents - with the shipped (calibrated) weights and with parameters drawn per block."""
    spec = load_spec({"name": "dir", "measure": measure, "rounds": 3, "replications": 500,
                      "seed": 3})
    scenario = resolve(spec)
    documented = catalogue.measures()[measure].stakes
    base = run_experiment(spec).states.set_index("iso2")["p_for"]
    for channel, prior in documented.items():
        sign = 1 if prior.direction == "+" else -1
        assert np.sign(scenario.stakes_weights[channel]) == sign, (measure, channel)
        exposed = [s for i, s in enumerate(scenario.all_states)
                   if scenario.exposure[i, scenario.channels.index(channel)] > 0]
        moved = run_experiment(apply_overrides(spec, {f"exposure.{channel}": 1.5}))
        delta = moved.states.set_index("iso2")["p_for"][exposed] - base[exposed]
        assert (np.sign(delta) == sign).all(), (measure, channel)


#: The dated rare-earth instruments of October 2025, each alone (tests/abm/test_rare_earths.py).
NEW_INSTRUMENTS = ("rare_earth_tightening_oct2025", "military_end_use_rejection")
#: Each force alone: the coefficients of the other two (and of peers) set to zero.
ALONE = {"pressure": {"beta_grievance": 0.0, "beta_backlash": 0.0, "beta_peer": 0.0},
         "grievance": {"beta_pressure": 0.0, "beta_backlash": 0.0, "beta_peer": 0.0},
         "backlash": {"beta_pressure": 0.0, "beta_grievance": 0.0, "beta_peer": 0.0}}


@pytest.mark.parametrize("measure", sorted(catalogue.measures()))
def test_the_october_2025_instruments_move_support_in_each_forces_documented_direction(measure):
    """Under the 9 October tightening and the military end-use rule (a vote at the end of
    October 2025), each force acts the way params/measures.toml documents it: fear lowers the
    targeted states' P(for), grievance raises it where the measure answers coercion (and does
    nothing elsewhere), backlash raises the others'. A documented direction is never
    reversed."""
    forces = catalogue.measures()[measure].forces
    base = {"name": "dir", "measure": measure, "rounds": 3, "replications": 300, "seed": 3,
            "vote_date": "2025-10-31", "fixed_parameters": True}
    for instrument in NEW_INSTRUMENTS:
        spec = load_spec(dict(base, china={"actions": [
            {"instrument": instrument, "date": "2025-10-09"}]}))
        targets = set(resolve(spec).actions[0].targets)
        assert targets
        for force, off in ALONE.items():
            on = run_experiment(apply_overrides(spec, off)).states.set_index("iso2")["p_for"]
            none = run_experiment(apply_overrides(load_spec(base), off)).states.set_index(
                "iso2")["p_for"]
            delta = on - none
            hit, others = sorted(targets), sorted(set(on.index) - targets)
            if force == "pressure":
                assert (delta[hit] < 0).all(), (measure, instrument, force)
            elif force == "grievance":
                sign = np.sign(forces["grievance"].value)
                assert (np.sign(delta[hit]) == sign).all(), (measure, instrument, force)
            elif forces["backlash"].value > 0 and others:
                assert (delta[others] > 0).all(), (measure, instrument, force)


def test_backlash_hardens_others_against_visible_coercion():
    spec = with_china(small(FLAGSHIP), strategy="stick_only", budget=1.0)
    on = run_experiment(apply_overrides(spec, {"beta_backlash": 1.0}))
    off = run_experiment(apply_overrides(spec, {"beta_backlash": 0.0}))
    assert on.summary["p_adopted"] > off.summary["p_adopted"]


def _with_levers(spec, options):
    return spec.model_copy(update={"commission": spec.commission.model_copy(
        update={"options": options, "respond_below": 1.0})})


def test_each_commission_lever_does_what_it_documents():
    """At the central parameters. Whether the levers together raise the ACI's adoption is
    not given: a smaller squeeze means less fear of escalation but also less backlash and less
    grievance, and the calibrated weights decide (README, assumptions)."""
    base = small(FLAGSHIP, replications=1000, fixed_parameters=True)
    none = run_experiment(base)
    comp = run_experiment(_with_levers(base, ["solidarity_compensation"]))
    assert comp.summary["commission_levers_used"] == {"solidarity_compensation": 0.5}
    # compensation offsets the sticks: every state China coerced supports the measure more
    coerced = none.states.set_index("iso2")
    coerced = coerced[coerced["targeted_share"] > 0].index
    after = comp.states.set_index("iso2")
    assert len(coerced) and (after.loc[coerced, "p_for"]
                             >= none.states.set_index("iso2").loc[coerced, "p_for"]).all()
    # stockpiles shrink the magnet exposure, the channel of fear of escalation for the ACI
    from model.abm.model import CouncilModel

    # (at no lag: what the lever does once it acts; its shipped lag of years is tested in
    # tests/abm/test_levers.py)
    scenario = resolve(apply_overrides(_with_levers(base, ["crma_stockpile"]),
                                       {"lever.crma_stockpile.lag": 0}))
    model = CouncilModel(scenario, 250, base.seed)
    model.step()
    ch = scenario.channels.index("magnets")
    assert np.allclose(model.exposure[:, ch], scenario.exposure[:, ch] * 0.5)
    assert catalogue.measures()["aci_determination"].stakes["magnets"].direction == "-"


@pytest.mark.parametrize("text, needle", [
    ('name = "x"\nmeasure = "ev_cvd"\ncolour = "red"\n', "field 'colour': unknown key"),
    ('name = "x"\nmeasure = "tariffs"\n', "unknown measure 'tariffs'"),
    ('name = "x"\nmeasure = "ev_cvd"\n[china]\nstrategy = "bribery"\n', "unknown strategy"),
    ('name = "x"\nmeasure = "ev_cvd"\nrule = "plurality"\n', "unknown rule 'plurality'"),
    ('name = "x"\nmeasure = "ev_cvd"\n[overrides]\n"instrument.pork_probe.credibility" = 1.5\n',
     "outside [0, 1]"),
    ('name = "x"\nmeasure = "ev_cvd"\n[overrides]\nbeta_charm = 1.0\n', "overrides.beta_charm"),
    ('name = "x"\nmeasure = "ev_cvd"\n[[china.actions]]\ninstrument = "pork_probe"\n'
     'targets = ["XX"]\n',
     "unknown country code 'XX'"),
])
def test_bad_experiment_files_name_the_file_and_field(tmp_path, text, needle):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_spec(path)
    assert needle in str(err.value) and str(path) in str(err.value)


def test_user_population_table_next_to_the_experiment_file(tmp_path):
    from model.inputs.tables import load_population

    pop = load_population("eurostat2024")
    (tmp_path / "pop.csv").write_text("iso2,population\n" + "".join(
        f"{s},{int(v)}\n" for s, v in pop.items()))
    exp = tmp_path / "exp.toml"
    exp.write_text('name = "own_pop"\nmeasure = "ev_cvd"\nrounds = 2\nreplications = 250\n'
                   'population = "pop.csv"\n')
    result = run_experiment(exp)
    assert Path(result.spec.population) == (tmp_path / "pop.csv").resolve()
    assert "population:pop.csv" in result.manifest["data_sha256"]
    (tmp_path / "pop.csv").write_text("iso2,population\nDE,1\n")   # edited: re-read
    with pytest.raises(InputError, match=r"needs every member of the Council .*no population "
                                         r"for AT, BE"):
        run_experiment(exp)


def test_saved_chunks_of_an_edited_experiment_are_not_reused(tmp_path):
    spec = small(FLAGSHIP, replications=500)
    run_experiment(spec, chunk=250, resume_dir=tmp_path)
    assert len(list(tmp_path.glob("chunk_*.npz"))) == 2
    edited = with_china(spec, budget=2.0)
    resumed = run_experiment(edited, chunk=250, resume_dir=tmp_path)
    fresh = run_experiment(edited, chunk=250)
    assert resumed.summary == fresh.summary

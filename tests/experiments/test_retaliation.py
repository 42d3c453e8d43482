"""Retaliation after an adopted measure, as the next stage of a chain: China's answer changes
the next decision's probabilities in the direction params/measures.toml documents - fear
(pressure) lowers the target's support, grievance raises it where the measure answers
coercion, and the others' backlash raises theirs."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import EXPERIMENTS

from model.abm.model import CouncilModel
from model.experiments.resolve import resolve
from model.experiments.spec import apply_overrides, load_spec
from model.experiments.stages import stage_spec
from model.inputs import catalogue

BLUFF = EXPERIMENTS / "paper_calling_europes_bluff.toml"
BRANDY = EXPERIMENTS / "ev_duties_retaliation_next_vote.toml"


def next_stage(path, *, retaliation: bool, keep: tuple[str, ...] | None = None,
               overrides: dict | None = None):
    """The expected-track P(for) of every state at the next stage's vote (China's strategy off,
    parameters at their estimates), with or without China's retaliation between the stages."""
    spec = load_spec(path)
    sub = stage_spec(spec, 1)
    actions = [a for a in sub.china.actions if keep is None or a.instrument in keep]
    china = sub.china.model_copy(update={"strategy": "none", "budget": 0.0,
                                         "actions": actions if retaliation else []})
    sub = apply_overrides(sub.model_copy(update={"rounds": 4, "fixed_parameters": True,
                                                 "china": china}), overrides or {})
    scenario = resolve(sub)
    model = CouncilModel(scenario, 250, sub.seed)
    model.run()
    return dict(zip(scenario.all_states, model.expected[:, 0])), scenario


def documented_net(measure: str, instrument: str, coef: dict) -> float:
    """The sign the documented forces give a stick's direct effect on its own target: grievance
    (beta_grievance x the grievance force) against fear at the stick's credibility."""
    forces = {k: f.value for k, f in catalogue.measures()[measure].forces.items()}
    cred = catalogue.instruments()[instrument].credibility.value
    return (coef["beta_grievance"] * forces["grievance"]
            - coef["beta_pressure"] * forces["pressure"] * cred)


def test_countersanctions_after_a_sanctions_package_move_the_next_package_as_documented():
    with_, scenario = next_stage(BLUFF, retaliation=True, keep=("bank_countersanctions",))
    without, _ = next_stage(BLUFF, retaliation=False)
    forces = catalogue.measures()["sanctions_package"].forces
    assert forces["backlash"].direction == "+" and forces["grievance"].direction == "+"
    # Lithuania, the target: grievance against fear, in the direction the forces give
    net = documented_net("sanctions_package", "bank_countersanctions", scenario.coef)
    assert net > 0          # with the shipped coefficients grievance wins for a sanctions package
    assert np.sign(with_["LT"] - without["LT"]) == np.sign(net)
    # every other member sees the coercion and hardens (backlash)
    others = [s for s in scenario.all_states if s != "LT"]
    assert all(with_[s] > without[s] for s in others)


def test_brandy_retaliation_after_the_ev_duties_deters_france_and_hardens_the_others():
    # the next trade-defence vote does not answer coercion of France (grievance 0): only fear
    with_, scenario = next_stage(BRANDY, retaliation=True)
    without, _ = next_stage(BRANDY, retaliation=False)
    assert catalogue.measures()["trade_defence_duties"].forces["grievance"].value == 0
    assert documented_net("trade_defence_duties", "brandy_probe", scenario.coef) < 0
    assert with_["FR"] < without["FR"]
    # the others see the coercion and harden (backlash); France's own drop pulls its peers the
    # other way (beta_peer), so the backlash is measured with peers held still
    still = {"beta_peer": 0.0}
    with_, _ = next_stage(BRANDY, retaliation=True, overrides=still)
    without, _ = next_stage(BRANDY, retaliation=False, overrides=still)
    assert all(with_[s] > without[s] for s in scenario.all_states if s != "FR")


@pytest.mark.parametrize("path", [BLUFF, BRANDY])
def test_the_retaliation_counts_only_where_the_first_measure_was_adopted(path):
    from model.experiments.run import run_experiment

    spec = load_spec(path).model_copy(update={"replications": 500, "rounds": 4})
    result = run_experiment(spec)
    reps = result.replications
    name = spec.stages[0].name
    assert (reps[f"reached_{name}"] == reps["adopted"]).all()
    assert not (reps[f"adopted_{name}"] & ~reps["adopted"]).any()


def test_a_stage_knows_the_retaliation_only_if_its_as_of_does():
    spec = load_spec(BRANDY)
    assert spec.stages[0].as_of == "2024-10-11"
    assert resolve(stage_spec(spec, 1)).actions_not_used == []
    early = spec.model_copy(update={"stages": [spec.stages[0].model_copy(update={"as_of": None})]})
    left_out = resolve(stage_spec(early, 1)).actions_not_used
    assert [a["instrument"] for a in left_out] == ["brandy_probe"]

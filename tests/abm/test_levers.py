"""Invariants every registered EU lever must satisfy: documented, parameterised, and changing
something a run can measure (a lever that does nothing fails here)."""

from __future__ import annotations

import numpy as np
import pytest

from model.abm.levers import LEVERS, get_lever
from model.abm.model import CouncilModel
from model.errors import InputError
from model.experiments.resolve import check_lever_registry, resolve
from model.experiments.spec import load_spec
from model.inputs import catalogue

#: A scenario every lever should act on: a trade-defence measure with stakes of both signs,
#: China's sticks on the magnet and spirits channels landing after the Commission can respond.
RICH = {
    "name": "lever_probe", "measure": "ev_cvd", "rounds": 4, "replications": 250, "seed": 7,
    "china": {"strategy": "none", "actions": [
        {"instrument": "rare_earth_licence_slowdown", "targets": "exposed", "round": 2},
        {"instrument": "brandy_probe", "targets": ["FR"], "round": 2},
    ]},
    "commission": {"options": [], "respond_below": 1.0},
}


def expected_track(options: list[str], lag: int | None = 0) -> np.ndarray:
    """The run's probabilities with ``options``, each acting after ``lag`` rounds (None: its
    lag in params/eu_levers.toml)."""
    overrides = {} if lag is None else {f"lever.{name}.lag": lag for name in options}
    spec = load_spec(RICH | {"commission": {"options": options, "respond_below": 1.0},
                             "overrides": overrides})
    model = CouncilModel(resolve(spec), spec.replications, spec.seed)
    model.run()
    return np.concatenate([model.expected.ravel(), model.probabilities.mean(axis=1).ravel()])


@pytest.mark.parametrize("name", sorted(LEVERS))
def test_every_lever_changes_what_a_run_measures(name):
    without, with_lever = expected_track([]), expected_track([name])
    assert np.abs(with_lever - without).max() > 1e-6, f"lever {name} changes nothing"


@pytest.mark.parametrize("name", sorted(LEVERS))
def test_every_lever_is_documented_and_parameterised(name):
    lever = get_lever(name)
    assert lever.name == name and lever.effect
    assert lever.__doc__ and "Source:" in lever.__doc__
    params = catalogue.levers()[name]
    strength = params.strength
    assert 0 <= strength.value <= 1 and strength.source and strength.confidence
    assert params.lag.value >= 0 and params.lag.source and params.origin


@pytest.mark.parametrize("name", sorted(LEVERS))
def test_a_lever_acts_only_once_its_lag_has_passed_and_a_late_one_says_so(name):
    spec = load_spec(RICH | {"commission": {"options": [name], "respond_below": 1.0},
                             "overrides": {f"lever.{name}.lag": RICH["rounds"]}})
    model = CouncilModel(resolve(spec), spec.replications, spec.seed)
    out = model.run()
    # decided in round 0, due in the round after the last: nothing acted, the run says so
    assert out.levers_used == {}
    assert out.levers_too_late == {name: {"decided_in_round": 0, "lag_rounds": RICH["rounds"],
                                          "would_act_in_round": RICH["rounds"]}}
    assert np.allclose(expected_track([name], lag=RICH["rounds"]), expected_track([]))
    # one round less and it acts in the last round
    early = load_spec(RICH | {"commission": {"options": [name], "respond_below": 1.0},
                              "overrides": {f"lever.{name}.lag": RICH["rounds"] - 1}})
    assert CouncilModel(resolve(early), early.replications, early.seed).run().levers_used


def test_the_crma_takes_years_and_cannot_act_before_a_vote_months_away():
    assert catalogue.levers()["crma_stockpile"].lag.value >= 24      # rounds of a month
    assert "Rare earths as a weapon" in catalogue.levers()["crma_stockpile"].origin
    assert "modelling proposal" in catalogue.levers()["solidarity_compensation"].origin
    assert np.allclose(expected_track(["crma_stockpile"], lag=None), expected_track([]))


def test_the_parameter_file_and_the_registry_list_the_same_levers(monkeypatch):
    assert set(catalogue.levers()) == set(LEVERS)
    check_lever_registry()
    extra = dict(catalogue.levers()) | {"tariff_rebate": catalogue.levers()["narrower_scope"]}
    monkeypatch.setattr(catalogue, "levers", lambda path=None: extra)
    with pytest.raises(InputError, match="lever 'tariff_rebate' has no implementation"):
        check_lever_registry()


def test_an_unknown_lever_in_an_experiment_is_an_error():
    with pytest.raises(InputError, match="unknown option 'tariff_rebate'"):
        load_spec(RICH | {"commission": {"options": ["tariff_rebate"]}})
    with pytest.raises(InputError, match="unknown lever"):
        get_lever("tariff_rebate")

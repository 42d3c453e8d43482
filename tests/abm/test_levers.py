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


def expected_track(options: list[str]) -> np.ndarray:
    spec = load_spec(RICH | {"commission": {"options": options, "respond_below": 1.0}})
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
    strength = catalogue.levers()[name].strength
    assert 0 <= strength.value <= 1 and strength.source and strength.confidence


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

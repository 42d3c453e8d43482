"""Shared invariants for every registered strategy, instrument and measure (levers:
test_levers.py)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.abm.strategies import STRATEGIES, PlanContext, get_strategy
from model.experiments.resolve import resolve
from model.experiments.spec import load_spec
from model.inputs import catalogue
from model.inputs.council import EU27, population_table
from model.inputs.exposure import channel_names
from model.treaty.rules import RULE_NAMES, get_rule


def test_registries_are_complete_and_documented():
    assert set(catalogue.strategy_params()) == set(STRATEGIES)
    for name, cls in STRATEGIES.items():
        assert cls.name == name and cls.__doc__ and len(cls.__doc__.split()) > 5
    for ins in catalogue.instruments().values():
        assert ins.doc and ins.source and ins.channel in channel_names()
    for m in catalogue.measures().values():
        assert m.doc and m.source and m.rule in RULE_NAMES
        assert set(m.stakes) <= set(channel_names())


def context(budget: float, rule: str = "qmv", seed: int = 0, share: float = 0.5) -> PlanContext:
    spec = load_spec({"name": "ctx", "measure": "aci_determination", "rule": rule})
    sc = resolve(spec)
    rng = np.random.default_rng(seed)
    return PlanContext(
        states=list(EU27), populations=np.array([population_table()[s] for s in EU27]),
        rule=get_rule(rule), utility=rng.normal(1.0, 1.0, 27), cut_low=-1.0, cut_high=1.0,
        beta_pressure=1.0, exposure=sc.exposure, channels=sc.channels,
        instruments=list(sc.instruments.values()),
        credibility={n: i.credibility.value for n, i in sc.instruments.items()},
        budget=budget, max_share_per_target=share)


@pytest.mark.parametrize("name", list(STRATEGIES))
@settings(max_examples=8, deadline=None)
@given(budget=st.floats(0.0, 3.0), seed=st.integers(0, 1000),
       rule=st.sampled_from(["qmv", "comitology", "unanimity"]))
def test_every_strategy_respects_its_budget_and_is_deterministic(name, budget, seed, rule):
    ctx = context(budget, rule, seed)
    plan = get_strategy(name).allocate(ctx)
    again = pickle.loads(pickle.dumps(get_strategy(name))).allocate(context(budget, rule, seed))
    assert plan == again
    assert sum(a.spend for a in plan) <= budget + 1e-9
    assert all(a.spend >= 0 and a.intensity >= 0 and a.target in EU27 for a in plan)
    if name == "none" or budget == 0:
        assert plan == []
    if name not in ("none", "uniform"):
        per_target = {}
        for a in plan:
            per_target[a.target] = per_target.get(a.target, 0.0) + a.spend
        assert all(v <= 0.5 * budget + 1e-9 for v in per_target.values())


@pytest.mark.parametrize("name", ["stick_only", "carrot_only"])
def test_kind_filters(name):
    plan = get_strategy(name).allocate(context(2.0))
    kinds = {catalogue.instruments()[a.instrument].kind for a in plan}
    assert kinds == {name.split("_")[0]}


@settings(max_examples=10, deadline=None)
@given(budget=st.floats(0.1, 3.0), seed=st.integers(0, 1000))
def test_the_2025_posture_caps_carrots_at_its_share_of_the_budget(budget, seed):
    cap = catalogue.strategy_params()["pressure_2025"]["max_carrot_share"].value
    assert 0 < cap < 1
    ctx = context(budget, seed=seed)
    ctx.max_carrot_share = cap
    plan = get_strategy("pressure_2025").allocate(ctx)
    kinds = catalogue.instruments()
    carrots = sum(a.spend for a in plan if kinds[a.instrument].kind == "carrot")
    assert carrots <= cap * budget + 1e-9
    # with no cap it is divide and rule itself
    ctx.max_carrot_share = 1.0
    assert get_strategy("pressure_2025").allocate(ctx) == get_strategy(
        "divide_and_rule").allocate(ctx)


def test_instruments_outside_the_toolbox_are_used_only_when_named():
    spec = load_spec({"name": "tb", "measure": "aci_determination",
                      "china": {"strategy": "divide_and_rule", "budget": 0.5}})
    scenario = resolve(spec)
    outside = {n for n, i in catalogue.instruments().items() if not i.toolbox}
    assert {"bank_countersanctions", "battery_partnership", "cherry_protocol",
            "summit_downgrade"} <= outside
    assert not outside & set(scenario.budget_instruments)
    named = resolve(load_spec({"name": "tb", "measure": "aci_determination", "china": {
        "strategy": "divide_and_rule", "budget": 0.5, "instruments": ["battery_partnership"]}}))
    assert named.budget_instruments == ["battery_partnership"]


@pytest.mark.parametrize("instrument, reached", [
    ("battery_partnership", {"FR"}), ("cherry_protocol", {"ES"}),
    ("bank_countersanctions", {"LT"})])
def test_the_paper_instruments_reach_the_states_their_sources_name(instrument, reached):
    spec = load_spec({"name": "reach", "measure": "sanctions_package", "china": {"actions": [
        {"instrument": instrument, "targets": "exposed", "round": 0}]}})
    assert set(resolve(spec).actions[0].targets) == reached

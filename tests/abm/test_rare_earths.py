"""Rare earths as a weapon: the licensing squeeze by month, the October 2025 tightening and the
military end-use rule acting through the defence channel alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import EXPERIMENTS, assert_split_independent

from model.abm.model import CouncilModel
from model.experiments.resolve import resolve
from model.experiments.run import run_experiment
from model.experiments.spec import apply_overrides, load_spec
from model.inputs.exposure import build_exposures
from model.inputs.tables import load_exposures

MAY, JULY = "2025-05-30", "2025-07-31"
PAPER = EXPERIMENTS / "paper_rare_earths_as_a_weapon.toml"
SQUEEZE = {"instrument": "rare_earth_licence_slowdown", "date": "2025-04-04"}
OCTOBER = [SQUEEZE, {"instrument": "rare_earth_tightening_oct2025", "date": "2025-10-09"},
           {"instrument": "military_end_use_rejection", "date": "2025-10-09"}]


def timed(vote_date, measure="aci_determination", actions=(SQUEEZE,), *, as_of=None,
          replications=1000, rounds=12, **extra):
    """A run timed by its vote date; ``as_of`` fixed where only the timing should differ."""
    return load_spec({"name": "t", "measure": measure, "rounds": rounds, "seed": 11,
                      "replications": replications, "vote_date": vote_date,
                      "as_of": as_of or vote_date, "china": {"actions": list(actions)},
                      **extra})


def final(result) -> pd.DataFrame:
    rounds = result.rounds
    return rounds[rounds["round"] == rounds["round"].max()].set_index("iso2")


def exposed(spec, channel) -> list[str]:
    sc = resolve(spec)
    ch = sc.channels.index(channel)
    return [s for i, s in enumerate(sc.all_states) if sc.exposure[i, ch] > 0]


def test_a_vote_at_the_may_trough_feels_more_pressure_than_one_in_july():
    """May 2025: 395 t of magnets against 1,843 t in March; by July supply is back. Same
    seed, same knowledge date: only the timing differs."""
    may, july = (run_experiment(timed(d, as_of=JULY)) for d in (MAY, JULY))
    hubs = exposed(timed(MAY, as_of=JULY), "magnets")
    assert len(hubs) >= 5
    assert (final(may).loc[hubs, "stick"] > 0.5).all()
    assert (final(july).loc[hubs, "stick"].abs() < 1e-9).all()      # China has relaxed
    # ... after tightening through April and May and easing in June
    rounds = july.rounds.set_index(["round", "iso2"])["stick"]
    de = [rounds[(r, "DE")] for r in range(12)]
    assert de[8] < de[9] and de[10] < de[9] and abs(de[11]) < 1e-9


@pytest.mark.parametrize("measure", ["fdi_screening", "economic_security_act"])
def test_where_the_squeeze_acts_through_fear_alone_may_is_less_favourable_than_july(measure):
    """A measure that does not answer coercion (grievance 0): the trough lowers every
    squeezed state's P(for) and the chance of adoption."""
    may, july = (run_experiment(timed(d, measure, as_of=JULY)) for d in (MAY, JULY))
    hubs = exposed(timed(MAY, measure, as_of=JULY), "magnets")
    m, j = may.states.set_index("iso2"), july.states.set_index("iso2")
    assert (m.loc[hubs, "p_for"] < j.loc[hubs, "p_for"]).all()
    assert may.summary["p_adopted"] < july.summary["p_adopted"]


def test_for_the_aci_the_may_trough_hardens_support_as_documented():
    """The ACI answers coercion: coerced members support it more (grievance) and so do the
    others who see the coercion (backlash), params/measures.toml. So the rebound makes the
    determination less likely - the paper's own reasoning ('the rebound in rare earth metal
    and magnet imports ... remains unlikely')."""
    may, july = (run_experiment(timed(d, as_of=JULY)) for d in (MAY, JULY))
    assert may.summary["p_adopted"] > july.summary["p_adopted"]


def test_a_schedule_at_its_reference_every_round_is_the_unscheduled_run_byte_for_byte():
    spec = timed(MAY, replications=500, rounds=6)
    scheduled = resolve(spec)
    constant = resolve(spec)
    ones = tuple(1.0 for _ in range(6))
    scheduled.actions = [a.__class__(**{**a.__dict__, "profile": ones})
                         for a in scheduled.actions]
    constant.actions = [a.__class__(**{**a.__dict__, "profile": None})
                        for a in constant.actions]
    a, b = (CouncilModel(sc, 500, 11).run() for sc in (scheduled, constant))
    assert np.array_equal(a.probability_sums, b.probability_sums)
    assert np.array_equal(a.votes, b.votes) and np.array_equal(a.outcomes, b.outcomes)


def _military_only(vote="2025-10-31", **overrides):
    spec = timed(vote, actions=[OCTOBER[2]], replications=500, rounds=3)
    return apply_overrides(spec, overrides) if overrides else spec


def test_the_military_end_use_rule_reaches_states_only_through_the_defence_channel():
    scenario = resolve(_military_only())
    ch = scenario.channels.index("defence")
    with_defence = {s for i, s in enumerate(scenario.all_states) if scenario.exposure[i, ch] > 0}
    assert set(scenario.actions[0].targets) == with_defence and with_defence
    # a state with no defence exposure feels nothing of it; the others feel it in October
    scenario.exposure[scenario.all_states.index("PL"), ch] = 0.0
    model = CouncilModel(scenario, 500, 11)
    model.run()
    felt = model.sticks.mean(axis=1)
    assert felt[scenario.all_states.index("PL")] == 0.0
    assert (felt[[scenario.all_states.index(s) for s in with_defence - {"PL"}]] > 0).all()
    # the other channels play no part: no magnet, trade or plant exposure changes what it does
    base = run_experiment(_military_only()).rounds
    other = run_experiment(_military_only(**{"exposure.magnets": 0.0, "exposure.trade": 0.0,
                                            "exposure.plants": 0.0})).rounds
    assert np.array_equal(base["stick"].to_numpy(), other["stick"].to_numpy())


def test_without_the_defence_rows_the_military_rule_changes_nothing():
    rows = load_exposures()
    table = build_exposures(rows[rows["sector"] != "defence"])
    assert (table.index["defence"] == 0).all()
    found = table.provenance[table.provenance["channel"] == "defence"]
    assert set(found["confidence"]) == {"not found"}
    # in a run: the same run with and without the rule once the defence exposure is gone
    spec = _military_only(**{"exposure.defence": 0.0})
    none = spec.model_copy(update={"china": spec.china.model_copy(update={"actions": []})})
    with_rule, without = run_experiment(spec), run_experiment(none)
    assert with_rule.summary["p_adopted"] == without.summary["p_adopted"]
    assert with_rule.states.equals(without.states)
    # while with its rows it does move the states it reaches
    moved = run_experiment(_military_only()).states.set_index("iso2")["p_for"]
    assert (moved != without.states.set_index("iso2")["p_for"]).any()


def test_the_october_measures_are_in_force_only_between_announcement_and_suspension():
    """Announced 9 Oct 2025, suspended by MOFCOM Announcement No. 70 on 7 Nov 2025; a vote in
    May 2025 does not know them yet."""
    october = resolve(timed("2025-10-31", actions=OCTOBER))
    profiles = {a.instrument: a.profile for a in october.actions}
    assert profiles["rare_earth_tightening_oct2025"][-1] == 1.0
    assert profiles["military_end_use_rejection"][-1] == 1.0
    assert set(profiles["rare_earth_tightening_oct2025"][:-1]) == {0.0}
    november = resolve(timed("2025-11-28", actions=OCTOBER))
    assert {a.instrument: a.profile[-1] for a in november.actions}[
        "rare_earth_tightening_oct2025"] == 0.0
    may = resolve(timed(MAY, actions=OCTOBER))
    assert [a.instrument for a in may.actions] == ["rare_earth_licence_slowdown"]
    assert len(may.actions_not_used) == 2


def test_the_tightening_does_not_turn_france_against_the_aci():
    """The stand-in used before (a larger intensity of the April licensing) is replaced by
    dated instruments; under them France supports the determination more, not less."""
    spec = load_spec(PAPER).model_copy(update={"replications": 1000, "fixed_parameters": True})
    april = spec.model_copy(update={"china": spec.china.model_copy(
        update={"actions": spec.china.actions[:1]})})
    with_october = run_experiment(spec).states.set_index("iso2")
    without = run_experiment(april).states.set_index("iso2")
    assert with_october.loc["FR", "p_for"] > without.loc["FR", "p_for"]
    assert with_october.loc["FR", "p_against"] < without.loc["FR", "p_against"]


def test_a_timed_run_does_not_depend_on_how_the_work_is_split():
    assert_split_independent(load_spec(PAPER).model_copy(update={"replications": 1000}))

"""Business lobbying (params/lobbying.toml): off by default, and when on, China's sticks and
carrots on a sector's channels reach the government a second time, after the lobby's lag,
without being a visible act of coercion."""

from __future__ import annotations

import numpy as np
from helpers import EV, small_spec

from model.abm.model import CouncilModel
from model.experiments.resolve import resolve
from model.inputs import catalogue
from model.inputs.exposure import channel_names


def _spec(lobbying: bool):
    spec = small_spec(EV, replications=250, rounds=8, fixed_parameters=True)
    china = spec.china.model_copy(update={"strategy": "none", "budget": 0.0,
                                          "lobbying": lobbying})
    return spec.model_copy(update={"china": china})


def _run(lobbying: bool):
    scenario = resolve(_spec(lobbying))
    model = CouncilModel(scenario, 250, 5)
    rounds = []
    model.run(on_round=lambda: rounds.append(
        (np.array([a.stick_expected for a in model.member_states]),
         np.array([a.visible_stick for a in model.member_states]), model.expected[:, 0].copy())))
    return scenario, rounds


def test_every_lobby_is_sourced_and_on_known_channels():
    lobbies = catalogue.lobbying()
    assert {"cars", "spirits", "agrifood"} <= set(lobbies)
    for lobby in lobbies.values():
        assert set(lobby.channels) <= set(channel_names())
        assert lobby.associations and lobby.source and 0 <= lobby.weight.value <= 1


def test_lobbying_is_off_by_default():
    from model.experiments.spec import load_spec

    assert not load_spec(EV).china.lobbying
    assert resolve(load_spec(EV)).lobbying == {}
    assert set(resolve(_spec(True)).lobbying) == {
        ch for lobby in catalogue.lobbying().values() for ch in lobby.channels}


def test_a_lobby_passes_the_sectors_stake_to_its_government_after_its_lag():
    off_sc, off = _run(False)
    _, on = _run(True)
    fr = off_sc.all_states.index("FR")
    lag = int(catalogue.lobbying()["spirits"].lag.value)
    weight = catalogue.lobbying()["spirits"].weight.value
    # the brandy probe (round 3, lag 1) lands in round 4 both ways
    land = next(r for r, (stick, _, _) in enumerate(off) if stick[fr] > 0)
    assert np.isclose(on[land][0][fr], off[land][0][fr])
    # its echo arrives `lag` rounds later, at the lobby's weight, and is not visible coercion
    assert np.isclose(on[land + lag][0][fr], off[land + lag][0][fr] * (1 + weight))
    assert np.allclose(on[-1][1], off[-1][1])
    # so France supports the EV duties less by the vote (fear and no extra backlash)
    assert on[-1][2][fr] < off[-1][2][fr]


def test_a_lobby_with_no_lag_echoes_in_the_round_the_stick_lands():
    import dataclasses

    off_sc, off = _run(False)
    scenario = resolve(_spec(True))
    scenario = dataclasses.replace(scenario, lobbying={ch: (w, 0) for ch, (w, _) in
                                                       scenario.lobbying.items()})
    model = CouncilModel(scenario, 250, 5)
    on = []
    model.run(on_round=lambda: on.append(np.array([a.stick_expected
                                                   for a in model.member_states])))
    fr = off_sc.all_states.index("FR")
    weight = catalogue.lobbying()["spirits"].weight.value
    land = next(r for r, (stick, _, _) in enumerate(off) if stick[fr] > 0)
    assert np.isclose(on[land][fr], off[land][0][fr] * (1 + weight))
    assert not [p for p in model.china.pending if p.echo]   # no echo left behind

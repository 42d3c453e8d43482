"""China's plan and the Commission's levers are decided once per run and replayed by every
later chunk; a chunked run equals a whole one; finished chunks' models are freed."""

from __future__ import annotations

import gc
import weakref

import mesa
import pandas as pd
from helpers import EXPERIMENTS, FLAGSHIP
from helpers import small_spec as small

from model.abm import strategies
from model.abm.model import CouncilModel
from model.experiments.resolve import resolve
from model.experiments.run import run_experiment, run_scenario

LEVERS = EXPERIMENTS / "aci_rare_earth_eu_levers.toml"


def test_china_plans_once_per_run_however_many_chunks(monkeypatch):
    calls = []
    real = strategies.DivideAndRule.allocate

    def counting(self, ctx):
        calls.append(1)
        return real(self, ctx)

    monkeypatch.setattr(strategies.DivideAndRule, "allocate", counting)
    spec = small(FLAGSHIP, replications=1000)
    run_scenario(resolve(spec), 1000, spec.seed, chunk=250)
    assert len(calls) == spec.rounds            # four chunks, one plan


def test_a_chunked_run_with_commission_levers_equals_a_whole_run():
    spec = small(LEVERS, replications=750)
    # a trigger the expected adoption probability crosses mid-run (about 0.97 falling to 0.96)
    spec = spec.model_copy(update={"commission": spec.commission.model_copy(
        update={"respond_below": 0.965})})
    assert spec.commission.options
    whole = run_experiment(spec)
    chunked = run_experiment(spec, chunk=250)
    assert chunked.summary == whole.summary
    assert chunked.summary["commission_levers_used"]
    for name in ("states", "rounds", "replications", "china"):
        pd.testing.assert_frame_equal(getattr(chunked, name), getattr(whole, name))


def test_models_are_freed_once_dropped():
    """Mesa's class-level id table must not keep models (and their arrays) alive: a run of
    many chunks, or a calibration building thousands of models, would hold them all."""
    spec = small(FLAGSHIP, replications=750)
    run_scenario(resolve(spec), 750, spec.seed, chunk=250)
    model = CouncilModel(resolve(spec), 250, spec.seed)
    model.run()
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None
    assert not any(isinstance(m, CouncilModel) for m in mesa.Agent._ids)

"""From an experiment file's spec and params/ to a resolved :class:`~model.abm.scenario.Scenario`.

A measure's intercept and stakes weights come from params/measures.toml (priors) unless the
behaviour file carries calibrated values for that measure (``[measures.<name>]``, written by
``eucoalition calibrate``); an ``intercept`` or ``stakes.<channel>`` override wins over both.
Overrides of instruments, levers, exposures, coefficients and China's budget are applied here,
so the model never sees the file schema.
"""

from __future__ import annotations

import numpy as np

from ..abm.levers import LEVERS
from ..abm.scenario import Action, Scenario
from ..errors import InputError
from ..inputs import catalogue
from ..inputs.exposure import build_exposures, channel_names
from ..inputs.stance import stance_scores
from ..inputs.tables import EU27, load_population
from ..treaty.rules import get_rule
from .spec import ExperimentSpec

__all__ = ["resolve", "check_lever_registry"]

_INSTRUMENT_FIELDS = ("cost", "effect", "lag", "credibility")


def _with_field(model, name: str, value: float):
    current = getattr(model, name)
    return model.model_copy(update={name: current.model_copy(update={
        "value": value, "source": "scenario override", "confidence": "assumption"})})


def check_lever_registry() -> None:
    """Every lever in params/eu_levers.toml has a class in model/abm/levers.py and vice versa."""
    table = catalogue.levers()
    unknown = [name for name in table if name not in LEVERS]
    if unknown:
        raise InputError(f"lever '{unknown[0]}' has no implementation in model/abm/levers.py "
                         f"(known: {', '.join(LEVERS)})", file="params/eu_levers.toml",
                         field=unknown[0])
    missing = [name for name in LEVERS if name not in table]
    if missing:
        raise InputError(f"no parameters for lever '{missing[0]}'", file="params/eu_levers.toml",
                         field=missing[0])


def resolve(spec: ExperimentSpec) -> Scenario:
    """Turn a validated spec into arrays and objects (applying overrides)."""
    measure = catalogue.measures()[spec.measure]
    rule = get_rule(spec.rule or measure.rule)
    pop = load_population(spec.population)
    missing = [s for s in EU27 if s not in pop.index]
    if missing:
        raise InputError(f"the agent-based model needs all 27 states; no population for "
                         f"{', '.join(missing)}", field="population")
    o = spec.overrides
    coef = catalogue.coefficients().values()
    coef.update({k: v for k, v in o.items() if k in coef})
    if not coef["cut_low"] < coef["cut_high"]:
        raise InputError("cut_low must be below cut_high", field="overrides.cut_low")
    table = build_exposures(population=pop, ref_pct_gdp=coef["exposure_ref_pct_gdp"],
                            ref_per_1000=coef["exposure_ref_per_1000"])
    channels = channel_names()
    exposure = table.index.loc[list(EU27), channels].to_numpy(dtype=float).copy()
    for k, v in o.items():
        if k.startswith("exposure."):
            exposure[:, channels.index(k.split(".")[1])] *= v
    stance = stance_scores({k: coef[k] for k in ("w_bri", "w_ceec", "w_opinion", "w_china_index")})
    # calibrated intercept and stakes (params/behaviour.toml [measures]) replace the priors
    calibrated = catalogue.calibrated_measures().get(spec.measure, catalogue.MeasureCalibration())
    weights = {ch: s.value for ch, s in measure.stakes.items()}
    weights.update({ch: s.value for ch, s in calibrated.stakes.items()})
    for ch in weights:
        if ch not in channels:
            raise InputError(f"unknown channel '{ch}'", field=f"{spec.measure}.stakes")
    weights.update({k.split(".")[1]: v for k, v in o.items() if k.startswith("stakes.")})
    names = spec.china.instruments or list(catalogue.instruments())
    instruments = {}
    for name in names:
        ins = catalogue.instruments()[name]
        for fld in _INSTRUMENT_FIELDS:
            key = f"instrument.{name}.{fld}"
            if key in o:
                ins = _with_field(ins, fld, o[key])
        instruments[name] = ins
    for action in spec.china.actions:
        if action.instrument not in instruments:
            instruments[action.instrument] = catalogue.instruments()[action.instrument]
    check_lever_registry()
    levers = {name: o.get(f"lever.{name}.strength", catalogue.levers()[name].strength.value)
              for name in spec.commission.options}
    states = [s for s in EU27 if s not in set(spec.absent)]
    if not states:
        raise InputError("every state is absent", field="absent")

    def exposed(instrument: str) -> tuple[str, ...]:
        ch = channels.index(instruments[instrument].channel)
        return tuple(s for i, s in enumerate(EU27) if s in states and exposure[i, ch] > 0)

    actions = [Action(a.instrument, exposed(a.instrument) if a.targets == "exposed"
                      else tuple(a.targets), a.round, a.intensity, a.date, a.source)
               for a in spec.china.actions]
    sparams = {k: v.value for k, v in catalogue.strategy_params().get(spec.china.strategy,
                                                                       {}).items()}
    return Scenario(
        name=spec.name, measure=measure, rule=rule, rounds=spec.rounds, states=states,
        all_states=list(EU27), populations=pop.loc[list(EU27)].to_numpy(dtype=np.int64),
        coef=coef, intercept=o.get("intercept", (calibrated.intercept or measure.intercept).value),
        stakes_weights=weights, exposure=exposure, exposure_table=table, channels=channels,
        stance=stance.loc[list(EU27)].to_numpy(dtype=float), instruments=instruments,
        budget_instruments=list(spec.china.instruments or instruments),
        strategy=spec.china.strategy, budget=o.get("china.budget", spec.china.budget),
        actions=actions, levers=levers, respond_below=spec.commission.respond_below,
        strategy_params=sparams,
    )

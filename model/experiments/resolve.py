"""From an experiment file's spec and params/ to a resolved :class:`~model.abm.scenario.Scenario`.

A measure's intercept and stakes weights come from params/measures.toml (priors) unless the
behaviour file carries calibrated values for that measure (``[measures.<name>]``, written by
``eucoalition calibrate``); an ``intercept`` or ``stakes.<channel>`` override wins over both.
Overrides of instruments, levers, exposures, coefficients and China's budget are applied here,
so the model never sees the file schema.

The Council is the spec's composition (its members and population table); exposures, stance
and China's actions are those known by the spec's ``as_of`` date (a case's vote date): rows
and actions that became known later are left out, and listed (:func:`model.experiments.inputs`).
"""

from __future__ import annotations

import numpy as np

from ..abm.levers import LEVERS
from ..abm.scenario import Action, Scenario
from ..errors import InputError
from ..inputs import catalogue
from ..inputs.dating import period_end, round_months
from ..inputs.exposure import build_exposures, channel_names
from ..inputs.schedules import factors, schedule
from ..inputs.stance import alignment_rows, code_indicators, stance_scores
from ..inputs.tables import load_population
from ..treaty.rules import get_rule
from .parameters import parameter_set
from .spec import ExperimentSpec, complete_spec, spec_as_of, spec_composition

__all__ = ["resolve", "check_lever_registry", "action_known", "as_of_rule", "profile"]

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


def _budget_instruments(spec: ExperimentSpec) -> list[str]:
    """What China's strategy may spend on: the file's list, or its default toolbox."""
    return list(spec.china.instruments or [n for n, ins in catalogue.instruments().items()
                                           if ins.toolbox])


def _instruments(spec: ExperimentSpec) -> dict:
    """The instruments China may use (the file's list or its toolbox), with overrides
    applied, plus those of the actions already decided."""
    o = spec.overrides
    instruments = {}
    for name in _budget_instruments(spec):
        ins = catalogue.instruments()[name]
        for fld in _INSTRUMENT_FIELDS:
            key = f"instrument.{name}.{fld}"
            if key in o:
                ins = _with_field(ins, fld, o[key])
        instruments[name] = ins
    for action in spec.china.actions:
        if action.instrument not in instruments:
            instruments[action.instrument] = catalogue.instruments()[action.instrument]
    return instruments


def _lobbying(channels: list[str]) -> dict[str, tuple[float, int]]:
    """Channel -> (weight, lag) of the sector that lobbies on it (params/lobbying.toml)."""
    out = {}
    for name, lobby in catalogue.lobbying().items():
        for ch in lobby.channels:
            if ch not in channels:
                raise InputError(f"unknown channel '{ch}'", file="params/lobbying.toml",
                                 field=f"{name}.channels")
            if ch in out:
                raise InputError(f"channel '{ch}' lobbied by two sectors",
                                 file="params/lobbying.toml", field=f"{name}.channels")
            out[ch] = (lobby.weight.value, int(lobby.lag.value))
    return out


def action_known(date: str, as_of: str | None) -> bool | None:
    """Whether an action dated ``date`` (free text starting with YYYY[-MM[-DD]]) was known by
    ``as_of``: the end of its period must be on or before it. None if the text has no date
    (such an action is used, and flagged as undated)."""
    end = period_end(date)
    if end is None:
        return None
    return as_of is None or end <= as_of


def as_of_rule(spec: ExperimentSpec) -> str:
    """Why the run uses the knowledge of its as_of date."""
    if spec.as_of:
        return "set in the experiment"
    return "vote date" if spec.vote_date or spec.observed is not None else "latest data"


def profile(instrument, months: list[str] | None) -> tuple[float, ...] | None:
    """Per round, the multiplier of a scheduled instrument's effect in a run timed by its
    vote date (``months``: each round's month); None when either is missing."""
    if months is None or instrument.schedule is None:
        return None
    sch = instrument.schedule
    return factors(schedule(sch.name), months, sch.reference.value)


def resolve(spec: ExperimentSpec) -> Scenario:
    """Turn a validated spec into arrays and objects (applying overrides)."""
    spec = complete_spec(spec)
    measure = catalogue.measures()[spec.measure]
    rule = get_rule(spec.rule or measure.rule)
    comp = spec_composition(spec)
    members = list(comp.members)
    as_of = spec_as_of(spec)
    pop = load_population(spec.population)
    missing = [s for s in members if s not in pop.index]
    if missing:
        raise InputError(f"the agent-based model needs every member of the Council "
                         f"({comp.title}); no population for {', '.join(missing)}",
                         field="population")
    o = spec.overrides
    coef = catalogue.coefficients().values()
    coef.update({k: v for k, v in o.items() if k in coef})
    if not coef["cut_low"] < coef["cut_high"]:
        raise InputError("cut_low must be below cut_high", field="overrides.cut_low")
    table = build_exposures(population=pop.loc[members],
                            ref_pct_gdp=coef["exposure_ref_pct_gdp"],
                            ref_per_1000=coef["exposure_ref_per_1000"], as_of=as_of,
                            members=tuple(members))
    channels = channel_names()
    exposure = table.index.loc[members, channels].to_numpy(dtype=float).copy()
    for k, v in o.items():
        if k.startswith("exposure."):
            exposure[:, channels.index(k.split(".")[1])] *= v
    coded = code_indicators(members=members, as_of=as_of)
    stance = stance_scores({k: coef[k] for k in ("w_bri", "w_ceec", "w_opinion",
                                                 "w_china_index")}, coded)
    context_used, context_not_used = [], []
    for ctx in spec.context:
        if as_of is None or ctx.date <= as_of:
            stance.loc[ctx.iso2] += ctx.stance
            context_used.append(ctx.model_dump())
        else:
            context_not_used.append(ctx.model_dump())
    no_stance = set(coded.index[coded.isna().all(axis=1)]) - {c["iso2"] for c in context_used}
    neutral = [s for s in table.neutral_members() if s in no_stance]
    # calibrated intercept and stakes (params/behaviour.toml [measures]) replace the priors
    calibrated = catalogue.calibrated_measures().get(spec.measure, catalogue.MeasureCalibration())
    weights = {ch: s.value for ch, s in measure.stakes.items()}
    weights.update({ch: s.value for ch, s in calibrated.stakes.items()})
    for ch in weights:
        if ch not in channels:
            raise InputError(f"unknown channel '{ch}'", field=f"{spec.measure}.stakes")
    weights.update({k.split(".")[1]: v for k, v in o.items() if k.startswith("stakes.")})
    instruments = _instruments(spec)
    check_lever_registry()
    levers = {name: o.get(f"lever.{name}.strength", catalogue.levers()[name].strength.value)
              for name in spec.commission.options}
    lever_lags = {name: int(o.get(f"lever.{name}.lag", catalogue.levers()[name].lag.value))
                  for name in spec.commission.options}
    states = [s for s in members if s not in set(spec.absent)]
    if not states:
        raise InputError("every state is absent", field="absent")

    def exposed(instrument: str) -> tuple[str, ...]:
        ch = channels.index(instruments[instrument].channel)
        return tuple(s for i, s in enumerate(members) if s in states and exposure[i, ch] > 0)

    months = round_months(spec.vote_date, spec.rounds) if spec.vote_date else None
    actions, not_used = [], []
    for i, a in enumerate(spec.china.actions):
        if action_known(a.date, as_of) is False:
            not_used.append({"index": i, "instrument": a.instrument, "date": a.date,
                             "known_from": period_end(a.date), "source": a.source})
            continue
        actions.append(Action(a.instrument, exposed(a.instrument) if a.targets == "exposed"
                              else tuple(a.targets), a.round, a.intensity, a.date, a.source,
                              profile(instruments[a.instrument], months)))
    lobbying = _lobbying(channels) if spec.china.lobbying else {}
    sparams = {k: v.value for k, v in catalogue.strategy_params().get(spec.china.strategy,
                                                                       {}).items()}
    forces = {name: f.value for name, f in measure.forces.items()}
    intercept = o.get("intercept", (calibrated.intercept or measure.intercept).value)
    budget_instruments = _budget_instruments(spec)
    used = {a.instrument for a in actions}
    if o.get("china.budget", spec.china.budget) > 0 and spec.china.strategy != "none":
        used |= set(budget_instruments)
    uncertainty, fixed = parameter_set(spec, measure, coef, intercept, weights, instruments,
                                       forces, used)
    return Scenario(
        name=spec.name, measure=measure, rule=rule, rounds=spec.rounds, states=states,
        all_states=members, populations=pop.loc[members].to_numpy(dtype=np.int64),
        coef=coef, intercept=intercept,
        stakes_weights=weights, exposure=exposure, exposure_table=table, channels=channels,
        stance=stance.loc[members].to_numpy(dtype=float), instruments=instruments,
        budget_instruments=budget_instruments,
        strategy=spec.china.strategy, budget=o.get("china.budget", spec.china.budget),
        actions=actions, levers=levers, lever_lags=lever_lags, lobbying=lobbying,
        respond_below=spec.commission.respond_below,
        strategy_params=sparams, as_of=as_of, as_of_rule=as_of_rule(spec),
        composition=comp.name, composition_title=comp.title,
        population_table=str(spec.population), neutral_members=neutral,
        actions_not_used=not_used, alignment_rows=alignment_rows(members=members, as_of=as_of),
        context={"used": context_used, "not_used": context_not_used},
        forces=forces, uncertainty=uncertainty, fixed=fixed, vote_date=spec.vote_date,
        round_months=months,
    )

"""Experiment files: schema, validation and resolution into a runnable scenario.

An experiment file (experiments/*.toml, and the recorded-vote cases in params/votes/) names
the measure, China's strategy, budget and actions already in force, the Commission's options,
parameter overrides, rounds, replications and seed; a case file adds an ``[observed]`` table
(:class:`ObservedSpec`). Unknown keys or values are errors that name the file and the field.

A measure's intercept and stakes weights come from params/measures.toml (priors) unless the
behaviour file carries calibrated values for that measure (``[measures.<name>]``, written by
``eucoalition calibrate``); an ``intercept`` or ``stakes.<channel>`` override wins over both.

Override keys (``[overrides]``): a behavioural coefficient (``beta_stance``), ``intercept``,
``stakes.<channel>``, ``exposure.<channel>`` (a multiplier on that channel's exposure),
``instrument.<name>.<cost|effect|lag|credibility>``, ``lever.<name>.strength`` and
``china.budget``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import catalogue
from .data import EU27, POPULATION_TABLES, load_population, normalise_iso2, read_toml
from .errors import InputError
from .exposure import ExposureTable, build_exposures, channel_names
from .rules import RULES
from .stance import stance_scores
from .strategies import STRATEGIES

__all__ = ["ActionSpec", "ChinaSpec", "CommissionSpec", "ObservedSpec", "ExperimentSpec",
           "Scenario", "load_spec", "resolve", "apply_overrides"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionSpec(Strict):
    """An action China has already taken (or commits to) at a given round, outside the budget."""

    instrument: str
    targets: list[str] | Literal["exposed"] = "exposed"
    round: int = Field(0, ge=0)
    intensity: float = Field(1.0, ge=0)
    date: str = ""
    source: str = ""

    @field_validator("instrument")
    @classmethod
    def _known(cls, v: str) -> str:
        return catalogue.one_of(v, list(catalogue.instruments()), "instrument")

    @field_validator("targets")
    @classmethod
    def _codes(cls, v):
        if v == "exposed":
            return v
        return [normalise_iso2(c, field="targets") for c in v]


class ChinaSpec(Strict):
    strategy: str = "none"
    budget: float = Field(0.0, ge=0)
    instruments: list[str] | None = None
    actions: list[ActionSpec] = []

    @field_validator("strategy")
    @classmethod
    def _strategy(cls, v: str) -> str:
        return catalogue.one_of(v, list(STRATEGIES), "strategy")

    @field_validator("instruments")
    @classmethod
    def _instruments(cls, v):
        for name in v or []:
            catalogue.one_of(name, list(catalogue.instruments()), "instrument")
        return v


class CommissionSpec(Strict):
    options: list[str] = []
    respond_below: float = Field(1.0, ge=0, le=1)

    @field_validator("options")
    @classmethod
    def _options(cls, v):
        for name in v:
            catalogue.one_of(name, list(catalogue.levers()), "option")
        return v


class ObservedSpec(Strict):
    """A recorded vote (the ``[observed]`` table of a case file in params/votes/).

    ``positions`` maps every one of the 27 member states to for / against / abstain / absent;
    ``source`` says where the record comes from and ``date`` (YYYY-MM-DD) when the vote was held.
    """

    positions: dict[str, Literal["for", "against", "abstain", "absent"]]
    source: str = Field(min_length=1)
    date: str

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v):
        if isinstance(v, datetime.date):
            v = v.isoformat()
        try:
            datetime.date.fromisoformat(str(v))
        except ValueError:
            raise ValueError(f"'{v}' is not a date (expected YYYY-MM-DD)") from None
        return str(v)

    @field_validator("positions", mode="before")
    @classmethod
    def _codes(cls, v):
        if not isinstance(v, dict):
            return v
        out = {}
        for code, position in v.items():
            try:
                iso = normalise_iso2(code)
            except InputError:
                raise ValueError(f"unknown country code '{code}' "
                                 "(expected the EU27 ISO2 codes)") from None
            if iso in out:
                raise ValueError(f"{iso} is listed twice")
            out[iso] = position
        missing = [s for s in EU27 if s not in out]
        if missing:
            raise ValueError(f"no position for {', '.join(missing)} (list all 27 states; "
                             "'absent' for a state that did not take part)")
        return {s: out[s] for s in EU27}


class ExperimentSpec(Strict):
    name: str
    description: str = ""
    measure: str
    rule: str | None = None
    rounds: int = Field(12, ge=1, le=200)
    replications: int = Field(1000, ge=1)
    seed: int = Field(0, ge=0)
    population: str = "council2025"
    absent: list[str] = []
    china: ChinaSpec = ChinaSpec()
    commission: CommissionSpec = CommissionSpec()
    overrides: dict[str, float] = {}
    sweep: dict[str, Any] | None = None
    observed: ObservedSpec | None = None

    @field_validator("measure")
    @classmethod
    def _measure(cls, v: str) -> str:
        return catalogue.one_of(v, list(catalogue.measures()), "measure")

    @field_validator("rule")
    @classmethod
    def _rule(cls, v):
        return v if v is None else catalogue.one_of(v, RULES, "rule")

    @field_validator("absent")
    @classmethod
    def _absent(cls, v):
        return [normalise_iso2(c, field="absent") for c in v]


def load_spec(source: str | Path | dict, *, path_hint: object = None) -> ExperimentSpec:
    """Read and validate an experiment file (or an already-parsed dict)."""
    path = None if isinstance(source, dict) else Path(source)
    raw = source if isinstance(source, dict) else read_toml(path)
    try:
        spec = ExperimentSpec(**raw)
    except ValidationError as exc:
        raise catalogue.validation_error(exc, path or path_hint or "experiment") from None
    except InputError as exc:
        raise InputError(str(exc), file=path or path_hint) from None
    check_overrides(spec.overrides, path or path_hint)
    if path is not None and spec.population not in POPULATION_TABLES:
        table = Path(spec.population)
        if not table.is_absolute() and (path.parent / table).is_file():
            # a user population table named relative to the experiment file
            spec = spec.model_copy(update={"population": str((path.parent / table).resolve())})
    return spec


def spec_and_path(source) -> tuple[ExperimentSpec, Path | None]:
    """A validated spec from an ExperimentSpec, a dict or a file, and the file's path if any."""
    if isinstance(source, ExperimentSpec):
        return source, None
    return load_spec(source), (None if isinstance(source, dict) else Path(source))


_INSTRUMENT_FIELDS = ("cost", "effect", "lag", "credibility")


def check_overrides(overrides: dict[str, float], path: object = None) -> None:
    """Raise InputError for an unknown override key or an out-of-range value."""
    coef = catalogue.Coefficients.model_fields
    for key, value in overrides.items():
        parts = key.split(".")
        ok = (
            (len(parts) == 1 and (key in coef or key == "intercept"))
            or (len(parts) == 2 and parts[0] in ("stakes", "exposure") and parts[1] in channel_names())
            or (len(parts) == 2 and key == "china.budget")
            or (len(parts) == 3 and parts[0] == "instrument" and parts[1] in catalogue.instruments()
                and parts[2] in _INSTRUMENT_FIELDS)
            or (len(parts) == 3 and parts[0] == "lever" and parts[1] in catalogue.levers()
                and parts[2] == "strength")
        )
        if not ok:
            raise InputError("unknown override key", file=path, field=f"overrides.{key}")
        if not np.isfinite(value):
            raise InputError(f"value {value} is not finite", file=path, field=f"overrides.{key}")
        if (parts[-1] in ("credibility", "strength")) and not 0 <= value <= 1:
            raise InputError(f"probability {value} outside [0, 1]", file=path, field=f"overrides.{key}")
        if key.startswith("exposure_ref") and value <= 0:
            raise InputError(f"value {value} must be positive", file=path, field=f"overrides.{key}")
        if key in ("china.budget", "shock_sd") and value < 0:
            raise InputError(f"negative value {value}", file=path, field=f"overrides.{key}")


def apply_overrides(spec: ExperimentSpec, overrides: dict[str, float]) -> ExperimentSpec:
    """A copy of ``spec`` with more overrides (later keys win); validated."""
    merged = dict(spec.overrides)
    merged.update(overrides)
    check_overrides(merged)
    return spec.model_copy(update={"overrides": merged})


@dataclass
class Scenario:
    """Everything one model run needs, resolved from a spec and params/."""

    spec: ExperimentSpec
    measure: catalogue.Measure
    rule: str
    states: list[str]                  # participating, EU27 order
    all_states: list[str]
    populations: np.ndarray            # int64 over all_states
    coef: dict[str, float]
    intercept: float
    stakes_weights: dict[str, float]
    exposure: np.ndarray               # all_states x channels, after exposure.* multipliers
    exposure_table: ExposureTable
    channels: list[str]
    stance: np.ndarray                 # all_states
    instruments: dict[str, Any]        # name -> catalogue.Instrument (overrides applied)
    levers: dict[str, float]           # active option -> strength
    budget: float
    strategy_params: dict[str, float] = field(default_factory=dict)

    def stakes(self, exposure: np.ndarray | None = None, scale_negative: float = 1.0,
               scale_all: float = 1.0) -> np.ndarray:
        """Measure stakes per state: sum of channel weights x exposure."""
        exposure = self.exposure if exposure is None else exposure
        out = np.zeros(exposure.shape[0])
        for ch, w in self.stakes_weights.items():
            w = w * scale_all * (scale_negative if w < 0 else 1.0)
            out += w * exposure[:, self.channels.index(ch)]
        return out


def _with_field(model, name: str, value: float):
    current = getattr(model, name)
    return model.model_copy(update={name: current.model_copy(update={"value": value,
                                                                     "source": "scenario override",
                                                                     "confidence": "assumption"})})


def resolve(spec: ExperimentSpec) -> Scenario:
    """Turn a validated spec into arrays and objects (applying overrides)."""
    measure = catalogue.measures()[spec.measure]
    rule = spec.rule or measure.rule
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
            ins = catalogue.instruments()[action.instrument]
            instruments[action.instrument] = ins
    levers = {name: o.get(f"lever.{name}.strength", catalogue.levers()[name].strength.value)
              for name in spec.commission.options}
    states = [s for s in EU27 if s not in set(spec.absent)]
    if not states:
        raise InputError("every state is absent", field="absent")
    sparams = {k: v.value for k, v in catalogue.strategy_params().get(spec.china.strategy, {}).items()}
    return Scenario(
        spec=spec, measure=measure, rule=rule, states=states, all_states=list(EU27),
        populations=pop.loc[list(EU27)].to_numpy(dtype=np.int64), coef=coef,
        intercept=o.get("intercept", (calibrated.intercept or measure.intercept).value),
        stakes_weights=weights,
        exposure=exposure, exposure_table=table, channels=channels,
        stance=stance.loc[list(EU27)].to_numpy(dtype=float), instruments=instruments,
        levers=levers, budget=o.get("china.budget", spec.china.budget), strategy_params=sparams,
    )


def spec_table(spec: ExperimentSpec) -> pd.DataFrame:
    """The spec flattened to (key, value) rows, for manifests and briefings."""
    flat = spec.model_dump(exclude_none=True)
    rows = []

    def walk(prefix, obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(f"{prefix}.{k}" if prefix else k, v)
        else:
            rows.append((prefix, obj))

    walk("", flat)
    return pd.DataFrame(rows, columns=["key", "value"])

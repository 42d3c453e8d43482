"""Typed, validated registries of the TOML parameter files.

measures.toml, instruments.toml, eu_levers.toml, lobbying.toml, strategies.toml and
behaviour.toml are read
here into pydantic models (with :mod:`model.inputs.tables`, the only readers of params/).
Every number is a :class:`Sourced` value (value, source, confidence), so provenance travels with
it into manifests. Unknown keys are errors.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import InputError
from ..treaty.rules import RULE_NAMES
from . import tables
from .schedules import load_schedules

__all__ = ["FORCES", "PRIOR_GROUPS", "prior_sds", "posterior", "transform_of", "Sourced",
           "Measure", "Instrument", "InstrumentSchedule", "Lever", "Lobby", "Coefficients",
           "MeasureCalibration", "measures", "instruments", "levers", "lobbying",
           "strategy_params", "coefficients", "calibrated_measures", "validation_error"]

CONFIDENCE = (*tables.CONFIDENCE_LEVELS, "assumption", "calibrated")
#: How China's instruments and the coercion of others move a state, per measure (multipliers of
#: the global coefficients; see docs/ODD.md 7.4): ``pressure`` - sticks and carrots aimed at the
#: state lower its support (fear, inducement); ``grievance`` - sticks aimed at it raise its
#: support for a measure that answers coercion; ``backlash`` - visible coercion of other members
#: raises it.
FORCES = ("pressure", "grievance", "backlash")
#: Groups of parameters with a prior sd (the ``[prior_sd]`` table of behaviour_priors.toml).
PRIOR_GROUPS = ("intercept", "stakes", "cut_gap", "instrument_effect", "beta_stance",
                "beta_stakes", "beta_pressure", "beta_peer", "beta_backlash", "beta_grievance",
                "shock_sd")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def one_of(value, choices, what: str):
    """``value`` if it is among ``choices``, else a ValueError naming the valid ones (the
    message pydantic validators turn into the one-line error the user sees)."""
    if value not in choices:
        raise ValueError(f"unknown {what} '{value}' (expected one of {', '.join(choices)})")
    return value


def in_unit_interval(v: Sourced, what: str) -> Sourced:
    """``v`` if its value is a probability or a share, else a ValueError."""
    if not 0.0 <= v.value <= 1.0:
        raise ValueError(f"{what} {v.value} outside [0, 1]")
    return v


def whole_rounds(v: Sourced, what: str = "lag") -> Sourced:
    """``v`` if its value is a whole number of rounds >= 0, else a ValueError."""
    if v.value < 0 or v.value != int(v.value):
        raise ValueError(f"{what} {v.value} is not a whole number of rounds >= 0")
    return v


class Sourced(Strict):
    """A number with its source and confidence; ``direction`` is its documented sign ("+" or
    "-"), which calibration keeps, and ``scale`` says whether a prior sd is on the value
    itself or on its logarithm."""

    value: float
    source: str = Field(min_length=1)
    confidence: str
    note: str = ""
    direction: Literal["+", "-"] | None = None
    scale: Literal["linear", "log"] = "linear"

    @field_validator("direction")
    @classmethod
    def _signed(cls, v, info):
        value = info.data.get("value")
        if v is not None and value is not None and value != 0 and (value > 0) != (v == "+"):
            raise ValueError(f"value {value} contradicts its documented direction '{v}'")
        return v

    @field_validator("confidence")
    @classmethod
    def _known(cls, v: str) -> str:
        return one_of(v, CONFIDENCE, "confidence")


class Measure(Strict):
    """A measure put to the vote: its rule, stakes by exposure channel and who gains or loses."""

    name: str
    title: str
    doc: str
    rule: str
    trade_defence: bool
    sectors: list[str]
    gains: str
    loses: str
    source: str
    intercept: Sourced
    stakes: dict[str, Sourced]
    forces: dict[str, Sourced]

    @field_validator("rule")
    @classmethod
    def _rule(cls, v: str) -> str:
        return one_of(v, RULE_NAMES, "rule")

    @field_validator("stakes")
    @classmethod
    def _directed(cls, v: dict) -> dict:
        for ch, w in v.items():
            if w.direction is None:
                raise ValueError(f"stakes.{ch} needs its documented direction ('+' or '-')")
        return v

    @field_validator("forces")
    @classmethod
    def _forces(cls, v: dict) -> dict:
        missing = [f for f in FORCES if f not in v]
        if missing:
            raise ValueError(f"forces needs {', '.join(missing)} (see docs/ODD.md 7.4)")
        for name, f in v.items():
            one_of(name, FORCES, "force")
            if f.value < 0:
                raise ValueError(f"forces.{name} is a non-negative multiplier, not {f.value}")
        return v


class InstrumentSchedule(Strict):
    """How an instrument's effect varies by month (params/schedules.csv, read by
    :mod:`model.inputs.schedules`): the schedule's ``name`` and the ``reference`` intensity at
    which the stated effect applies (a month at intensity x gets x / reference of it). Used
    only by a run with a vote date, and only for the experiment's dated actions (a use China's
    strategy chooses keeps the stated effect); without one the stated effect applies every
    round."""

    name: str
    reference: Sourced

    @field_validator("name")
    @classmethod
    def _known(cls, v: str) -> str:
        return one_of(v, list(load_schedules()), "schedule")

    @field_validator("reference")
    @classmethod
    def _positive_share(cls, v: Sourced) -> Sourced:
        if not 0.0 < v.value <= 1.0:
            raise ValueError(f"reference {v.value} outside (0, 1]")
        return v


class Instrument(Strict):
    """One of China's instruments: a stick or a carrot reaching states through one channel.

    ``schedule`` scales its effect by month when the run has a vote date."""

    name: str
    kind: Literal["stick", "carrot"]
    channel: str
    doc: str
    source: str
    cost: Sourced
    effect: Sourced
    lag: Sourced
    credibility: Sourced
    evidence: dict[str, Sourced] = {}
    #: In China's default toolbox (what a strategy may spend on when an experiment lists no
    #: instruments). False for dated acts an experiment includes as actions (a summit, a
    #: countersanction, the October 2025 regulations) and for instruments added after the
    #: shipped results, which an experiment names in ``china.instruments`` to use.
    toolbox: bool = True
    schedule: InstrumentSchedule | None = None

    @field_validator("credibility")
    @classmethod
    def _probability(cls, v: Sourced) -> Sourced:
        return in_unit_interval(v, "credibility")


class Lever(Strict):
    """The parameters of an EU-side lever (params/eu_levers.toml); what the lever does is its
    class in :mod:`model.abm.levers`."""

    name: str
    strength: Sourced
    #: Rounds between the Commission's decision and the lever's effect (a round stands for
    #: about a month, docs/ODD.md 2); a lever whose effect lands after the vote does nothing in
    #: the run and the run says so.
    lag: Sourced
    #: Where the lever comes from: the policy paper's section, a regulation, or "modelling
    #: proposal" (briefings and docs/paper.md quote it).
    origin: str = Field(min_length=1)

    @field_validator("strength")
    @classmethod
    def _fraction(cls, v: Sourced) -> Sourced:
        return in_unit_interval(v, "strength")

    @field_validator("lag")
    @classmethod
    def _rounds(cls, v: Sourced) -> Sourced:
        return whole_rounds(v)


class Lobby(Strict):
    """A business sector that lobbies its government when China courts or threatens it
    (params/lobbying.toml): the channels it feels, who lobbies, and how much of its stake
    reaches the government (``weight``) after how many rounds (``lag``)."""

    name: str
    channels: list[str] = Field(min_length=1)
    associations: str = Field(min_length=1)
    doc: str
    source: str = Field(min_length=1)
    weight: Sourced
    lag: Sourced

    @field_validator("weight")
    @classmethod
    def _share(cls, v: Sourced) -> Sourced:
        return in_unit_interval(v, "weight")

    @field_validator("lag")
    @classmethod
    def _rounds(cls, v: Sourced) -> Sourced:
        return whole_rounds(v)


class Coefficients(Strict):
    """Behavioural coefficients of the vote-choice model (see model/behaviour.py)."""

    beta_stance: Sourced
    beta_stakes: Sourced
    beta_pressure: Sourced
    beta_peer: Sourced
    beta_backlash: Sourced
    beta_grievance: Sourced
    cut_low: Sourced
    cut_high: Sourced
    shock_sd: Sourced
    w_bri: Sourced
    w_ceec: Sourced
    w_opinion: Sourced
    w_china_index: Sourced
    exposure_ref_pct_gdp: Sourced
    exposure_ref_per_1000: Sourced

    def values(self) -> dict[str, float]:
        return {k: getattr(self, k).value for k in type(self).model_fields}


class MeasureCalibration(Strict):
    """Calibrated intercept and stakes weights of one measure (behaviour.toml ``[measures]``)."""

    intercept: Sourced | None = None
    stakes: dict[str, Sourced] = {}


def validation_error(exc: ValidationError, path: object, prefix: str = "") -> InputError:
    """Turn the first pydantic error into a one-line InputError naming file and field."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    field = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    return InputError(message, file=path, field=field or None)


def _registry(path: Path, model: type[Strict]) -> dict[str, Strict]:
    raw = tables.read_toml(path)
    out = {}
    for name, body in raw.items():
        if not isinstance(body, dict):
            raise InputError("expected a table", file=path, field=name)
        try:
            out[name] = model(name=name, **body)
        except ValidationError as exc:
            raise validation_error(exc, path, name) from None
    return out


@lru_cache(maxsize=16)
def _cached(kind: str, path: Path):
    if kind == "measures":
        return _registry(path, Measure)
    if kind == "instruments":
        return _registry(path, Instrument)
    if kind == "levers":
        return _registry(path, Lever)
    if kind == "lobbying":
        return _registry(path, Lobby)
    if kind == "strategies":
        raw = tables.read_toml(path)
        try:
            return {name: {k: Sourced(**v) for k, v in body.items()} for name, body in raw.items()}
        except (ValidationError, TypeError, AttributeError) as exc:
            if isinstance(exc, ValidationError):
                raise validation_error(exc, path) from None
            raise InputError("expected tables of sourced values", file=path) from None
    raw = tables.read_toml(path)
    if kind == "calibrated":
        return _calibrated(raw.get("measures", {}), path)
    coef = dict(raw.get("coefficients", {})) if isinstance(raw.get("coefficients"), dict) else {}
    priors = tables.PARAMS_DIR / "behaviour_priors.toml"
    if "beta_grievance" not in coef and path != priors and priors.is_file():
        # a behaviour file written before the grievance force existed takes its prior
        prior = tables.read_toml(priors).get("coefficients", {})
        if "beta_grievance" in prior:
            coef["beta_grievance"] = prior["beta_grievance"]
    try:
        return Coefficients(**coef)
    except ValidationError as exc:
        raise validation_error(exc, path, "coefficients") from None


def _calibrated(raw: object, path: Path) -> dict[str, MeasureCalibration]:
    if not isinstance(raw, dict):
        raise InputError("expected a table", file=path, field="measures")
    known = measures()
    out = {}
    for name, body in raw.items():
        if name not in known:
            raise InputError(f"unknown measure '{name}'", file=path, field=f"measures.{name}")
        if not isinstance(body, dict):
            raise InputError("expected a table", file=path, field=f"measures.{name}")
        try:
            entry = MeasureCalibration(**body)
        except ValidationError as exc:
            raise validation_error(exc, path, f"measures.{name}") from None
        for ch in entry.stakes:
            if ch not in known[name].stakes:
                raise InputError(f"'{ch}' is not a stakes channel of {name}", file=path,
                                 field=f"measures.{name}.stakes.{ch}")
        out[name] = entry
    return out


def measures(path: Path | None = None) -> dict[str, Measure]:
    """All measures by name (params/measures.toml)."""
    return _cached("measures", Path(path) if path else tables.PARAMS_DIR / "measures.toml")


def instruments(path: Path | None = None) -> dict[str, Instrument]:
    """All China instruments by name (params/instruments.toml)."""
    return _cached("instruments", Path(path) if path else tables.PARAMS_DIR / "instruments.toml")


def levers(path: Path | None = None) -> dict[str, Lever]:
    """All EU-side levers by name (params/eu_levers.toml)."""
    return _cached("levers", Path(path) if path else tables.PARAMS_DIR / "eu_levers.toml")


def lobbying(path: Path | None = None) -> dict[str, Lobby]:
    """Sectors that lobby their governments, by name (params/lobbying.toml)."""
    return _cached("lobbying", Path(path) if path else tables.PARAMS_DIR / "lobbying.toml")


def strategy_params(path: Path | None = None) -> dict[str, dict[str, Sourced]]:
    """Parameters of China's strategies by strategy name (params/strategies.toml)."""
    return _cached("strategies", Path(path) if path else tables.PARAMS_DIR / "strategies.toml")


def coefficients(path: Path | None = None) -> Coefficients:
    """Behavioural coefficients (params/behaviour.toml, or a calibrated copy)."""
    return _cached("coefficients", Path(path) if path else tables.PARAMS_DIR / "behaviour.toml")


def calibrated_measures(path: Path | None = None) -> dict[str, MeasureCalibration]:
    """Calibrated measure intercepts and stakes weights by measure name (the ``[measures]``
    table of params/behaviour.toml; empty when nothing has been calibrated)."""
    return _cached("calibrated", Path(path) if path else tables.PARAMS_DIR / "behaviour.toml")


def transform_of(value: Sourced) -> str:
    """The scale a parameter is fitted and drawn on: the log of its magnitude when it has a
    documented direction (its sign is kept), else the value itself."""
    if value.direction == "+":
        return "log"
    if value.direction == "-":
        return "neglog"
    return "identity"


@lru_cache(maxsize=8)
def _prior_sds(path: Path) -> dict[str, Sourced]:
    raw = tables.read_toml(path).get("prior_sd")
    if not isinstance(raw, dict):
        raise InputError("no [prior_sd] table", file=path, field="prior_sd")
    out = {}
    for name, body in raw.items():
        if name not in PRIOR_GROUPS:
            raise InputError(f"unknown coefficient (expected one of {', '.join(PRIOR_GROUPS)})",
                             file=path, field=f"prior_sd.{name}")
        try:
            value = Sourced(**body) if isinstance(body, dict) else None
        except ValidationError:
            value = None
        if value is None or not value.value > 0 or value.value == float("inf"):
            raise InputError("expected {value > 0, source, confidence}", file=path,
                             field=f"prior_sd.{name}")
        out[name] = value
    return out


def prior_sds(path: Path | None = None) -> dict[str, Sourced]:
    """Prior sds by group (``[prior_sd]`` of params/behaviour_priors.toml); ``scale`` says
    whether the sd is on the value or on its log."""
    return _prior_sds(Path(path) if path else tables.PARAMS_DIR / "behaviour_priors.toml")


@lru_cache(maxsize=8)
def _posterior(path: Path) -> dict | None:
    raw = tables.read_toml(path).get("posterior")
    if raw is None:
        return None
    try:
        names = [str(x) for x in raw["names"]]
        transforms = [str(x) for x in raw["transforms"]]
        mean = [float(x) for x in raw["mean"]]
        cov = [[float(x) for x in row] for row in raw["cov"]]
    except (KeyError, TypeError, ValueError):
        raise InputError("expected names, transforms, mean and cov", file=path,
                         field="posterior") from None
    k = len(names)
    if len(transforms) != k or len(mean) != k or len(cov) != k or any(len(r) != k for r in cov):
        raise InputError("names, transforms, mean and cov disagree in length", file=path,
                         field="posterior")
    return {"names": names, "transforms": transforms, "mean": mean, "cov": cov}


def posterior(path: Path | None = None) -> dict | None:
    """The calibration's posterior (``[posterior]`` of a behaviour file: a normal
    approximation in the fitted scales), or None when the file has none."""
    return _posterior(Path(path) if path else tables.PARAMS_DIR / "behaviour.toml")

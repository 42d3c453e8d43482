"""Typed, validated registries of the TOML parameter files.

measures.toml, instruments.toml, eu_levers.toml, strategies.toml and behaviour.toml are read
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

__all__ = ["Sourced", "Measure", "Instrument", "Lever", "Coefficients", "MeasureCalibration",
           "measures", "instruments", "levers", "strategy_params", "coefficients",
           "calibrated_measures", "validation_error"]

CONFIDENCE = (*tables.CONFIDENCE_LEVELS, "assumption", "calibrated")


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


class Sourced(Strict):
    """A number with its source and confidence."""

    value: float
    source: str = Field(min_length=1)
    confidence: str
    note: str = ""

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

    @field_validator("rule")
    @classmethod
    def _rule(cls, v: str) -> str:
        return one_of(v, RULE_NAMES, "rule")


class Instrument(Strict):
    """One of China's instruments: a stick or a carrot reaching states through one channel."""

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

    @field_validator("credibility")
    @classmethod
    def _probability(cls, v: Sourced) -> Sourced:
        return in_unit_interval(v, "credibility")


class Lever(Strict):
    """The parameters of an EU-side lever (params/eu_levers.toml); what the lever does is its
    class in :mod:`model.abm.levers`."""

    name: str
    strength: Sourced

    @field_validator("strength")
    @classmethod
    def _fraction(cls, v: Sourced) -> Sourced:
        return in_unit_interval(v, "strength")


class Coefficients(Strict):
    """Behavioural coefficients of the vote-choice model (see model/behaviour.py)."""

    beta_stance: Sourced
    beta_stakes: Sourced
    beta_pressure: Sourced
    beta_peer: Sourced
    beta_backlash: Sourced
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
    try:
        return Coefficients(**raw.get("coefficients", {}))
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

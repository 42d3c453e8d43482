"""Experiment files: their schema and validation (resolution into a Scenario is
:mod:`model.experiments.resolve`).

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
import math
import re
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..abm.levers import LEVERS
from ..abm.strategies import STRATEGIES
from ..errors import InputError
from ..inputs import catalogue
from ..inputs.exposure import channel_names
from ..inputs.tables import EU27, POPULATION_TABLES, normalise_iso2, read_toml
from ..treaty.rules import RULE_NAMES

__all__ = ["ActionSpec", "ChinaSpec", "CommissionSpec", "ObservedSpec", "ExperimentSpec",
           "load_spec", "spec_and_path", "apply_overrides", "check_overrides", "spec_table",
           "NAME_PATTERN"]

#: What an experiment name may look like: it names a folder under results/.
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ActionSpec(Strict):
    """An action China has already taken (or commits to) at a given round, outside the budget."""

    instrument: str
    targets: list[str] | Literal["exposed"] = "exposed"
    round: int = Field(0, ge=0, strict=True)
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
            catalogue.one_of(name, list(LEVERS), "option")
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
    name: str = Field(pattern=f"^{NAME_PATTERN}$")
    description: str = ""
    measure: str
    rule: str | None = None
    rounds: int = Field(12, ge=1, le=200, strict=True)
    replications: int = Field(1000, ge=1, strict=True)
    seed: int = Field(0, ge=0, strict=True)
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

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v):
        if isinstance(v, str) and not re.fullmatch(NAME_PATTERN, v):
            raise ValueError(f"'{v}' cannot name a results folder (use letters, digits, '_', "
                             "'-' and '.', starting with a letter or digit)")
        return v

    @field_validator("rule")
    @classmethod
    def _rule(cls, v):
        return v if v is None else catalogue.one_of(v, RULE_NAMES, "rule")

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
            or (len(parts) == 2 and parts[0] in ("stakes", "exposure")
                and parts[1] in channel_names())
            or (len(parts) == 2 and key == "china.budget")
            or (len(parts) == 3 and parts[0] == "instrument" and parts[1] in catalogue.instruments()
                and parts[2] in _INSTRUMENT_FIELDS)
            or (len(parts) == 3 and parts[0] == "lever" and parts[1] in LEVERS
                and parts[2] == "strength")
        )
        if not ok:
            raise InputError("unknown override key", file=path, field=f"overrides.{key}")
        if not math.isfinite(value):
            raise InputError(f"value {value} is not finite", file=path, field=f"overrides.{key}")
        if (parts[-1] in ("credibility", "strength")) and not 0 <= value <= 1:
            raise InputError(f"probability {value} outside [0, 1]", file=path,
                             field=f"overrides.{key}")
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

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
``instrument.<name>.<cost|effect|lag|credibility>``, ``lever.<name>.<strength|lag>`` and
``china.budget``.

Dates and the Council (both optional, so older files keep working): ``as_of`` (YYYY-MM-DD)
is the day whose knowledge a run uses - only inputs known by then count (a case defaults to
its vote date, an experiment to the latest data); ``composition`` names the Council
(``"eu28"``, a date, or a table of members and populations; default: the Council on the
``as_of`` or vote date, today's EU27 without either). ``vote_date`` (YYYY-MM-DD) times the
vote: the last round is its month and each earlier round a month before (the model's rounds
stand for months), so an instrument with a monthly schedule (params/schedules.csv) bites as
hard as it did in each month; it is also the default ``as_of``. Without it (and in recorded
cases, whose ``[observed]`` date only dates their knowledge) every round gets an instrument's
stated effect. ``population`` defaults to the
composition's table. ``[[context]]`` entries are sourced stance changes of single governments
(:class:`ContextSpec`), applied from their date on. ``fixed_parameters = true`` (or
``--fixed-parameters``) keeps every coefficient at its estimate instead of drawing it per block
of replications (:mod:`model.abm.uncertainty`). ``[[stages]]`` chains later decisions onto the
first (:class:`StageSpec`, :mod:`model.experiments.stages`).
"""

from __future__ import annotations

import datetime
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..abm.levers import LEVERS
from ..abm.strategies import STRATEGIES
from ..errors import InputError
from ..inputs import catalogue
from ..inputs.council import Composition, composition
from ..inputs.exposure import channel_names
from ..inputs.tables import POPULATION_TABLES, normalise_iso2, read_toml
from ..treaty.rules import RULE_NAMES, get_rule

__all__ = ["ActionSpec", "ContextSpec", "StageSpec", "ChinaSpec", "CommissionSpec", "ObservedSpec",
           "ExperimentSpec", "load_spec", "spec_and_path", "apply_overrides", "check_overrides",
           "spec_table", "complete_spec", "spec_composition", "spec_as_of", "NAME_PATTERN",
           "OUTCOME_EXTRA"]

#: What an experiment name may look like: it names a folder under results/.
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}"


def _known_measure(v: str) -> str:
    return catalogue.one_of(v, list(catalogue.measures()), "measure")


def _known_rule(v: str) -> str:
    return catalogue.one_of(v, RULE_NAMES, "rule")


#: A measure or voting rule named in a file: one of the catalogue's (an experiment or a stage).
MeasureName = Annotated[str, AfterValidator(_known_measure)]
RuleName = Annotated[str, AfterValidator(_known_rule)]

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


class ContextSpec(Strict):
    """A sourced change in a government's stance that the alignment indicators do not hold
    (a new coalition's programme, a reversal between two votes): ``stance`` is added to the
    state's stance score from ``date`` on. The direction comes from the source; the size is a
    modelling assumption (say so in ``note``)."""

    iso2: str
    stance: float
    date: str
    source: str = Field(min_length=1)
    note: str = ""

    @field_validator("iso2")
    @classmethod
    def _code(cls, v):
        return normalise_iso2(v, field="iso2")

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v):
        return _iso_date(v)


class ChinaSpec(Strict):
    strategy: str = "none"
    budget: float = Field(0.0, ge=0)
    instruments: list[str] | None = None
    actions: list[ActionSpec] = []
    #: Business lobbying (params/lobbying.toml): China's sticks and carrots on a sector's
    #: channels reach the government again through the sector's firms. Off by default (None,
    #: so files that do not mention it write the same parameters.csv as before it existed).
    lobbying: bool | None = None

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


def _iso_date(v):
    if isinstance(v, datetime.date):
        v = v.isoformat()
    try:
        datetime.date.fromisoformat(str(v))
    except ValueError:
        raise ValueError(f"'{v}' is not a date (expected YYYY-MM-DD)") from None
    return str(v)


#: Outcome words a case may record besides its rule's own: whether the measure was adopted in
#: the end (e.g. "the Commission adopted the duties" when the committee's opinion is unknown).
OUTCOME_EXTRA = ("adopted_in_the_end", "not_adopted_in_the_end")

_Choice = Literal["for", "against", "abstain"]


class ObservedSpec(Strict):
    """What was recorded of a real decision (the ``[observed]`` table of a case file).

    A record may be partial; the likelihood uses exactly what it holds
    (:mod:`model.validation.likelihood`):

    * ``positions`` - some or all members: for / against / abstain / absent;
    * ``totals`` - counts of for / against / abstain (any of them) among the states that voted;
    * ``shares`` - one position's share of the voting population as a band in percent, e.g.
      ``{for = [46.0, 50.0]}`` for a reported "about 48%";
    * ``outcome`` - a word of the rule's outcomes or ``adopted_in_the_end`` /
      ``not_adopted_in_the_end``.

    ``source`` says where the record comes from, ``date`` (YYYY-MM-DD) when the decision was
    taken and ``note`` what was left out and why (conflicting sources, derived figures).
    """

    positions: dict[str, Literal["for", "against", "abstain", "absent"]] = {}
    totals: dict[_Choice, int] = {}
    shares: dict[_Choice, list[float]] = {}
    outcome: str | None = None
    source: str = Field(min_length=1)
    date: str
    note: str = ""

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v):
        return _iso_date(v)

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
                raise ValueError(f"unknown country code '{code}' (expected ISO2 codes such as "
                                 "DE, GR/EL or GB/UK)") from None
            if iso in out:
                raise ValueError(f"{iso} is listed twice")
            out[iso] = position
        return out

    @field_validator("totals")
    @classmethod
    def _counts(cls, v):
        for word, n in v.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ValueError(f"the count of '{word}' must be a whole number >= 0")
        return v

    @field_validator("shares")
    @classmethod
    def _band(cls, v):
        if len(v) > 1:
            raise ValueError("give one position's population share (the likelihood scores one "
                             "band exactly; keep the others in the note)")
        for word, band in v.items():
            if (len(band) != 2 or not all(math.isfinite(x) for x in band)
                    or not 0 <= band[0] <= band[1] <= 100):
                raise ValueError(f"the share of '{word}' must be [low, high] in percent, "
                                 "0 <= low <= high <= 100")
        return v

    @model_validator(mode="after")
    def _something(self):
        if not (any(p != "absent" for p in self.positions.values()) or self.totals
                or self.shares or self.outcome):
            raise ValueError("nothing observed: give positions, totals, shares or an outcome")
        return self


class StageSpec(Strict):
    """A later decision in a chain (``[[stages]]``): its measure and rule, how many rounds
    pass before it, what China does in between (its retaliation, in force from the stage's
    start), the Commission's amendment (overrides, e.g. ``intercept``) and what it needs from
    the stage before: ``adopted`` (default: the earlier decision adopted in the end), an
    outcome word of the earlier rule (``no_opinion``) or ``appeal_committee`` (no opinion with a
    simple majority against, Reg. (EU) 182/2011 Art. 5(5))."""

    name: str = Field(pattern=f"^{NAME_PATTERN}$")
    measure: MeasureName
    rule: RuleName | None = None
    rounds: int | None = Field(None, ge=1, le=200, strict=True)
    requires: str = "adopted"
    china: ChinaSpec | None = None
    overrides: dict[str, float] = {}
    #: The day whose knowledge the stage uses (default: the experiment's): a later decision
    #: knows what happened after the first, e.g. China's retaliation and the exposures it
    #: created.
    as_of: str | None = None

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of(cls, v):
        return None if v is None else _iso_date(v)


class ExperimentSpec(Strict):
    name: str = Field(pattern=f"^{NAME_PATTERN}$")
    description: str = ""
    measure: MeasureName
    rule: RuleName | None = None
    rounds: int = Field(12, ge=1, le=200, strict=True)
    replications: int = Field(1000, ge=1, strict=True)
    seed: int = Field(0, ge=0, strict=True)
    fixed_parameters: bool = False
    as_of: str | None = None
    vote_date: str | None = None
    composition: str | None = None
    population: str | None = None
    absent: list[str] = []
    china: ChinaSpec = ChinaSpec()
    commission: CommissionSpec = CommissionSpec()
    context: list[ContextSpec] = []
    overrides: dict[str, float] = {}
    sweep: dict[str, Any] | None = None
    stages: list[StageSpec] = []
    observed: ObservedSpec | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v):
        if isinstance(v, str) and not re.fullmatch(NAME_PATTERN, v):
            raise ValueError(f"'{v}' cannot name a results folder (use letters, digits, '_', "
                             "'-' and '.', starting with a letter or digit)")
        return v

    @field_validator("as_of", "vote_date", mode="before")
    @classmethod
    def _as_of(cls, v):
        return None if v is None else _iso_date(v)

    @field_validator("composition", mode="before")
    @classmethod
    def _composition(cls, v):
        return v.isoformat() if isinstance(v, datetime.date) else v

    @model_validator(mode="after")
    def _timed_chain(self):
        if self.vote_date and self.stages:
            raise ValueError("vote_date times one vote; a chain's later stages have no months "
                             "yet (leave out vote_date or [[stages]])")
        return self

    @field_validator("absent")
    @classmethod
    def _absent(cls, v):
        return [normalise_iso2(c, field="absent") for c in v]


def _relative_tables(raw: dict, path: Path) -> dict:
    """Population and composition tables named relative to the experiment file."""
    raw = dict(raw)
    for key in ("population", "composition"):
        value = raw.get(key)
        if not isinstance(value, str) or value in POPULATION_TABLES:
            continue
        table = Path(value)
        if not table.is_absolute() and (path.parent / table).is_file():
            raw[key] = str((path.parent / table).resolve())
    return raw


def load_spec(source: str | Path | dict, *, path_hint: object = None) -> ExperimentSpec:
    """Read and validate an experiment file (or an already-parsed dict)."""
    path = None if isinstance(source, dict) else Path(source)
    raw = source if isinstance(source, dict) else read_toml(path)
    if path is not None:
        raw = _relative_tables(raw, path)
    try:
        spec = ExperimentSpec(**raw)
    except ValidationError as exc:
        raise catalogue.validation_error(exc, path or path_hint or "experiment") from None
    except InputError as exc:
        raise InputError(str(exc), file=path or path_hint) from None
    check_overrides(spec.overrides, path or path_hint)
    for i, stage in enumerate(spec.stages):
        check_overrides(stage.overrides, path or path_hint)
        previous = spec if i == 0 else spec.stages[i - 1]
        words = get_rule(previous.rule or catalogue.measures()[previous.measure].rule).outcomes
        if stage.requires not in ("adopted", "appeal_committee", *words):
            raise InputError(f"unknown requirement '{stage.requires}' (expected adopted, "
                             f"appeal_committee or one of {', '.join(words)})",
                             file=path or path_hint, field=f"stages[{i}].requires")
    return complete_spec(spec, path or path_hint)


def spec_and_path(source) -> tuple[ExperimentSpec, Path | None]:
    """A validated spec from an ExperimentSpec, a dict or a file, and the file's path if any."""
    if isinstance(source, ExperimentSpec):
        return complete_spec(source), None
    return load_spec(source), (None if isinstance(source, dict) else Path(source))


def spec_as_of(spec: ExperimentSpec) -> str | None:
    """The day whose knowledge the run uses: the file's ``as_of``, else its ``vote_date``, else
    a case's vote date, else None (the latest data)."""
    if spec.as_of:
        return spec.as_of
    if spec.vote_date:
        return spec.vote_date
    return spec.observed.date if spec.observed is not None else None


def spec_composition(spec: ExperimentSpec, where: object = None) -> Composition:
    """The Council the spec votes in (see the module doc)."""
    try:
        return composition(spec.composition, spec_as_of(spec))
    except InputError as exc:
        if exc.file is not None:
            raise
        raise InputError(str(exc).split(": ", 1)[-1], file=where, field="composition") from None


def _member(code: str, comp: Composition, where: object, field: str) -> None:
    if code not in comp.members:
        raise InputError(f"{code} is not a member of the Council here ({comp.title})",
                         file=where, field=field)


def complete_spec(spec: ExperimentSpec, where: object = None) -> ExperimentSpec:
    """Check every country code against the spec's Council and fill in the population table
    from its composition; a case's record is checked against its rule (outcome word) and its
    absent states. Idempotent."""
    comp = spec_composition(spec, where)
    for i, code in enumerate(spec.absent):
        _member(code, comp, where, f"absent[{i}]")
    for i, action in enumerate(spec.china.actions):
        if action.targets != "exposed":
            for code in action.targets:
                _member(code, comp, where, f"china.actions[{i}].targets")
    for i, ctx in enumerate(spec.context):
        _member(ctx.iso2, comp, where, f"context[{i}].iso2")
    for k, stage in enumerate(spec.stages):
        for i, action in enumerate(stage.china.actions if stage.china else []):
            if action.targets != "exposed":
                for code in action.targets:
                    _member(code, comp, where, f"stages[{k}].china.actions[{i}].targets")
    if spec.observed is not None:
        _check_observed(spec, comp, where)
    if spec.population is None:
        spec = spec.model_copy(update={"population": comp.population})
    return spec


def _check_observed(spec: ExperimentSpec, comp: Composition, where: object) -> None:
    obs = spec.observed
    absent = set(spec.absent)
    for iso, position in obs.positions.items():
        _member(iso, comp, where, f"observed.positions.{iso}")
        if (position == "absent") != (iso in absent):
            raise InputError(f"{iso} is '{position}' in the vote but "
                             f"{'' if iso in absent else 'not '}listed in 'absent'",
                             file=where, field=f"observed.positions.{iso}")
    voting = len(comp.members) - len(absent)
    named = {w: sum(p == w for p in obs.positions.values()) for w in ("for", "against",
                                                                      "abstain")}
    if obs.totals:
        given = sum(obs.totals.values())
        if (len(obs.totals) == 3 and given != voting) or given > voting:
            raise InputError(f"the totals add up to {given} but {voting} states voted (list "
                             "those who did not take part in 'absent')", file=where,
                             field="observed.totals")
        for word, n in obs.totals.items():
            if named[word] > n:
                raise InputError(f"{named[word]} states are named '{word}' but the total is "
                                 f"{n}", file=where, field=f"observed.totals.{word}")
    if obs.outcome is not None:
        rule = get_rule(spec.rule or catalogue.measures()[spec.measure].rule)
        words = (*rule.outcomes, *OUTCOME_EXTRA)
        if obs.outcome not in words:
            raise InputError(f"unknown outcome '{obs.outcome}' for rule {rule.name} (expected "
                             f"one of {', '.join(words)})", file=where, field="observed.outcome")


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
                and parts[2] in ("strength", "lag"))
        )
        if not ok:
            raise InputError("unknown override key", file=path, field=f"overrides.{key}")
        if not math.isfinite(value):
            raise InputError(f"value {value} is not finite", file=path, field=f"overrides.{key}")
        if (parts[-1] in ("credibility", "strength")) and not 0 <= value <= 1:
            raise InputError(f"probability {value} outside [0, 1]", file=path,
                             field=f"overrides.{key}")
        if parts[0] == "lever" and parts[-1] == "lag" and (value < 0 or value != int(value)):
            raise InputError(f"lag {value} is not a whole number of rounds >= 0", file=path,
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

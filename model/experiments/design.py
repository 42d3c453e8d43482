"""Sweep designs declared as data: which parameters vary, over what, and the design points.

A sweep is a ``[sweep]`` table in an experiment file (or ``--param`` options on the command
line)::

    [sweep]
    design = "grid"          # grid (every combination), lhs (Latin hypercube) or sobol
    samples = 64             # lhs: number of points; sobol: base sample N (a power of two)
    seed = 1                 # seed of the lhs/sobol design (default: the experiment's seed)
    chunk = 8                # design points per results file
    common_random_numbers = false   # true: every point reuses the same random numbers

    [sweep.parameters]
    "china.budget" = [0.0, 0.25, 0.5, 1.0]              # levels
    "china.strategy" = ["none", "stick_only", "divide_and_rule"]
    beta_pressure = { low = 0.5, high = 2.0 }           # a range (lhs, sobol)
    "exposure.magnets" = { low = 0.5, high = 1.5, levels = 3 }   # a range on a grid

Parameters are the categorical settings ``china.strategy``, ``rule`` and ``measure``, and every
numeric override key of :mod:`model.experiments.spec` (behavioural coefficients, ``intercept``,
``stakes.<channel>``, ``exposure.<channel>`` multipliers, ``instrument.<name>.<field>``,
``lever.<name>.strength``, ``china.budget``). Dotted names may be quoted or written as nested
tables. Unknown keys, parameters or values raise :class:`model.errors.InputError` naming the
file and the field.

Designs:

* ``grid`` - the full factorial product of every parameter's levels, in declared order (the
  last parameter varies fastest);
* ``lhs`` - a Latin hypercube of ``samples`` points (scipy.stats.qmc.LatinHypercube, seeded);
* ``sobol`` - a Saltelli design for Sobol sensitivity indices built from a scrambled Sobol
  sequence of dimension 2d (scipy.stats.qmc.Sobol, seeded): matrices A and B of ``samples`` rows
  and, for each parameter i, A with column i taken from B - ``samples x (d + 2)`` points.

Random numbers: by default each design point runs as its own experiment point (its row index is
the ``point`` of every random stream), so points are independent samples. With
``common_random_numbers = true`` every point runs as point 0 - the base experiment's numbers -
so differences between points are paired, like ``eucoalition compare``: curves are smoother and
points that describe the same scenario give identical results. Either way a point's result does
not depend on the executor or the number of workers.

In lhs and sobol designs a unit coordinate u maps to ``low + u (high - low)`` for a range and to
level ``floor(u k)`` of a list of k levels (categorical parameters included).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..abm.strategies import STRATEGIES
from ..errors import InputError
from ..inputs import catalogue
from ..treaty.rules import RULE_NAMES
from .spec import ExperimentSpec, apply_overrides, check_overrides

__all__ = ["DESIGNS", "Parameter", "SweepSpec", "categorical_parameters", "parse_sweep",
           "parse_param_options", "build_design", "apply_point", "assignment"]

DESIGNS = ("grid", "lhs", "sobol")
DEFAULT_CHUNK = 8
MAX_POINTS = 1_000_000
_RANGE_KEYS = {"low", "high", "levels"}


class SweepTable(BaseModel):
    """The keys of a ``[sweep]`` table and their types; the parameters are checked one by one
    (:func:`parse_sweep`), since their names and values depend on the rest of the model."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    design: str = "grid"
    samples: int | None = Field(None, ge=1, strict=True)
    seed: int | None = Field(None, ge=0, strict=True)
    chunk: int = Field(DEFAULT_CHUNK, ge=1, strict=True)
    common_random_numbers: bool = Field(False, strict=True)
    parameters: dict[str, Any] | None = None


def categorical_parameters() -> dict[str, list[str]]:
    """The categorical parameters and their allowed values."""
    return {"china.strategy": list(STRATEGIES), "rule": list(RULE_NAMES),
            "measure": list(catalogue.measures())}


@dataclass(frozen=True)
class Parameter:
    """One swept parameter: explicit ``levels`` or a numeric range ``low``-``high``
    (with ``n_levels`` evenly spaced values on a grid)."""

    name: str
    kind: str                                  # "numeric" or "categorical"
    levels: tuple | None = None
    low: float | None = None
    high: float | None = None
    n_levels: int | None = None

    def grid_values(self) -> list:
        if self.levels is not None:
            return list(self.levels)
        return [float(v) for v in np.linspace(self.low, self.high, self.n_levels)]

    def from_unit(self, u: np.ndarray) -> list:
        """Map unit coordinates to values (ranges linearly, levels by equal-width bins)."""
        if self.levels is None:
            return [float(self.low + x * (self.high - self.low)) for x in u]
        k = len(self.levels)
        return [self.levels[min(math.floor(x * k), k - 1)] for x in u]

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.levels is not None:
            out["levels"] = list(self.levels)
        else:
            out.update(low=self.low, high=self.high)
            if self.n_levels is not None:
                out["levels"] = self.n_levels
        return out


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: design, parameters, sample size, design seed, points per file."""

    design: str
    parameters: tuple[Parameter, ...]
    samples: int | None
    seed: int
    chunk: int
    common_random_numbers: bool = False

    def run_point(self, point: int) -> int:
        """The experiment-point index design point ``point`` runs with."""
        return 0 if self.common_random_numbers else point

    def to_dict(self) -> dict:
        return {"design": self.design, "samples": self.samples, "seed": self.seed,
                "chunk": self.chunk, "common_random_numbers": self.common_random_numbers,
                "parameters": [p.to_dict() for p in self.parameters]}

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


def _flatten(table: dict, prefix: str = "") -> dict[str, Any]:
    """Nested TOML tables (``china.budget = [...]`` unquoted) back to dotted names; a table
    with any of the keys low, high or levels is a range, not a namespace."""
    out = {}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value and not set(value) & _RANGE_KEYS:
            out.update(_flatten(value, name))
        else:
            out[name] = value
    return out


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _categorical(name: str, value, choices: list[str], *, file, field: str) -> Parameter:
    if not isinstance(value, list) or not value:
        raise InputError(f"expected a non-empty list of values (one of {', '.join(choices)})",
                         file=file, field=field)
    for v in value:
        if v not in choices:
            raise InputError(f"unknown value '{v}' (expected one of {', '.join(choices)})",
                             file=file, field=field)
    if len(set(value)) != len(value):
        raise InputError("repeated value", file=file, field=field)
    return Parameter(name, "categorical", levels=tuple(value))


def _numeric_range(name: str, value: dict, check_value, *, design: str, file,
                   field: str) -> Parameter:
    unknown = set(value) - _RANGE_KEYS
    if unknown:
        raise InputError("unknown key", file=file, field=f"{field}.{sorted(unknown)[0]}")
    if "low" not in value or "high" not in value:
        raise InputError("a range needs low and high", file=file, field=field)
    low, high = check_value(value["low"]), check_value(value["high"])
    if not low < high:
        raise InputError(f"low ({low:g}) must be below high ({high:g})", file=file, field=field)
    n_levels = value.get("levels")
    if n_levels is not None and (not isinstance(n_levels, int) or isinstance(n_levels, bool)
                                 or n_levels < 2):
        raise InputError("levels must be an integer of at least 2", file=file,
                         field=f"{field}.levels")
    if design == "grid" and n_levels is None:
        raise InputError("a range on a grid needs levels (e.g. {low = 0, high = 1, "
                         "levels = 5})", file=file, field=field)
    return Parameter(name, "numeric", low=low, high=high, n_levels=n_levels)


def _parameter(name: str, value, *, design: str, file, field: str) -> Parameter:
    cats = categorical_parameters()
    if name in cats:
        return _categorical(name, value, cats[name], file=file, field=field)
    try:
        check_overrides({name: 0.5})
    except InputError:
        raise InputError("unknown parameter (expected china.strategy, rule, measure or an "
                         "override key such as china.budget, beta_pressure, exposure.magnets)",
                         file=file, field=field) from None

    def check_value(v) -> float:
        if not _is_number(v):
            raise InputError(f"value {v!r} is not a number", file=file, field=field)
        try:
            check_overrides({name: float(v)})
        except InputError as exc:
            message = str(exc).rsplit(": ", 1)[-1]
            raise InputError(message, file=file, field=field) from None
        return float(v)

    if isinstance(value, list):
        if not value:
            raise InputError("expected at least one value", file=file, field=field)
        levels = tuple(check_value(v) for v in value)
        if len(set(levels)) != len(levels):
            raise InputError("repeated value", file=file, field=field)
        return Parameter(name, "numeric", levels=levels)
    if isinstance(value, dict):
        return _numeric_range(name, value, check_value, design=design, file=file, field=field)
    raise InputError("expected a list of values or a range {low, high}", file=file, field=field)


def parse_sweep(table: dict | None, *, file=None, default_seed: int = 0,
                design: str | None = None, samples: int | None = None,
                parameters: dict[str, Any] | None = None, chunk: int | None = None) -> SweepSpec:
    """Validate a ``[sweep]`` table (and command-line replacements) into a :class:`SweepSpec`.

    Parameters
    ----------
    table : the experiment file's ``sweep`` table, or None.
    file : the experiment file, named in errors.
    default_seed : the design seed when the table gives none (the experiment's seed).
    design, samples, chunk : command-line values that replace the table's.
    parameters : parameters given on the command line (``--param``); they replace the table's.

    Examples
    --------
    >>> s = parse_sweep({"parameters": {"china": {"budget": [0, 1]}, "rule": ["qmv", "simple"]}})
    >>> s.design, [p.name for p in s.parameters], len(build_design(s))
    ('grid', ['china.budget', 'rule'], 4)
    """
    try:
        checked = SweepTable.model_validate(dict(table or {}))
    except ValidationError as exc:
        raise catalogue.validation_error(exc, file, "sweep") from None
    table = checked.model_dump(exclude_unset=True)
    cli_params = parameters is not None
    prefix = "--param " if cli_params else "sweep.parameters."
    # where each setting came from, for error messages: (file, field)
    design_at = (None, "--design") if design is not None else (file, "sweep.design")
    samples_at = (None, "--samples") if samples is not None else (file, "sweep.samples")
    design = design if design is not None else table.get("design", "grid")
    if design not in DESIGNS:
        raise InputError(f"unknown design '{design}' (expected one of {', '.join(DESIGNS)})",
                         file=design_at[0], field=design_at[1])
    raw_params = parameters if cli_params else table.get("parameters")
    if not isinstance(raw_params, dict) or not raw_params:
        raise InputError("no parameters to sweep (give a [sweep.parameters] table or --param)",
                         file=None if cli_params else file,
                         field="--param" if cli_params else "sweep.parameters")
    flat = _flatten(raw_params)
    params = tuple(_parameter(name, value, design=design, file=None if cli_params else file,
                              field=f"{prefix}{name}") for name, value in flat.items())

    def whole(value, at: tuple, minimum: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise InputError(f"must be an integer of at least {minimum}", file=at[0], field=at[1])
        return value

    samples = samples if samples is not None else table.get("samples")
    if samples is not None:
        samples = whole(samples, samples_at, 1)
    if design == "grid" and samples is not None:
        raise InputError("samples applies to lhs and sobol designs only", file=samples_at[0],
                         field=samples_at[1])
    if design != "grid" and samples is None:
        raise InputError(f"a {design} design needs samples (--samples N or sweep.samples)",
                         file=samples_at[0], field=samples_at[1])
    if design == "sobol" and (samples < 2 or samples & (samples - 1)):
        raise InputError(f"must be a power of two for a sobol design (got {samples})",
                         file=samples_at[0], field=samples_at[1])
    seed = default_seed if checked.seed is None else checked.seed
    chunk = whole(chunk, (None, "--chunk"), 1) if chunk is not None else checked.chunk
    spec = SweepSpec(design, params, samples, seed, chunk, checked.common_random_numbers)
    n = n_points(spec)
    if n > MAX_POINTS:
        raise InputError(f"{n:,} design points is more than {MAX_POINTS:,}", file=file,
                         field="sweep.parameters")
    return spec


def n_points(spec: SweepSpec) -> int:
    """Number of design points."""
    if spec.design == "grid":
        return math.prod(len(p.grid_values()) for p in spec.parameters)
    if spec.design == "lhs":
        return spec.samples
    return spec.samples * (len(spec.parameters) + 2)


def _parse_scalar(text: str):
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_param_options(options: list[str]) -> dict[str, Any]:
    """Parse ``--param`` options: ``name=v1,v2,...`` (levels), ``name=lo:hi`` (a range for
    lhs/sobol) or ``name=lo:hi:n`` (a range with n grid levels).

    >>> parse_param_options(["china.budget=0,0.5,1", "beta_pressure=0.5:2", "rule=qmv"])
    {'china.budget': [0, 0.5, 1], 'beta_pressure': {'low': 0.5, 'high': 2}, 'rule': ['qmv']}
    """
    out: dict[str, Any] = {}
    for option in options:
        name, sep, values = option.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise InputError(f"expected name=values, got '{option}'", field="--param")
        if name in out:
            raise InputError("parameter given twice", field=f"--param {name}")
        if ":" in values and "," not in values:
            parts = [_parse_scalar(p) for p in values.split(":")]
            if len(parts) not in (2, 3) or not all(_is_number(p) for p in parts):
                raise InputError(f"expected lo:hi or lo:hi:levels, got '{values}'",
                                 field=f"--param {name}")
            rng = {"low": parts[0], "high": parts[1]}
            if len(parts) == 3:
                rng["levels"] = parts[2]
            out[name] = rng
        else:
            out[name] = [_parse_scalar(v) for v in values.split(",") if v.strip()]
    return out


def _unit_design(spec: SweepSpec) -> tuple[np.ndarray, pd.DataFrame | None]:
    """Unit-cube coordinates of an lhs or sobol design (and the Saltelli bookkeeping)."""
    from scipy.stats import qmc

    d = len(spec.parameters)
    rng = np.random.default_rng(spec.seed)
    if spec.design == "lhs":
        return qmc.LatinHypercube(d=d, rng=rng).random(spec.samples), None
    base = qmc.Sobol(d=2 * d, scramble=True, rng=rng).random_base2(int(math.log2(spec.samples)))
    A, B = base[:, :d], base[:, d:]
    blocks, labels = [A, B], [0, 1]
    for i in range(d):
        ab = A.copy()
        ab[:, i] = B[:, i]
        blocks.append(ab)
        labels.append(i + 2)
    N = spec.samples
    book = pd.DataFrame({"sobol_matrix": np.repeat(labels, N).astype(np.int64),
                         "sobol_row": np.tile(np.arange(N), len(labels)).astype(np.int64)})
    return np.vstack(blocks), book


def build_design(spec: SweepSpec) -> pd.DataFrame:
    """The design table: one row per point (``point`` 0..n-1), one column per parameter, and
    for a sobol design the Saltelli matrix (0 = A, 1 = B, 2 + i = A with column i from B) and
    row of each point."""
    names = [p.name for p in spec.parameters]
    if spec.design == "grid":
        rows = list(itertools.product(*(p.grid_values() for p in spec.parameters)))
        frame = pd.DataFrame(rows, columns=names)
        book = None
    else:
        unit, book = _unit_design(spec)
        frame = pd.DataFrame({p.name: p.from_unit(unit[:, j])
                              for j, p in enumerate(spec.parameters)})
    for p in spec.parameters:
        frame[p.name] = frame[p.name].astype(float if p.kind == "numeric" else object)
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    if book is not None:
        frame = pd.concat([frame, book], axis=1)
    return frame


def assignment(design: pd.DataFrame, spec: SweepSpec, point: int) -> dict[str, Any]:
    """The parameter values of one design point."""
    row = design.iloc[point]
    return {p.name: (float(row[p.name]) if p.kind == "numeric" else str(row[p.name]))
            for p in spec.parameters}


def apply_point(spec: ExperimentSpec, values: dict[str, Any]) -> ExperimentSpec:
    """The experiment at one design point: categorical settings replaced, numeric parameters
    added as overrides (validated)."""
    overrides = {}
    for name, value in values.items():
        if name == "china.strategy":
            china = spec.china.model_copy(update={"strategy": value})
            spec = spec.model_copy(update={"china": china})
        elif name in ("rule", "measure"):
            spec = spec.model_copy(update={name: value})
        else:
            overrides[name] = float(value)
    if overrides:
        spec = apply_overrides(spec, overrides)
    return spec.model_copy(update={"sweep": None})


def check_points(spec: ExperimentSpec, sweep: SweepSpec, design: pd.DataFrame, file=None) -> None:
    """Cheap checks every design point must pass before anything runs (cut points ordered)."""
    names = {p.name for p in sweep.parameters}
    if not names & {"cut_low", "cut_high"}:
        return
    coef = catalogue.coefficients().values()
    for key in ("cut_low", "cut_high"):
        coef[key] = spec.overrides.get(key, coef[key])
    def column(key: str) -> pd.Series:
        if key in names:
            return design[key].astype(float)
        return pd.Series(coef[key], index=design.index, dtype=float)

    low, high = column("cut_low"), column("cut_high")
    bad = design.index[~(low < high)]
    if len(bad):
        raise InputError(f"design point {int(design['point'][bad[0]])} has cut_low >= cut_high",
                         file=file, field="sweep.parameters.cut_low")

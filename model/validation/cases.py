"""Recorded decisions as case files: an experiment file plus what was observed.

A *case file* (params/votes/*.toml, or any path) is an experiment file with an ``[observed]``
table: the positions of the states in a real vote, its source and date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..experiments.spec import ExperimentSpec, load_spec
from ..inputs import catalogue
from ..inputs.tables import EU27, load_population
from ..io import toml_dumps
from ..treaty.positions import CHOICES, Position
from ..treaty.vote import vote

__all__ = ["load_case", "dump_case", "voting_states", "observed_outcome", "encode"]


def load_case(source: str | Path | Mapping | ExperimentSpec, *,
              path_hint: object = None) -> ExperimentSpec:
    """Read and validate a case file: an experiment file with an ``[observed]`` table.

    States recorded as ``absent`` must be the experiment's ``absent`` states and vice versa,
    so the model predicts exactly the states that voted.
    """
    if isinstance(source, ExperimentSpec):
        spec, where = source, path_hint
    else:
        where = path_hint if isinstance(source, Mapping) else Path(source)
        spec = load_spec(dict(source) if isinstance(source, Mapping) else source,
                         path_hint=path_hint)
    if spec.observed is None:
        raise InputError("a case file needs an [observed] table (positions, source, date)",
                         file=where, field="observed")
    absent = set(spec.absent)
    for iso, position in spec.observed.positions.items():
        if (position == "absent") != (iso in absent):
            raise InputError(f"{iso} is '{position}' in the vote but "
                             f"{'' if iso in absent else 'not '}listed in 'absent'",
                             file=where, field=f"observed.positions.{iso}")
    return spec


def dump_case(spec: ExperimentSpec) -> str:
    """A case (or any experiment) as TOML text that :func:`load_case` reads back equal."""
    return toml_dumps(spec.model_dump(exclude_none=True))


def voting_states(spec: ExperimentSpec) -> list[str]:
    """States that took part in the recorded vote, in EU27 order."""
    return [s for s in EU27 if spec.observed.positions[s] != "absent"]


def observed_outcome(spec: ExperimentSpec) -> str:
    """Outcome of the recorded vote under the case's rule and population table."""
    rule = spec.rule or catalogue.measures()[spec.measure].rule
    pops = load_population(spec.population)
    return vote(rule, dict(spec.observed.positions),
                {s: int(pops[s]) for s in spec.observed.positions}).outcome


def encode(positions: Iterable[str]) -> np.ndarray:
    """Position words (for, abstain, against) -> columns of probability arrays (their
    :class:`~model.treaty.positions.Position` codes).

    >>> encode(["for", "against", "abstain"]).tolist()
    [0, 2, 1]
    """
    codes = []
    for word in positions:
        p = Position.parse(word, field="observed.positions")
        if p not in CHOICES:
            raise InputError(f"positions must be among {', '.join(c.word for c in CHOICES)}",
                             field="observed.positions")
        codes.append(int(p))
    return np.array(codes, dtype=int)

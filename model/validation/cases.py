"""Recorded decisions as case files: an experiment file plus what was observed.

A *case file* (params/votes/*.toml, or any path) is an experiment file with an ``[observed]``
table: what is known of a real decision - some or all states' positions, totals, a population
share, the outcome - with its source and date (:class:`~model.experiments.spec.ObservedSpec`).
A case votes in the Council of its date (its composition) with the knowledge of that date
(its ``as_of``), unless the file says otherwise.

A case is identified by its content: :func:`observed_hash` hashes what was observed, so a
renamed copy of a case the behaviour file was calibrated on is still recognised as in-sample.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..experiments.spec import ExperimentSpec, load_spec, spec_composition
from ..inputs import catalogue
from ..inputs.tables import load_population
from ..io import toml_dumps
from ..treaty.positions import CHOICES, Position
from ..treaty.rules import get_rule
from ..treaty.vote import vote
from .likelihood import WORD_CODE, Record

__all__ = ["load_case", "dump_case", "voting_states", "named_states", "observed_outcome",
           "encode", "record", "observed_hash", "case_rule", "council_populations"]


def load_case(source: str | Path | Mapping | ExperimentSpec, *,
              path_hint: object = None) -> ExperimentSpec:
    """Read and validate a case file: an experiment file with an ``[observed]`` table.

    States recorded as ``absent`` must be the experiment's ``absent`` states and vice versa,
    so the model predicts exactly the states that voted (checked with the Council's members
    by :func:`model.experiments.spec.complete_spec`).
    """
    if isinstance(source, ExperimentSpec):
        from ..experiments.spec import complete_spec

        spec, where = complete_spec(source, path_hint), path_hint
    else:
        where = path_hint if isinstance(source, Mapping) else Path(source)
        spec = load_spec(dict(source) if isinstance(source, Mapping) else source,
                         path_hint=path_hint)
    if spec.observed is None:
        raise InputError("a case file needs an [observed] table (what was recorded, source, "
                         "date)", file=where, field="observed")
    return spec


def dump_case(spec: ExperimentSpec) -> str:
    """A case (or any experiment) as TOML text that :func:`load_case` reads back equal."""
    return toml_dumps(spec.model_dump(exclude_none=True))


def case_rule(spec: ExperimentSpec):
    return get_rule(spec.rule or catalogue.measures()[spec.measure].rule)


def voting_states(spec: ExperimentSpec) -> list[str]:
    """States that took part in the recorded decision, in the Council's order."""
    absent = set(spec.absent)
    return [s for s in spec_composition(spec).members if s not in absent]


def named_states(spec: ExperimentSpec) -> list[str]:
    """Voting states whose position the record names, in the Council's order."""
    pos = spec.observed.positions
    return [s for s in voting_states(spec) if pos.get(s, "absent") != "absent"]


def council_populations(spec: ExperimentSpec) -> dict[str, int]:
    """Populations of every member of the case's Council (its population table)."""
    pops = load_population(spec.population)
    return {s: int(pops[s]) for s in spec_composition(spec).members if s in pops.index}


def record(spec: ExperimentSpec) -> Record:
    """What the case observed, in the order of its voting states."""
    obs = spec.observed
    states = voting_states(spec)
    pops = council_populations(spec)
    named = {i: WORD_CODE[obs.positions[s]] for i, s in enumerate(states)
             if obs.positions.get(s, "absent") != "absent"}
    share = None
    if obs.shares:
        (word, (low, high)), = obs.shares.items()
        share = (WORD_CODE[word], float(low), float(high))
    return Record(states=tuple(states), populations=np.array([pops[s] for s in states],
                                                             dtype=np.int64),
                  named=named, totals={WORD_CODE[w]: n for w, n in obs.totals.items()},
                  share=share, outcome=obs.outcome)


def observed_outcome(spec: ExperimentSpec) -> str | None:
    """The recorded outcome: the file's ``outcome``, else the outcome of the named positions
    under the case's rule when every voting state is named, else None (unknown)."""
    if spec.observed.outcome is not None:
        return spec.observed.outcome
    states = voting_states(spec)
    if named_states(spec) != states:
        return None
    pops = council_populations(spec)
    positions = {s: spec.observed.positions.get(s, "absent") for s in pops}
    return vote(case_rule(spec), positions, pops).outcome


def observed_hash(spec: ExperimentSpec) -> str:
    """SHA-256 of what was observed (positions, totals, shares, outcome, date, Council), so
    a case is recognised whatever its name or file."""
    obs = spec.observed
    content = {"date": obs.date, "members": list(spec_composition(spec).members),
               "absent": sorted(spec.absent),
               "positions": dict(sorted(obs.positions.items())),
               "totals": dict(sorted(obs.totals.items())),
               "shares": {k: [float(x) for x in v] for k, v in sorted(obs.shares.items())},
               "outcome": obs.outcome, "measure": spec.measure}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


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

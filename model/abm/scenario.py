"""Everything one model run needs, resolved: arrays and objects, no file schema.

:func:`model.experiments.resolve.resolve` builds a :class:`Scenario` from an experiment file
and params/; the agent-based model reads only this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..inputs.catalogue import Instrument, Measure
from ..inputs.exposure import ExposureTable
from ..treaty.rules import Rule

__all__ = ["Action", "Scenario"]


@dataclass(frozen=True)
class Action:
    """A use of an instrument China has already decided (outside its budget): on ``targets``
    at ``round``, with ``intensity``; ``date`` and ``source`` document it. ``profile`` (one
    multiplier per round, from the instrument's monthly schedule in a run with a vote date)
    scales the landed use round by round, so China can tighten and relax; None keeps it at
    its stated size."""

    instrument: str
    targets: tuple[str, ...]
    round: int
    intensity: float
    date: str = ""
    source: str = ""
    profile: tuple[float, ...] | None = None


@dataclass
class Scenario:
    """One resolved scenario of a vote.

    Arrays run over ``all_states`` (the Council's members, in a fixed order); ``states`` are
    the participating ones. ``exposure`` is states x ``channels``.
    """

    name: str
    measure: Measure
    rule: Rule
    rounds: int
    states: list[str]
    all_states: list[str]
    populations: np.ndarray
    coef: dict[str, float]
    intercept: float
    stakes_weights: dict[str, float]
    exposure: np.ndarray
    exposure_table: ExposureTable
    channels: list[str]
    stance: np.ndarray
    instruments: dict[str, Instrument]
    budget_instruments: list[str]
    strategy: str
    budget: float
    actions: list[Action]
    levers: dict[str, float]
    respond_below: float
    strategy_params: dict[str, float] = field(default_factory=dict)
    #: Rounds from the Commission's decision to each lever's effect (params/eu_levers.toml).
    lever_lags: dict[str, int] = field(default_factory=dict)
    #: Channel -> (weight, lag) of business lobbying (params/lobbying.toml); empty when off.
    lobbying: dict[str, tuple[float, int]] = field(default_factory=dict)
    #: The day whose knowledge the scenario uses (None: every row), and why that day.
    as_of: str | None = None
    as_of_rule: str = "latest data"
    composition: str = "eu27"
    composition_title: str = ""
    population_table: str = "council2025"
    #: Members without a single alignment or exposure figure (neutral values, flagged).
    neutral_members: list[str] = field(default_factory=list)
    #: China's actions of the experiment file left out because they became known after as_of.
    actions_not_used: list[dict] = field(default_factory=list)
    #: Every alignment row of the members with its fate at as_of (model.inputs.stance).
    alignment_rows: Any = None
    #: The measure's multipliers of the pressure, grievance and backlash coefficients.
    forces: dict[str, float] = field(default_factory=lambda: {"pressure": 1.0, "grievance": 0.0,
                                                              "backlash": 1.0})
    #: The parameters drawn per block of replications (None: every parameter fixed).
    uncertainty: Any = None
    #: Parameters the run keeps fixed and why (an override; --fixed-parameters).
    fixed: dict[str, str] = field(default_factory=dict)
    #: The day of the vote, when the experiment times it, and the month of every round.
    vote_date: str | None = None
    round_months: list[str] | None = None
    #: Sourced stance changes of the experiment file, used (dated by as_of) or not.
    context: dict = field(default_factory=lambda: {"used": [], "not_used": []})
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def knowledge_date(self) -> str | None:
        """The as_of date, or for the latest data the newest date among the inputs read."""
        if self.as_of is not None:
            return self.as_of
        dates = list(self.exposure_table.rows["known_from"])
        if self.alignment_rows is not None:
            dates += list(self.alignment_rows["known_from"])
        return max(dates) if dates else None

    @property
    def participating(self) -> np.ndarray:
        """Boolean mask over ``all_states``."""
        taking_part = set(self.states)
        return np.array([s in taking_part for s in self.all_states])

    def stakes(self, exposure: np.ndarray | None = None, scale_negative: float = 1.0,
               scale_all: float = 1.0) -> np.ndarray:
        """Measure stakes per state: sum of channel weights x exposure."""
        exposure = self.exposure if exposure is None else exposure
        out = np.zeros(exposure.shape[0])
        for ch, w in self.stakes_weights.items():
            w = w * scale_all * (scale_negative if w < 0 else 1.0)
            out += w * exposure[:, self.channels.index(ch)]
        return out

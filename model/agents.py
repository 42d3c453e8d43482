"""Mesa agents: the member states, China and the Commission.

Each agent's state is a numpy vector over the R replications the model carries in lockstep,
so the agents read like agents and run like arrays; with R = 1 this is an ordinary ABM.
Every agent also keeps an *expected* track (no per-replication noise, threats weighted by
their credibility) - what the other players can observe and plan on.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from .behaviour import utility, vote_probabilities
from .strategies import Allocation, PlanContext, get_strategy

__all__ = ["MemberState", "China", "Commission", "Pending"]


class MemberState(mesa.Agent):
    """A member state's government deciding how to vote.

    Each round it turns its stance, the measure's stakes for it, China's sticks and carrots,
    its peers' expected votes and any backlash against coercion of others into probabilities of
    for / abstain / against (ordered logit, model.behaviour).
    """

    def __init__(self, model, index: int, iso2: str, population: int, stance: float,
                 shock: np.ndarray) -> None:
        super().__init__(model)
        self.index = index
        self.iso2 = iso2
        self.population = population
        self.stance = stance
        self.shock = shock                              # (R,) preference draw per replication
        R = model.replications
        self.stick = np.zeros(R)
        self.carrot = np.zeros(R)
        self.stick_expected = 0.0
        self.carrot_expected = 0.0
        self.visible_stick = 0.0                        # coercion others can see (for backlash)
        self.spend_received = 0.0

    @property
    def stakes(self) -> float:
        return float(self.model.stakes[self.index])

    def pressure(self, expected: bool = False):
        """Sticks (offset by any solidarity compensation) plus carrots."""
        keep = 1.0 - self.model.commission.compensation if self.visible_stick > 0 else 1.0
        if expected:
            return keep * self.stick_expected + self.carrot_expected
        return keep * self.stick + self.carrot

    def deliberate(self) -> None:
        """Update this round's vote probabilities (all replications and the expected track)."""
        m = self.model
        c = m.scenario.coef
        backlash = m.backlash_for(self.index)
        y = utility(m.intercept, self.stance, self.stakes, self.pressure(), m.peers[self.index],
                    backlash, self.shock, c)
        y_exp = utility(m.intercept, self.stance, self.stakes, self.pressure(expected=True),
                        m.peers_expected[self.index], backlash, 0.0, c)
        m.next_probabilities[self.index] = vote_probabilities(y, c["cut_low"], c["cut_high"])
        m.next_expected[self.index] = vote_probabilities(y_exp, c["cut_low"], c["cut_high"])
        m.expected_utility[self.index] = y_exp


@dataclass(frozen=True)
class Pending:
    """An allocation whose effect lands at ``due`` (its round plus the instrument's lag)."""

    due: int
    allocation: Allocation


class China(mesa.Agent):
    """China: each round it observes the expected votes, spends its budget on carrots and
    sticks with its strategy, and its instruments land on their targets after their lag,
    believed (threats) or delivered (promises) with their credibility."""

    def __init__(self, model, strategy: str, budget: float) -> None:
        super().__init__(model)
        self.strategy = get_strategy(strategy)
        self.budget = budget
        self.pending: list[Pending] = []
        self.log: list[dict] = []

    def commit(self, allocation: Allocation, round_: int) -> None:
        lag = int(round(self.model.scenario.instruments[allocation.instrument].lag.value))
        self.pending.append(Pending(round_ + lag, allocation))

    def plan(self) -> list[Allocation]:
        m = self.model
        part = m.participating
        ctx = PlanContext(
            states=[s for s, p in zip(m.scenario.all_states, part) if p],
            populations=m.scenario.populations[part],
            rule=m.scenario.rule,
            utility=m.expected_utility[part].copy(),
            cut_low=m.scenario.coef["cut_low"], cut_high=m.scenario.coef["cut_high"],
            beta_pressure=m.scenario.coef["beta_pressure"],
            exposure=m.exposure[part], channels=m.scenario.channels,
            instruments=[m.scenario.instruments[n] for n in m.budget_instruments],
            credibility={n: m.credibility(n) for n in m.scenario.instruments},
            budget=self.budget,
            max_share_per_target=m.scenario.strategy_params.get("max_share_per_target", 1.0),
        )
        return self.strategy.allocate(ctx)

    def step(self) -> None:
        m = self.model
        for alloc in self.plan():
            self.commit(alloc, m.round)
            m.agent_of[alloc.target].spend_received += alloc.spend
            self.log.append({"round": m.round, "instrument": alloc.instrument,
                             "target": alloc.target, "intensity": alloc.intensity,
                             "spend": alloc.spend, "source": "strategy"})
        due = [p for p in self.pending if p.due == m.round]
        self.pending = [p for p in self.pending if p.due != m.round]
        for p in due:
            self.land(p.allocation)

    def land(self, alloc: Allocation) -> None:
        """Apply an allocation's effect to its target in every replication."""
        m = self.model
        ins = m.scenario.instruments[alloc.instrument]
        target = m.agent_of[alloc.target]
        ch = m.scenario.channels.index(ins.channel)
        size = ins.effect.value * m.exposure[target.index, ch] * alloc.intensity
        if size == 0:
            return
        cred = m.credibility(ins.name)
        believed = m.draw_uniform("credibility") < cred
        if ins.kind == "stick":
            target.stick += size * believed
            target.stick_expected += size * cred
            target.visible_stick += size
        else:
            target.carrot += size * believed
            target.carrot_expected += size * cred


class Commission(mesa.Agent):
    """The Commission: proposes the measure and, as the experiment allows, responds with
    EU-side levers once the expected adoption probability falls below its trigger."""

    def __init__(self, model, levers: dict[str, float], respond_below: float) -> None:
        super().__init__(model)
        self.available = dict(levers)
        self.respond_below = respond_below
        self.active: dict[str, float] = {}

    @property
    def compensation(self) -> float:
        return self.active.get("solidarity_compensation", 0.0)

    def step(self) -> None:
        m = self.model
        if not self.available or (self.active and len(self.active) == len(self.available)):
            return
        if self.respond_below >= 1.0 or m.expected_adoption() < self.respond_below:
            for name, strength in self.available.items():
                if name not in self.active:
                    self.active[name] = strength
                    m.apply_lever(name, strength)

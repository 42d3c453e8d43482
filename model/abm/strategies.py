"""China's strategies: how a round's budget is spent on instruments and target states.

Each strategy is a small named class with a docstring saying what it does and where the
behaviour comes from, registered in :data:`STRATEGIES` (the CLI lists them). All strategies
plan on the *expected* track (vote probabilities without per-replication noise), so a plan never
depends on how many replications run or how they are split.

The value of an allocation is the change it makes to a state's probability of helping China
stop the measure, as the rule defines it (:meth:`model.treaty.rules.base.Rule.helps_stop`):
P(for) falling in Council votes, P(against) rising in comitology, where only a qualified majority
AGAINST stops a trade-defence act.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from ..treaty.rules import Rule
from .behaviour import vote_probabilities

__all__ = ["Allocation", "PlanContext", "Strategy", "STRATEGIES", "get_strategy"]


@dataclass(frozen=True)
class Allocation:
    """Use ``intensity`` units of ``instrument`` on ``target`` (costs intensity x cost)."""

    instrument: str
    target: str
    intensity: float
    spend: float


@dataclass
class PlanContext:
    """What China observes when it plans a round."""

    states: list[str]              # participating states
    populations: np.ndarray        # int64, same order
    rule: Rule
    utility: np.ndarray            # expected latent support per state
    cut_low: float
    cut_high: float
    beta_pressure: float           # how much sticks and carrots lower support (with the force)
    exposure: np.ndarray           # states x channels (indexed exposure)
    channels: list[str]
    instruments: list              # catalogue.Instrument objects China may use
    credibility: dict[str, float]  # effective credibility per instrument
    budget: float
    max_share_per_target: float
    beta_grievance: float = 0.0    # how much a stick raises its target's support (grievance)
    max_carrot_share: float = 1.0  # largest share of the round budget spent on carrots

    def helpfulness(self, y: np.ndarray) -> np.ndarray:
        """Probability that each state votes the way China wants, at utilities ``y``."""
        p = vote_probabilities(y, self.cut_low, self.cut_high)
        return self.rule.helps_stop(p[..., 0], p[..., 1], p[..., 2])

    def shift(self, instrument) -> np.ndarray:
        """Expected utility drop of one use of ``instrument`` on each state: fear (or the
        carrot's pull) at its credibility, less the grievance a stick stirs in its target
        (negative where grievance wins: a stick then helps the measure)."""
        ch = self.channels.index(instrument.channel)
        size = instrument.effect.value * self.exposure[:, ch]
        drop = self.beta_pressure * size * self.credibility[instrument.name]
        if instrument.kind == "stick":
            drop = drop - self.beta_grievance * size
        return drop


class Strategy:
    """Base: greedy spending of the round budget by a value per unit of cost."""

    name = "base"
    kinds: tuple[str, ...] = ("stick", "carrot")

    def weights(self, ctx: PlanContext) -> np.ndarray:
        """Per-state multiplier on the value of moving that state (1 = plain exposure)."""
        return np.ones(len(ctx.states))

    def allocate(self, ctx: PlanContext) -> list[Allocation]:
        usable = [ins for ins in ctx.instruments if ins.kind in self.kinds]
        if ctx.budget <= 0 or not usable:
            return []
        y = ctx.utility.astype(float).copy()
        weight = self.weights(ctx)
        shifts = np.array([ctx.shift(ins) for ins in usable])          # instruments x states
        costs = np.array([ins.cost.value for ins in usable])
        cap = ctx.max_share_per_target * ctx.budget
        carrot = np.array([ins.kind == "carrot" for ins in usable])
        carrots_left = ctx.max_carrot_share * ctx.budget
        spent = np.zeros(len(ctx.states))
        left = ctx.budget
        plan: dict[tuple[str, str], list[float]] = {}
        while left > 1e-9:
            base = ctx.helpfulness(y)
            gain = ctx.helpfulness(y[None, :] - shifts) - base[None, :]  # instruments x states
            value = gain * weight[None, :] / costs[:, None]
            room = np.minimum(cap - spent, left)
            value[:, room <= 1e-9] = -np.inf
            if carrots_left <= 1e-9:
                value[carrot, :] = -np.inf
            k, i = np.unravel_index(int(np.argmax(value)), value.shape)
            if not np.isfinite(value[k, i]) or value[k, i] <= 1e-12:
                break
            budget_k = min(room[i], carrots_left) if carrot[k] else room[i]
            use = min(1.0, budget_k / costs[k])
            if carrot[k]:
                carrots_left -= use * costs[k]
            y[i] -= shifts[k, i] * use
            spent[i] += use * costs[k]
            left -= use * costs[k]
            entry = plan.setdefault((usable[k].name, ctx.states[i]), [0.0, 0.0])
            entry[0] += use
            entry[1] += use * costs[k]
        return [Allocation(ins, target, intensity, spend)
                for (ins, target), (intensity, spend) in sorted(plan.items())]


class NoPressure(Strategy):
    """No pressure: China does nothing (the counterfactual baseline)."""

    name = "none"

    def allocate(self, ctx: PlanContext) -> list[Allocation]:
        return []


class Uniform(Strategy):
    """Uniform pressure: the same spend on every participating state, each with the
    instrument that moves it most. A naive benchmark against targeted strategies."""

    name = "uniform"

    def allocate(self, ctx: PlanContext) -> list[Allocation]:
        if ctx.budget <= 0:
            return []
        share = ctx.budget / len(ctx.states)
        base = ctx.helpfulness(ctx.utility)
        out = []
        for i, state in enumerate(ctx.states):
            best, best_gain = None, -math.inf
            for ins in ctx.instruments:
                use = share / ins.cost.value
                gain = ctx.helpfulness(ctx.utility[i:i + 1] - ctx.shift(ins)[i] * use)[0] - base[i]
                if gain > best_gain:
                    best, best_gain = ins, gain
            if best is not None:
                out.append(Allocation(best.name, state, share / best.cost.value, share))
        return out


class StickOnly(Strategy):
    """Stick only: probes, duties, tax changes and licence slow-downs on the most exposed
    states (the brandy, pork and dairy cases; policy paper, 'Rare earths as a weapon')."""

    name = "stick_only"
    kinds = ("stick",)


class CarrotOnly(Strategy):
    """Carrot only: investment pledges, market-access protocols, price-undertaking
    exemptions and visits (the 'charm offensive' the policy paper says is on the wane)."""

    name = "carrot_only"
    kinds = ("carrot",)


class CarrotAndStick(Strategy):
    """Carrot and stick: both kinds, spent where exposure makes them bite most - the paper's
    treatment of France (brandy duties plus price-undertaking exemptions) and Spain (pork probe
    plus pork-stomach and cherry protocols)."""

    name = "carrot_and_stick"


class DivideAndRule(Strategy):
    """Divide and rule: spend where a move most lowers the measure's chance per unit cost.

    A state's value is its exact criticality (probability its vote decides the outcome,
    model.treaty.power) times the change in its probability of helping China; states in the cheapest
    blocking coalition (model.treaty.blocking, costs = utility gap over the best instrument's
    efficiency) count in full, others at a quarter. Policy paper: 'exerting pressure on
    individual member states' to 'weaken the cohesion of the EU's position'.
    """

    name = "divide_and_rule"
    outside_coalition_weight = 0.25

    def weights(self, ctx: PlanContext) -> np.ndarray:
        from ..treaty.blocking import cheapest_blocking_coalition
        from ..treaty.power import passage_probability
        from .behaviour import COLUMNS

        p = vote_probabilities(ctx.utility, ctx.cut_low, ctx.cut_high)
        frame = pd.DataFrame(p, index=pd.Index(ctx.states, name="iso2"), columns=list(COLUMNS))
        population = dict(zip(ctx.states, (int(v) for v in ctx.populations)))
        crit = passage_probability(ctx.rule, frame, population=population,
                                   participating=ctx.states).criticality
        crit = crit.reindex(ctx.states).to_numpy(dtype=float)
        efficiency = np.zeros(len(ctx.states))
        for ins in ctx.instruments:
            if ins.kind in self.kinds:
                efficiency = np.maximum(efficiency, ctx.shift(ins) / ins.cost.value)
        cut = ctx.cut_low if ctx.rule.stopped_by_quota_against else ctx.cut_high
        gap = np.maximum(ctx.utility - cut, 0.0) + 0.5
        costs = pd.Series(np.where(efficiency > 0, gap / np.maximum(efficiency, 1e-12), math.inf),
                          index=ctx.states)
        try:
            coalition = set(cheapest_blocking_coalition(ctx.rule, costs, population=population,
                                                        participating=ctx.states).states)
        except InputError:
            coalition = set(ctx.states)
        member = np.array([s in coalition for s in ctx.states])
        return np.maximum(crit, 1e-9) * np.where(member, 1.0, self.outside_coalition_weight)


class Pressure2025(DivideAndRule):
    """The 2025 posture: divide and rule with the charm offensive on the wane - carrots capped
    at a share of each round's budget (``max_carrot_share`` in params/strategies.toml), the
    rest on sticks. Policy paper 'Dialogue from a position of strength: China's EU policy'
    (OSW, 2025), 'Divide and rule in a new version': China's policy is 'marked by growing
    pressure and coercive measures, and diminishing incentives'; the cap's size is a modelling
    assumption."""

    name = "pressure_2025"


STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (NoPressure, Uniform, StickOnly, CarrotOnly, CarrotAndStick, DivideAndRule,
                Pressure2025)
}


def get_strategy(name: str) -> Strategy:
    """Instantiate a registered strategy by name."""
    if name not in STRATEGIES:
        raise InputError(f"unknown strategy '{name}' (expected one of {', '.join(STRATEGIES)})",
                         field="china.strategy")
    return STRATEGIES[name]()

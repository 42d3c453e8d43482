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

from ..treaty.positions import AGAINST, FOR
from .behaviour import standing_support, utility, vote_probabilities, vote_probability_planes
from .levers import get_lever
from .strategies import Allocation, PlanContext, get_strategy

__all__ = ["MemberState", "China", "Commission", "Pending", "Standing"]


class MemberState(mesa.Agent):
    """A member state's government deciding how to vote.

    Each round it turns its stance, the measure's stakes for it, China's sticks and carrots,
    its peers' expected votes and any backlash against coercion of others into probabilities of
    for / abstain / against (ordered logit, :mod:`model.abm.behaviour`). The rule is written
    once, in :meth:`deliberate_all`, and applied to every state at once: one array operation
    per round over states and replications. A state's sticks and carrots are its rows of the
    model's (states, replications) arrays.
    """

    def __init__(self, model, index: int, iso2: str, population: int, stance: float,
                 shock: np.ndarray, participating: bool) -> None:
        super().__init__(model)
        self.index = index
        self.iso2 = iso2
        self.population = population
        self.stance = stance
        self.participating = participating
        self.shock = shock                              # (R,) preference draw per replication
        self.stick = model.sticks[index]                # (R,) views into the model's arrays
        self.carrot = model.carrots[index]
        self.stick_expected = 0.0
        self.carrot_expected = 0.0
        self.visible_stick = 0.0                        # coercion others can see (for backlash)
        self.spend_received = 0.0

    # --- what the state weighs -------------------------------------------------------------
    @property
    def stakes(self) -> float:
        return float(self.model.stakes[self.index])

    # --- verbs -------------------------------------------------------------------------------
    @classmethod
    def felt(cls, model) -> dict[str, np.ndarray]:
        """What every state weighs this round besides its stance and stakes, as arrays over
        states (and replications): ``pressure`` (n, R) and ``pressure_expected`` (n,), sticks
        offset by any solidarity compensation once coercion is visible, plus carrots;
        ``visible`` coercion of the state itself (grievance); ``backlash``, the visible
        coercion of the other participants. ``pressure`` is written into one of the model's
        work arrays: valid until the next call."""
        m = model
        states = m.member_states
        visible = np.array([a.visible_stick for a in states])
        keep = np.where(visible > 0, 1.0 - m.compensation, 1.0)
        stick_exp = np.array([a.stick_expected for a in states])
        carrot_exp = np.array([a.carrot_expected for a in states])
        seen = visible * m.participating
        return {"visible": visible,
                "backlash": (seen.sum() - seen) / max(int(m.participating.sum()), 1),
                "pressure": np.add(np.multiply(keep[:, None], m.sticks, out=m.work[2]),
                                   m.carrots, out=m.work[2]),
                "pressure_expected": keep * stick_exp + carrot_exp}

    @classmethod
    def deliberate_all(cls, model) -> None:
        """Every state updates this round's vote probabilities, in all replications and on the
        expected track (no shock, threats at their credibility), from :meth:`felt`."""
        m = model
        f = cls.felt(m)
        stance = np.array([a.stance for a in m.member_states])
        stakes_r = m.stakes_r if np.ndim(m.stakes_r) == 2 else np.asarray(m.stakes_r)[:, None]
        y = utility(m.intercept_r, stance[:, None], stakes_r, f["pressure"],
                    f["visible"][:, None], m.peers, f["backlash"][:, None], m.shock, m.coef_r,
                    m.forces, out=m.work[0], scratch=m.work[1],
                    standing=cls._standing(m, stance, stakes_r))
        y_exp = utility(m.intercept, stance, np.asarray(m.stakes, dtype=float),
                        f["pressure_expected"], f["visible"], m.peers_expected, f["backlash"],
                        0.0, m.coef, m.forces)
        r, c = m.coef_r, m.coef
        vote_probability_planes(y, r["cut_low"], r["cut_high"], out=m.next_planes,
                                scratch=m.work[1])
        m.next_expected[:] = vote_probabilities(y_exp, c["cut_low"], c["cut_high"])
        m.expected_utility[:] = y_exp

    @staticmethod
    def _standing(m, stance: np.ndarray, stakes_r: np.ndarray) -> np.ndarray:
        """:func:`standing_support` per state and replication, kept on the model while the
        stances, the stakes (a lever may change them) and the drawn coefficients are those it
        was computed from: a third of a round's utility arithmetic."""
        inputs = (m.intercept_r, m.coef_r["beta_stance"], m.coef_r["beta_stakes"], m.stakes_r)
        kept = getattr(m, "standing", None)
        if (kept is None or any(a is not b for a, b in zip(kept[0], inputs))
                or not np.array_equal(kept[1], stance)):
            value = standing_support(m.intercept_r, stance[:, None], stakes_r, m.coef_r)
            kept = m.standing = (inputs, stance, value)
        return kept[2]

    def hear_lobby(self, size, kind: str, believed: np.ndarray, credibility: float,
                   central: float) -> None:
        """Take the echo of an instrument through the sector's firms (business lobbying):
        pressure the government feels, but no act of coercion others see or it resents."""
        if kind == "stick":
            self.stick += size * believed
            self.stick_expected += central * credibility
        else:
            self.carrot += size * believed
            self.carrot_expected += central * credibility

    def receive(self, size, kind: str, believed: np.ndarray, credibility: float,
                central: float | None = None) -> None:
        """Take a landed instrument use: a stick (believed in some replications, visible to
        all) or a carrot (delivered in some replications). ``size`` may vary by replication
        (a drawn effect); ``central`` is its size at the stated effect, which the expected
        track and the others' view of coercion use."""
        central = size if central is None else central
        if kind == "stick":
            self.stick += size * believed
            self.stick_expected += central * credibility
            self.visible_stick += central
        else:
            self.carrot += size * believed
            self.carrot_expected += central * credibility

    # --- what a round's records report (rounds.csv) --------------------------------------------
    @property
    def block_sums(self) -> np.ndarray:
        """(blocks, 5): this round's P(for), P(abstain), P(against), stick and carrot summed
        over each block of replications (``model.abm.model.MEAN_COLUMNS``); rounds.csv has
        their means over the run (:mod:`model.abm.blocks`)."""
        return self.model.round_block_sums[self.index]

    @property
    def expected_p_for(self) -> float:
        return float(self.model.expected[self.index, FOR])

    @property
    def expected_p_against(self) -> float:
        return float(self.model.expected[self.index, AGAINST])


@dataclass(frozen=True)
class Pending:
    """An allocation whose effect lands at ``due`` (its round plus the instrument's lag).
    ``profile`` scales it round by round once landed (a scheduled action, else None);
    ``echo`` > 0 marks its echo through the sector's lobby, at the lobby's weight."""

    due: int
    allocation: Allocation
    profile: tuple[float, ...] | None = None
    echo: float = 0.0


@dataclass
class Standing:
    """A landed use whose size follows a monthly profile: its size at multiplier 1 (per
    replication and central), who believes it, and the multiplier it stands at now."""

    target: MemberState
    kind: str
    unit_size: object
    unit_central: float
    believed: np.ndarray
    credibility: float
    profile: tuple[float, ...]
    level: float = 0.0


class China(mesa.Agent):
    """China: each round it observes the expected votes, spends its budget on carrots and
    sticks with its strategy, and its instruments land on their targets after their lag,
    believed (threats) or delivered (promises) with their credibility."""

    def __init__(self, model, strategy: str, budget: float) -> None:
        super().__init__(model)
        self.strategy = get_strategy(strategy)
        self.budget = budget
        self.pending: list[Pending] = []
        self.standing: list[Standing] = []
        self.log: list[dict] = []

    def commit(self, allocation: Allocation, round_: int,
               profile: tuple[float, ...] | None = None) -> None:
        lag = round(self.model.instruments[allocation.instrument].lag.value)
        self.pending.append(Pending(round_ + lag, allocation, profile))

    def plan(self) -> list[Allocation]:
        m = self.model
        part = m.participating
        ctx = PlanContext(
            states=[s for s, p in zip(m.all_states, part) if p],
            populations=m.populations[part],
            rule=m.rule,
            utility=m.expected_utility[part].copy(),
            cut_low=m.coef["cut_low"], cut_high=m.coef["cut_high"],
            beta_pressure=m.coef["beta_pressure"] * m.forces.get("pressure", 1.0),
            beta_grievance=m.coef.get("beta_grievance", 0.0) * m.forces.get("grievance", 0.0),
            exposure=m.exposure[part], channels=m.channels,
            instruments=[m.instruments[n] for n in m.budget_instruments],
            credibility={n: m.credibility(n) for n in m.instruments},
            budget=self.budget,
            max_share_per_target=m.strategy_params.get("max_share_per_target", 1.0),
            max_carrot_share=m.strategy_params.get("max_carrot_share", 1.0),
        )
        return self.strategy.allocate(ctx)

    def step(self) -> None:
        """Plan this round's spending, then land every use that is due."""
        m = self.model
        for alloc in m.plan.china(m.round, self.plan):
            self.commit(alloc, m.round)
            m.agent_of[alloc.target].spend_received += alloc.spend
            self.log.append({"round": m.round, "instrument": alloc.instrument,
                             "target": alloc.target, "intensity": alloc.intensity,
                             "spend": alloc.spend, "source": "strategy"})
        while due := [p for p in self.pending if p.due <= m.round]:
            # landing can schedule a lobby's echo for this very round (a lag of 0): land it too
            self.pending = [p for p in self.pending if p.due > m.round]
            for p in due:
                self.land(p.allocation, p.profile, p.echo)
        self.restate()

    def land(self, alloc: Allocation, profile: tuple[float, ...] | None = None,
             echo: float = 0.0) -> None:
        """Apply an allocation's effect to its target in every replication. A scheduled one
        (``profile``) stands from now on at the round's multiplier (:meth:`restate`); with
        business lobbying on its channel, the echo through the sector's firms is scheduled
        (not for a scheduled use, which follows its profile instead). ``echo`` > 0: this is
        that echo, at the lobby's weight."""
        m = self.model
        ins = m.instruments[alloc.instrument]
        target = m.agent_of[alloc.target]
        ch = m.channels.index(ins.channel)
        scale = echo if echo else 1.0
        central = ins.effect.value * m.exposure[target.index, ch] * alloc.intensity * scale
        if central == 0:
            return
        size = m.effect(ins.name) * m.exposure[target.index, ch] * alloc.intensity * scale
        cred = m.credibility(ins.name)
        if echo:
            believed = m.streams.uniform("lobbying") < cred
            target.hear_lobby(size, ins.kind, believed, cred, central)
            return
        believed = m.streams.uniform("credibility") < cred
        if profile is not None:
            self.standing.append(Standing(target, ins.kind, size, central, believed, cred,
                                          profile))
            return
        target.receive(size, ins.kind, believed, cred, central)
        if ins.channel in m.lobbying:
            weight, lag = m.lobbying[ins.channel]
            if weight > 0:
                self.pending.append(Pending(m.round + lag, alloc, echo=weight))

    def restate(self) -> None:
        """Bring every scheduled use to this round's multiplier: China tightens or relaxes,
        and the change is felt (and seen) as a stick or carrot added or withdrawn."""
        r = self.model.round
        for s in self.standing:
            level = s.profile[r] if r < len(s.profile) else s.profile[-1]
            if level != s.level:
                change = level - s.level
                s.target.receive(s.unit_size * change, s.kind, s.believed, s.credibility,
                                 s.unit_central * change)
                s.level = level


class Commission(mesa.Agent):
    """The Commission: proposes the measure and, as the experiment allows, responds with
    EU-side levers (:mod:`model.abm.levers`) once the expected adoption probability falls
    below its trigger. A lever acts ``lag`` rounds after the decision (params/eu_levers.toml):
    stockpiles and new mines take years, so a lever decided months before the vote may never act
    in the run, and :attr:`too_late` says which."""

    def __init__(self, model, levers: dict[str, float], respond_below: float,
                 lags: dict[str, int] | None = None) -> None:
        super().__init__(model)
        self.available = dict(levers)
        self.respond_below = respond_below
        self.lags = {name: int((lags or {}).get(name, 0)) for name in self.available}
        self.decided: dict[str, int] = {}      # lever -> round it was decided
        self.active: dict[str, float] = {}

    def decide(self) -> list[str] | None:
        """The levers to pull this round: every available one not yet decided once the trigger
        is met (at once if it is 1); None when nothing is left to decide."""
        if not self.available or len(self.decided) == len(self.available):
            return None
        if self.respond_below >= 1.0 or self.model.expected_adoption() < self.respond_below:
            return [name for name in self.available if name not in self.decided]
        return []

    @property
    def too_late(self) -> dict[str, dict[str, int]]:
        """Levers decided but not acting by the vote: their decision round, lag and the round
        their effect would land in."""
        return {name: {"decided_in_round": r, "lag_rounds": self.lags[name],
                       "would_act_in_round": r + self.lags[name]}
                for name, r in self.decided.items() if name not in self.active}

    def step(self) -> None:
        """Decide levers this round (or replay the run's plan), then apply those whose lag has
        passed."""
        m = self.model
        pulled = m.plan.commission(m.round, self.decide)
        for name in pulled or []:
            self.decided.setdefault(name, m.round)
        due = [name for name, r in self.decided.items()
               if name not in self.active and r + self.lags[name] <= m.round]
        for name in due:
            self.active[name] = self.available[name]
            get_lever(name).apply(m, self.available[name])
        if due:
            m.refresh_stakes()

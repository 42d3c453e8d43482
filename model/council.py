"""The Mesa model: the weeks before a Council or committee vote, R replications in lockstep.

One model run steps the member states, China and the Commission round by round, then samples
the final vote in every replication and evaluates all of them at once with model.rules.

Random numbers come in fixed blocks of :data:`BLOCK` replications, each with its own streams
``SeedSequence(seed, spawn_key=(point, block, purpose))`` - one for preference shocks, one for
the credibility of China's instruments, one for the final vote. A replication's numbers
therefore depend only on the seed, the experiment point and its block - not on how many
replications run together or how the work is split, as long as chunks are whole blocks - and
two scenarios run with the same seed share their shocks and vote draws exactly (common random
numbers), whatever China does in each.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from .agents import China, Commission, MemberState
from .behaviour import sample_votes
from .rules import ABSENT, ABSTAIN, AGAINST, FOR, OUTCOMES, outcomes_vectorised
from .spec import Scenario
from .strategies import Allocation

__all__ = ["BLOCK", "CouncilModel", "RunOutput", "block_streams"]

BLOCK = 250


PURPOSES = ("shock", "credibility", "vote")


def block_streams(seed: int, point: int, first_block: int, sizes: list[int],
                  purpose: str) -> list[np.random.Generator]:
    """One generator per block of replications, keyed by (seed, point, block, purpose)."""
    code = PURPOSES.index(purpose)
    return [np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(point, first_block + b, code)))
            for b in range(len(sizes))]


@dataclass
class RunOutput:
    """Raw arrays of one model run (R replications)."""

    states: list[str]
    outcomes: np.ndarray          # (R,) index into OUTCOMES[rule]
    votes: np.ndarray             # (R, n) position codes
    probabilities: np.ndarray     # (n, R, 3) final-round for/abstain/against
    pivotal: np.ndarray           # (n, R) bool: a single switch of this state changes the outcome
    expected: np.ndarray          # (n, 3) final expected-track probabilities
    rounds: list[dict]            # per round and state: mean probabilities and pressures
    china_log: list[dict]
    levers_used: dict[str, float]
    spend: np.ndarray             # (n,) China's spend on each state


class CouncilModel(mesa.Model):
    """Member states under Chinese pressure before a vote; R replications in lockstep."""

    def __init__(self, scenario: Scenario, replications: int, seed: int, *, point: int = 0,
                 first_block: int = 0, block_size: int = BLOCK) -> None:
        super().__init__(seed=seed)
        self.scenario = scenario
        self.replications = R = int(replications)
        self.sizes = [min(block_size, R - s) for s in range(0, R, block_size)]
        self.streams = {p: block_streams(seed, point, first_block, self.sizes, p) for p in PURPOSES}
        self.round = 0
        n = len(scenario.all_states)
        self.participating = np.array([s in set(scenario.states) for s in scenario.all_states])
        self.exposure = scenario.exposure.copy()
        self._stake_scale = {"negative": 1.0, "all": 1.0}
        self.stakes = scenario.stakes(self.exposure)
        self.intercept = scenario.intercept
        # China's budget buys the instruments the experiment allows (all by default); actions
        # already in force may use others.
        self.budget_instruments = list(scenario.spec.china.instruments or scenario.instruments)
        self.aci_factor = 1.0
        shock = self.draw_normal("shock", (n,)) * scenario.coef["shock_sd"]       # (R, n)
        self.member_states = [
            MemberState(self, i, iso, int(scenario.populations[i]), float(scenario.stance[i]),
                        shock[:, i])
            for i, iso in enumerate(scenario.all_states)
        ]
        self.agent_of = {a.iso2: a for a in self.member_states}
        self.china = China(self, scenario.spec.china.strategy, scenario.budget)
        self.commission = Commission(self, scenario.levers, scenario.spec.commission.respond_below)
        self.probabilities = np.zeros((n, R, 3))
        self.expected = np.zeros((n, 3))
        self.next_probabilities = np.zeros((n, R, 3))
        self.next_expected = np.zeros((n, 3))
        self.expected_utility = np.zeros(n)
        self.peers = np.zeros((n, R))
        self.peers_expected = np.zeros(n)
        self.records: list[dict] = []
        for action in scenario.spec.china.actions:
            targets = (action.targets if action.targets != "exposed" else
                       self._exposed(action.instrument))
            for t in targets:
                alloc = Allocation(action.instrument, t, action.intensity, 0.0)
                self.china.commit(alloc, action.round)
                self.china.log.append({"round": action.round, "instrument": action.instrument,
                                       "target": t, "intensity": action.intensity, "spend": 0.0,
                                       "source": "in force" + (f" ({action.date})" if action.date else "")})
        # cheap scalar reporters only: the exact expected adoption probability costs a
        # passage-probability computation and is computed where it is needed
        self.datacollector = mesa.DataCollector(model_reporters={
            "expected_support": lambda m: m.expected_support,
            "china_spend": lambda m: float(sum(e["spend"] for e in m.china.log
                                               if e["round"] == m.round - 1)),
        })
        self._deliberate()                      # opening positions, before any pressure

    # --- random numbers, block by block ------------------------------------------------
    def draw_uniform(self, purpose: str, extra: tuple = ()) -> np.ndarray:
        """Uniform draws (R, *extra), block by block from the ``purpose`` streams."""
        return np.concatenate([g.random((s, *extra)) for g, s in zip(self.streams[purpose], self.sizes)])

    def draw_normal(self, purpose: str, extra: tuple = ()) -> np.ndarray:
        return np.concatenate([g.standard_normal((s, *extra))
                               for g, s in zip(self.streams[purpose], self.sizes)])

    # --- quantities the agents read ------------------------------------------------------
    def credibility(self, instrument: str) -> float:
        ins = self.scenario.instruments[instrument]
        return ins.credibility.value * (self.aci_factor if ins.kind == "stick" else 1.0)

    @property
    def expected_support(self) -> float:
        """Population-weighted expected P(for) of the participating states."""
        pops = self.scenario.populations * self.participating
        return float(pops @ self.expected[:, 0] / pops.sum())

    def backlash_for(self, index: int) -> float:
        part = self.participating
        visible = np.array([a.visible_stick for a in self.member_states]) * part
        return float((visible.sum() - visible[index]) / max(int(part.sum()), 1))

    def expected_adoption(self) -> float:
        """Exact P(measure adopted) from the expected-track probabilities (model.power)."""
        import pandas as pd

        from .power import passage_probability

        part = self.participating
        frame = pd.DataFrame(self.expected[part], columns=["p_for", "p_abstain", "p_against"],
                             index=[s for s, p in zip(self.scenario.all_states, part) if p])
        pop = pd.Series(self.scenario.populations, index=self.scenario.all_states)
        result = passage_probability(self.scenario.rule, frame, population=pop,
                                     participating=list(frame.index))
        if self.scenario.rule == "comitology":
            return 1.0 - result.p_blocked
        return result.p_adopted

    def apply_lever(self, name: str, strength: float) -> None:
        """Apply an EU-side lever the Commission activated (params/eu_levers.toml)."""
        if name == "price_undertakings" and self.scenario.measure.trade_defence:
            self._stake_scale["negative"] *= 1.0 - strength
        elif name == "narrower_scope":
            self._stake_scale["all"] *= 1.0 - strength
        elif name == "crma_stockpile":
            self.exposure[:, self.scenario.channels.index("magnets")] *= 1.0 - strength
        elif name == "aci_in_force":
            self.aci_factor = 1.0 - strength
        self.stakes = self.scenario.stakes(self.exposure, self._stake_scale["negative"],
                                           self._stake_scale["all"])

    def _exposed(self, instrument: str) -> list[str]:
        ch = self.scenario.channels.index(self.scenario.instruments[instrument].channel)
        return [s for i, s in enumerate(self.scenario.all_states)
                if self.participating[i] and self.exposure[i, ch] > 0]

    # --- dynamics --------------------------------------------------------------------------
    def _update_peers(self) -> None:
        pops = self.scenario.populations.astype(float) * self.participating
        net = self.probabilities[..., 0] - self.probabilities[..., 2]        # (n, R)
        total = (pops[:, None] * net).sum(axis=0)                              # (R,)
        others = pops.sum() - pops
        self.peers = (total[None, :] - pops[:, None] * net) / np.maximum(others, 1.0)[:, None]
        net_e = self.expected[:, 0] - self.expected[:, 2]
        total_e = float((pops * net_e).sum())
        self.peers_expected = (total_e - pops * net_e) / np.maximum(others, 1.0)

    def _deliberate(self) -> None:
        self._update_peers()
        for agent in self.member_states:
            agent.deliberate()
        self.probabilities, self.next_probabilities = self.next_probabilities, self.probabilities
        self.expected, self.next_expected = self.next_expected.copy(), self.expected

    def step(self) -> None:
        """One round: China plans and its due instruments land, the Commission may respond,
        then every member state deliberates."""
        self.china.step()
        self.commission.step()
        self._deliberate()
        self._record()
        self.round += 1
        self.datacollector.collect(self)

    def _record(self) -> None:
        mean = self.probabilities.mean(axis=1)
        for i, agent in enumerate(self.member_states):
            if not self.participating[i]:
                continue
            self.records.append({
                "round": self.round, "iso2": agent.iso2,
                "p_for": mean[i, 0], "p_abstain": mean[i, 1], "p_against": mean[i, 2],
                "expected_p_for": self.expected[i, 0], "expected_p_against": self.expected[i, 2],
                "stick": float(agent.stick.mean()), "carrot": float(agent.carrot.mean()),
                "spend_to_date": agent.spend_received,
            })

    def final_vote(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample every replication's vote; return votes (R, n), outcomes (R,), pivotal (n, R)."""
        n = len(self.member_states)
        u = self.draw_uniform("vote", (n,))                                            # (R, n)
        votes = sample_votes(self.probabilities.transpose(1, 0, 2), u)
        votes[:, ~self.participating] = ABSENT
        pops = self.scenario.populations
        rule = self.scenario.rule
        outcomes = outcomes_vectorised(rule, votes, pops)
        decisive = _decisive(outcomes, rule)
        pivotal = np.zeros((n, self.replications), dtype=bool)
        for i in np.flatnonzero(self.participating):
            for alt in (FOR, AGAINST, ABSTAIN):
                trial = votes.copy()
                trial[:, i] = alt
                changed = _decisive(outcomes_vectorised(rule, trial, pops), rule) != decisive
                pivotal[i] |= changed & (votes[:, i] != alt)
        return votes, outcomes, pivotal

    def run(self, on_round=None) -> RunOutput:
        """Step through every round (calling ``on_round()`` after each), then vote."""
        for _ in range(self.scenario.spec.rounds):
            self.step()
            if on_round is not None:
                on_round()
        votes, outcomes, pivotal = self.final_vote()
        return RunOutput(
            states=list(self.scenario.all_states), outcomes=outcomes, votes=votes,
            probabilities=self.probabilities.copy(), pivotal=pivotal, expected=self.expected.copy(),
            rounds=self.records, china_log=self.china.log, levers_used=dict(self.commission.active),
            spend=np.array([a.spend_received for a in self.member_states]),
        )


def _decisive(outcomes: np.ndarray, rule: str) -> np.ndarray:
    """Whether the measure ends adopted: for comitology, unless blocked (the Commission may
    adopt on no opinion); otherwise only on 'adopted'."""
    if rule == "comitology":
        return outcomes != OUTCOMES["comitology"].index("blocked")
    return outcomes == 0


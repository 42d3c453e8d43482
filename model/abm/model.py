"""The Mesa model: the months before a Council or committee vote, R replications in lockstep.

One model run steps China, the Commission and the member states round by round through Mesa's
AgentSets, collects each state's round by named reporters (Mesa's DataCollector; they become
rounds.csv), then samples the final vote in every replication and evaluates all of them at
once with the rule object of :mod:`model.treaty.rules`. Random numbers come from
:class:`model.abm.streams.Streams`: a replication's draws depend only on the seed, the
experiment point and its block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np
import pandas as pd

from ..treaty.pivotal import pivotal_states, tally
from ..treaty.positions import ABSENT, AGAINST, FOR
from .agents import China, Commission, MemberState
from .behaviour import COLUMNS, sample_votes
from .blocks import add_blocks, block_sums
from .plan import Plan
from .scenario import Scenario
from .strategies import Allocation
from .streams import BLOCK, Streams, block_sizes
from .uncertainty import block_normals

__all__ = ["BLOCK", "CouncilModel", "RunOutput", "ROUND_COLUMNS", "MEAN_COLUMNS"]

#: Per-state reporters of every round, by name, whose value is the same in every replication.
STATE_REPORTERS = {
    "expected_p_for": "expected_p_for", "expected_p_against": "expected_p_against",
    "spend_to_date": "spend_received",
}
#: The per-round columns that are means over the replications, in the order of a state's
#: ``block_sums`` (its reporter): recorded as sums per block, averaged when the table is made.
MEAN_COLUMNS = ("p_for", "p_abstain", "p_against", "stick", "carrot")
#: The columns of rounds.csv.
ROUND_COLUMNS = ("round", "iso2", "p_for", "p_abstain", "p_against", "expected_p_for",
                 "expected_p_against", "stick", "carrot", "spend_to_date")


@dataclass
class RunOutput:
    """What one model run (R replications) keeps: a few bytes per replication (its outcome and
    votes) and reductions whose size does not grow with R but by one row per block of 250.

    The final-round probabilities and the per-round means of rounds.csv are kept as sums per
    block (not per replication), so the mean over a whole run is the same sum of the same
    block sums, in block order (:mod:`model.abm.blocks`), however the run was split into
    chunks or processes. A streamed run (:mod:`model.experiments.replications`) keeps
    the reductions only: ``outcomes`` and ``votes`` are None and ``outcome_counts`` says how
    many replications of each block ended in each outcome, and its block sums are held as one
    block, their total so far."""

    states: list[str]
    outcomes: np.ndarray | None   # (R,) int8 index into rule.outcomes
    votes: np.ndarray | None      # (R, n) int8 position codes
    probability_sums: np.ndarray  # (n, blocks, 3) final-round for/abstain/against, summed per block
    pivotal_counts: np.ndarray    # (n,) replications in which a single switch of the state
                                  # changes whether the measure is adopted
    expected: np.ndarray          # (n, 3) final expected-track probabilities
    round_records: pd.DataFrame   # per round and participating state: round, iso2 and the
                                  # STATE_REPORTERS
    round_sums: np.ndarray        # (rows of round_records, blocks, MEAN_COLUMNS) sums per block
    china_log: list[dict]
    levers_used: dict[str, float]
    spend: np.ndarray             # (n,) China's spend on each state
    block_sizes: list[int] | None = None   # replications per block, in order
    theta: np.ndarray | None = None        # (blocks, k) parameter draws in fitted scales
    levers_too_late: dict = field(default_factory=dict)  # decided, but acting after the vote
    outcome_counts: np.ndarray | None = None   # (blocks, outcomes) replications per outcome

    @property
    def n_replications(self) -> int:
        """R, whether the per-replication arrays are kept or only the reductions."""
        if self.outcomes is not None:
            return len(self.outcomes)
        return int(self.outcome_counts.sum())

    @property
    def mean_probabilities(self) -> np.ndarray:
        """(n, 3) final-round probabilities averaged over every replication."""
        return add_blocks(self.probability_sums) / self.n_replications

    @property
    def rounds(self) -> pd.DataFrame:
        """rounds.csv: per round and participating state, the records and the means over
        every replication."""
        frame = self.round_records.copy()
        means = add_blocks(self.round_sums) / self.n_replications
        for j, name in enumerate(MEAN_COLUMNS):
            frame[name] = means[:, j]
        return frame[list(ROUND_COLUMNS)]

    @property
    def p_pivotal(self) -> np.ndarray:
        """(n,) share of replications in which the state is pivotal."""
        return self.pivotal_counts / self.n_replications


class CouncilModel(mesa.Model):
    """Member states under Chinese pressure before a vote; R replications in lockstep."""

    def __init__(self, scenario: Scenario, replications: int, seed: int, *, point: int = 0,
                 first_block: int = 0, block_size: int = BLOCK, collect: bool = True,
                 plan: Plan | None = None) -> None:
        super().__init__(seed=seed)
        self.scenario = scenario
        self.collect = collect          # per-round records (rounds.csv); calibration skips them
        self.plan = Plan() if plan is None else plan    # China's and the Commission's decisions
        self.replications = R = int(replications)
        self.streams = Streams(seed, point, first_block, block_sizes(R, block_size))
        self.round = 0
        # what the agents read, copied from the scenario so levers can change it
        self.rule = scenario.rule
        self.measure = scenario.measure
        self.coef = scenario.coef
        self.intercept = scenario.intercept
        self.all_states = list(scenario.all_states)
        self.populations = scenario.populations
        self.channels = scenario.channels
        self.instruments = scenario.instruments
        self.budget_instruments = scenario.budget_instruments
        self.strategy_params = scenario.strategy_params
        self.lobbying = scenario.lobbying
        self.participating = scenario.participating
        self.exposure = scenario.exposure.copy()
        # lever state (model.abm.levers)
        self.stake_scale_negative = 1.0
        self.stake_scale_all = 1.0
        self.compensation = 0.0
        self.stick_credibility = 1.0
        self.forces = scenario.forces
        self._draw_parameters(seed, first_block)
        self.stakes = scenario.stakes(self.exposure)
        self.stakes_r = self._stakes_r()
        n = len(self.all_states)
        shock = self.streams.normal("shock", (n,)) * self._as_column(self.coef_r["shock_sd"])
        self.shock = np.ascontiguousarray(shock.T)      # (n, R): each state's row is its own
        self.sticks = np.zeros((n, R))          # China's sticks and carrots felt, per state and
        self.carrots = np.zeros((n, R))         # replication (each state holds its own rows)
        for i, iso in enumerate(self.all_states):
            MemberState(self, i, iso, int(self.populations[i]), float(scenario.stance[i]),
                        self.shock[i], bool(self.participating[i]))
        self.member_states = self.agents_by_type[MemberState]
        self.agent_of = {a.iso2: a for a in self.member_states}
        self.china = China(self, scenario.strategy, scenario.budget)
        self.commission = Commission(self, scenario.levers, scenario.respond_below,
                                     scenario.lever_lags)
        self.planes = np.zeros((3, n, R))        # P(for), P(abstain), P(against) per state
        self.expected = np.zeros((n, 3))
        self.next_planes = np.zeros((3, n, R))   # and replication (behaviour.COLUMNS)
        self.next_expected = np.zeros((n, 3))
        self.expected_utility = np.zeros(n)
        self.peers = np.zeros((n, R))
        self.work = np.empty((3, n, R))         # utilities, scratch and pressure, reused
        self.peers_expected = np.zeros(n)
        self.round_block_sums = np.zeros((n, len(self.streams.sizes), len(MEAN_COLUMNS)))
        for action in scenario.actions:
            for target in action.targets:
                self.china.commit(Allocation(action.instrument, target, action.intensity, 0.0),
                                  action.round, action.profile)
                by_month = ("" if action.profile is None else
                            f", by month: {self.instruments[action.instrument].schedule.name}")
                self.china.log.append({
                    "round": action.round, "instrument": action.instrument, "target": target,
                    "intensity": action.intensity, "spend": 0.0,
                    "source": "in force" + (f" ({action.date})" if action.date else "")
                    + by_month})
        self.datacollector = mesa.DataCollector(agenttype_reporters={MemberState: {
            "round": lambda a: a.model.round, "iso2": "iso2",
            "participating": "participating", "block_sums": "block_sums", **STATE_REPORTERS}})
        self._deliberate()                      # opening positions, before any pressure
        self._forget_agent_ids()

    # --- parameter draws (model.abm.uncertainty) -----------------------------------------
    def _draw_parameters(self, seed: int, first_block: int) -> None:
        """Per-replication values of the drawn parameters (one draw per block); central values
        (``coef``, ``intercept``, the instruments' effects) stay what the expected track, China
        and the Commission plan on."""
        unc = self.scenario.uncertainty
        self.draws: dict[str, np.ndarray] = {}
        self.theta_blocks = None
        if unc is not None and unc.params:
            sizes = self.streams.sizes
            z = block_normals(seed, first_block, len(sizes), unc.names)
            theta = unc.draw_theta(z)
            self.theta_blocks = theta
            natural = unc.natural(theta)
            for j, name in enumerate(unc.names):
                self.draws[name] = np.repeat(natural[:, j], sizes)
        self.coef_r = dict(self.coef)
        for name, values in self.draws.items():
            if name in self.coef_r:
                self.coef_r[name] = values
        if "cut_gap" in self.draws:
            mid = (self.coef["cut_low"] + self.coef["cut_high"]) / 2
            self.coef_r["cut_low"] = mid - self.draws["cut_gap"] / 2
            self.coef_r["cut_high"] = mid + self.draws["cut_gap"] / 2
        self.intercept_r = self.draws.get(f"intercept.{self.measure.name}", self.intercept)

    def _as_column(self, value):
        return value[:, None] if isinstance(value, np.ndarray) else value

    def _stakes_r(self):
        """Stakes per state and replication (n, R) when weights are drawn, else per state."""
        m = self.measure.name
        drawn = {ch: self.draws[f"stakes.{m}.{ch}"] for ch in self.scenario.stakes_weights
                 if f"stakes.{m}.{ch}" in self.draws}
        if not drawn:
            return self.stakes
        out = np.zeros((len(self.all_states), self.replications))
        for ch, w in self.scenario.stakes_weights.items():
            w = drawn.get(ch, w)
            scale = self.stake_scale_all * (self.stake_scale_negative
                                            if np.all(np.asarray(w) < 0) else 1.0)
            out += (np.asarray(w) * scale)[None, :] * self.exposure[:, self.channels.index(ch),
                                                                    None]
        return out

    def effect(self, instrument: str):
        """An instrument's effect per replication (drawn) or its stated value."""
        return self.draws.get(f"effect.{instrument}", self.instruments[instrument].effect.value)

    # --- quantities the agents read ------------------------------------------------------
    def credibility(self, instrument: str) -> float:
        ins = self.instruments[instrument]
        return ins.credibility.value * (self.stick_credibility if ins.kind == "stick" else 1.0)

    def scale_channel(self, channel: str, factor: float) -> None:
        """Multiply every state's exposure on ``channel`` by ``factor`` (a lever's effect)."""
        self.exposure[:, self.channels.index(channel)] *= factor

    def refresh_stakes(self) -> None:
        """Recompute the measure's stakes after a lever changed exposure or stake scales."""
        self.stakes = self.scenario.stakes(self.exposure, self.stake_scale_negative,
                                           self.stake_scale_all)
        self.stakes_r = self._stakes_r()

    def expected_adoption(self) -> float:
        """Exact P(measure adopted in the end) from the expected-track probabilities."""
        from ..treaty.power import passage_probability

        part = self.participating
        states = [s for s, p in zip(self.all_states, part) if p]
        frame = pd.DataFrame(self.expected[part], columns=list(COLUMNS), index=states)
        pop = dict(zip(self.all_states, (int(p) for p in self.populations)))
        result = passage_probability(self.rule, frame, population=pop, participating=states)
        return self.rule.p_adopted_in_the_end(result)

    # --- dynamics --------------------------------------------------------------------------
    def _update_peers(self) -> None:
        pops = self.populations.astype(float) * self.participating
        net = self.planes[FOR] - self.planes[AGAINST]                          # (n, R)
        weighted = np.multiply(pops[:, None], net, out=net)                   # in place: the
        total = weighted.sum(axis=0)                                           # same arithmetic,
        others = pops.sum() - pops                                             # fewer arrays
        np.subtract(total[None, :], weighted, out=weighted)
        self.peers = np.divide(weighted, np.maximum(others, 1.0)[:, None], out=weighted)
        net_e = self.expected[:, 0] - self.expected[:, 2]
        total_e = float((pops * net_e).sum())
        self.peers_expected = (total_e - pops * net_e) / np.maximum(others, 1.0)

    def _deliberate(self) -> None:
        self._update_peers()
        MemberState.deliberate_all(self)
        self.planes, self.next_planes = self.next_planes, self.planes
        self.expected, self.next_expected = self.next_expected.copy(), self.expected

    def step(self) -> None:
        """One round: China plans and its due instruments land, the Commission may respond,
        then every member state deliberates; the round's records are collected."""
        self.agents_by_type[China].do("step")
        self.agents_by_type[Commission].do("step")
        self._deliberate()
        if self.collect:
            self._sum_round()
            self.datacollector.collect(self)
        self.round += 1

    @property
    def probabilities(self) -> np.ndarray:
        """(n, R, 3) this round's P(for), P(abstain), P(against) per state and replication (a
        copy in that layout; the model keeps them as planes)."""
        return np.ascontiguousarray(self.planes.transpose(1, 2, 0))

    def _probability_sums(self) -> np.ndarray:
        """(n, blocks, 3) the probabilities summed per block of replications."""
        return block_sums(self.planes, self.streams.sizes, axis=2).transpose(1, 2, 0)

    def _sum_round(self) -> None:
        """This round's sums per block of what rounds.csv averages (MEAN_COLUMNS), per state."""
        sizes = self.streams.sizes
        self.round_block_sums = np.concatenate(
            [self._probability_sums(), block_sums(self.sticks, sizes)[..., None],
             block_sums(self.carrots, sizes)[..., None]], axis=-1)

    def rounds_table(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The collected records of the participating states, one row per round and state, and
        their sums per block (rows, blocks, MEAN_COLUMNS)."""
        frame = self.datacollector.get_agenttype_vars_dataframe(MemberState)
        frame = frame[frame["participating"].astype(bool)].reset_index(drop=True)
        shape = (0, len(self.streams.sizes), len(MEAN_COLUMNS))
        sums = np.stack(frame["block_sums"].to_list()) if len(frame) else np.zeros(shape)
        return frame[["round", "iso2", *STATE_REPORTERS]], sums

    def final_vote(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample every replication's vote; return votes (R, n), outcomes (R,), pivotal (n, R)."""
        n = len(self.all_states)
        u = self.streams.uniform("vote", (n,))                                        # (R, n)
        votes = sample_votes(self.planes.transpose(2, 1, 0), u)
        votes[:, ~self.participating] = ABSENT
        camps = tally(votes, self.populations)
        outcomes = self.rule.outcome_index(camps)
        pivotal = pivotal_states(self.rule, votes, self.populations, camps=camps)
        return votes, outcomes, pivotal

    def _forget_agent_ids(self) -> None:
        """Let the model and its arrays be freed once its user drops it.

        Mesa 3 numbers agents from a class-level table keyed by model (``mesa.Agent._ids``),
        which keeps every model ever built alive: a long run (one model per chunk) or a
        calibration (thousands of models) would hold all their arrays. Every agent of this
        model is created in ``__init__``, so the entry is removed at its end."""
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)

    def run(self, on_round=None) -> RunOutput:
        """Step through every round (calling ``on_round()`` after each), then vote."""
        for _ in range(self.scenario.rounds):
            self.step()
            if on_round is not None:
                on_round()
        self.plan.complete = True
        votes, outcomes, pivotal = self.final_vote()
        records, sums = self.rounds_table()
        return RunOutput(
            states=list(self.all_states), outcomes=np.asarray(outcomes, dtype=np.int8),
            votes=votes, probability_sums=self._probability_sums(),
            pivotal_counts=pivotal.sum(axis=1), expected=self.expected.copy(),
            round_records=records, round_sums=sums, china_log=self.china.log,
            levers_used=dict(self.commission.active),
            spend=np.array([a.spend_received for a in self.member_states]),
            block_sizes=list(self.streams.sizes), theta=self.theta_blocks,
            levers_too_late=self.commission.too_late,
        )

"""Chains of decisions: a measure, then what follows it (``[[stages]]`` of an experiment).

Real decisions come in sequences - provisional duties (advisory opinion), definitive duties
(examination procedure), the appeal committee; a coercion determination, then response
measures; duties, China's retaliation, the next trade-defence vote. Each stage is a run of its
own (its measure, rule and rounds; China's actions between the stages in force from its start;
the Commission's amendment as overrides, the knowledge of its own ``as_of`` day) with the same
seed, so a government's preference shock
and the parameter draws carry over from one decision to the next. A stage counts only in the
replications where the stage before met its requirement (:class:`~model.experiments.spec.
StageSpec`): elsewhere it is *not reached*, and nothing about it is counted. The chain's result
in a replication is the fate of the last stage it reached - a determination that failed ends
the chain there; a definitive act without an appeal stands.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..abm.model import RunOutput
from ..abm.uncertainty import adoption_intervals
from ..stats import wilson_interval
from ..treaty.positions import AGAINST, FOR
from ..treaty.rules.base import Camps
from .resolve import resolve
from .spec import ExperimentSpec

__all__ = ["stage_spec", "reached", "run_stages"]


def stage_spec(spec: ExperimentSpec, k: int) -> ExperimentSpec:
    """The experiment of stage ``k`` (1-based; 0 is the experiment itself)."""
    stage = spec.stages[k - 1]
    overrides = dict(spec.overrides)
    overrides.update(stage.overrides)
    return spec.model_copy(update={
        "name": f"{spec.name}.{stage.name}", "measure": stage.measure, "rule": stage.rule,
        "rounds": stage.rounds or spec.rounds, "china": stage.china or spec.china.model_copy(
            update={"actions": []}),
        "overrides": overrides, "stages": [], "sweep": None,
        "as_of": stage.as_of or spec.as_of})


def reached(requires: str, rule, out: RunOutput, pops: np.ndarray) -> np.ndarray:
    """Replications where the earlier stage's outcome lets this one happen."""
    if requires == "adopted":
        return rule.adopted(out.outcomes)
    if requires == "appeal_committee":
        camps = Camps.of(out.votes, pops)
        no_opinion = np.asarray(out.outcomes) == rule.outcomes.index("no_opinion") \
            if "no_opinion" in rule.outcomes else np.zeros(len(out.outcomes), dtype=bool)
        return no_opinion & (2 * camps.n(AGAINST) > camps.n_part)
    return np.asarray(out.outcomes) == rule.outcomes.index(requires)


def _stage_report(name: str, spec: ExperimentSpec, rule, out: RunOutput, live: np.ndarray,
                  adopted: np.ndarray, sizes: list[int], drawn: bool,
                  not_used: list | None = None) -> dict:
    R = len(live)
    k_reached, k_adopted = int(live.sum()), int((live & adopted).sum())
    lo, hi = wilson_interval(k_adopted, R)
    report = {"name": name, "measure": spec.measure, "rule": rule.name,
              "p_reached": k_reached / R, "p_adopted": k_adopted / R,
              "p_adopted_interval": {k: v for k, v in adoption_intervals(
                  live & adopted, sizes, (lo, hi), drawn).items() if k != "blocks"},
              "p_adopted_given_reached": (k_adopted / k_reached) if k_reached else None}
    n_for = (out.votes == FOR).sum(axis=1)
    if k_reached:
        report["mean_for_when_reached"] = float(n_for[live].mean())
    if not_used:
        report["actions_not_used"] = not_used
    if out.levers_too_late:
        report["commission_levers_too_late"] = out.levers_too_late
    return report


def run_stages(spec: ExperimentSpec, base_scenario, base: RunOutput, *, seed: int,
               point: int = 0, run: Callable, resume_dir: Path | None = None) -> dict:
    """Run every stage after the first and return ``{"stages": [...], "chain": {...},
    "_columns": {name: bool array}}`` (the per-replication columns the replications table
    gains: each stage reached and adopted, and the chain's result).

    ``run(scenario, resume_dir)`` runs one resolved scenario with the experiment's
    replications, seed and point and returns its RunOutput.
    """
    sizes = base.block_sizes or [len(base.outcomes)]
    drawn = base.theta is not None
    rule = base_scenario.rule
    live = np.ones(len(base.outcomes), dtype=bool)
    adopted = rule.adopted(base.outcomes)
    reports = [_stage_report(spec.name, spec, rule, base, live, adopted, sizes, drawn)]
    columns = {}
    final = adopted.copy()
    prev_rule, prev_out, prev_pops = rule, base, base_scenario.populations
    for k, stage in enumerate(spec.stages, start=1):
        sub = stage_spec(spec, k)
        scenario = resolve(sub)
        folder = Path(resume_dir) / f"stage_{k}" if resume_dir is not None else None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        out = run(scenario, folder)
        live = live & reached(stage.requires, prev_rule, prev_out, prev_pops)
        adopted = scenario.rule.adopted(out.outcomes)
        final = np.where(live, adopted, final)
        reports.append(_stage_report(stage.name, sub, scenario.rule, out, live, adopted, sizes,
                                     drawn, scenario.actions_not_used))
        columns[f"reached_{stage.name}"] = live.copy()
        columns[f"adopted_{stage.name}"] = live & adopted
        prev_rule, prev_out, prev_pops = scenario.rule, out, scenario.populations
    R = len(final)
    k = int(final.sum())
    lo, hi = wilson_interval(k, R)
    chain = {"p_adopted": k / R,
             "p_adopted_interval": {x: v for x, v in adoption_intervals(
                 final, sizes, (lo, hi), drawn).items() if x != "blocks"},
             "rule": "the fate of the last stage each replication reached"}
    columns["adopted_chain"] = final
    return {"stages": reports, "chain": chain, "_columns": columns}

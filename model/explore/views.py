"""What the page shows of a run, as plain data (the layout only draws it).

* the headline: P(adopted) with its Monte Carlo and total 95% intervals, as summary.json has
  them;
* per state: P(for), P(abstain), P(against), P(pivotal) and China's share of spending;
* the most pivotal and the most targeted states;
* the exact voting power of the Council the run votes in (absent states left out);
* the cheapest blocking coalition: the blocking coalition whose members are, together, the
  most likely to vote so as to stop the measure. Each state's cost is ``-ln P(helps stop)``
  (against in comitology, else anything but for: :meth:`~model.treaty.rules.base.Rule.helps_stop`)
  from the run's final probabilities, so the cheapest coalition is the one with the largest
  product of those probabilities - as if the states decided independently (they do not quite:
  they share shocks and China's pressure), which makes it a ranking, not a probability.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import InputError
from ..experiments.results import ExperimentResult
from ..experiments.spec import spec_composition
from ..inputs.tables import load_population
from ..treaty.blocking import cheapest_blocking_coalition
from ..treaty.power import power_indices
from ..treaty.rules import get_rule

__all__ = ["headline", "state_rows", "top_states", "council_of", "voting_power", "blocking",
           "TOP"]

#: How many states the pivotal and targeted lists show.
TOP = 5


def headline(summary: dict) -> dict:
    """P(adopted) and its intervals: ``total`` is None when the parameters were fixed."""
    interval = summary.get("p_adopted_interval", {})
    drawn = bool(summary.get("parameters", {}).get("drawn"))
    return {"p_adopted": summary["p_adopted"],
            "monte_carlo": list(interval.get("monte_carlo", summary["p_adopted_ci95"])),
            "total": list(interval["total"]) if drawn and "total" in interval else None,
            "replications": summary["replications"], "seed": summary["seed"],
            "blocks": summary.get("parameters", {}).get("blocks") if drawn else None,
            "rule": summary["rule"], "measure": summary["measure"],
            "outcomes": summary.get("outcomes", {})}


def state_rows(summary: dict) -> list[dict]:
    """The per-state rows of the summary, most in favour first."""
    return sorted(summary["states"], key=lambda r: (-r["p_for"], r["iso2"]))


def top_states(summary: dict, key: str, n: int = TOP) -> list[tuple[str, float]]:
    """The ``n`` states with the largest ``key`` (above zero), largest first."""
    rows = sorted(summary["states"], key=lambda r: (-r[key], r["iso2"]))
    return [(r["iso2"], r[key]) for r in rows[:n] if r[key] > 0]


def council_of(result: ExperimentResult) -> tuple[dict[str, int], list[str], bool]:
    """Populations of the Council's members, the states voting, and whether all do."""
    spec = result.spec
    members = list(spec_composition(spec).members)
    pops = load_population(spec.population).loc[members]
    voting = [s for s in members if s not in set(spec.absent)]
    return {s: int(pops[s]) for s in members}, voting, len(voting) == len(members)


def voting_power(result: ExperimentResult) -> pd.DataFrame:
    """Exact Shapley-Shubik and normalised Banzhaf indices of the states voting, under the
    run's rule, largest first."""
    pops, voting, full = council_of(result)
    df = power_indices(result.summary["rule"], pops, voting, full_council=full)
    return df[["shapley_shubik", "banzhaf_normalised"]].sort_values(
        ["shapley_shubik", "banzhaf_normalised"], ascending=False)


def blocking(result: ExperimentResult) -> dict:
    """The cheapest blocking coalition (see the module doc): ``states`` (largest population
    first), ``likelihood`` (the product of the members' P(helps stop)) and ``population_share``,
    or ``message`` saying why there is none."""
    rule = get_rule(result.summary["rule"])
    pops, voting, full = council_of(result)
    rows = {r["iso2"]: r for r in result.summary["states"]}
    helps = rule.helps_stop(*(np.array([rows[s][k] for s in voting])
                              for k in ("p_for", "p_abstain", "p_against")))
    with np.errstate(divide="ignore"):
        costs = pd.Series(-np.log(np.clip(helps, 0.0, 1.0)), index=voting)
    try:
        found = cheapest_blocking_coalition(rule.name, costs, pops, voting, full_council=full)
    except InputError as exc:
        return {"message": str(exc).split(": ", 1)[-1]}
    if not math.isfinite(found.cost):
        return {"message": "no coalition can block: some state needed never votes to stop it"}
    return {"states": list(found.states), "likelihood": math.exp(-found.cost),
            "population_share": found.population_share}

"""The model's predictions for a case, and why: final probabilities without the vote draw,
and each state's latent support split into its terms.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..abm.agents import MemberState
from ..abm.behaviour import COLUMNS
from ..abm.model import CouncilModel, RunOutput
from ..abm.scenario import Scenario
from ..inputs import catalogue
from ..treaty.positions import CHOICES

__all__ = ["behaviour_overrides", "simulate", "final_probabilities", "TERMS",
           "prediction_drivers", "misfits"]


def behaviour_overrides(path: Path | str, measure: str) -> dict[str, float]:
    """Overrides that make a run use the behaviour file at ``path``: every coefficient, and the
    measure's intercept and stakes weights (calibrated ones from its ``[measures]`` table,
    otherwise the priors of params/measures.toml)."""
    path = Path(path)
    out = dict(catalogue.coefficients(path).values())
    prior = catalogue.measures()[measure]
    cal = catalogue.calibrated_measures(path).get(measure, catalogue.MeasureCalibration())
    out["intercept"] = (cal.intercept or prior.intercept).value
    for ch, value in prior.stakes.items():
        out[f"stakes.{ch}"] = cal.stakes.get(ch, value).value
    return out


def simulate(scenario: Scenario, replications: int, seed: int, *, point: int = 0) -> tuple[
        CouncilModel, RunOutput]:
    """Run the model on a resolved scenario and return it with its output.

    The same numbers as :func:`model.experiments.run.run_experiment` in one chunk (the test suite
    checks this).
    """
    model = CouncilModel(scenario, replications, seed, point=point)
    return model, model.run()


def final_probabilities(scenario: Scenario, replications: int, seed: int, *,
                        point: int = 0) -> np.ndarray:
    """Mean final-round P(for, abstain, against) of every state (27 x 3), as the ``states``
    table of :func:`model.experiments.run.run_experiment` has them, without sampling the final vote
    (which calibration does not need)."""
    model = CouncilModel(scenario, replications, seed, point=point, collect=False)
    for _ in range(scenario.rounds):
        model.step()
    return model.probabilities.mean(axis=1)


TERMS = ("intercept", "stance", "stakes", "pressure", "grievance", "peers", "backlash")


def prediction_drivers(scenario: Scenario, seed: int) -> pd.DataFrame:
    """Why the model predicts what it does: each state's final latent support on the expected
    track (no preference shock) split into its terms.

    Columns: iso2, the :data:`TERMS` (intercept, beta_stance*stance, beta_stakes*stakes,
    -beta_pressure*f_pressure*(sticks + carrots), beta_grievance*f_grievance*sticks,
    beta_peer*peers, beta_backlash*f_backlash*backlash; f_* the measure's forces), ``utility``
    (their sum), ``stakes.<channel>`` (beta_stakes * weight * exposure; present when no
    Commission lever rescaled the stakes) and the cut points.
    """
    model, _ = simulate(scenario, 1, seed)
    c = scenario.coef
    f = scenario.forces
    rows = []
    levers = bool(model.commission.active)
    felt = MemberState.felt(model)
    for i, agent in enumerate(model.member_states):
        if not model.participating[i]:
            continue
        row = {"iso2": agent.iso2,
               "intercept": model.intercept,
               "stance": c["beta_stance"] * agent.stance,
               "stakes": c["beta_stakes"] * agent.stakes,
               "pressure": -c["beta_pressure"] * f.get("pressure", 1.0)
               * float(felt["pressure_expected"][i]),
               "grievance": c.get("beta_grievance", 0.0) * f.get("grievance", 0.0)
               * agent.visible_stick,
               "peers": c["beta_peer"] * float(model.peers_expected[i]),
               "backlash": c["beta_backlash"] * f.get("backlash", 1.0) * float(felt["backlash"][i])}
        row["utility"] = float(model.expected_utility[i])
        if not levers:
            for ch, w in scenario.stakes_weights.items():
                row[f"stakes.{ch}"] = (c["beta_stakes"] * w
                                       * model.exposure[i, scenario.channels.index(ch)])
        row["cut_low"], row["cut_high"] = c["cut_low"], c["cut_high"]
        rows.append(row)
    return pd.DataFrame(rows)


def _r(x: float) -> float:
    return float(x) + 0.0          # + 0.0 turns -0.0 into 0.0


def misfits(states: pd.DataFrame, drivers: pd.DataFrame, y: np.ndarray, k: int) -> list[dict]:
    p = states[list(COLUMNS)].to_numpy()
    p_obs = p[np.arange(len(y)), y]
    order = np.argsort(p_obs, kind="stable")[:k]
    by_state = drivers.set_index("iso2")
    out = []
    for i in order:
        iso = states["iso2"].iloc[i]
        d = by_state.loc[iso]
        out.append({
            "iso2": iso, "observed": CHOICES[y[i]].word, "p_observed": float(p_obs[i]),
            "predicted": CHOICES[int(np.argmax(p[i]))].word,
            "utility": _r(d["utility"]), "cut_low": _r(d["cut_low"]), "cut_high": _r(d["cut_high"]),
            "terms": {t: _r(d[t]) for t in TERMS},
            "stakes_by_channel": {c.split(".", 1)[1]: _r(d[c])
                                  for c in drivers.columns if c.startswith("stakes.")},
        })
    return out

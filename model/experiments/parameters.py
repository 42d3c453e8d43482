"""Which parameters a scenario draws, and from what: the calibration's posterior where the
behaviour file has one, the priors otherwise (:mod:`model.abm.uncertainty`).

Drawn: the behavioural coefficients (stance, stakes, pressure, peers, backlash, grievance where
the measure has it), the cut-point gap and the preference-shock scale; the measure's intercept
and stakes weights; the effect of every instrument the scenario can use. Kept fixed: anything
the experiment overrides (the override is a deliberate choice) and, with ``fixed_parameters``,
everything. Coding choices of the inputs (stance weights, exposure references) and the
instruments' costs, lags and credibilities are not drawn: their uncertainty is not in the total
interval (docs/ODD.md section 8).
"""

from __future__ import annotations

import numpy as np

from ..abm.uncertainty import Param, ParameterSet, to_theta
from ..inputs import catalogue

__all__ = ["parameter_set", "GLOBAL_COEFFICIENTS"]

#: Global coefficients that are drawn (each has a prior sd of its own name).
GLOBAL_COEFFICIENTS = ("beta_stance", "beta_stakes", "beta_pressure", "beta_peer",
                       "beta_backlash", "beta_grievance", "shock_sd")


def _candidates(spec, measure, coef, intercept, weights, instruments, forces) -> dict:
    """name -> (central value, transform, prior group) of every parameter that can move this
    scenario."""
    priors = catalogue.coefficients(catalogue.tables.PARAMS_DIR / "behaviour_priors.toml")
    shipped = catalogue.coefficients()
    out = {}
    for name in GLOBAL_COEFFICIENTS:
        if name == "beta_grievance" and forces.get("grievance", 0.0) == 0.0:
            continue
        value = getattr(shipped, name)
        direction = value.direction or getattr(priors, name).direction
        transform = {"+": "log", "-": "neglog"}.get(direction, "identity")
        out[name] = (coef[name], transform, name)
    out["cut_gap"] = (coef["cut_high"] - coef["cut_low"], "log", "cut_gap")
    out[f"intercept.{measure.name}"] = (intercept, "identity", "intercept")
    for ch, w in weights.items():
        prior = measure.stakes.get(ch)
        out[f"stakes.{measure.name}.{ch}"] = (w, catalogue.transform_of(prior) if prior else
                                               "identity", "stakes")
    for name, ins in instruments.items():
        out[f"effect.{name}"] = (ins.effect.value, "log", "instrument_effect")
    return out


def _overridden(name: str, overrides: dict) -> bool:
    parts = name.split(".")
    if name in overrides:
        return True
    if name == "cut_gap":
        return "cut_low" in overrides or "cut_high" in overrides
    if parts[0] == "intercept":
        return "intercept" in overrides
    if parts[0] == "stakes":
        return f"stakes.{parts[2]}" in overrides
    if parts[0] == "effect":
        return f"instrument.{parts[1]}.effect" in overrides
    return False


def parameter_set(spec, measure, coef, intercept, weights, instruments, forces,
                  used_instruments) -> tuple[ParameterSet | None, dict[str, str]]:
    """The distribution of the scenario's uncertain parameters and the ones kept fixed (with
    the reason)."""
    cands = _candidates(spec, measure, coef, intercept, weights,
                        {k: v for k, v in instruments.items() if k in used_instruments}, forces)
    fixed = {}
    if spec.fixed_parameters:
        return None, dict.fromkeys(cands, "fixed_parameters")
    for name in list(cands):
        value, transform, _ = cands[name]
        if _overridden(name, spec.overrides):
            fixed[name] = "set in the experiment's overrides"
            del cands[name]
        elif transform != "identity" and value == 0:
            fixed[name] = "zero: no direction to draw around"
            del cands[name]
    if not cands:
        return None, fixed
    post = catalogue.posterior()
    sds = catalogue.prior_sds()
    in_post = [n for n in (post["names"] if post else []) if n in cands]
    names = in_post + sorted(n for n in cands if n not in in_post)
    k = len(names)
    mean = np.zeros(k)
    cov = np.zeros((k, k))
    params = []
    if in_post:
        idx = [post["names"].index(n) for n in in_post]
        full = np.array(post["cov"])
        cov[:len(idx), :len(idx)] = full[np.ix_(idx, idx)]
        for j, i in enumerate(idx):
            mean[j] = post["mean"][i]
            params.append(Param(in_post[j], post["transforms"][i], "posterior"))
    for j in range(len(in_post), k):
        name = names[j]
        value, transform, group = cands[name]
        sd = sds[group]
        mean[j] = to_theta(value, transform)
        spread = sd.value
        if transform != "identity" and sd.scale == "linear":
            spread = sd.value / abs(value)      # the delta method: sd of log|value|
        cov[j, j] = spread ** 2
        params.append(Param(name, transform, "prior"))
    chol = np.linalg.cholesky(cov + 1e-12 * np.eye(k))
    return ParameterSet(tuple(params), mean, chol), fixed

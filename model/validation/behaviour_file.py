"""The calibrated behaviour file: priors for what was not fitted, calibrated values (with
source, interval and an in-sample note) for what was, and the fit's provenance in ``[meta]``.
"""

from __future__ import annotations

from pathlib import Path

from ..inputs import catalogue
from ..inputs.tables import data_hashes
from ..io import atomic_write_text, file_sha256, toml_dumps
from ..version import __version__
from .calibrate import CalibrationResult, penalty_text

__all__ = ["behaviour_toml", "write_behaviour"]


#: Appended to the note of a coefficient whose documented direction the user freed.
FREED = "; its documented direction was freed by the user (--free-sign): the fit may reverse it"


def _sourced(value: float, source: str, note: str, direction: str | None = None) -> dict:
    out = {"value": round(float(value), 6), "source": source, "confidence": "calibrated",
           "note": note}
    if direction:
        out["direction"] = direction
    return out


def behaviour_toml(result: CalibrationResult) -> str:
    """The calibrated behaviour file: priors for what was not fitted, calibrated values (with
    source, interval and an in-sample note) for what was, and the provenance in ``[meta]``."""
    prior = catalogue.coefficients(result.priors_path)
    names = ", ".join(c["name"] for c in result.cases)
    rows = {r["name"]: r for r in result.estimates()}

    def note(name: str) -> str:
        r = rows[name]
        scale = {"identity": "", "log": " on the log scale", "neglog": " on the log of its "
                 "magnitude"}[r["scale"]]
        interval = (f"se {r['se']:.3f}{scale}, 95% interval {r['ci95'][0]:.3f} to "
                    f"{r['ci95'][1]:.3f}" if r["se"] is not None else "no standard error")
        return (f"MAP estimate, prior {r['prior_mean']:g} (sd {r['prior_sd']:g}{scale}); "
                f"{interval}; fitted on {result.n_obs} recorded observations: in-sample")

    source = f"calibrated on {names} (eucoalition calibrate, MAP toward {result.priors_path.name})"
    coefficients = {}
    values = result.values
    for key in catalogue.Coefficients.model_fields:
        if key in values:
            freed = key in result.signs_freed
            coefficients[key] = _sourced(values[key], source, note(key) + (
                FREED if freed else ""), None if freed else getattr(prior, key).direction)
        elif key in ("cut_low", "cut_high") and "cut_gap" in values:
            p = prior.values()
            mid = (p["cut_low"] + p["cut_high"]) / 2
            half = values["cut_gap"] / 2
            coefficients[key] = _sourced(mid - half if key == "cut_low" else mid + half, source,
                                         "cut_gap (cut_high - cut_low): " + note("cut_gap")
                                         + f"; midpoint fixed at the prior {mid:g}")
        else:
            coefficients[key] = getattr(prior, key).model_dump(exclude_defaults=True)
    measures: dict[str, dict] = {}
    for name, value in values.items():
        parts = name.split(".")
        if parts[0] == "intercept":
            measures.setdefault(parts[1], {})["intercept"] = _sourced(value, source, note(name))
        elif parts[0] == "stakes":
            freed = name in result.signs_freed
            direction = None if freed else catalogue.measures()[parts[1]].stakes[parts[2]].direction
            measures.setdefault(parts[1], {}).setdefault("stakes", {})[parts[2]] = _sourced(
                value, source, note(name) + (FREED if freed else ""), direction)
    hashes = {k: v for k, v in data_hashes().items() if k != "behaviour.toml"}
    meta = {
        "fitted_on": [c["name"] for c in result.cases],
        "fitted_observed": [c["observed_sha256"] for c in result.cases],
        "case_files": {c["name"]: {"file": c["file"] or "", "sha256": c["sha256"] or "",
                                   "date": c["date"], "seed": c["seed"]} for c in result.cases},
        "free": [p.name for p in result.params],
        "signs_freed": list(result.signs_freed),
        "replications": result.replications,
        "seed": {c["name"]: c["seed"] for c in result.cases},
        "priors": result.priors_path.name,
        "priors_sha256": file_sha256(result.priors_path),
        "penalty": penalty_text(result.priors_path),
        "n_obs": result.n_obs,
        "log_likelihood": result.log_likelihood,
        "log_posterior": result.log_posterior,
        "in_sample_warning": result.in_sample_warning,
        "warnings": result.warnings,
        "version": __version__,
        "in_sample": result.in_sample,
        "prior_model": result.prior_model,
    }
    if result.held_out:
        meta["holdout"] = result.held_out
    meta["data_sha256"] = hashes
    header = (
        "Behavioural coefficients of the vote-choice model (model/abm/behaviour.py), CALIBRATED.\n"
        "Utility of supporting a measure:\n"
        "  y = intercept(measure) + beta_stance*stance + beta_stakes*stakes\n"
        "      - beta_pressure*f_pressure*(sticks + carrots) + beta_grievance*f_grievance*sticks\n"
        "      + beta_peer*peers + beta_backlash*f_backlash*backlash + shock\n"
        "P(against) = logistic(cut_low - y); P(for) = 1 - logistic(cut_high - y); abstain = rest.\n"
        "Written by `eucoalition calibrate` (model/validation/calibrate.py) on "
        f"{names}. Coefficients with\n"
        "confidence \"calibrated\" were fitted (MAP toward the priors); the others are the priors\n"
        f"of {result.priors_path.name}, copied unchanged. [measures.<name>] holds calibrated\n"
        "intercepts and stakes weights that replace those of params/measures.toml in every run.\n"
        "[meta] records the cases, seeds, replications, penalty, fit and data hashes; [posterior]\n"
        "the normal approximation runs draw their parameters from (fitted scales).\n"
        "Do not edit by hand: rerun the calibration.")
    body = {"meta": meta, "coefficients": coefficients, "measures": measures}
    if result.posterior() is not None:
        body["posterior"] = result.posterior()
    return toml_dumps(body, header=header)


def write_behaviour(result: CalibrationResult, out: Path | str) -> Path:
    """Write the calibrated behaviour file atomically and return its path."""
    out = Path(out)
    atomic_write_text(out, behaviour_toml(result))
    return out

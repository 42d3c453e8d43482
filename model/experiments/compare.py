"""Paired comparison of two scenarios run with common random numbers.

Two experiments run with the same seed and the same experiment point share every random
number replication by replication: the preference shocks, the credibility draws and the
uniforms of the final vote (:mod:`model.abm.streams`). Replication ``r`` of scenario A and
replication ``r`` of scenario B are therefore the same "world" under two policies, and the
difference in adoption probability is estimated from the paired indicators. Positive
correlation between the pairs makes the paired interval much narrower than the one for two
independent samples.

The answer is what an analyst asks of a counterfactual:

* the difference in adoption probability, B minus A, with a 95% interval (Newcombe's hybrid
  score interval for paired proportions, the "Wilson-type" interval recommended by Fagerland,
  Lydersen and Laake 2014; the unpaired Newcombe interval is reported beside it);
* the states whose positions shift most (total-variation distance between their vote
  distributions);
* the blocking minorities: for every replication in which the measure fails, the
  canonical minimal blocking coalition (:func:`model.treaty.coalitions.blocking_coalitions`).

The intervals are in :mod:`model.stats`.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..abm.streams import block_sizes
from ..abm.uncertainty import block_rates
from ..inputs import catalogue
from ..inputs.tables import load_population
from ..io import atomic_write_text, file_sha256
from ..stats import cluster_mean_interval, paired_difference_ci, unpaired_difference_ci
from ..treaty.coalitions import blocking_coalitions
from ..treaty.rules import Rule, get_rule
from ..version import __version__
from .results import ExperimentResult, write_outputs
from .run import DEFAULT_CHUNK, run_experiment
from .spec import ExperimentSpec, spec_and_path, spec_composition

__all__ = ["Comparison", "compare", "compare_results", "write_comparison", "TOP_COALITIONS"]

#: How many of the most frequent blocking coalitions each scenario reports.
TOP_COALITIONS = 5
#: How deep to look when listing coalitions seen in one scenario and never in the other.
DISTINCT_DEPTH = 10


def _coalition_table(coalitions: list, R: int) -> dict:
    failures = [c for c in coalitions if c is not None]
    counts = Counter(c for c in failures)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
    return {
        "failures": len(failures),
        "distinct": len(counts),
        "top": [{"states": list(c), "count": k, "share": k / R,
                 "share_of_failures": k / len(failures)}
                for c, k in ranked[:TOP_COALITIONS]],
        "_ranked": ranked,
        "_counts": counts,
    }


def _coalition_report(ca: list, cb: list, states: list[str], R: int) -> dict:
    ta, tb = _coalition_table(ca, R), _coalition_table(cb, R)

    def only(x: dict, y: dict) -> list[dict]:
        return [{"states": list(c), "count": k, "share": k / R}
                for c, k in x["_ranked"][:DISTINCT_DEPTH] if c not in y["_counts"]]

    membership = []
    for s in states:
        a = sum(1 for c in ca if c and s in c) / R
        b = sum(1 for c in cb if c and s in c) / R
        if a or b:
            membership.append({"iso2": s, "share_a": a, "share_b": b, "delta": b - a})
    membership.sort(key=lambda m: (-abs(m["delta"]), m["iso2"]))
    report = {
        "definition": ("canonical minimal blocking coalition of each replication in which the "
                       "measure fails: the states voting against, then abstainers (where "
                       "abstention counts against), largest population first, until the set "
                       "stops the measure on its own; members it can spare are dropped. Shares "
                       "are of all replications."),
        "a": {k: v for k, v in ta.items() if not k.startswith("_")},
        "b": {k: v for k, v in tb.items() if not k.startswith("_")},
        "only_in_a": only(ta, tb),
        "only_in_b": only(tb, ta),
        "membership": membership,
    }
    return report


# --- running ------------------------------------------------------------------------------------

def _council(spec: ExperimentSpec) -> tuple[Rule, list[str], np.ndarray]:
    """The rule, members and populations a run's votes were counted with (as
    :func:`model.experiments.resolve.resolve` sets them up, without building the rest)."""
    rule = get_rule(spec.rule or catalogue.measures()[spec.measure].rule)
    members = list(spec_composition(spec).members)
    pops = load_population(spec.population).loc[members].to_numpy(dtype=np.int64)
    return rule, members, pops


@dataclass
class Comparison:
    """A paired comparison: the report dict and the two underlying runs."""

    summary: dict
    a: ExperimentResult
    b: ExperimentResult
    manifest: dict


def compare_results(a: ExperimentResult, votes_a: np.ndarray, b: ExperimentResult,
                    votes_b: np.ndarray) -> dict:
    """The comparison report of two runs made with common random numbers (see module doc)."""
    sa, sb = a.summary, b.summary
    if len(a.replications) != len(b.replications):
        raise ValueError("paired comparison needs the same number of replications")
    R = len(a.replications)
    xa = a.replications["adopted"].to_numpy(dtype=bool)
    xb = b.replications["adopted"].to_numpy(dtype=bool)
    diff, lo, hi = paired_difference_ci(xa, xb)
    _, ulo, uhi = unpaired_difference_ci(int(xa.sum()), R, int(xb.sum()), R)
    mc, total = [lo, hi], [lo, hi]         # without parameter draws: Newcombe, paired
    drawn = bool(sa.get("parameters", {}).get("drawn")) or bool(
        sb.get("parameters", {}).get("drawn"))
    sizes = block_sizes(R)
    if drawn and len(sizes) > 1:
        # both runs share their parameter draws block by block: the blocks' differences say
        # how precisely the run estimates the difference (a few draws only: the Monte Carlo
        # interval) and what the parameters add to it (their spread: the total interval)
        d = block_rates(xb.astype(float), sizes) - block_rates(xa.astype(float), sizes)
        c_lo, c_hi = cluster_mean_interval(d, sizes)
        mc = [float(max(-1.0, min(lo, c_lo))), float(min(1.0, max(hi, c_hi)))]
        q_lo, q_hi = np.quantile(d, [0.025, 0.975])
        total = [float(min(mc[0], q_lo)), float(max(mc[1], q_hi))]
    n11, n10 = int(np.sum(xa & xb)), int(np.sum(xa & ~xb))
    n01, n00 = int(np.sum(~xa & xb)), int(np.sum(~xa & ~xb))
    denom = (n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00)
    if denom > 0:
        phi = (n11 * n00 - n10 * n01) / math.sqrt(denom)
    else:                               # a constant margin: correlated only if nothing differs
        phi = 1.0 if n10 == n01 == 0 else 0.0
    rows_a = {r["iso2"]: r for r in sa["states"]}
    rows_b = {r["iso2"]: r for r in sb["states"]}
    states = []
    for iso in [s for s in rows_a if s in rows_b]:
        ra, rb = rows_a[iso], rows_b[iso]
        d = {k: rb[k] - ra[k]
             for k in ("p_for", "p_abstain", "p_against", "p_pivotal", "targeted_share")}
        shift = 0.5 * (abs(d["p_for"]) + abs(d["p_abstain"]) + abs(d["p_against"]))
        states.append({"iso2": iso, "p_for_a": ra["p_for"], "p_for_b": rb["p_for"],
                       "p_against_a": ra["p_against"], "p_against_b": rb["p_against"],
                       "delta_p_for": d["p_for"], "delta_p_against": d["p_against"],
                       "delta_p_abstain": d["p_abstain"], "delta_p_pivotal": d["p_pivotal"],
                       "delta_targeted_share": d["targeted_share"], "shift": shift})
    states.sort(key=lambda r: (-r["shift"], r["iso2"]))
    (rule_a, members_a, pops_a), (rule_b, members_b, pops_b) = _council(a.spec), _council(b.spec)
    ca = blocking_coalitions(votes_a, rule_a, members_a, pops_a)
    cb = blocking_coalitions(votes_b, rule_b, members_b, pops_b)
    return {
        "a": sa["experiment"],
        "b": sb["experiment"],
        "measure_a": sa["measure"], "measure_b": sb["measure"],
        "rule_a": sa["rule"], "rule_b": sb["rule"],
        "replications": R,
        "seed": sa["seed"],
        "p_adopted_a": sa["p_adopted"],
        "p_adopted_a_ci95": sa["p_adopted_ci95"],
        "p_adopted_b": sb["p_adopted"],
        "p_adopted_b_ci95": sb["p_adopted_ci95"],
        "p_adopted_a_interval": sa.get("p_adopted_interval"),
        "p_adopted_b_interval": sb.get("p_adopted_interval"),
        "difference": diff,
        "difference_ci95": mc,
        "difference_interval": {"monte_carlo": mc, "total": total,
                                "parameter_draws": len(sizes) if drawn else 0},
        "difference_ci95_unpaired": [ulo, uhi],
        "difference_method": ("b minus a; paired 95% interval: Newcombe hybrid score (method 10, "
                              "paired data) over replications sharing their random numbers; "
                              "unpaired: Newcombe method 10 for independent samples"),
        "pairs": {"both_adopted": n11, "only_a": n10, "only_b": n01, "neither": n00,
                  "correlation": phi},
        "states": states,
        "coalitions": _coalition_report(ca, cb, list(dict.fromkeys(members_a + members_b)), R),
        "composition_a": sa.get("composition"), "composition_b": sb.get("composition"),
    }


def compare(a, b, replications: int | None = None, seed: int | None = None, *,
            out: Path | str | None = None, fixed_parameters: bool = False,
            progress: Callable[[int, int], None] | None = None) -> dict:
    """Run scenarios ``a`` and ``b`` with common random numbers and compare them.

    Parameters
    ----------
    a, b : experiment file paths, dicts or ExperimentSpec objects.
    replications : replications of both runs (default: a's).
    seed : the common seed (default: a's). B always runs with the same seed as A, whatever
        its own file says - that is what pairs the replications.
    out : if given, write compare.json, manifest.json and both runs' outputs (a/, b/) there.
    progress : called as progress(done_rounds, total_rounds) over both runs.

    Returns
    -------
    dict with "a", "b", "p_adopted_a", "p_adopted_b", "difference" (b - a),
    "difference_ci95", "difference_ci95_unpaired", "pairs", "states" and "coalitions".
    """
    return run_comparison(a, b, replications, seed, out=out, fixed_parameters=fixed_parameters,
                          progress=progress).summary


def run_comparison(a, b, replications: int | None = None, seed: int | None = None, *,
                   out: Path | str | None = None, fixed_parameters: bool = False,
                   progress: Callable[[int, int], None] | None = None) -> Comparison:
    """As :func:`compare`, returning the two runs as well (see :class:`Comparison`)."""
    spec_a, path_a = spec_and_path(a)
    spec_b, path_b = spec_and_path(b)
    seed = spec_a.seed if seed is None else int(seed)
    replications = spec_a.replications if replications is None else int(replications)
    update = {"seed": seed, "replications": replications}
    if fixed_parameters:
        update["fixed_parameters"] = True
    specs = [s.model_copy(update=update) for s in (spec_a, spec_b)]
    chunks = -(-replications // DEFAULT_CHUNK)
    totals = [chunks * s.rounds for s in specs]
    results, votes = [], []
    for i, spec in enumerate(specs):
        offset = sum(totals[:i])

        def tick(done: int, _total: int, offset=offset) -> None:
            if progress:
                progress(offset + done, sum(totals))

        result = run_experiment(spec, progress=tick, stream=False)   # pairs need the votes
        if path := (path_a, path_b)[i]:
            result.source_path = path
            result.manifest["source_file"] = path.name
            result.manifest["source_sha256"] = file_sha256(path)
        votes.append(result.votes)
        results.append(result)
    summary = compare_results(results[0], votes[0], results[1], votes[1])
    if spec_b.seed != seed or spec_a.seed != seed:
        summary["seed_note"] = (f"both scenarios run with seed {seed} (files: {spec_a.seed}, "
                                f"{spec_b.seed}) so that their replications are paired")
    if spec_b.replications != replications or spec_a.replications != replications:
        summary["replications_note"] = (
            f"both scenarios run with {replications:,} replications (files: "
            f"{spec_a.replications:,}, {spec_b.replications:,}) so that they can be paired")
    manifest = {
        "kind": "compare",
        "a": results[0].manifest,
        "b": results[1].manifest,
        "seed": seed,
        "replications": replications,
        "version": __version__,
    }
    comparison = Comparison(summary, results[0], results[1], manifest)
    if out is not None:
        write_comparison(comparison, out)
    return comparison


def write_comparison(comparison: Comparison, out_dir: Path | str) -> list[Path]:
    """Write a/ and b/ (each run's outputs), manifest.json and compare.json (last, so its
    presence marks a complete comparison), all atomically."""
    out_dir = Path(out_dir)
    written = []
    written += write_outputs(comparison.a, out_dir / "a")
    written += write_outputs(comparison.b, out_dir / "b")
    for name, payload in (("manifest.json", comparison.manifest),
                          ("compare.json", comparison.summary)):
        text = json.dumps(payload, indent=2, sort_keys=name == "manifest.json", default=str) + "\n"
        atomic_write_text(out_dir / name, text)
        written.append(out_dir / name)
    return written

"""Paired comparison of two scenarios run with common random numbers.

Two experiments run with the same seed and the same experiment point share every random
number replication by replication: the preference shocks, the credibility draws and the
uniforms of the final vote (model.council). Replication ``r`` of scenario A and replication
``r`` of scenario B are therefore the same "world" under two policies, and the difference in
adoption probability is estimated from the paired indicators. Positive correlation between the
pairs makes the paired interval much narrower than the one for two independent samples.

The answer is what an analyst asks of a counterfactual:

* the difference in adoption probability, B minus A, with a 95% interval (Newcombe's hybrid
  score interval for paired proportions, the "Wilson-type" interval recommended by Fagerland,
  Lydersen and Laake 2014; the unpaired Newcombe interval is reported beside it);
* the states whose positions shift most (total-variation distance between their vote
  distributions);
* the blocking minorities: for every replication in which the measure fails, the
  *canonical minimal blocking coalition* - start from the states that voted against, then add
  the abstainers (where abstaining counts against), largest population first, until the set by
  itself stops the measure (everyone else voting for); then drop any member the set can do
  without. "DE+ES+HU+PT blocks in 12% of replications under A and never under B" is the kind
  of sentence this supports.

References
----------
Newcombe, R. G. (1998). Improved confidence intervals for the difference between binomial
proportions based on paired data. Statistics in Medicine 17, 2635-2650 (method 10).
Newcombe, R. G. (1998). Interval estimation for the difference between independent
proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890 (method 10).
Fagerland, M. W., Lydersen, S. and Laake, P. (2014). Recommended tests and confidence intervals
for paired binomial proportions. Statistics in Medicine 33, 2850-2875.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__, catalogue
from .data import EU27, file_sha256, load_population
from .experiment import (ExperimentResult, atomic_write_text, run_experiment, wilson_interval,
                         write_outputs)
from .rules import ABSENT, ABSTAIN, AGAINST, FOR, OUTCOMES, outcomes_vectorised
from .spec import ExperimentSpec, load_spec

__all__ = ["Comparison", "compare", "compare_results", "paired_difference_ci",
           "unpaired_difference_ci", "blocking_coalitions", "write_comparison", "TOP_COALITIONS"]

#: How many of the most frequent blocking coalitions each scenario reports.
TOP_COALITIONS = 5
#: How deep to look when listing coalitions seen in one scenario and never in the other.
DISTINCT_DEPTH = 10


# --- intervals --------------------------------------------------------------------------------

def paired_difference_ci(x, y) -> tuple[float, float, float]:
    """Difference ``mean(y) - mean(x)`` of paired 0/1 outcomes and its 95% interval.

    Newcombe's hybrid score interval (method 10 of Newcombe 1998, paired data): Wilson
    intervals of the two margins combined with the correlation of the pairs, so the interval
    narrows when the pairs move together (common random numbers) and stays sensible when few
    pairs disagree.

    Parameters
    ----------
    x, y : array_like of bool
        The outcome of each pair under the first and the second condition.

    Returns
    -------
    (difference, lower, upper)

    Examples
    --------
    >>> x = [1, 1, 0, 0, 1, 0, 1, 0, 0, 0]
    >>> d, lo, hi = paired_difference_ci(x, x)
    >>> d, lo <= 0 <= hi
    (0.0, True)

    Newcombe's (1998) first example: 36 pairs positive twice, 12 positive under the second
    condition only, 2 under the first only, none negative twice (his interval 0.0569 to
    0.3404):

    >>> x = [1] * 36 + [0] * 12 + [1] * 2
    >>> y = [1] * 36 + [1] * 12 + [0] * 2
    >>> [round(v, 4) for v in paired_difference_ci(x, y)]
    [0.2, 0.0569, 0.3404]
    """
    x = np.asarray(x, dtype=bool)
    y = np.asarray(y, dtype=bool)
    if x.shape != y.shape or x.ndim != 1 or len(x) == 0:
        raise ValueError("x and y must be non-empty 1-d arrays of the same length")
    n = len(x)
    n11 = int(np.sum(x & y))
    n10 = int(np.sum(x & ~y))
    n01 = int(np.sum(~x & y))
    n00 = n - n11 - n10 - n01
    p1, p2 = (n11 + n01) / n, (n11 + n10) / n          # y's and x's proportions
    diff = (n01 - n10) / n
    l1, u1 = wilson_interval(n11 + n01, n)
    l2, u2 = wilson_interval(n11 + n10, n)
    denom = (n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00)
    phi = (n11 * n00 - n10 * n01) / math.sqrt(denom) if denom > 0 else 0.0
    delta = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    eps = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return diff, max(-1.0, diff - delta), min(1.0, diff + eps)


def unpaired_difference_ci(k_x: int, n_x: int, k_y: int, n_y: int) -> tuple[float, float, float]:
    """Difference ``k_y/n_y - k_x/n_x`` of two independent proportions and its 95% interval.

    Newcombe's hybrid score interval (method 10 of Newcombe 1998, independent samples): what
    the comparison would give if the two scenarios had been run with unrelated random numbers.

    Examples
    --------
    Newcombe's (1998) example 56/70 against 48/80 (his interval 0.0524 to 0.3339):

    >>> [round(v, 4) for v in unpaired_difference_ci(48, 80, 56, 70)]
    [0.2, 0.0524, 0.3339]
    """
    px, py = k_x / n_x, k_y / n_y
    lx, ux = wilson_interval(k_x, n_x)
    ly, uy = wilson_interval(k_y, n_y)
    diff = py - px
    lower = diff - math.sqrt((py - ly) ** 2 + (ux - px) ** 2)
    upper = diff + math.sqrt((uy - py) ** 2 + (px - lx) ** 2)
    return diff, max(-1.0, lower), min(1.0, upper)


# --- blocking coalitions ----------------------------------------------------------------------

def _stops(rule: str, codes: np.ndarray, pops: np.ndarray) -> np.ndarray:
    """Whether each vote profile stops the measure (comitology: a qualified majority against)."""
    outcome = outcomes_vectorised(rule, codes, pops)
    if rule == "comitology":
        return outcome == OUTCOMES["comitology"].index("blocked")
    return outcome != 0


def blocking_coalitions(votes: np.ndarray, rule: str, states: list[str],
                        populations: np.ndarray) -> list[tuple[str, ...] | None]:
    """The canonical minimal blocking coalition of every replication (None where it passes).

    A set of states *blocks* if it stops the measure when its members vote against and every
    other participant votes for. In a replication where the measure fails, the candidates are
    the states whose vote counted against it (against, and also abstain except under unanimity
    and comitology, where abstaining does not help to block). They are taken in order - against
    before abstain, then largest population first - until the set blocks; then each member,
    last added first, is dropped if the set still blocks without it. Blocking is monotone, so
    the result is minimal: no member can be spared. Members are listed largest population
    first.

    Parameters
    ----------
    votes : (R, n) array of position codes (model.rules: FOR, AGAINST, ABSTAIN, ABSENT)
    rule : the voting rule the votes were evaluated under
    states : the n state codes, in column order
    populations : (n,) integer populations

    Returns
    -------
    list of length R: a tuple of state codes for a failed replication, ``()`` if it failed
    without any set of its opponents being able to block on its own (unanimity with nobody in
    favour), None where the measure passed.

    Examples
    --------
    >>> from model.rules import FOR, AGAINST, ABSTAIN
    >>> v = np.array([[AGAINST, AGAINST, ABSTAIN, FOR], [FOR, FOR, FOR, AGAINST]])
    >>> blocking_coalitions(v, "simple", ["A", "B", "C", "D"], np.array([40, 30, 20, 10]))
    [('A', 'B'), None]
    """
    votes = np.atleast_2d(np.asarray(votes))
    pops = np.asarray(populations, dtype=np.int64)
    R, n = votes.shape
    stopped = _stops(rule, votes, pops)
    result: list[tuple[str, ...] | None] = [None] * R
    rows = np.flatnonzero(stopped)
    if len(rows) == 0:
        return result
    v = votes[rows]
    counting = (AGAINST,) if rule in ("unanimity", "comitology") else (AGAINST, ABSTAIN)
    candidate = np.isin(v, counting)
    pop_rank = np.argsort(np.argsort(-pops, kind="stable"), kind="stable")      # 0 = largest
    key = np.where(candidate, (v != AGAINST) * n + pop_rank[None, :], 2 * n + 1)
    order = np.argsort(key, axis=1, kind="stable")                              # (F, n)
    n_cand = candidate.sum(axis=1)
    base = np.where(v == ABSENT, ABSENT, FOR).astype(v.dtype)
    rank_of = np.empty_like(order)
    np.put_along_axis(rank_of, order, np.arange(n)[None, :].repeat(len(rows), axis=0), axis=1)
    # greedy: the shortest prefix of the candidate order that blocks
    k_star = np.full(len(rows), -1)
    for k in range(1, n + 1):
        open_rows = (k_star < 0) & (k <= n_cand)
        if not open_rows.any():
            break
        trial = np.where(rank_of < k, AGAINST, base)
        hit = _stops(rule, trial, pops) & open_rows
        k_star[hit] = k
    members = (rank_of < k_star[:, None]) & (k_star[:, None] > 0)
    # prune: drop members (last added first) the set can do without
    for j in range(n - 1, -1, -1):
        active = j < k_star
        if not active.any():
            continue
        col = order[:, j]
        trial_members = members.copy()
        trial_members[np.arange(len(rows)), col] = False
        trial = np.where(trial_members, AGAINST, base)
        keep_out = _stops(rule, trial, pops) & active
        members[keep_out] = trial_members[keep_out]
    by_size = np.argsort(-pops, kind="stable")
    for i, r in enumerate(rows):
        if k_star[i] < 0:
            result[r] = ()
        else:
            result[r] = tuple(states[j] for j in by_size if members[i, j])
    return result


def _coalition_table(coalitions: list, R: int) -> dict:
    failures = [c for c in coalitions if c is not None]
    counts = Counter(c for c in failures)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
    return {
        "failures": len(failures),
        "distinct": len(counts),
        "top": [{"states": list(c), "count": k, "share": round(k / R, 6),
                 "share_of_failures": round(k / len(failures), 6)}
                for c, k in ranked[:TOP_COALITIONS]],
        "_ranked": ranked,
        "_counts": counts,
    }


def _coalition_report(ca: list, cb: list, states: list[str], R: int) -> dict:
    ta, tb = _coalition_table(ca, R), _coalition_table(cb, R)

    def only(x: dict, y: dict) -> list[dict]:
        return [{"states": list(c), "count": k, "share": round(k / R, 6)}
                for c, k in x["_ranked"][:DISTINCT_DEPTH] if c not in y["_counts"]]

    membership = []
    for s in states:
        a = sum(1 for c in ca if c and s in c) / R
        b = sum(1 for c in cb if c and s in c) / R
        if a or b:
            membership.append({"iso2": s, "share_a": round(a, 6), "share_b": round(b, 6),
                               "delta": round(b - a, 6)})
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

def _council(spec: ExperimentSpec) -> tuple[str, np.ndarray]:
    """The rule and the EU27 populations a run's votes were counted with (as model.spec.resolve
    sets them up, without building the rest of the scenario)."""
    rule = spec.rule or catalogue.measures()[spec.measure].rule
    pops = load_population(spec.population).loc[list(EU27)].to_numpy(dtype=np.int64)
    return rule, pops


def _as_spec(source) -> tuple[ExperimentSpec, Path | None]:
    if isinstance(source, ExperimentSpec):
        return source, None
    if isinstance(source, dict):
        return load_spec(source), None
    return load_spec(source), Path(source)


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
        d = {k: round(rb[k] - ra[k], 6) for k in ("p_for", "p_abstain", "p_against", "p_pivotal",
                                                   "targeted_share")}
        shift = round(0.5 * (abs(d["p_for"]) + abs(d["p_abstain"]) + abs(d["p_against"])), 6)
        states.append({"iso2": iso, "p_for_a": ra["p_for"], "p_for_b": rb["p_for"],
                       "p_against_a": ra["p_against"], "p_against_b": rb["p_against"],
                       "delta_p_for": d["p_for"], "delta_p_against": d["p_against"],
                       "delta_p_abstain": d["p_abstain"], "delta_p_pivotal": d["p_pivotal"],
                       "delta_targeted_share": d["targeted_share"], "shift": shift})
    states.sort(key=lambda r: (-r["shift"], r["iso2"]))
    (rule_a, pops_a), (rule_b, pops_b) = _council(a.spec), _council(b.spec)
    ca = blocking_coalitions(votes_a, rule_a, list(EU27), pops_a)
    cb = blocking_coalitions(votes_b, rule_b, list(EU27), pops_b)
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
        "difference": round(diff, 6),
        "difference_ci95": [round(lo, 6), round(hi, 6)],
        "difference_ci95_unpaired": [round(ulo, 6), round(uhi, 6)],
        "difference_method": ("b minus a; paired 95% interval: Newcombe hybrid score (method 10, "
                              "paired data) over replications sharing their random numbers; "
                              "unpaired: Newcombe method 10 for independent samples"),
        "pairs": {"both_adopted": n11, "only_a": n10, "only_b": n01, "neither": n00,
                  "correlation": round(phi, 6)},
        "states": states,
        "coalitions": _coalition_report(ca, cb, list(EU27), R),
    }


def compare(a, b, replications: int | None = None, seed: int | None = None, *,
            out: Path | str | None = None,
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
    return run_comparison(a, b, replications, seed, out=out, progress=progress).summary


def run_comparison(a, b, replications: int | None = None, seed: int | None = None, *,
                   out: Path | str | None = None,
                   progress: Callable[[int, int], None] | None = None) -> Comparison:
    """As :func:`compare`, returning the two runs as well (see :class:`Comparison`)."""
    spec_a, path_a = _as_spec(a)
    spec_b, path_b = _as_spec(b)
    seed = spec_a.seed if seed is None else int(seed)
    replications = spec_a.replications if replications is None else int(replications)
    specs = [s.model_copy(update={"seed": seed, "replications": replications})
             for s in (spec_a, spec_b)]
    from .experiment import DEFAULT_CHUNK

    chunks = -(-replications // DEFAULT_CHUNK)
    totals = [chunks * s.rounds for s in specs]
    results, votes = [], []
    for i, spec in enumerate(specs):
        offset = sum(totals[:i])

        def tick(done: int, _total: int, offset=offset) -> None:
            if progress:
                progress(offset + done, sum(totals))

        result = run_experiment(spec, progress=tick)
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

"""The provenance box: where every number in a briefing came from - the experiment files and
their hashes, seeds, replications, version and parameters, and the sources and confidence of
the data and coefficients (from each run's manifest and params/), with a warning when params/
changed since the run."""

from __future__ import annotations

from pathlib import Path

from ..inputs import catalogue
from ..inputs.tables import PARAMS_DIR, POPULATION_TABLES, data_hashes, load_exposures, read_csv
from ..version import __version__
from .load import Result

__all__ = ["provenance"]


def _manifests(results: list[Result]) -> list[tuple[str, dict]]:
    """(title, manifest) of every run behind the results (both runs of a comparison)."""
    out = []
    for r in results:
        if r.kind == "compare":
            out += [(f"{r.title} ({k})", r.manifest.get(k, {})) for k in ("a", "b")]
        else:
            out.append((r.title, r.manifest))
    return out


def _run_line(title: str, m: dict) -> str:
    """One run's settings: seed, replications, rounds, China, overrides, levers, file."""
    if not m:
        return f"{title}: no manifest"
    p = m.get("parameters", {})
    china = p.get("china", {})
    reps = m.get("replications")
    bits = [f"seed {m.get('seed')}", f"{reps:,} replications" if reps else "",
            f"{p.get('rounds')} rounds" if p.get("rounds") else "",
            f"China: {china.get('strategy', 'none')}, budget {china.get('budget', 0):g}"]
    if p.get("overrides"):
        bits.append("overrides " + ", ".join(f"{k} = {v:g}" for k, v in p["overrides"].items()))
    if p.get("commission", {}).get("options"):
        bits.append("Commission options " + ", ".join(p["commission"]["options"]))
    if m.get("sweep"):
        sw = m["sweep"]
        over = ", ".join(x["name"] for x in sw["parameters"])
        bits.append(f"{sw['design']} design over {over}, design seed {sw['seed']}"
                    + (", common random numbers across points"
                       if sw.get("common_random_numbers") else ""))
    if m.get("as_of"):
        bits.append(f"inputs known by {m['as_of']} ({m.get('as_of_rule', '')})")
    comp = m.get("composition")
    if isinstance(comp, dict) and comp.get("name"):
        bits.append(f"Council: {comp.get('title') or comp['name']}")
    src = m.get("source_file")
    if src:
        bits.append(f"file {src} (sha256 {str(m.get('source_sha256'))[:12]})")
    return f"**{title}**: " + "; ".join(b for b in bits if b)


def _hash_line(manifests: list[tuple[str, dict]]) -> list[str]:
    hashes = [m.get("data_sha256") for _, m in manifests if m.get("data_sha256")]
    if not hashes:
        return []
    same = all(h == data_hashes() for h in hashes)
    return [f"Data: {len(hashes[0])} files in params/ hashed in the manifest; "
            + ("params/ unchanged since the run(s)." if same else
               "**params/ has changed since the run(s): rerun before quoting.**")]


def _parameter_lines(results: list[Result], manifests: list[tuple[str, dict]]) -> list[str]:
    """Where the coefficients, measures and China's instruments come from, and how sure."""
    coef = catalogue.coefficients()
    levels: dict[str, int] = {}
    for name in type(coef).model_fields:
        lv = getattr(coef, name).confidence
        levels[lv] = levels.get(lv, 0) + 1
    lines = ["Behavioural coefficients (params/behaviour.toml): "
             + ", ".join(f"{k} {v}" for k, v in sorted(levels.items()))
             + " - priors unless calibrated"]
    measures = {r.data.get("measure") for r in results if r.kind in ("run", "sweep")}
    measures |= {r.data.get(k) for r in results if r.kind == "compare"
                 for k in ("measure_a", "measure_b")}
    for name in sorted(m for m in measures if m):
        meas = catalogue.measures().get(name)
        lines.append(f"Measure {name}: {meas.source}; intercept and stakes are "
                     f"{meas.intercept.confidence}" if meas else
                     f"Measure {name}: no longer in params/measures.toml (rerun before quoting)")
    used: set[str] = set()
    for _, m in manifests:
        china = m.get("parameters", {}).get("china", {})
        used |= {a["instrument"] for a in china.get("actions", [])}
        if china.get("strategy", "none") != "none":
            used |= set(china.get("instruments") or catalogue.instruments())
    if used:
        table = catalogue.instruments()
        conf = sorted({getattr(table[n], f).confidence for n in used if n in table
                       for f in ("cost", "effect", "lag", "credibility")})
        lines.append(f"China's instruments in play ({len(used)}): {', '.join(sorted(used))}; "
                     f"their cost, effect, lag and credibility are {', '.join(conf)} "
                     "(params/instruments.toml; the events behind them are sourced there)")
    return lines


def _unverified_line(results: list[Result]) -> list[str]:
    unverified = set()
    for r in results:
        runs = [r] if r.kind == "run" else list(r.parts.values())
        for x in runs:
            unverified |= {(c["iso2"], c["channel"]) for c in x.data.get("unverified_inputs", [])}
    if not unverified:
        return []
    return [f"{len(unverified)} exposure figures used are UNVERIFIED estimates "
            "(listed under unverified_inputs in summary.json)"]


def provenance(results: list[Result]) -> list[str]:
    """The lines of the provenance box of a briefing built from ``results``."""
    manifests = _manifests(results)
    lines = [f"eucoalition {__version__}; briefing built from "
             + ", ".join(f"`{r.path}`" for r in results)]
    lines += [_run_line(title, m) for title, m in manifests]
    lines += _hash_line(manifests)
    lines += _data_sources(manifests)
    lines += _parameter_lines(results, manifests)
    lines += _unverified_line(results)
    lines.append("Monte Carlo: 95% intervals are Wilson intervals over replications (paired "
                 "Newcombe intervals for differences); random numbers are keyed by seed, "
                 "experiment point and block, so the same seed gives the same numbers.")
    return lines


def _data_sources(manifests) -> list[str]:
    """Where the populations and exposures come from, with their confidence."""

    out = []
    for name in sorted({m.get("parameters", {}).get("population", "council2025")
                        for _, m in manifests if m}):
        if name in POPULATION_TABLES:
            table = read_csv(PARAMS_DIR / POPULATION_TABLES[name], ["source", "confidence"])
            source = table["source"].iloc[0].split(" https://")[0]
            conf = ", ".join(sorted(set(table["confidence"])))
            out.append(f"Populations ({name}): {source} - confidence {conf}")
        else:
            out.append(f"Populations: user table {Path(name).name} (hash in the manifest)")
    ex = load_exposures()
    counts = ex["confidence"].value_counts()
    out.append("Exposures (params/exposures.csv, from Eurostat, national statistics, "
               "Rhodium/MERICS, CLEPA, Reuters and others; every row sourced): "
               + ", ".join(f"{k} {int(counts[k])}" for k in counts.index))
    return out

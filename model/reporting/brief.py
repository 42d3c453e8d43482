"""Briefings an analyst can paste: headline, tables, charts and provenance, in Markdown or HTML.

``brief(results_dirs, out="brief.md", html=False)`` reads the output directories of
``eucoalition run`` (summary.json), ``eucoalition compare --out`` (compare.json) and
``eucoalition sweep`` (sweep.json) and writes:

* a headline sentence per result, with the number and its 95% interval;
* a table of per-state positions (P(for), P(abstain), P(against), P(pivotal), China's spend);
* charts as PNG files beside the briefing (:mod:`model.reporting.charts`);
* a provenance box (:mod:`model.reporting.provenance`).

The briefing is built as blocks (:class:`model.reporting.document.Doc`) rendered to Markdown
and, with ``html=True``, to an HTML page that refers to the same PNG files.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..io import atomic_write_text
from ..version import __version__
from .charts import adoption_chart, pivotal_chart, sweep_chart, tile_map
from .document import Doc
from .exports import write_exports
from .labels import measure_title, pct, pp, slug, state_names
from .load import Result, load_result
from .provenance import provenance

__all__ = ["brief"]


def _interval(interval: dict | None, mc: list[float]) -> tuple[float, float, str]:
    """The interval a headline quotes: the total one (parameter uncertainty included) when
    the run drew its parameters, else the Monte Carlo one, and words saying which."""
    drawn = interval and interval.get("total") and (
        interval.get("parameter_draws", 0) > 0 or interval["total"] != interval.get("monte_carlo"))
    if drawn:
        lo, hi = interval["total"]
        return lo, hi, "95% interval with parameter uncertainty"
    return mc[0], mc[1], "95% CI, Monte Carlo noise only"


def _run_headline(s: dict) -> str:
    china = s.get("china", {})
    if china.get("strategy", "none") == "none" or not china.get("budget_per_round"):
        pressure = "no further Chinese pressure"
    else:
        pressure = (f"China playing {china['strategy'].replace('_', ' ')} with a budget of "
                    f"{china['budget_per_round']:g} a round")
    lo, hi, words = _interval(s.get("p_adopted_interval"), s["p_adopted_ci95"])
    mc = s["p_adopted_ci95"]
    precision = (f"; this run's Monte Carlo interval: {pct(mc[0])}-{pct(mc[1])}"
                 if [lo, hi] != list(mc) else "")
    text = (f"**{s['experiment']}**: the measure \"{measure_title(s['measure'])}\" "
            f"({s['rule']}) is adopted in **{pct(s['p_adopted'])}** of {s['replications']:,} "
            f"simulated votes ({words}: {pct(lo)}-{pct(hi)}{precision}), with {pressure}.")
    if s.get("chain"):
        c = s["chain"]
        clo, chi, cwords = _interval(c.get("p_adopted_interval"), c["p_adopted_interval"][
            "monte_carlo"])
        last = s["stages"][-1]
        text += (f" At the end of the chain of {len(s['stages'])} decisions (last: "
                 f"\"{measure_title(last['measure'])}\", reached in {pct(last['p_reached'])}), "
                 f"the measure stands in **{pct(c['p_adopted'])}** ({cwords}: {pct(clo)}-"
                 f"{pct(chi)}).")
    return text


def _span(point: dict) -> str:
    lo, hi, words = _interval(point.get("p_adopted_interval"), point["p_adopted_ci95"])
    return f"{words}: {pct(lo)}-{pct(hi)}"


def _state_table(doc: Doc, states: list[dict]) -> None:
    names = state_names()
    rows = []
    for r in sorted(states, key=lambda r: (-r["p_for"], r["iso2"])):
        rows.append([f"{r['iso2']} {names.get(r['iso2'], '')}".strip(), pct(r["p_for"], 0),
                     pct(r["p_abstain"], 0), pct(r["p_against"], 0), pct(r["p_pivotal"]),
                     pct(r["targeted_share"], 0)])
    doc.table(["State", "P(for)", "P(abstain)", "P(against)", "P(pivotal)", "China's spend"], rows)


def _run_section(doc: Doc, r: Result, stem: str, n: int) -> list[Path]:
    s = r.data
    doc.h(2, f"Scenario: {s['experiment']}")
    top = sorted(s["states"], key=lambda x: (-x["p_pivotal"], x["iso2"]))[:3]
    targeted = [x for x in sorted(s["states"], key=lambda x: (-x["targeted_share"], x["iso2"]))
                if x["targeted_share"] > 0][:3]
    sentence = ("Most often pivotal: "
                + ", ".join(f"{x['iso2']} ({pct(x['p_pivotal'])})" for x in top) + ".")
    if targeted:
        sentence += (" China spends most on " + ", ".join(
            f"{x['iso2']} ({pct(x['targeted_share'], 0)})" for x in targeted) + ".")
    doc.p(sentence)
    if s.get("neutral_members"):
        doc.p("No alignment or exposure data for " + ", ".join(s["neutral_members"])
              + ": those members are modelled as neutral (an assumption, not data).")
    if s.get("actions_not_used"):
        doc.p("Left out as known only after " + str(s.get("as_of")) + ": " + "; ".join(
            f"{a['instrument']} ({a['date']})" for a in s["actions_not_used"]) + ".")
    base = f"{stem}-{n}-{slug(s['experiment'])}"
    members = r.manifest.get("composition", {}).get("members")
    files = [tile_map([(s["experiment"], {x["iso2"]: x["p_for"] for x in s["states"]},
                        members)], r.path_out / f"{base}-map.png")]
    doc.img(files[-1], f"Probability each state votes for the measure ({s['experiment']})")
    _state_table(doc, s["states"])
    files.append(pivotal_chart([(s["experiment"], s["states"])],
                               r.path_out / f"{base}-pivotal.png"))
    doc.img(files[-1], f"Pivotal and targeted states ({s['experiment']})")
    return files


def _compare_section(doc: Doc, r: Result, stem: str, n: int) -> list[Path]:
    c = r.data
    lo, hi, words = _interval(c.get("difference_interval"), c["difference_ci95"])
    doc.h(2, f"Comparison: {c['a']} vs {c['b']}")
    doc.p(f"Moving from **{c['a']}** to **{c['b']}** changes the probability that the "
          f"measure \"{measure_title(c['measure_b'])}\" is adopted by **{pp(c['difference'])}** "
          f"({words}: {pp(lo)} to {pp(hi)}, paired over {c['replications']:,} replications with "
          f"common random numbers and common parameter draws): from {pct(c['p_adopted_a'])} to "
          f"{pct(c['p_adopted_b'])}. The run's Monte Carlo interval of the difference: "
          f"{pp(c['difference_ci95'][0])} to {pp(c['difference_ci95'][1])}. "
          f"An unpaired comparison of the replications would give "
          f"{pp(c['difference_ci95_unpaired'][0])} to {pp(c['difference_ci95_unpaired'][1])}.")
    movers = c["states"][:3]
    if movers:
        doc.p("States that shift most: " + "; ".join(
            f"{m['iso2']} (P(for) {pct(m['p_for_a'], 0)} -> {pct(m['p_for_b'], 0)}, "
            f"P(against) {pct(m['p_against_a'], 0)} -> {pct(m['p_against_b'], 0)})"
            for m in movers) + ".")
    co = c["coalitions"]
    for side, name in (("a", c["a"]), ("b", c["b"])):
        top = co[side]["top"][:1]
        if top:
            doc.p(f"Most frequent blocking minority under {name}: {'+'.join(top[0]['states'])} "
                  f"({pct(top[0]['share'])} of replications; {co[side]['distinct']} distinct "
                  f"minimal blocking coalitions in {co[side]['failures']:,} failures).")
    only = [(c["a"], x) for x in co["only_in_a"][:3]] + [(c["b"], x) for x in co["only_in_b"][:3]]
    if only:
        doc.p("Seen in one scenario only: " + "; ".join(
            f"{'+'.join(x['states'])} under {name} ({pct(x['share'])})" for name, x in only) + ".")
    names = state_names()
    doc.table(["State", f"P(for) {c['a']}", f"P(for) {c['b']}", "change P(for)",
               "change P(against)", "change P(abstain)"],
              [[f"{m['iso2']} {names.get(m['iso2'], '')}".strip(), pct(m["p_for_a"], 0),
                pct(m["p_for_b"], 0), pp(m["delta_p_for"]), pp(m["delta_p_against"]),
                pp(m["delta_p_abstain"])] for m in c["states"]])
    if co["membership"]:
        doc.table(["State", f"in blocking coalition, {c['a']}", f"... {c['b']}", "change"],
                  [[m["iso2"], pct(m["share_a"]), pct(m["share_b"]), pp(m["delta"])]
                   for m in co["membership"][:10]])
    base = f"{stem}-{n}-{slug(c['a'] + '-vs-' + c['b'])}"
    files = []
    if set(r.parts) == {"a", "b"}:
        sa, sb = r.parts["a"].data, r.parts["b"].data
        files.append(tile_map([(c["a"], {x["iso2"]: x["p_for"] for x in sa["states"]}),
                               (c["b"], {x["iso2"]: x["p_for"] for x in sb["states"]})],
                              r.path_out / f"{base}-map.png"))
        doc.img(files[-1], f"Probability each state votes for the measure: {c['a']} and {c['b']}")
        files.append(pivotal_chart([(c["a"], sa["states"]), (c["b"], sb["states"])],
                                   r.path_out / f"{base}-pivotal.png"))
        doc.img(files[-1], "Pivotal and targeted states in both scenarios")
    return files


def _sweep_section(doc: Doc, r: Result, stem: str, n: int) -> list[Path]:
    s = r.data
    lo, hi = s["p_adopted_min"], s["p_adopted_max"]

    def at(point: dict) -> str:
        values = ", ".join(f"{k} = {v:.3g}" if isinstance(v, float) else f"{k} = {v}"
                           for k, v in point["values"].items())
        ties = point.get("points_with_this_value", 1)
        return f"at {ties} points, e.g. {values}" if ties > 1 else values

    doc.h(2, f"Sweep: {s['experiment']}")
    names = [p["name"] for p in s["parameters"]]
    sens = s.get("sensitivity") or []
    lead = sens[0] if sens else None
    text = (f"Across {s['points']} design points ({s['design']} over {', '.join(names)}; "
            f"{s['replications_per_point']:,} replications each), P(adopted) ranges from "
            f"**{pct(lo['p_adopted'])}** ({_span(lo)}; {at(lo)}) to **{pct(hi['p_adopted'])}** "
            f"({_span(hi)}; {at(hi)}).")
    if lead and lead.get("main_effect") is not None:
        share = lead["main_effect"]
        text += f" The parameter that moves it most is **{lead['parameter']}** "
        text += (f"(it alone explains {pct(share, 0)} of the variation across points)."
                 if 0 <= share <= 1 else f"(first-order index {share:.2f}).")
    if s["design"] == "sobol":
        text += (f" Sobol indices come from a base sample of {s.get('samples')} points, with 95% "
                 "bootstrap intervals in brackets; below a base sample of a few hundred they "
                 "are rough.")
    doc.p(text)
    base = f"{stem}-{n}-{slug(s['experiment'])}"
    files = []
    if r.table is not None and len(r.table):
        files.append(sweep_chart(r.table, s["parameters"], r.path_out / f"{base}-sweep.png"))
        doc.img(files[-1], f"P(adopted) across the sweep ({s['experiment']})")
    if sens:
        def num(v, fmt):
            return "" if v is None else fmt(v)

        def effect(x, key):
            lo, hi = x.get(f"{key}_lo"), x.get(f"{key}_hi")
            text = num(x[key], lambda v: f"{v:.2f}")
            return text + (f" ({lo:.2f} to {hi:.2f})" if lo is not None and hi is not None
                           else "")

        doc.table(["Parameter", "kind", "levels", "std. regression coef.", "main effect",
                   "total effect", "range of means", "highest at", "lowest at"],
                  [[x["parameter"], x["kind"], str(x["levels"]),
                    num(x["src"], lambda v: f"{v:+.2f}"),
                    effect(x, "main_effect"), effect(x, "total_effect"),
                    num(x["range_of_means"], lambda v: pp(v).replace("+", "")),
                    str(x["highest_at"]), str(x["lowest_at"])] for x in sens])
        r2 = s.get("sensitivity_r2")
        doc.p("Main effect: share of the variance of P(adopted) across design points explained by "
              "the parameter alone; total effect (sobol designs): including its interactions"
              + (f"; the linear regression behind the coefficients has R^2 = {r2:.2f}."
                 if r2 is not None else "."))
    return files


def unique_rows(rows: list[tuple]) -> list[tuple[str, float, float, float]]:
    """Chart rows (label, p, lo, hi) from (label, p, lo, hi, origin): the same scenario given
    twice is shown once; different results that share a name are told apart by their folder
    (and a number if that is not enough).

    >>> unique_rows([("x", .1, 0, .2, "r1"), ("x", .1, 0, .2, "r1"), ("x", .5, .4, .6, "r2")])
    [('x (r1)', 0.1, 0, 0.2), ('x (r2)', 0.5, 0.4, 0.6)]
    """
    distinct, seen = [], set()
    for row in rows:
        if row[:4] not in seen:                 # the same scenario and numbers: once
            seen.add(row[:4])
            distinct.append(row)
    names = [row[0] for row in distinct]
    labels = [f"{n} ({row[4]})" if names.count(n) > 1 else n for n, row in zip(names, distinct)]
    out, used = [], {}
    for label, row in zip(labels, distinct):
        used[label] = used.get(label, 0) + 1
        final = label if used[label] == 1 else f"{label} #{used[label]}"
        out.append((final, *row[1:4]))
    return out


SECTIONS = {"run": _run_section, "compare": _compare_section, "sweep": _sweep_section}


def _headline(r: Result) -> str:
    if r.kind == "run":
        return _run_headline(r.data)
    if r.kind == "compare":
        c = r.data
        lo, hi, words = _interval(c.get("difference_interval"), c["difference_ci95"])
        return (f"**{c['b']}** vs **{c['a']}**: P(adopted) {pct(c['p_adopted_b'])} vs "
                f"{pct(c['p_adopted_a'])}, a difference of {pp(c['difference'])} ({words}: "
                f"{pp(lo)} to {pp(hi)}).")
    s = r.data
    return (f"**{s['experiment']}**: P(adopted) between {pct(s['p_adopted_min']['p_adopted'])} "
            f"({_span(s['p_adopted_min'])}) and {pct(s['p_adopted_max']['p_adopted'])} "
            f"({_span(s['p_adopted_max'])}) across {s['points']} design points.")


def _adoption_rows(r: Result) -> list[tuple]:
    """(label, p, lo, hi, folder) of each scenario for the adoption chart."""
    if r.kind == "run":
        s = r.data
        lo, hi, _ = _interval(s.get("p_adopted_interval"), s["p_adopted_ci95"])
        return [(s["experiment"], s["p_adopted"], lo, hi, r.path.name)]
    if r.kind == "compare":
        c = r.data
        out = []
        for side in ("a", "b"):
            lo, hi, _ = _interval(c.get(f"p_adopted_{side}_interval"), c[f"p_adopted_{side}_ci95"])
            out.append((c[side], c[f"p_adopted_{side}"], lo, hi, f"{r.path.name}/{side}"))
        return out
    return []


def brief(results_dirs, out: Path | str = "brief.md", html: bool = False) -> Path:
    """Write a briefing for one or more results directories (run, compare or sweep).

    Parameters
    ----------
    results_dirs : a directory or a list of them.
    out : the Markdown file to write; charts are written beside it as ``<stem>-*.png``, the
        headline figures and per-state tables as ``<stem>-headline.csv``,
        ``<stem>-states.csv`` and ``<stem>.xlsx`` (model.reporting.exports).
    html : also write ``<stem>.html``, one self-contained file (the charts embedded).

    Returns
    -------
    The path of the Markdown file.
    """
    if isinstance(results_dirs, (str, Path)):
        results_dirs = [results_dirs]
    if not results_dirs:
        raise InputError("no results directories given", field="RESULTS_DIR")
    out = Path(out)
    if out.suffix.lower() != ".md":
        raise InputError("the briefing must be a .md file", field="--out")
    results = [load_result(d) for d in results_dirs]
    for r in results:
        r.path_out = out.parent
    out.parent.mkdir(parents=True, exist_ok=True)
    stem = out.stem
    doc = Doc()
    titles = [r.title for r in results]
    doc.h(1, "Briefing: " + "; ".join(titles))
    doc.p(f"Generated by eucoalition {__version__} from the simulation outputs listed in the "
          "provenance box. Probabilities are shares of simulated Council votes. An interval \"with "
          "parameter uncertainty\" also spans what we do not know about the behavioural "
          "coefficients, the measure's intercept and stakes and the instruments' effects (drawn "
          "from their calibrated posterior or their priors); it does not span the coding choices "
          "of the inputs or the model's structure.")
    headlines = [_headline(r) for r in results]
    doc.h(2, "Headline")
    for line in headlines:
        doc.p(line)
    rows = [row for r in results for row in _adoption_rows(r)]
    files = []
    if rows:
        files.append(adoption_chart(unique_rows(rows), out.parent / f"{stem}-adoption.png"))
        doc.img(files[-1], "Probability the measure is adopted, with 95% intervals, per scenario")
    for n, r in enumerate(results, 1):
        files += SECTIONS[r.kind](doc, r, stem, n)
    doc.h(2, "Provenance")
    doc.box("Provenance: data, confidence, parameters", provenance(results))
    write_exports(results, out.parent, stem)
    atomic_write_text(out, doc.markdown())
    if html:
        atomic_write_text(out.with_suffix(".html"),
                          doc.html("Briefing: " + "; ".join(titles), embed_from=out.parent))
    return out

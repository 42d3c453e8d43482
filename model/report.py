"""Briefings an analyst can paste: headline, tables, charts and provenance, in Markdown or HTML.

``brief(results_dirs, out="brief.md", html=False)`` reads the output directories of
``eucoalition run`` (summary.json), ``eucoalition compare --out`` (compare.json) and
``eucoalition sweep`` (sweep.json) and writes:

* a headline sentence per result, with the number and its 95% interval;
* a table of per-state positions (P(for), P(abstain), P(against), P(pivotal), China's spend);
* charts as PNG files beside the briefing: an EU27 tile-grid map coloured by the probability of
  support, the adoption probability with its interval per scenario, sweep curves, and the
  pivotal and most targeted states;
* a provenance box: experiment file and hash, seed, replications, version, parameters, and the
  sources and confidence of the data and coefficients (all from the run's manifest and
  params/, with a warning if params/ changed since the run).

Charts use matplotlib's Agg backend (no display, no network), a perceptually uniform colour
map whose lightness rises monotonically (viridis - it stays readable in grey scale) with the
numbers printed on every tile, and markers and hatching rather than colour to tell series
apart. The briefing is built as a list of blocks rendered to Markdown and, with ``html=True``,
to a plain HTML page that refers to the same PNG files.
"""

from __future__ import annotations

import html as html_lib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .errors import InputError
from .experiment import atomic_write_bytes, atomic_write_text

__all__ = ["brief", "load_result", "TILE_GRID", "tile_map", "adoption_chart", "sweep_chart",
           "pivotal_chart"]

#: Hand-placed EU27 tile grid (column, row from the top), after the usual EU tile maps.
TILE_GRID: dict[str, tuple[int, int]] = {
    "SE": (4, 0), "FI": (5, 0),
    "IE": (0, 1), "DK": (3, 1), "EE": (5, 1),
    "NL": (2, 2), "DE": (3, 2), "PL": (4, 2), "LV": (5, 2),
    "BE": (1, 3), "LU": (2, 3), "CZ": (3, 3), "SK": (4, 3), "LT": (5, 3),
    "FR": (1, 4), "AT": (3, 4), "HU": (4, 4), "RO": (5, 4),
    "PT": (0, 5), "ES": (1, 5), "IT": (2, 5), "SI": (3, 5), "HR": (4, 5), "BG": (5, 5),
    "MT": (2, 6), "GR": (5, 6), "CY": (6, 6),
}
CMAP = "viridis"
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")
GREYS = ("0.0", "0.3", "0.45", "0.6")
BAR_FILLS = ("0.3", "0.85", "0.55", "white")


# --- reading results ------------------------------------------------------------------------

@dataclass
class Result:
    """One results directory: its kind (run, compare, sweep), payload and manifest."""

    kind: str
    path: Path
    data: dict
    manifest: dict
    parts: dict = field(default_factory=dict)     # compare: the "a" and "b" runs
    table: pd.DataFrame | None = None            # sweep: results
    path_out: Path = Path(".")                   # where the briefing's charts go

    @property
    def title(self) -> str:
        if self.kind == "compare":
            return f"{self.data['a']} vs {self.data['b']}"
        return self.data["experiment"]


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"unreadable ({type(exc).__name__})", file=path) from None


def load_result(path: Path | str) -> Result:
    """Read a run, compare or sweep output directory (InputError if it is none of them)."""
    path = Path(path)
    if not path.is_dir():
        raise InputError("not a directory", file=path)
    manifest = _read_json(path / "manifest.json") if (path / "manifest.json").exists() else {}
    if (path / "compare.json").exists():
        data = _read_json(path / "compare.json")
        parts = {k: load_result(path / k) for k in ("a", "b")
                 if (path / k / "summary.json").exists()}
        return Result("compare", path, data, manifest, parts=parts)
    if (path / "sweep.json").exists():
        from .sweep import read_results

        return Result("sweep", path, _read_json(path / "sweep.json"), manifest,
                      table=read_results(path))
    if (path / "summary.json").exists():
        data = _read_json(path / "summary.json")
        if "states" not in data or "p_adopted" not in data:
            raise InputError("not a run summary", file=path / "summary.json")
        return Result("run", path, data, manifest)
    if (path / "design.csv").exists():
        raise InputError("sweep not finished (no sweep.json); rerun the sweep to complete it",
                         file=path)
    raise InputError("no summary.json, compare.json or sweep.json: not a results directory",
                     file=path)


# --- formatting helpers -------------------------------------------------------------------

def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def _pp(x: float) -> str:
    return f"{100 * x:+.1f} pp"


def _names() -> dict[str, str]:
    try:
        from .data import load_member_states

        return load_member_states()["name"].to_dict()
    except Exception:                                    # names are cosmetic
        return {}


def _measure_title(name: str) -> str:
    try:
        from . import catalogue

        return catalogue.measures()[name].title
    except Exception:
        return name


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "result"


# --- charts -------------------------------------------------------------------------------------

def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
    return plt


def _save(fig, path: Path) -> Path:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    atomic_write_bytes(path, buf.getvalue())
    _pyplot().close(fig)
    return path


def _draw_tiles(ax, values: dict[str, float], title: str) -> object:
    from matplotlib import colormaps
    from matplotlib.patches import Rectangle

    cmap = colormaps[CMAP]
    for iso, (x, y) in TILE_GRID.items():
        v = values.get(iso)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            ax.add_patch(Rectangle((x, -y), 0.94, -0.94, facecolor="white", edgecolor="0.4",
                                   hatch="///", linewidth=0.8))
            ax.text(x + 0.47, -y - 0.47, f"{iso}\nabsent", ha="center", va="center", fontsize=7)
            continue
        ax.add_patch(Rectangle((x, -y), 0.94, -0.94, facecolor=cmap(v), edgecolor="white",
                               linewidth=1.0))
        ink = "white" if v < 0.55 else "black"
        ax.text(x + 0.47, -y - 0.33, iso, ha="center", va="center", fontsize=9,
                fontweight="bold", color=ink)
        ax.text(x + 0.47, -y - 0.66, f"{100 * v:.0f}%", ha="center", va="center", fontsize=8,
                color=ink)
    ax.set_xlim(-0.1, 7.1)
    ax.set_ylim(-7.1, 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    return ScalarMappable(norm=Normalize(0, 1), cmap=cmap)


def tile_map(panels: list[tuple[str, dict[str, float]]], path: Path,
             label: str = "P(vote for)") -> Path:
    """EU27 tile-grid map(s): one panel per (title, {iso2: probability}); tiles carry the code
    and the percentage, absent states are hatched."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels) + 0.6, 4.8), squeeze=False)
    mappable = None
    for ax, (title, values) in zip(axes[0], panels):
        mappable = _draw_tiles(ax, values, title)
    cbar = fig.colorbar(mappable, ax=list(axes[0]), fraction=0.035, pad=0.02)
    cbar.set_label(label)
    cbar.set_ticks([0, 0.25, 0.5, 0.75, 1.0], labels=["0%", "25%", "50%", "75%", "100%"])
    return _save(fig, path)


def adoption_chart(rows: list[tuple[str, float, float, float]], path: Path) -> Path:
    """P(adopted) with its 95% interval, one row per scenario (label, p, lo, hi)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 0.55 * len(rows) + 1.0))
    ys = np.arange(len(rows))[::-1]
    for y, (label, p, lo, hi) in zip(ys, rows):
        ax.errorbar(p, y, xerr=[[p - lo], [hi - p]], fmt="o", color="black", ecolor="0.35",
                    capsize=4, markersize=6)
        ax.text(min(hi + 0.02, 0.98), y, f"{_pct(p)} ({_pct(lo)}-{_pct(hi)})", va="center",
                fontsize=8, ha="left" if hi < 0.75 else "right")
    ax.set_yticks(ys, [r[0] for r in rows])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    ax.set_xlabel("P(measure adopted), 95% CI")
    ax.grid(axis="x", color="0.85", linewidth=0.6)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    return _save(fig, path)


def pivotal_chart(series: list[tuple[str, list[dict]]], path: Path, top: int = 10) -> Path:
    """The most pivotal states (probability a single switch of theirs changes the outcome) and
    where China spends, one bar group per scenario (label, summary["states"])."""
    plt = _pyplot()
    first = series[0][1]
    score = {r["iso2"]: 0.0 for r in first}
    for _, states in series:
        for r in states:
            score[r["iso2"]] = max(score.get(r["iso2"], 0.0), r["p_pivotal"], r["targeted_share"])
    chosen = sorted(score, key=lambda s: (-score[s], s))[:top][::-1]
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 0.32 * len(chosen) + 1.4), sharey=True)
    height = 0.8 / len(series)
    hatches = ("", "///", "..", "xx")
    for k, (label, states) in enumerate(series):
        rows = {r["iso2"]: r for r in states}
        ys = np.arange(len(chosen)) - (k - (len(series) - 1) / 2) * height   # first on top
        for ax, key in zip(axes, ("p_pivotal", "targeted_share")):
            vals = [rows.get(s, {}).get(key, 0.0) for s in chosen]
            ax.barh(ys, vals, height=height, color=BAR_FILLS[k % len(BAR_FILLS)],
                    hatch=hatches[k % len(hatches)], edgecolor="black", linewidth=0.5, label=label)
    axes[0].set_yticks(np.arange(len(chosen)), chosen)
    axes[0].set_xlabel("P(pivotal): one switch changes the outcome")
    axes[1].set_xlabel("share of China's spending")
    for ax in axes:
        ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.grid(axis="x", color="0.85", linewidth=0.6)
    if len(series) > 1:
        axes[1].legend(frameon=False, fontsize=8, loc="lower right")
    return _save(fig, path)


def _wilson(k: float, n: float) -> tuple[float, float]:
    from .experiment import wilson_interval

    return wilson_interval(int(k), int(n))


def sweep_chart(table: pd.DataFrame, parameters: list[dict], path: Path) -> Path:
    """Sweep curves: P(adopted) against the first numeric parameter, one line per level of
    the next parameter with few levels (others averaged out, intervals from pooled counts);
    bars for an all-categorical sweep; scatter panels for continuous (lhs, sobol) designs."""
    plt = _pyplot()
    names = [p["name"] for p in parameters]
    numeric = [p["name"] for p in parameters if p["kind"] == "numeric"]
    few = [n for n in names if table[n].nunique() <= 8]
    continuous = [n for n in numeric if table[n].nunique() > 8]
    if continuous:
        fig, axes = plt.subplots(1, len(continuous), figsize=(3.4 * len(continuous), 3.2),
                                 squeeze=False, sharey=True)
        for ax, name in zip(axes[0], continuous):
            ax.scatter(table[name], table["p_adopted"], s=12, color="black", alpha=0.6)
            ax.set_xlabel(name)
            ax.grid(color="0.9", linewidth=0.6)
        axes[0][0].set_ylabel("P(adopted)")
        axes[0][0].yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        return _save(fig, path)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    x_name = numeric[0] if numeric else names[0]
    group = next((n for n in few if n != x_name), None)
    groups = [(None, table)] if group is None else list(table.groupby(group, sort=False))
    for k, (level, sub) in enumerate(groups):
        agg = sub.groupby(x_name, sort=bool(numeric)).agg(k=("n_adopted", "sum"),
                                                          n=("replications", "sum"))
        p = agg["k"] / agg["n"]
        ci = np.array([_wilson(a, b) for a, b in zip(agg["k"], agg["n"])])
        err = np.maximum(0.0, [p - ci[:, 0], ci[:, 1] - p])       # no -1e-17 from rounding
        label = None if level is None else f"{group} = {level}"
        if numeric:
            ax.plot(agg.index, p, marker=MARKERS[k % len(MARKERS)],
                    linestyle=LINESTYLES[k % len(LINESTYLES)], color=GREYS[k % len(GREYS)],
                    label=label, markersize=5)
            ax.fill_between(agg.index, ci[:, 0], ci[:, 1], color=GREYS[k % len(GREYS)], alpha=0.12,
                            linewidth=0)
        else:
            xs = np.arange(len(agg)) + (k - (len(groups) - 1) / 2) * 0.8 / len(groups)
            ax.bar(xs, p, width=0.8 / len(groups), color=BAR_FILLS[k % len(BAR_FILLS)],
                   edgecolor="black", hatch=("", "///", "..", "xx")[k % 4], label=label)
            ax.errorbar(xs, p, yerr=err, fmt="none", ecolor="black",
                        capsize=3)
            ax.set_xticks(np.arange(len(agg)), [str(v) for v in agg.index])
    ax.set_xlabel(x_name)
    ax.set_ylabel("P(measure adopted), 95% CI")
    ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    ax.set_ylim(bottom=0)
    ax.grid(color="0.9", linewidth=0.6)
    if group is not None:
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)


# --- the document -------------------------------------------------------------------------------

@dataclass
class Doc:
    """A briefing as blocks: ("h", level, text), ("p", text), ("table", header, rows),
    ("img", path, alt), ("box", title, lines)."""

    blocks: list = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", level, text))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.blocks.append(("table", header, rows))

    def img(self, path: Path, alt: str) -> None:
        self.blocks.append(("img", path.name, alt))

    def box(self, title: str, lines: list[str]) -> None:
        self.blocks.append(("box", title, lines))

    def markdown(self) -> str:
        out = []
        for b in self.blocks:
            if b[0] == "h":
                out.append(f"{'#' * b[1]} {b[2]}")
            elif b[0] == "p":
                out.append(b[1])
            elif b[0] == "table":
                header, rows = b[1], b[2]
                align = ["---"] + ["---:"] * (len(header) - 1)
                lines = [header, align, *rows]
                out.append("\n".join("| " + " | ".join(r) + " |" for r in lines))
            elif b[0] == "img":
                out.append(f"![{b[2]}]({b[1]})")
            elif b[0] == "box":
                out.append("\n".join([f"> **{b[1]}**", ">"] + [f"> - {line}" for line in b[2]]))
        return "\n\n".join(out) + "\n"

    def html(self, title: str) -> str:
        def inline(text: str) -> str:
            text = html_lib.escape(text)
            text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
            return re.sub(r"`(.+?)`", r"<code>\1</code>", text)

        body = []
        for b in self.blocks:
            if b[0] == "h":
                body.append(f"<h{b[1]}>{inline(b[2])}</h{b[1]}>")
            elif b[0] == "p":
                body.append(f"<p>{inline(b[1])}</p>")
            elif b[0] == "table":
                head = "".join(f"<th>{inline(c)}</th>" for c in b[1])
                rows = "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>"
                               for r in b[2])
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            elif b[0] == "img":
                src, alt = html_lib.escape(b[1]), html_lib.escape(b[2])
                body.append(f'<figure><img src="{src}" alt="{alt}">'
                            f"<figcaption>{inline(b[2])}</figcaption></figure>")
            elif b[0] == "box":
                items = "".join(f"<li>{inline(line)}</li>" for line in b[2])
                body.append(f'<aside class="provenance"><h3>{inline(b[1])}</h3>'
                            f"<ul>{items}</ul></aside>")
        style = ("body{font-family:Georgia,serif;max-width:52em;margin:2em auto;color:#111;"
                 "line-height:1.45}table{border-collapse:collapse;margin:1em 0}"
                 "th,td{border:1px solid #999;padding:2px 8px;text-align:right}"
                 "td:first-child,th:first-child{text-align:left}img{max-width:100%}"
                 "figure{margin:1em 0}figcaption{font-size:.85em;color:#444}"
                 ".provenance{border:2px solid #444;padding:.5em 1em;margin:1.5em 0;"
                 "font-size:.9em}code{font-size:.9em}")
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html_lib.escape(title)}</title><style>{style}</style></head><body>\n"
                + "\n".join(body) + "\n</body></html>\n")


# --- sections ----------------------------------------------------------------------------------

def _run_headline(s: dict) -> str:
    china = s.get("china", {})
    if china.get("strategy", "none") == "none" or not china.get("budget_per_round"):
        pressure = "no further Chinese pressure"
    else:
        pressure = (f"China playing {china['strategy'].replace('_', ' ')} with a budget of "
                    f"{china['budget_per_round']:g} a round")
    lo, hi = s["p_adopted_ci95"]
    return (f"**{s['experiment']}**: the measure \"{_measure_title(s['measure'])}\" "
            f"({s['rule']}) is adopted in **{_pct(s['p_adopted'])}** of {s['replications']:,} "
            f"simulated votes (95% CI {_pct(lo)}-{_pct(hi)}), with {pressure}.")


def _state_table(doc: Doc, states: list[dict]) -> None:
    names = _names()
    rows = []
    for r in sorted(states, key=lambda r: (-r["p_for"], r["iso2"])):
        rows.append([f"{r['iso2']} {names.get(r['iso2'], '')}".strip(), _pct(r["p_for"], 0),
                     _pct(r["p_abstain"], 0), _pct(r["p_against"], 0), _pct(r["p_pivotal"]),
                     _pct(r["targeted_share"], 0)])
    doc.table(["State", "P(for)", "P(abstain)", "P(against)", "P(pivotal)", "China's spend"], rows)


def _run_section(doc: Doc, r: Result, stem: str, n: int) -> list[Path]:
    s = r.data
    doc.h(2, f"Scenario: {s['experiment']}")
    top = sorted(s["states"], key=lambda x: (-x["p_pivotal"], x["iso2"]))[:3]
    targeted = [x for x in sorted(s["states"], key=lambda x: (-x["targeted_share"], x["iso2"]))
                if x["targeted_share"] > 0][:3]
    sentence = ("Most often pivotal: "
                + ", ".join(f"{x['iso2']} ({_pct(x['p_pivotal'])})" for x in top) + ".")
    if targeted:
        sentence += (" China spends most on " + ", ".join(
            f"{x['iso2']} ({_pct(x['targeted_share'], 0)})" for x in targeted) + ".")
    doc.p(sentence)
    base = f"{stem}-{n}-{_slug(s['experiment'])}"
    files = [tile_map([(s["experiment"], {x["iso2"]: x["p_for"] for x in s["states"]})],
                      r.path_out / f"{base}-map.png")]
    doc.img(files[-1], f"Probability each state votes for the measure ({s['experiment']})")
    _state_table(doc, s["states"])
    files.append(pivotal_chart([(s["experiment"], s["states"])],
                               r.path_out / f"{base}-pivotal.png"))
    doc.img(files[-1], f"Pivotal and targeted states ({s['experiment']})")
    return files


def _compare_section(doc: Doc, r: Result, stem: str, n: int) -> list[Path]:
    c = r.data
    lo, hi = c["difference_ci95"]
    doc.h(2, f"Comparison: {c['a']} vs {c['b']}")
    doc.p(f"Moving from **{c['a']}** to **{c['b']}** changes the probability that the "
          f"measure \"{_measure_title(c['measure_b'])}\" is adopted by **{_pp(c['difference'])}** "
          f"(95% CI {_pp(lo)} to {_pp(hi)}, paired over {c['replications']:,} replications with "
          f"common random numbers): from {_pct(c['p_adopted_a'])} to {_pct(c['p_adopted_b'])}. "
          f"An unpaired comparison would give {_pp(c['difference_ci95_unpaired'][0])} to "
          f"{_pp(c['difference_ci95_unpaired'][1])}.")
    movers = c["states"][:3]
    if movers:
        doc.p("States that shift most: " + "; ".join(
            f"{m['iso2']} (P(for) {_pct(m['p_for_a'], 0)} -> {_pct(m['p_for_b'], 0)}, "
            f"P(against) {_pct(m['p_against_a'], 0)} -> {_pct(m['p_against_b'], 0)})"
            for m in movers) + ".")
    co = c["coalitions"]
    for side, name in (("a", c["a"]), ("b", c["b"])):
        top = co[side]["top"][:1]
        if top:
            doc.p(f"Most frequent blocking minority under {name}: {'+'.join(top[0]['states'])} "
                  f"({_pct(top[0]['share'])} of replications; {co[side]['distinct']} distinct "
                  f"minimal blocking coalitions in {co[side]['failures']:,} failures).")
    only = [(c["a"], x) for x in co["only_in_a"][:3]] + [(c["b"], x) for x in co["only_in_b"][:3]]
    if only:
        doc.p("Seen in one scenario only: " + "; ".join(
            f"{'+'.join(x['states'])} under {name} ({_pct(x['share'])})" for name, x in only) + ".")
    names = _names()
    doc.table(["State", f"P(for) {c['a']}", f"P(for) {c['b']}", "change P(for)",
               "change P(against)", "change P(abstain)"],
              [[f"{m['iso2']} {names.get(m['iso2'], '')}".strip(), _pct(m["p_for_a"], 0),
                _pct(m["p_for_b"], 0), _pp(m["delta_p_for"]), _pp(m["delta_p_against"]),
                _pp(m["delta_p_abstain"])] for m in c["states"]])
    if co["membership"]:
        doc.table(["State", f"in blocking coalition, {c['a']}", f"... {c['b']}", "change"],
                  [[m["iso2"], _pct(m["share_a"]), _pct(m["share_b"]), _pp(m["delta"])]
                   for m in co["membership"][:10]])
    base = f"{stem}-{n}-{_slug(c['a'] + '-vs-' + c['b'])}"
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
            f"**{_pct(lo['p_adopted'])}** (95% CI {_pct(lo['p_adopted_ci95'][0])}-"
            f"{_pct(lo['p_adopted_ci95'][1])}; {at(lo)}) to **{_pct(hi['p_adopted'])}** "
            f"(95% CI {_pct(hi['p_adopted_ci95'][0])}-{_pct(hi['p_adopted_ci95'][1])}; {at(hi)}).")
    if lead and lead.get("main_effect") is not None:
        share = lead["main_effect"]
        text += f" The parameter that moves it most is **{lead['parameter']}** "
        text += (f"(it alone explains {_pct(share, 0)} of the variation across points)."
                 if 0 <= share <= 1 else f"(first-order index {share:.2f}).")
    if s["design"] == "sobol":
        text += (f" Sobol indices come from a base sample of {s.get('samples')} points and carry "
                 "no interval; estimates outside [0, 1] or below a base sample of a few hundred "
                 "are rough.")
    doc.p(text)
    base = f"{stem}-{n}-{_slug(s['experiment'])}"
    files = []
    if r.table is not None and len(r.table):
        files.append(sweep_chart(r.table, s["parameters"], r.path_out / f"{base}-sweep.png"))
        doc.img(files[-1], f"P(adopted) across the sweep ({s['experiment']})")
    if sens:
        def num(v, fmt):
            return "" if v is None else fmt(v)

        doc.table(["Parameter", "kind", "levels", "std. regression coef.", "main effect",
                   "total effect", "range of means", "highest at", "lowest at"],
                  [[x["parameter"], x["kind"], str(x["levels"]),
                    num(x["src"], lambda v: f"{v:+.2f}"),
                    num(x["main_effect"], lambda v: f"{v:.2f}"),
                    num(x["total_effect"], lambda v: f"{v:.2f}"),
                    num(x["range_of_means"], lambda v: _pp(v).replace("+", "")),
                    str(x["highest_at"]), str(x["lowest_at"])] for x in sens])
        r2 = s.get("sensitivity_r2")
        doc.p("Main effect: share of the variance of P(adopted) across design points explained by "
              "the parameter alone; total effect (sobol designs): including its interactions"
              + (f"; the linear regression behind the coefficients has R^2 = {r2:.2f}."
                 if r2 is not None else "."))
    return files


def _provenance(results: list[Result]) -> list[str]:
    from . import catalogue
    from .data import data_hashes

    lines = [f"eucoalition {__version__}; briefing built from " +
             ", ".join(f"`{r.path}`" for r in results)]
    manifests = []
    for r in results:
        if r.kind == "compare":
            manifests += [(f"{r.title} ({k})", r.manifest.get(k, {})) for k in ("a", "b")]
        else:
            manifests.append((r.title, r.manifest))
    for title, m in manifests:
        if not m:
            lines.append(f"{title}: no manifest")
            continue
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
        src = m.get("source_file")
        if src:
            bits.append(f"file {src} (sha256 {str(m.get('source_sha256'))[:12]})")
        lines.append(f"**{title}**: " + "; ".join(b for b in bits if b))
    hashes = [m.get("data_sha256") for _, m in manifests if m.get("data_sha256")]
    if hashes:
        current = data_hashes()
        same = all(h == current for h in hashes)
        lines.append(f"Data: {len(hashes[0])} files in params/ hashed in the manifest; "
                     + ("params/ unchanged since the run(s)." if same else
                        "**params/ has changed since the run(s): rerun before quoting.**"))
    try:
        lines.extend(_data_sources(manifests))
        coef = catalogue.coefficients()
        levels: dict[str, int] = {}
        for name in type(coef).model_fields:
            lv = getattr(coef, name).confidence
            levels[lv] = levels.get(lv, 0) + 1
        lines.append("Behavioural coefficients (params/behaviour.toml): "
                     + ", ".join(f"{k} {v}" for k, v in sorted(levels.items()))
                     + " - priors unless calibrated")
        measures = {r.data.get("measure") for r in results if r.kind in ("run", "sweep")}
        measures |= {r.data.get(k) for r in results if r.kind == "compare"
                     for k in ("measure_a", "measure_b")}
        for name in sorted(m for m in measures if m):
            meas = catalogue.measures()[name]
            lines.append(f"Measure {name}: {meas.source}; intercept and stakes are "
                         f"{meas.intercept.confidence}")
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
    except Exception as exc:                           # provenance must not break the brief
        lines.append(f"params/ could not be read ({type(exc).__name__})")
    unverified = set()
    for r in results:
        runs = [r] if r.kind == "run" else list(r.parts.values())
        for x in runs:
            unverified |= {(c["iso2"], c["channel"]) for c in x.data.get("unverified_inputs", [])}
    if unverified:
        lines.append(f"{len(unverified)} exposure figures used are UNVERIFIED estimates "
                     "(listed under unverified_inputs in summary.json)")
    lines.append("Monte Carlo: 95% intervals are Wilson intervals over replications (paired "
                 "Newcombe intervals for differences); random numbers are keyed by seed, "
                 "experiment point and block, so the same seed gives the same numbers.")
    return lines


def _data_sources(manifests) -> list[str]:
    """Where the populations and exposures come from, with their confidence."""
    from .data import PARAMS_DIR, POPULATION_TABLES, load_exposures, read_csv

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


SECTIONS = {"run": _run_section, "compare": _compare_section, "sweep": _sweep_section}


def brief(results_dirs, out: Path | str = "brief.md", html: bool = False) -> Path:
    """Write a briefing for one or more results directories (run, compare or sweep).

    Parameters
    ----------
    results_dirs : a directory or a list of them.
    out : the Markdown file to write; charts are written beside it as ``<stem>-*.png``.
    html : also write ``<stem>.html`` (plain, referring to the same PNG files).

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
          "provenance box. Probabilities are shares of simulated Council votes; intervals are "
          "95% confidence intervals for the Monte Carlo estimate, not for the model's assumptions.")
    headlines = []
    for r in results:
        if r.kind == "run":
            headlines.append(_run_headline(r.data))
        elif r.kind == "compare":
            c = r.data
            lo, hi = c["difference_ci95"]
            headlines.append(f"**{c['b']}** vs **{c['a']}**: P(adopted) {_pct(c['p_adopted_b'])} "
                             f"vs {_pct(c['p_adopted_a'])}, a difference of "
                             f"{_pp(c['difference'])} (95% CI {_pp(lo)} to {_pp(hi)}).")
        else:
            s = r.data
            headlines.append(f"**{s['experiment']}**: P(adopted) between "
                             f"{_pct(s['p_adopted_min']['p_adopted'])} and "
                             f"{_pct(s['p_adopted_max']['p_adopted'])} across {s['points']} "
                             "design points.")
    doc.h(2, "Headline")
    for line in headlines:
        doc.p(line)
    rows = []
    for r in results:
        if r.kind == "run":
            s = r.data
            rows.append((s["experiment"], s["p_adopted"], *s["p_adopted_ci95"]))
        elif r.kind == "compare":
            c = r.data
            rows.append((c["a"], c["p_adopted_a"], *c["p_adopted_a_ci95"]))
            rows.append((c["b"], c["p_adopted_b"], *c["p_adopted_b_ci95"]))
    files = []
    if rows:
        seen, unique = set(), []
        for row in rows:
            if row[0] not in seen:
                seen.add(row[0])
                unique.append(row)
        files.append(adoption_chart(unique, out.parent / f"{stem}-adoption.png"))
        doc.img(files[-1], "Probability the measure is adopted, with 95% intervals, per scenario")
    for n, r in enumerate(results, 1):
        files += SECTIONS[r.kind](doc, r, stem, n)
    doc.h(2, "Provenance")
    doc.box("Provenance: data, confidence, parameters", _provenance(results))
    atomic_write_text(out, doc.markdown())
    if html:
        atomic_write_text(out.with_suffix(".html"), doc.html("Briefing: " + "; ".join(titles)))
    return out

"""The briefing's charts, as PNG files: a tile-grid map of the Council (EU27, with the United
Kingdom or candidates where the Council has them), adoption probabilities with
their intervals, sweep curves, pivotal and targeted states.

Charts use matplotlib's Agg backend (no display, no network), a perceptually uniform colour
map whose lightness rises monotonically (viridis - it stays readable in grey scale) with the
numbers printed on every tile, and markers and hatching rather than colour to tell series
apart. PNGs carry no timestamp, so the same results give the same bytes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import atomic_write_bytes
from ..stats import wilson_interval
from .labels import parameter_label, pct, value_label

__all__ = ["TILE_GRID", "EXTRA_TILES", "tile_map", "adoption_chart", "sweep_chart", "pivotal_chart"]

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
#: Tiles of the United Kingdom and the candidate countries, drawn when a Council has them.
EXTRA_TILES: dict[str, tuple[int, int]] = {
    "GB": (1, 1), "UA": (6, 3), "MD": (6, 4), "GE": (7, 5), "TR": (7, 6),
    "BA": (3, 6), "RS": (4, 6), "ME": (3, 7), "XK": (4, 7), "MK": (5, 7), "AL": (4, 8),
}
CMAP = "viridis"
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")
GREYS = ("0.0", "0.3", "0.45", "0.6")
BAR_FILLS = ("0.3", "0.85", "0.55", "white")



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


def _draw_tiles(ax, values: dict[str, float], title: str, members=None) -> object:
    from matplotlib import colormaps
    from matplotlib.patches import Rectangle

    cmap = colormaps[CMAP]
    everywhere = {**TILE_GRID, **EXTRA_TILES}
    if members is not None:
        grid = {s: everywhere[s] for s in members if s in everywhere}
    else:
        grid = dict(TILE_GRID)
        grid.update({s: xy for s, xy in EXTRA_TILES.items() if s in values})
    for iso, (x, y) in grid.items():
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
    ax.set_xlim(-0.1, max(x for x, _ in grid.values()) + 1.1)
    ax.set_ylim(-max(y for _, y in grid.values()) - 1.1, 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    return ScalarMappable(norm=Normalize(0, 1), cmap=cmap)


def tile_map(panels: list[tuple], path: Path, label: str = "P(vote for)") -> Path:
    """Tile-grid map(s): one panel per (title, {iso2: probability}[, members]); tiles carry
    the code and the percentage, members without a value (absent) are hatched. Without
    ``members`` the tiles are the EU27 and any other state with a value."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels) + 0.6, 4.8), squeeze=False)
    mappable = None
    for ax, (title, values, *members) in zip(axes[0], panels):
        mappable = _draw_tiles(ax, values, title, members[0] if members else None)
    cbar = fig.colorbar(mappable, ax=list(axes[0]), fraction=0.035, pad=0.02)
    cbar.set_label(label)
    cbar.set_ticks([0, 0.25, 0.5, 0.75, 1.0], labels=["0%", "25%", "50%", "75%", "100%"])
    return _save(fig, path)


def adoption_chart(rows: list[tuple[str, float, float, float]], path: Path) -> Path:
    """P(adopted) with its 95% interval, one row per scenario (label, p, lo, hi)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 0.55 * len(rows) + 1.0))
    ys = np.arange(len(rows))[::-1]
    for y, (_label, p, lo, hi) in zip(ys, rows):
        ax.errorbar(p, y, xerr=[[p - lo], [hi - p]], fmt="o", color="black", ecolor="0.35",
                    capsize=4, markersize=6)
        label = f"{pct(p)} ({pct(lo)}-{pct(hi)})"
        if hi < 0.75:                   # room to the right of the interval
            ax.text(hi + 0.02, y, label, va="center", ha="left", fontsize=8)
        else:                           # above the point, clear of the interval's line
            ax.text(p, y + 0.12, label, va="bottom", ha="center", fontsize=8)
    ax.set_yticks(ys, [r[0] for r in rows])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    ax.set_xlabel("P(measure adopted), 95% interval")
    ax.grid(axis="x", color="0.85", linewidth=0.6)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    return _save(fig, path)


def pivotal_order(series: list[tuple[str, list[dict]]], top: int = 10) -> list[str]:
    """The ``top`` states that matter on either panel of the pivotal chart (pivotal or
    targeted in any scenario), bottom to top by what the left panel plots: the first
    scenario's P(pivotal), largest on top."""
    first = series[0][1]
    score = {r["iso2"]: 0.0 for r in first}
    for _, states in series:
        for r in states:
            score[r["iso2"]] = max(score.get(r["iso2"], 0.0), r["p_pivotal"], r["targeted_share"])
    pivotal = {r["iso2"]: r["p_pivotal"] for r in first}
    chosen = sorted(score, key=lambda s: (-score[s], s))[:top]
    return sorted(chosen, key=lambda s: (pivotal.get(s, 0.0), s))


def pivotal_chart(series: list[tuple[str, list[dict]]], path: Path, top: int = 10) -> Path:
    """The most pivotal states (probability a single switch of theirs changes the outcome) and
    where China spends, one bar group per scenario (label, summary["states"])."""
    plt = _pyplot()
    chosen = pivotal_order(series, top)
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
            ax.set_xlabel(parameter_label(name))
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
        ci = np.array([wilson_interval(int(a), int(b)) for a, b in zip(agg["k"], agg["n"])])
        err = np.maximum(0.0, [p - ci[:, 0], ci[:, 1] - p])       # no -1e-17 from rounding
        label = None if level is None else f"{parameter_label(group)}: {value_label(level)}"
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
            ax.set_xticks(np.arange(len(agg)), [value_label(v) for v in agg.index])
    ax.set_xlabel(parameter_label(x_name))
    ax.set_ylabel("P(measure adopted), binomial 95% CI")
    if {"p_adopted_total_lo", "p_adopted_total_hi"} <= set(table.columns):
        # the bands are binomial, given the parameter draws the points share; say how wide
        # the honest intervals are
        lo, hi = table["p_adopted_total_lo"].min(), table["p_adopted_total_hi"].max()
        if hi - lo > 0:
            ax.set_title(f"Bands: replications only, given the parameter draws all points share "
                         f"(so differences between points are paired).\nEach point's Monte "
                         f"Carlo interval is in points.csv; with parameter uncertainty the "
                         f"points' 95% intervals span {pct(lo)}-{pct(hi)}.",
                         fontsize=7, color="0.3", loc="left")
    ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    ax.set_ylim(bottom=0)
    ax.grid(color="0.9", linewidth=0.6)
    if group is not None:
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)

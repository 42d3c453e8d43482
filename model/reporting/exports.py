"""What a briefing's reader pastes into a spreadsheet: the headline figures and the per-state
table of every scenario, as CSV (full precision) and as one XLSX workbook with a sheet each.

Headline rows: one per scenario (a run, or each side of a comparison), one per comparison (the
paired difference) and one per sweep point, each with P(adopted), its Monte Carlo interval and
its total interval (parameter uncertainty included; equal to the Monte Carlo one when the run
kept its parameters fixed). State rows: one per scenario and state.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from ..io import atomic_write_bytes, atomic_write_text
from .labels import measure_title, state_names
from .load import Result

__all__ = ["headline_table", "state_table", "write_exports"]

HEADLINE_COLUMNS = ["scenario", "kind", "measure", "rule", "replications", "seed", "p_adopted",
                    "monte_carlo_lo", "monte_carlo_hi", "total_lo", "total_hi"]
STATE_COLUMNS = ["scenario", "iso2", "state", "p_for", "p_abstain", "p_against", "p_pivotal",
                 "china_spend_share"]


def _run_row(s: dict, scenario: str | None = None) -> dict:
    mc = s["p_adopted_ci95"]
    total = (s.get("p_adopted_interval") or {}).get("total", mc)
    return {"scenario": scenario or s["experiment"], "kind": "run",
            "measure": measure_title(s["measure"]), "rule": s["rule"],
            "replications": s["replications"], "seed": s["seed"], "p_adopted": s["p_adopted"],
            "monte_carlo_lo": mc[0], "monte_carlo_hi": mc[1], "total_lo": total[0],
            "total_hi": total[1]}


def _runs(r: Result) -> list[tuple[str, dict]]:
    """(scenario label, summary) of every run a result holds."""
    if r.kind == "run":
        return [(r.data["experiment"], r.data)]
    if r.kind == "compare":
        return [(f"{r.data[side]} ({side})", r.parts[side].data)
                for side in ("a", "b") if side in r.parts]
    return []


def headline_table(results: list[Result]) -> pd.DataFrame:
    """The headline figures of every scenario, comparison and sweep point."""
    rows = []
    for r in results:
        rows += [_run_row(s, label) for label, s in _runs(r)]
        if r.kind == "compare":
            c = r.data
            mc = c["difference_ci95"]
            total = (c.get("difference_interval") or {}).get("total", mc)
            rows.append({"scenario": f"{c['b']} - {c['a']}", "kind": "difference (b - a)",
                         "measure": measure_title(c["measure_a"]), "rule": c["rule_a"],
                         "replications": c["replications"], "seed": c["seed"],
                         "p_adopted": c["difference"], "monte_carlo_lo": mc[0],
                         "monte_carlo_hi": mc[1], "total_lo": total[0], "total_hi": total[1]})
        elif r.kind == "sweep" and r.table is not None:
            names = [p["name"] for p in r.data.get("parameters", [])]
            for row in r.table.to_dict("records"):
                label = ", ".join(f"{n}={row[n]}" for n in names if n in row)
                rows.append({"scenario": f"{r.data['experiment']}: {label}",
                             "kind": "sweep point", "measure": measure_title(r.data["measure"]),
                             "rule": r.data.get("rule", ""), "replications": row["replications"],
                             "seed": r.data.get("seed", ""), "p_adopted": row["p_adopted"],
                             "monte_carlo_lo": row["p_adopted_lo"],
                             "monte_carlo_hi": row["p_adopted_hi"],
                             "total_lo": row.get("p_adopted_total_lo", row["p_adopted_lo"]),
                             "total_hi": row.get("p_adopted_total_hi", row["p_adopted_hi"])})
    return pd.DataFrame(rows, columns=HEADLINE_COLUMNS)


def state_table(results: list[Result]) -> pd.DataFrame:
    """Every scenario's per-state probabilities, pivotality and China's spending share."""
    names = state_names()
    rows = [{"scenario": label, "iso2": x["iso2"], "state": names.get(x["iso2"], x["iso2"]),
             "p_for": x["p_for"], "p_abstain": x["p_abstain"], "p_against": x["p_against"],
             "p_pivotal": x["p_pivotal"], "china_spend_share": x["targeted_share"]}
            for r in results for label, s in _runs(r) for x in s["states"]]
    return pd.DataFrame(rows, columns=STATE_COLUMNS)


def _xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """The tables as one workbook (openpyxl), document dates fixed so the content is
    reproducible (the zip container still stamps its entries)."""
    import io

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
        writer.book.properties.created = writer.book.properties.modified = datetime(2000, 1, 1)
    return buf.getvalue()


def write_exports(results: list[Result], folder: Path, stem: str) -> list[Path]:
    """Write STEM-headline.csv, STEM-states.csv and STEM.xlsx into ``folder`` (atomically)."""
    tables = {"headline": headline_table(results), "states": state_table(results)}
    paths = []
    for name, frame in tables.items():
        path = folder / f"{stem}-{name}.csv"
        atomic_write_text(path, frame.to_csv(index=False, lineterminator="\n"))
        paths.append(path)
    path = folder / f"{stem}.xlsx"
    atomic_write_bytes(path, _xlsx(tables))
    paths.append(path)
    return paths

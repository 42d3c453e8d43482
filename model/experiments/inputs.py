"""What went into a run: every input row the scenario read, with the date it became known and
whether it was used (``eucoalition inputs``).

A row is *used* when the run's numbers rest on it; otherwise its status says why not: known
only after the run's ``as_of`` date, or superseded by a later or better row of the same state
and indicator (an exposure's rule is in :mod:`model.inputs.exposure`, alignment's in
:mod:`model.inputs.stance`). China's actions of the experiment file, the months of an
instrument's schedule (params/schedules.csv) a run timed by its vote date reads, and the
population figures of the Council's members are listed too.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..inputs.council import read_rows
from ..inputs.schedules import load_schedules, month_in_force, provenance
from ..inputs.tables import PARAMS_DIR, POPULATION_TABLES, load_population, normalise_iso2
from .resolve import resolve
from .spec import spec_and_path

__all__ = ["inputs_table", "INPUT_COLUMNS"]

INPUT_COLUMNS = ("file", "iso2", "indicator", "value", "date", "confidence", "used", "status",
                 "source")


def _frame_rows(frame: pd.DataFrame, file: str) -> list[dict]:
    out = []
    for r in frame.to_dict("records"):
        indicator = r["indicator"] + (f" ({r['item']})" if r.get("item") else "")
        out.append({"file": file, "iso2": r["iso2"], "indicator": indicator,
                    "value": r["value"], "date": r["known_from"],
                    "confidence": r["confidence"], "used": bool(r["used"]),
                    "status": r["status"], "source": r["source"]})
    return out


def _schedule_rows(scenario) -> list[dict]:
    """The months of every schedule the run's actions follow: used when some round falls in
    the period a month's intensity holds, else outside the run's rounds."""
    if scenario.round_months is None:
        return []
    names = sorted({scenario.instruments[a.instrument].schedule.name for a in scenario.actions
                    if a.profile is not None})
    out = []
    for name in names:
        table = load_schedules()[name]
        reached = {month_in_force(table, rm) for rm in scenario.round_months} - {None}
        for month, value in table.items():
            meta = provenance(name, month)
            out.append({"file": "params/schedules.csv", "iso2": "", "indicator":
                        f"schedule {name} {month}", "value": value, "date": None,
                        "confidence": meta["confidence"], "used": month in reached,
                        "status": "used" if month in reached else "outside the run's months",
                        "source": meta["source"]})
    return out


def inputs_table(source) -> dict:
    """The inputs of an experiment (a path, dict or spec): ``as_of``, the Council and one row
    per input (see :data:`INPUT_COLUMNS`)."""
    spec, path = spec_and_path(source)
    scenario = resolve(spec)
    rows = _frame_rows(scenario.exposure_table.rows, "params/exposures.csv")
    if scenario.alignment_rows is not None:
        rows += _frame_rows(scenario.alignment_rows, "params/alignment.csv")
    file = str(path) if path is not None else spec.name
    skipped = {a["index"] for a in scenario.actions_not_used}
    for i, a in enumerate(spec.china.actions):
        targets = a.targets if a.targets == "exposed" else ",".join(a.targets)
        rows.append({"file": file, "iso2": targets, "indicator": f"china.actions[{i}] "
                     f"{a.instrument}", "value": a.intensity, "date": a.date or None,
                     "confidence": "", "used": i not in skipped,
                     "status": "known after as_of" if i in skipped else
                     ("used (undated: assumed known)" if not a.date else "used"),
                     "source": a.source})
    rows += _schedule_rows(scenario)
    used_ctx = {(c["iso2"], c["date"]) for c in scenario.context["used"]}
    for i, c in enumerate(spec.context):
        ok = (c.iso2, c.date) in used_ctx
        rows.append({"file": file, "iso2": c.iso2, "indicator": f"context[{i}] stance",
                     "value": c.stance, "date": c.date, "confidence": "assumption (size)",
                     "used": ok, "status": "used" if ok else "known after as_of",
                     "source": c.source})
    pop = load_population(spec.population)
    shipped = spec.population in POPULATION_TABLES
    pop_path = PARAMS_DIR / POPULATION_TABLES[spec.population] if shipped else Path(
        spec.population)
    meta = {normalise_iso2(r["iso2"]): r for r in read_rows(pop_path, ["iso2", "population"])}
    for iso in scenario.all_states:
        rows.append({"file": f"params/{pop_path.name}" if shipped else str(pop_path),
                     "iso2": iso, "indicator": "population", "value": int(pop[iso]),
                     "date": None, "confidence": meta[iso].get("confidence", ""), "used": True,
                     "status": "used", "source": meta[iso].get("source", "")})
    return {"experiment": spec.name, "as_of": scenario.knowledge_date,
            "as_of_rule": scenario.as_of_rule, "composition": scenario.composition,
            "neutral_members": scenario.neutral_members,
            "rows": [{k: r[k] for k in INPUT_COLUMNS} for r in rows]}

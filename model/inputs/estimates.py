"""The UNVERIFIED estimates the model uses, and what would replace them.

An estimate is *in use* when the exposure builder picks it for today's Council on the latest
data (:mod:`model.inputs.exposure`): a sourced figure of the same state and indicator at most
two years older supersedes it. Beside each estimate in use stand the sourced figures of other
years (anchors) and the source that would replace it: named in the row's own note where the
research says so, otherwise the standard table for that indicator.
"""

from __future__ import annotations

import re

from .council import EU27
from .exposure import build_exposures
from .tables import load_exposures, load_member_states

__all__ = ["unverified_in_use", "REPLACEMENTS"]

#: The public table that would replace an estimate of each indicator.
REPLACEMENTS = {
    "exports_to_china": "Eurostat Comext ext_st_eu27_2020sitc (partner CN, annual, EUR)",
    "imports_from_china": "Eurostat Comext ext_st_eu27_2020sitc (partner CN, annual, EUR)",
    "pork_exports_to_china_value": "Eurostat Comext, CN 0203 exports to China (annual, EUR)",
    "chinese_fdi_cumulative_2000_2023": "Rhodium Group / MERICS country table of Chinese FDI",
}


def _replacement(indicator: str, note: str) -> str:
    found = re.search(r"replace with ([^;.]+(?:\([^)]*\))?)", note, flags=re.IGNORECASE)
    if found:
        return found.group(1).strip()
    return REPLACEMENTS.get(indicator, "a sourced figure of the same year")


def unverified_in_use(as_of: str | None = None, members: tuple[str, ...] = EU27) -> dict:
    """Every UNVERIFIED exposure row the model uses for ``members`` at ``as_of`` (default:
    today's EU27 on the latest data), with its sourced anchors and replacement."""
    pop = load_member_states()["population"]
    table = build_exposures(population=pop.loc[list(members)], as_of=as_of, members=members)
    rows = table.rows
    full = load_exposures().set_index("row")
    estimates = rows[rows["confidence"] == "UNVERIFIED"]
    out = []
    for r in estimates[estimates["used"]].to_dict("records"):
        same = rows[(rows["iso2"] == r["iso2"]) & (rows["indicator"] == r["indicator"])
                    & (rows["confidence"] != "UNVERIFIED")]
        anchors = "; ".join(f"{a['value']:g} {a['unit']} [{a['year']}, {a['confidence']}]"
                            for a in same.to_dict("records"))
        out.append({"iso2": r["iso2"], "indicator": r["indicator"], "year": r["year"],
                    "value": float(r["value"]), "unit": r["unit"], "anchor": anchors,
                    "replace_with": _replacement(r["indicator"], full.loc[r["row"], "note"]),
                    "note": full.loc[r["row"], "note"]})
    return {"council": "EU27" if tuple(members) == EU27 else ",".join(members),
            "as_of": as_of or max(rows["known_from"]), "rows": out,
            "not_used": int((~estimates["used"]).sum()),
            "in_file": int((full["confidence"] == "UNVERIFIED").sum())}

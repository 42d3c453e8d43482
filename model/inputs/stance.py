"""A member state's baseline stance towards China from independent political indicators.

Political alignment is kept apart from economic vulnerability (SOURCES.md section 5): stance is
built only from the BRI memorandum, the China-CEEC (14+1) format, public-opinion surveys and the
Doublethink Lab China Index in params/alignment.csv - never from a recorded vote it will be
tested against. Positive = more hawkish (more willing to act against China).

Each indicator is coded on [-1, 1] by the fixed tables below (a coding choice, documented in
docs/ODD.md); a state the source does not cover gets 0 (neutral) and is listed as not covered.
The weights that combine them live in params/behaviour.toml.

Rows are dated (``known_from``: the day a memorandum was signed or a survey published); for a
run's ``as_of`` each state's indicator takes its latest row known by then, so Italy counts as a
BRI signatory from March 2019 to its exit in December 2023, and a 2013 vote sees no survey
published later. :func:`alignment_rows` says which row was used and why the others were not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dating import known_by
from .tables import EU27, load_alignment

__all__ = ["INDICATOR_CODES", "INDICATORS", "alignment_rows", "code_indicators",
           "stance_scores"]

#: Coding of each indicator's text values to [-1, 1] (positive = hawkish). A state that left
#: the BRI or the China-CEEC format made a deliberate break, coded as more hawkish than one that
#: never joined; an observer of the format is not a member (0).
INDICATOR_CODES: dict[str, dict[str, float]] = {
    "bri_mou_status": {"signed": -1.0, "exited": 0.5, "not signed": 0.0},
    "china_ceec_format_membership": {"member": -1.0, "left": 1.0, "observer": 0.0,
                                     "never member": 0.0},
    "public_view_of_china_2020_sinophone_borderlands": {
        "12% positive / 60% negative": 1.0, "decisively negative": 1.0,
        "middle, prevailingly negative": 0.25, "in between, predominantly negative": 0.25,
        "43% positive / 28% negative": -1.0},
    "public_view_of_china_2023_ecfr": {},  # coded by keyword below
}


def _ecfr(text: str) -> float:
    text = text.lower()
    if text.startswith("rival/adversary"):
        return 1.0
    if text.startswith(">50% necessary partner"):
        return -1.0
    if text.startswith("~50%"):
        return 0.0
    if text.startswith("partner view prevails"):
        return -0.5
    raise ValueError(f"uncoded ECFR value: {text}")


def _china_index(text: str) -> float:
    """Economy-domain score 'a/b': share of PRC leverage, centred so 8/44 (the mode) is 0."""
    score, scale = (float(x) for x in text.split("/"))
    return -(score / scale - 8 / 44) / (20 / 44 - 8 / 44)


INDICATORS = ("bri_mou_status", "china_ceec_format_membership",
              "public_view_of_china_2020_sinophone_borderlands", "public_view_of_china_2023_ecfr",
              "china_index_2022_economy_domain_score")


def _code(indicator: str, value: str) -> float:
    if indicator == "public_view_of_china_2023_ecfr":
        return _ecfr(value)
    if indicator == "china_index_2022_economy_domain_score":
        return _china_index(value)
    try:
        return INDICATOR_CODES[indicator][value]
    except KeyError:
        raise ValueError(f"uncoded value '{value}' of {indicator}") from None


def alignment_rows(alignment: pd.DataFrame | None = None, members=EU27,
                   as_of: str | None = None) -> pd.DataFrame:
    """Every alignment row of the members with its fate at ``as_of``: ``used`` (the latest
    row of its state and indicator known by then), ``known after as_of`` or ``superseded``."""
    alignment = load_alignment() if alignment is None else alignment
    rows = alignment[alignment["iso2"].isin(list(members))
                     & alignment["indicator"].isin(INDICATORS)].copy()
    rows["known"] = known_by(rows["known_from"], as_of)
    known = rows[rows["known"]].sort_values("known_from", kind="stable")
    latest = set(known.groupby(["iso2", "indicator"]).tail(1).index)
    rows["status"] = ["used" if i in latest else ("superseded" if k else "known after as_of")
                      for i, k in zip(rows.index, rows["known"])]
    rows["used"] = rows["status"] == "used"
    return rows.drop(columns="known")


def code_indicators(alignment: pd.DataFrame | None = None, members=EU27,
                    as_of: str | None = None) -> pd.DataFrame:
    """Members x indicators coded to [-1, 1] from the rows known by ``as_of``; NaN where no
    source covers a state."""
    out = pd.DataFrame(np.nan, index=pd.Index(list(members), name="iso2"),
                       columns=list(INDICATORS))
    rows = alignment_rows(alignment, members, as_of)
    for rec in rows[rows["used"]].to_dict("records"):
        out.loc[rec["iso2"], rec["indicator"]] = _code(rec["indicator"], rec["value"])
    return out


#: Which stance weight in behaviour.toml applies to which indicator.
WEIGHT_OF = {
    "bri_mou_status": "w_bri",
    "china_ceec_format_membership": "w_ceec",
    "public_view_of_china_2020_sinophone_borderlands": "w_opinion",
    "public_view_of_china_2023_ecfr": "w_opinion",
    "china_index_2022_economy_domain_score": "w_china_index",
}


def stance_scores(weights: dict[str, float], coded: pd.DataFrame | None = None) -> pd.Series:
    """Weighted sum of the coded indicators (missing = 0), one value per state.

    Two opinion surveys share one weight and are averaged where both cover a state.
    """
    coded = code_indicators() if coded is None else coded
    opinion = coded[["public_view_of_china_2020_sinophone_borderlands",
                     "public_view_of_china_2023_ecfr"]].mean(axis=1, skipna=True).fillna(0.0)
    score = (weights["w_bri"] * coded["bri_mou_status"].fillna(0.0)
             + weights["w_ceec"] * coded["china_ceec_format_membership"].fillna(0.0)
             + weights["w_opinion"] * opinion
             + weights["w_china_index"]
             * coded["china_index_2022_economy_domain_score"].fillna(0.0))
    return score.rename("stance")

"""A member state's baseline stance towards China from independent political indicators.

Political alignment is kept apart from economic vulnerability (SOURCES.md section 5): stance is
built only from the BRI memorandum, the China-CEEC (14+1) format, public-opinion surveys and the
Doublethink Lab China Index in params/alignment.csv - never from a recorded vote it will be
tested against. Positive = more hawkish (more willing to act against China).

Each indicator is coded on [-1, 1] by the fixed tables below (a coding choice, documented in
docs/ODD.md); a state the source does not cover gets 0 (neutral) and is listed as not covered.
The weights that combine them live in params/behaviour.toml.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .tables import EU27, load_alignment

__all__ = ["INDICATOR_CODES", "code_indicators", "stance_scores"]

#: Coding of each indicator's text values to [-1, 1] (positive = hawkish).
INDICATOR_CODES: dict[str, dict[str, float]] = {
    "bri_mou_status": {"signed": -1.0, "signed 2019, exited Dec 2023": 0.5, "not signed": 0.0},
    "china_ceec_format_membership": {"member (14+1)": -1.0, "left May 2021": 1.0,
                                     "left Aug 2022": 1.0, "never member": 0.0},
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


def code_indicators(alignment: pd.DataFrame | None = None) -> pd.DataFrame:
    """States x indicators coded to [-1, 1]; NaN where the source does not cover a state."""
    alignment = load_alignment() if alignment is None else alignment
    names = ["bri_mou_status", "china_ceec_format_membership",
             "public_view_of_china_2020_sinophone_borderlands", "public_view_of_china_2023_ecfr",
             "china_index_2022_economy_domain_score"]
    out = pd.DataFrame(np.nan, index=pd.Index(EU27, name="iso2"), columns=names)
    for rec in alignment.to_dict("records"):
        ind, iso, value = rec["indicator"], rec["iso2"], rec["value"]
        if ind not in names or iso not in out.index:
            continue
        if ind == "public_view_of_china_2023_ecfr":
            out.loc[iso, ind] = _ecfr(value)
        elif ind == "china_index_2022_economy_domain_score":
            out.loc[iso, ind] = _china_index(value)
        else:
            out.loc[iso, ind] = INDICATOR_CODES[ind][value]
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

"""How numbers and names read in a briefing: percentages, percentage points, state names,
measure titles and file-name slugs."""

from __future__ import annotations

import re

__all__ = ["pct", "pp", "state_names", "measure_title", "slug", "parameter_label", "value_label"]

#: How a sweep parameter reads in a chart or a table.
PARAMETER_LABELS = {"china.budget": "China's budget per round",
                    "china.strategy": "China's strategy", "rule": "voting rule",
                    "replications": "replications"}


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def pp(x: float) -> str:
    return f"{100 * x:+.1f} pp"


def state_names() -> dict[str, str]:
    try:
        from ..inputs.tables import load_member_states

        return load_member_states()["name"].to_dict()
    except Exception:                                    # names are cosmetic
        return {}


def measure_title(name: str) -> str:
    try:
        from ..inputs import catalogue

        return catalogue.measures()[name].title
    except Exception:
        return name


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "result"


def parameter_label(name: str) -> str:
    """A sweep parameter as an analyst writes it ("China's strategy", "beta stance")."""
    if name in PARAMETER_LABELS:
        return PARAMETER_LABELS[name]
    return name.replace("china.", "China's ").replace(".", " ").replace("_", " ")


#: Names whose words an analyst writes otherwise than the identifier (capitals, dates,
#: acronyms); every other name is its identifier with spaces.
NAME_LABELS = {
    "rare_earth_licence_slowdown": "rare-earth licence slowdown",
    "rare_earth_tightening_oct2025": "rare-earth tightening of October 2025",
    "military_end_use_rejection": "military end-use rejection",
    "large_engine_car_tariff_threat": "large-engine car tariff threat",
    "wang_yi_berlin_paris": "Wang Yi in Berlin and Paris",
    "mep_sanctions_lifted": "sanctions on MEPs lifted",
    "summit_downgrade": "downgraded EU-China summit",
    "bank_countersanctions": "countersanctions on Lithuanian banks",
    "crma_stockpile": "CRMA stockpile",
    "aci_in_force": "ACI in force",
    "pressure_2025": "2025 posture (pressure, few carrots)",
}


def value_label(value) -> str:
    """A parameter value as an analyst writes it ("divide and rule", "0.5", "CRMA
    stockpile")."""
    return NAME_LABELS.get(str(value), str(value).replace("_", " "))

"""How numbers and names read in a briefing: percentages, percentage points, state names,
measure titles and file-name slugs."""

from __future__ import annotations

import re

__all__ = ["pct", "pp", "state_names", "measure_title", "slug"]


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

"""Monthly intensity schedules of China's instruments (params/schedules.csv).

A schedule says how hard an instrument bites month by month: the supply shortfall of Chinese
rare-earth magnets to the EU after the licensing of April 2025, or the October 2025 controls
announced and then suspended. Each row is one month (YYYY-MM) and an intensity in [0, 1] with
its source and confidence; an intensity holds from its month until the next listed month,
and before the first listed month the instrument is not yet in force (0). An instrument names
its schedule in params/instruments.toml (``schedule``); a run with a vote date maps its rounds
to months (:func:`model.inputs.dating.round_months`) and scales the instrument's effect by the
month's intensity (:func:`factors`).

>>> table = {"2025-04": 0.5, "2025-06": 0.0}
>>> factors(table, ["2025-03", "2025-04", "2025-05", "2025-06", "2025-07"], reference=0.5)
(0.0, 1.0, 1.0, 0.0, 0.0)
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..errors import InputError
from .council import PARAMS_DIR, parse_number
from .tables import check_provenance, read_csv

__all__ = ["MONTH", "load_schedules", "schedule", "provenance", "month_in_force", "intensity_in",
           "factors"]

#: How a month is written in a schedule (and how a round's month is named).
MONTH = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])$")


@lru_cache(maxsize=4)
def _parse(path: Path) -> tuple[dict[str, dict[str, float]], dict[tuple[str, str], dict]]:
    """(schedules, provenance): month -> intensity per schedule, and the source and confidence
    of every (schedule, month)."""
    frame = read_csv(path, ["schedule", "month", "intensity", "source", "confidence"])
    check_provenance(frame, path)
    out: dict[str, dict[str, float]] = {}
    meta: dict[tuple[str, str], dict] = {}
    for i, rec in enumerate(frame.to_dict("records"), start=2):
        name, month = rec["schedule"].strip(), rec["month"].strip()
        if not name:
            raise InputError("missing schedule name", file=path, row=i, field="schedule")
        if not MONTH.match(month):
            raise InputError(f"'{month}' is not a month (expected YYYY-MM)", file=path, row=i,
                             field="month")
        value = float(parse_number(rec["intensity"], file=path, row=i, field="intensity",
                                   nonnegative=False))
        if not 0.0 <= value <= 1.0:
            raise InputError(f"intensity {rec['intensity']} outside [0, 1]", file=path, row=i,
                             field="intensity")
        months = out.setdefault(name, {})
        if month in months:
            raise InputError(f"month {month} listed twice for {name}", file=path, row=i,
                             field="month")
        months[month] = value
        meta[(name, month)] = {"source": rec["source"].strip(),
                               "confidence": rec["confidence"].strip()}
    return {name: dict(sorted(m.items())) for name, m in out.items()}, meta


def _path(path: Path | str | None) -> Path:
    return Path(path) if path else PARAMS_DIR / "schedules.csv"


def load_schedules(path: Path | str | None = None) -> dict[str, dict[str, float]]:
    """Every schedule by name: month (YYYY-MM) -> intensity, in calendar order."""
    return _parse(_path(path))[0]


def provenance(name: str, month: str, path: Path | str | None = None) -> dict:
    """The source and confidence of one listed month of a schedule."""
    return _parse(_path(path))[1][(name, month)]


def schedule(name: str, path: Path | str | None = None) -> dict[str, float]:
    """One schedule by name (an InputError naming the table if it has none by that name)."""
    table = load_schedules(path)
    if name not in table:
        raise InputError(f"unknown schedule '{name}' (expected one of {', '.join(table)})",
                         file=Path(path) if path else PARAMS_DIR / "schedules.csv",
                         field="schedule")
    return table[name]


def month_in_force(table: dict[str, float], month: str) -> str | None:
    """The listed month whose intensity holds in ``month``: the latest on or before it (None
    before the first)."""
    earlier = [m for m in table if m <= month]
    return earlier[-1] if earlier else None


def intensity_in(table: dict[str, float], month: str) -> float:
    """The intensity in force in ``month`` (0 before the first listed month)."""
    listed = month_in_force(table, month)
    return table[listed] if listed is not None else 0.0


def factors(table: dict[str, float], months: list[str], reference: float) -> tuple[float, ...]:
    """Per month, the multiplier of an instrument's stated effect: the month's intensity over
    ``reference``, the intensity the stated effect already assumes."""
    if not reference > 0:
        raise ValueError(f"reference intensity {reference} must be positive")
    return tuple(intensity_in(table, m) / reference for m in months)

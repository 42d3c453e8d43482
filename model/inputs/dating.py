"""Dates of inputs: every row of params/ carries the day it became publicly known
(``known_from``), and a run uses only rows known by its ``as_of`` date, so that a back-test of
a vote never sees what was announced after it.

Dates are ISO strings (YYYY-MM-DD), which compare in calendar order as text.

>>> parse_date("2024-10-04"), parse_date(None) is None
('2024-10-04', True)
>>> known_by(["2023-05-09", "2024-12-10"], "2024-10-04")
[True, False]
>>> period_end("2024 (exact date not found)"), period_end("2024-05"), period_end("2024-05-21")
('2024-12-31', '2024-05-31', '2024-05-21')
>>> round_months("2025-05-20", 3)
['2025-03', '2025-04', '2025-05']
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Iterable

from ..errors import InputError

__all__ = ["parse_date", "known_by", "period_end", "round_months", "LATEST"]

#: What ``as_of`` means when a run does not set it: every row, however recent.
LATEST = None


def parse_date(value, *, file: object = None, row: int | None = None,
               field: str = "date") -> str | None:
    """An ISO date string from a date, a datetime or text YYYY-MM-DD (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise InputError(f"'{value}' is not a date (expected YYYY-MM-DD)", file=file, row=row,
                         field=field) from None


def known_by(dates: Iterable[str], as_of: str | None) -> list[bool]:
    """Whether each date is on or before ``as_of`` (every date is, when as_of is None)."""
    return [as_of is None or d <= as_of for d in dates]


_PERIOD = re.compile(r"^\s*((?:19|20)\d\d)(?:-(\d\d)(?:-(\d\d))?)?(?:-?(H[12]))?\b")


def period_end(text: object) -> str | None:
    """The last day a loosely dated event may have become known: a date written
    YYYY-MM-DD is that day, YYYY-MM the month's last day, YYYY-H1 the 30th of June, YYYY the
    31st of December (text may follow, as in '2024 (exact date not found)'); None if the text
    starts with no date. The end of the period is the cautious reading: a back-test uses the
    event only once it must have been public."""
    if isinstance(text, datetime.date):
        return text.isoformat()
    m = _PERIOD.match(str(text or ""))
    if not m:
        return None
    year, month, day, half = m.groups()
    y = int(year)
    try:
        if day:
            return datetime.date(y, int(month), int(day)).isoformat()
        if month:
            return datetime.date(y, int(month), calendar.monthrange(y, int(month))[1]).isoformat()
    except ValueError:
        return None
    return f"{y}-06-30" if half == "H1" else f"{y}-12-31"


def round_months(vote_date: str, rounds: int) -> list[str]:
    """The month (YYYY-MM) each round of a run stands for when the vote falls on
    ``vote_date``: the last round is the vote's month and every earlier round one month before
    the next (the model's rounds stand for the months before a vote, as in
    scripts/build_cases.py - a modelling choice)."""
    day = datetime.date.fromisoformat(vote_date)
    first = day.year * 12 + day.month - 1 - (rounds - 1)
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, first + rounds)]

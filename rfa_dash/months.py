"""Month ends: the one calendar rule behind the month-end views.

Example
-------
>>> import datetime as dt
>>> last_month_end(dt.date(2026, 3, 15)), last_month_end(dt.date(2026, 3, 31))
(datetime.date(2026, 2, 28), datetime.date(2026, 3, 31))
>>> month_ends(dt.date(2026, 1, 10), dt.date(2026, 3, 15))
[datetime.date(2026, 1, 31), datetime.date(2026, 2, 28), datetime.date(2026, 3, 15)]
"""

from __future__ import annotations

import datetime as dt


def last_month_end(day: dt.date) -> dt.date:
    """The last month end on or before ``day`` (``day`` itself when it ends its month)."""
    following = day + dt.timedelta(days=1)
    return day if following.day == 1 else day.replace(day=1) - dt.timedelta(days=1)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month.

    Example
    -------
    >>> month_end(dt.date(2024, 2, 10)), month_end(dt.date(2025, 12, 31))
    (datetime.date(2024, 2, 29), datetime.date(2025, 12, 31))
    """
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def month_ends(start: dt.date, as_of: dt.date) -> list[dt.date]:
    """Every month end from ``start``'s month to before ``as_of``, then ``as_of``."""
    ends = []
    month = start.replace(day=1)
    while True:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        end = following - dt.timedelta(days=1)
        if end >= as_of:
            break
        if end >= start:
            ends.append(end)
        month = following
    return [*ends, as_of]

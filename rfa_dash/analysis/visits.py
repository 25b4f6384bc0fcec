"""Visit adherence, the participant x visit grid, retention and the coordinators' worklist.

Nothing here returns a participant's arm: these results are shown to coordinators.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from rfa_dash.blinding import Role, sees
from rfa_dash.ingest.export import Export

STATUS_ORDER = ("completed", "completed_early", "completed_late", "missed", "overdue", "due",
                "upcoming", "not_expected", "unscheduled")
STATUS_LABELS = {
    "completed": "Completed in window", "completed_early": "Completed early",
    "completed_late": "Completed late", "missed": "Missed", "overdue": "Overdue",
    "due": "Due now", "upcoming": "Upcoming", "not_expected": "Not expected (off study)",
    "unscheduled": "Unscheduled (no treatment date)",
}
GRID_PAGE_SIZE = 50
WORKLIST_HORIZON_DAYS = 30


def adherence(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """Per visit month: status counts, adherence and in-window rate with their n/N.

    Examples
    --------
    >>> a = adherence(exp, as_of)
    >>> print(a[["visit_month", "done", "expected", "adherence"]].head(2).to_string(index=False))
     visit_month  done  expected  adherence
               1    24        27   0.888889
               3    21        25   0.840000
    """
    return exp.query("visit_adherence", as_of=as_of)


def adherence_by_quarter(exp: Export, as_of: dt.date) -> pd.DataFrame:
    """Per calendar quarter of window close: adherence and in-window rate."""
    return exp.query("visit_adherence_by_quarter", as_of=as_of)


def visit_grid(exp: Export, as_of: dt.date, page: int = 1,
               page_size: int = GRID_PAGE_SIZE) -> pd.DataFrame:
    """Participant x visit statuses for one page of participants (1-based ``page``)."""
    return exp.query("visit_grid", as_of=as_of, offset=(page - 1) * page_size, limit=page_size)


def retention(exp: Export, as_of: dt.date, role: Role) -> pd.DataFrame:
    """Cumulative off-study counts by month and reason.

    For a role that must not see outcomes, deaths cannot be shown even pooled,
    so every reason is merged into one "off study (any reason)" line.

    Examples
    --------
    The coordinator sees one line, any reason:

    >>> r = retention(exp, as_of, exp.protocol.roles["coordinator"])
    >>> print(r[["month_end", "reason", "on_study", "cumulative_off_study"]].tail(1).to_string(
    ...     index=False))
     month_end                 reason  on_study  cumulative_off_study
    2026-11-16 off study (any reason)        23                     8
    """
    df = exp.query("offstudy_over_time", as_of=as_of)
    if not sees(role, "outcomes"):
        df = (df.groupby(["month", "month_end", "on_study"], as_index=False)
                ["cumulative_off_study"].sum())
        df.insert(2, "reason", "off study (any reason)")
    return df


def worklist(exp: Export, as_of: dt.date, horizon_days: int = WORKLIST_HORIZON_DAYS
             ) -> pd.DataFrame:
    """Visits to act on: overdue, due now, windows opening within ``horizon_days``, and
    overdue visits of participants seen at a later visit since (``record_missed``: they
    can no longer be done, only recorded as missed; ranked last, not counted down).

    Examples
    --------
    >>> w = worklist(exp, as_of)
    >>> print(w[["action", "participant_id", "visit_month", "days_overdue"]].head(2).to_string(
    ...     index=False))
     action participant_id  visit_month  days_overdue
    overdue            026            3            37
    overdue            021            6            35
    >>> print(w[w["action"] == "record_missed"][["participant_id", "visit_month",
    ...                                          "last_visit_date"]].to_string(index=False))
    participant_id  visit_month last_visit_date
               011            1      2026-06-11
               022            1      2026-09-02
    """
    return exp.query("worklist", as_of=as_of, horizon_days=horizon_days)

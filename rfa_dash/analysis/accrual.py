"""Accrual: pace against target, rates with exact intervals, Bayesian projection.

The projection is :mod:`rfa_dash.stats.accrual_model` (Gajewski, Simon and
Carlson 2008); intervals are :mod:`rfa_dash.stats.intervals`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rfa_dash.contract import MONTH_DAYS
from rfa_dash.ingest.export import Export
from rfa_dash.numpy_columns import dates
from rfa_dash.stats.accrual_model import Projection, predictive_fan, project
from rfa_dash.stats.intervals import exact_ci

if TYPE_CHECKING:   # the accrual start is wanted by `progression`, which makes no frame
    import pandas as pd


def accrual_start(exp: Export, as_of: dt.date) -> dt.date | None:
    """Protocol start date, else the first screening date on or before ``as_of``.

    Examples
    --------
    >>> accrual_start(exp, as_of)   # the protocol's [accrual] start
    datetime.date(2025, 3, 5)
    """
    if exp.protocol.accrual_start:
        return dt.date.fromisoformat(exp.protocol.accrual_start)
    return dates(exp.query_columns("screening_dates", as_of=as_of)["first_screen"])[0]


@dataclass(frozen=True)
class Accrual:
    """Everything the accrual page shows (pooled: no arm)."""

    cumulative: pd.DataFrame      # date, randomized (cumulative, one row per day)
    monthly: pd.DataFrame         # month, randomized
    planned: pd.DataFrame         # date, planned (cumulative planned pace)
    rates: pd.DataFrame           # rate, k, n, estimate, lower, upper
    projection: Projection | None
    fan: pd.DataFrame | None
    start: dt.date | None

    @property
    def randomized(self) -> int:
        return int(self.cumulative["randomized"].iloc[-1]) if len(self.cumulative) else 0


def accrual(exp: Export, as_of: dt.date) -> Accrual:
    """Accrual figures at the data cut."""
    import pandas as pd

    p = exp.protocol
    daily = exp.query("randomizations_by_day", as_of=as_of)
    dates = pd.to_datetime(daily["date"])
    n_randomized = int(daily["n"].sum())
    cumulative = pd.DataFrame({"date": dates.dt.date, "randomized": daily["n"].cumsum()})
    counts = daily.groupby(dates.dt.to_period("M"))["n"].sum()
    months = pd.period_range(counts.index.min(), pd.Timestamp(as_of).to_period("M"), freq="M") \
        if len(counts) else pd.PeriodIndex([], freq="M")
    monthly = pd.DataFrame({"month": months.to_timestamp().date,
                            "randomized": counts.reindex(months, fill_value=0).to_numpy()})
    start = accrual_start(exp, as_of)
    planned_days = p.planned_accrual_months * MONTH_DAYS
    planned = pd.DataFrame()
    if start:
        planned = pd.DataFrame({"date": [start, start + dt.timedelta(days=round(planned_days))],
                                "planned": [0, p.target]})
    st = exp.query("eligibility_status", as_of=as_of)["status"]
    funnel = exp.query("enrollment_funnel", as_of=as_of).set_index("stage")["n"]
    decided = int((st != "incomplete").sum())
    inel = int((st == "ineligible").sum())
    rows = []
    for name, k, n in (("Screen failure (ineligible / screened with a decision)", inel, decided),
                       ("Consent (consented / eligible)", int(funnel["consented"]),
                        int(funnel["eligible"]))):
        lo, hi = exact_ci(k, n)
        rows.append((name, k, n, k / n if n else float("nan"), lo, hi))
    rates = pd.DataFrame(rows, columns=["rate", "k", "n", "estimate", "lower", "upper"])
    projection = fan = None
    if start:
        elapsed = max(0, (as_of - start).days)
        projection = project(n_randomized, elapsed, p.target, planned_days,
                             p.accrual_prior_certainty, as_of)
        if projection.band95 is not None:  # not reached yet
            horizon = (projection.band95[1] - as_of).days
            fan = predictive_fan(projection, as_of, max(horizon, 30))
    return Accrual(cumulative, monthly, planned, rates, projection, fan, start)

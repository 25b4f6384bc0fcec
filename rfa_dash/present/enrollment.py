"""Accrual rates and screening as people read them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from rfa_dash.analysis.accrual import Accrual
from rfa_dash.analysis.eligibility import criteria_table, detail
from rfa_dash.ingest.export import Export
from rfa_dash.present.spreadsheet import spreadsheet_csv


def criteria_csv(exp: Export, as_of: dt.date) -> bytes:
    """The criteria table of every screened patient, as CSV for a spreadsheet (the
    download; formulas neutralized)."""
    return spreadsheet_csv(criteria_table(detail(exp, as_of)))


def criteria_view(det: pd.DataFrame, protocol=None) -> pd.DataFrame:
    """:func:`rfa_dash.analysis.eligibility.criteria_table` as a view for ``ui.cached``."""
    return criteria_table(det)


def rates_display(rates: pd.DataFrame) -> pd.DataFrame:
    """Rates as people read them: k/n, percentage and the exact interval."""
    def pct(x):
        return "-" if x != x else f"{x:.0%}"

    return pd.DataFrame({
        "Rate": rates["rate"], "k": rates["k"], "n": rates["n"],
        "Estimate": rates["estimate"].map(pct),
        "95% CI (exact)": [f"{pct(lo)}-{pct(hi)}" if lo == lo else "-"
                           for lo, hi in zip(rates["lower"], rates["upper"], strict=True)],
    })


def rates_view(acc: Accrual, protocol=None) -> pd.DataFrame:
    """:func:`rates_display` of an accrual's screening rates (a view for ``ui.cached``)."""
    return rates_display(acc.rates)


def monthly_vs_planned(acc: Accrual) -> pd.DataFrame:
    """One row per calendar month since the accrual start: randomized that month, the
    cumulative count, and the cumulative count expected at the planned pace at the month's
    end (or at the data cut, in its last month)."""
    m = acc.monthly
    if m.empty:
        return pd.DataFrame(columns=["Month", "Randomized", "Cumulative", "Expected"])
    month = pd.PeriodIndex(pd.to_datetime(m["month"].astype(str)), freq="M")
    # the planned pace is a line through its points (start, 0) ... (planned end, target)
    days = pd.to_datetime(acc.planned["date"]).to_numpy(dtype="datetime64[D]").astype(float)
    ends_at = month.end_time.to_numpy(dtype="datetime64[D]").astype(float)
    ends = (np.interp(ends_at, days, acc.planned["planned"].astype(float))
            if len(days) else np.full(len(month), np.nan))
    return pd.DataFrame({"Month": [str(p) for p in month],
                         "Randomized": m["randomized"].astype(int).to_numpy(),
                         "Cumulative": m["randomized"].astype(int).cumsum().to_numpy(),
                         "Expected": ["-" if x != x else f"{x:.1f}" for x in ends]})

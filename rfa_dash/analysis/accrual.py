"""Accrual: pace against target, rates with exact intervals, Bayesian projection.

The projection is the Poisson-gamma accrual model of Gajewski, Simon and
Carlson (Stat Med 2008;27:2328-40). The accrual rate per day has the prior
Gamma(n P, T P), where n is the target, T the planned accrual duration in
days and P in (0, 1] the prior certainty; after m randomizations in t days
the posterior is Gamma(n P + m, T P + t). The number randomized in the next
s days is then negative binomial with size n P + m and probability
(T P + t) / (T P + t + s), so the time to the remaining n - m has the scaled
beta-prime distribution (T P + t) * BetaPrime(n - m, n P + m).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from rfa_dash.ingest.export import Export

MONTH_DAYS = 30.4375


def exact_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval for k of n (NaN when n is 0)."""
    if n == 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class Projection:
    """Projected date of reaching the target, with 80% and 95% predictive bands."""

    reached: bool
    randomized: int
    target: int
    elapsed_days: int
    shape: float          # posterior gamma shape (n P + m)
    rate: float           # posterior gamma rate per day (T P + t)
    median: dt.date | None
    band80: tuple[dt.date, dt.date] | None
    band95: tuple[dt.date, dt.date] | None
    prior_certainty: float
    planned_days: float


def project(randomized: int, elapsed_days: int, target: int, planned_days: float,
            certainty: float, as_of: dt.date) -> Projection:
    """Posterior predictive date by which the target is reached.

    Parameters
    ----------
    randomized : int
        Participants randomized so far (m).
    elapsed_days : int
        Days from the accrual start to the data cut (t).
    target : int
        Planned number of participants (n).
    planned_days : float
        Planned accrual duration in days (T).
    certainty : float
        Prior certainty P in (0, 1].
    as_of : date
        Data cut; projected dates count from it.
    """
    shape = target * certainty + randomized
    rate = planned_days * certainty + elapsed_days
    remaining = target - randomized
    if remaining <= 0:
        return Projection(True, randomized, target, elapsed_days, shape, rate, None, None,
                          None, certainty, planned_days)

    def day(q: float) -> dt.date:
        s = float(stats.betaprime.ppf(q, remaining, shape)) * rate
        return as_of + dt.timedelta(days=int(np.ceil(s)))

    return Projection(False, randomized, target, elapsed_days, shape, rate, day(0.5),
                      (day(0.10), day(0.90)), (day(0.025), day(0.975)), certainty,
                      planned_days)


def predictive_fan(p: Projection, as_of: dt.date, horizon_days: int,
                   quantiles=(0.025, 0.10, 0.5, 0.90, 0.975)) -> pd.DataFrame:
    """Quantiles of the cumulative number randomized on future days (negative binomial)."""
    days = np.unique(np.linspace(0, horizon_days, 60).astype(int))
    rows = []
    for s in days:
        prob = p.rate / (p.rate + s)
        q = [p.randomized + (stats.nbinom.ppf(x, p.shape, prob) if s else 0) for x in quantiles]
        rows.append([as_of + dt.timedelta(days=int(s)), *np.minimum(q, p.target)])
    return pd.DataFrame(rows, columns=["date", *[f"q{x:g}" for x in quantiles]])


def accrual_start(exp: Export, as_of: dt.date) -> dt.date | None:
    """Protocol start date, else the first screening date on or before ``as_of``."""
    if exp.protocol.accrual_start:
        return dt.date.fromisoformat(exp.protocol.accrual_start)
    first = exp.query("screening_dates", as_of=as_of)["first_screen"].iloc[0]
    return None if pd.isna(first) else pd.Timestamp(first).date()


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
        if not projection.reached:
            horizon = (projection.band95[1] - as_of).days
            fan = predictive_fan(projection, as_of, max(horizon, 30))
    return Accrual(cumulative, monthly, planned, rates, projection, fan, start)


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

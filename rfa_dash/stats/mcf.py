"""Recurrent events with death as a terminal event (the estimators; the SRE results pages
and commands show are :mod:`rfa_dash.analysis.recurrent`): which records count, the mean
cumulative number of events (Ghosh and Lin 2000) and an event rate.

Pure functions on arrays. The estimator is checked against R's ``mets``
(``recurrentMarginal``) in ``tests/reference/``; the counting rules against
values computed by hand in ``tests/unit/test_recurrent_rules.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike

from rfa_dash.stats.dist import Z95
from rfa_dash.stats.intervals import poisson_exact_ci

MCF_COLUMNS = ("time", "at_risk", "mcf", "se", "lower", "upper")


def counted_events(ids: ArrayLike, days: ArrayLike, min_gap_days: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Which event records count as events, and the record each one repeats.

    Records are taken per participant (``ids``) in day order: records on the day of
    the previous counted event are that event; a record fewer than
    ``min_gap_days`` days after the previous counted event is that event too (0:
    every day counts). Records must come sorted by id, then day.

    Returns
    -------
    counted : ndarray of bool
        True for a record that is a new event.
    repeats : ndarray of int
        For a record that is not, the position of the counted record it repeats
        (-1 for counted records).

    Examples
    --------
    One participant, gap 21 days: day 0 counts, day 0 again is the same event,
    day 15 is within 21 days of it, day 21 counts, day 40 is within 21 of day 21.

    >>> counted, repeats = counted_events(["a"] * 5, [0, 0, 15, 21, 40], 21)
    >>> counted.tolist(), repeats.tolist()
    ([True, False, False, True, False], [-1, 0, 0, -1, 3])
    """
    ids = np.asarray(ids, dtype=object)
    days = np.asarray(days, dtype=np.int64)
    counted = np.zeros(len(days), dtype=bool)
    repeats = np.full(len(days), -1, dtype=np.int64)
    last = -1    # position of the participant's last counted record
    for i in range(len(days)):
        if last < 0 or ids[i] != ids[last]:
            counted[i], last = True, i
            continue
        gap = days[i] - days[last]
        if gap == 0 or gap < min_gap_days:
            repeats[i] = last
        else:
            counted[i], last = True, i
    return counted, repeats


def event_rate(events: int, years: float, level: float = 0.95) -> tuple[float, float, float]:
    """Events per participant-year with the exact (Garwood) Poisson interval on the count
    divided by the participant-years (NaN without follow-up).

    Examples
    --------
    4 events in 2 participant-years: 2 per year, 4's interval (1.0899, 10.2416) halved.

    >>> [round(x, 4) for x in event_rate(4, 2.0)]
    [2.0, 0.5449, 5.1208]
    """
    if years <= 0:
        return float("nan"), float("nan"), float("nan")
    lo, hi = poisson_exact_ci(events, level)
    return events / years, lo / years, hi / years


def mean_cumulative_columns(end: ArrayLike, died: ArrayLike, event_owner: ArrayLike,
                            event_time: ArrayLike, times: Iterable[float]
                            ) -> dict[str, np.ndarray]:
    """The mean cumulative number of events per participant with death terminal (Ghosh and
    Lin 2000), at ``times``, with its robust standard error and 95% interval.

    mu(t) = sum over event times u <= t of S(u-) dN(u) / Y(u): S is the Kaplan-Meier
    survival of death (follow-up that ended without death is censored), dN(u) the
    events at u and Y(u) the participants whose follow-up is >= u, so an event at
    the time of a death or a censoring counts with those participants still at risk.
    The variance is the mean of the squared influence functions
    psi_i(t) = sum_{u<=t} S(u-)/Y(u) dM_i(u) - sum_{u<=t} (mu(t) - mu(u))/Y(u) dM_i^D(u)
    (dM, dM^D: the events' and deaths' martingale increments); the interval is
    mu exp(+-1.96 se / mu).

    Parameters
    ----------
    end : array-like of float
        Each participant's follow-up (from time zero to death or its end).
    died : array-like of bool
        Whether the follow-up ended with death.
    event_owner : array-like of int
        For each counted event, the position of its participant in ``end``.
    event_time : array-like of float
        For each counted event, its time (within its participant's follow-up).
    times : iterable of float
        Where to report.

    Returns
    -------
    dict of ndarray
        time, at_risk (Y), mcf, se, lower, upper; mcf and its interval are NaN where
        nobody is at risk, the interval also where mcf is 0.

    References
    ----------
    .. [1] Ghosh D, Lin DY. Nonparametric analysis of recurrent events and death.
       Biometrics 2000;56:554-562 (the estimator, its influence functions and the
       robust variance used here).
    .. [2] Cook RJ, Lawless JF. The Statistical Analysis of Recurrent Events. New York:
       Springer; 2007 (section 3.7, marginal means with a terminal event).
    .. [3] Scheike TH, Holst KK. mets: Analysis of Multivariate Event Times, R package,
       ``recurrentMarginal`` (the reference values in ``tests/reference/``).

    Examples
    --------
    Three participants followed 2, 3 and 4 months, the first dying at 2; events at
    1 (the first two participants) and 3 (the third). By hand: mu(1) = 2/3 (two
    events among 3); S(3-) = 1 - 1/3 (one death among the 3 at risk at 2), so
    mu(3) = 2/3 + (2/3)(1/2) = 1.

    >>> r = mean_cumulative_columns([2.0, 3.0, 4.0], [True, False, False], [0, 1, 2],
    ...                             [1.0, 1.0, 3.0], [1, 3, 5])
    >>> r["at_risk"].tolist(), r["mcf"].round(4).tolist()
    ([3, 2, 0], [0.6667, 1.0, nan])
    """
    end = np.asarray(end, dtype=float)
    died = np.asarray(died, dtype=bool)
    owner = np.asarray(event_owner, dtype=np.int64)
    etime = np.asarray(event_time, dtype=float)
    times = np.asarray(list(times), dtype=float)
    n = len(end)
    if n == 0:
        nothing = np.full(len(times), np.nan)
        return {"time": times, "at_risk": np.zeros(len(times), dtype=np.int64), "mcf": nothing,
                "se": nothing.copy(), "lower": nothing.copy(), "upper": nothing.copy()}
    grid = np.unique(np.concatenate([end, etime]))
    # Y(u): follow-up >= u
    sorted_end = np.sort(end)
    y = n - np.searchsorted(sorted_end, grid, side="left")
    dn = np.bincount(np.searchsorted(grid, etime), minlength=len(grid)).astype(float)
    dd = np.bincount(np.searchsorted(grid, end[died]), minlength=len(grid)).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard_d = np.where(y > 0, dd / y, 0.0)
        s_after = np.cumprod(1 - hazard_d)
        s_before = np.concatenate([[1.0], s_after[:-1]])           # S(u-)
        dmu = np.where(y > 0, s_before * dn / y, 0.0)
        mu = np.cumsum(dmu)
        c1 = np.cumsum(np.where(y > 0, s_before * dn / y.astype(float) ** 2, 0.0))
        c2 = np.cumsum(np.where(y > 0, dd / y.astype(float) ** 2, 0.0))
        c3 = np.cumsum(np.where(y > 0, mu * dd / y.astype(float) ** 2, 0.0))
    # each participant's position on the grid: its end, its events
    end_at = np.searchsorted(grid, end)
    ev_at = np.searchsorted(grid, etime)
    ev_weight = s_before[ev_at] / y[ev_at]                       # S(u-)/Y(u) per event
    rows = []
    for t in times:
        k = int(np.searchsorted(grid, t, side="right")) - 1      # last grid time <= t
        at_risk = int(n - np.searchsorted(sorted_end, t, side="left"))
        if at_risk == 0:
            rows.append((t, 0, np.nan, np.nan, np.nan, np.nan))
            continue
        if k < 0:
            rows.append((t, at_risk, 0.0, 0.0, np.nan, np.nan))
            continue
        mu_t = mu[k]
        stop = np.minimum(end_at, k)                              # u <= min(t, end_i)
        # events part: own events at u <= t, minus the compensator up to min(t, end_i)
        own = np.bincount(owner[ev_at <= k], weights=ev_weight[ev_at <= k], minlength=n)
        a = own - c1[stop]
        # deaths part: own death at d_i <= t, minus its compensator
        own_d = np.zeros(n)
        dead = died & (end_at <= k)
        own_d[dead] = (mu_t - mu[end_at[dead]]) / y[end_at[dead]]
        b = own_d - (mu_t * c2[stop] - c3[stop])
        se = float(np.sqrt(np.sum((a - b) ** 2)))
        if mu_t > 0:
            lo, hi = mu_t * np.exp(-Z95 * se / mu_t), mu_t * np.exp(Z95 * se / mu_t)
        else:
            lo = hi = np.nan
        rows.append((t, at_risk, float(mu_t), se, float(lo), float(hi)))
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(MCF_COLUMNS)
    return {name: np.asarray(values, dtype=np.int64 if name == "at_risk" else float)
            for name, values in zip(MCF_COLUMNS, cols, strict=True)}

"""Cumulative incidence with a competing risk (Aalen-Johansen), read at report months.

The estimator and its standard error are statsmodels' ``CumIncidenceRight`` (ties handled
exactly, no jitter), written out here on NumPy arrays step for step, so that a command
does not import statsmodels, SciPy and pandas (three times its whole start-up) for a few
cumulative sums. Checked against R (``etm``, ``cmprsk``, ``survival``) in
``tests/reference/``, and against statsmodels itself in ``tests/unit/test_cif.py``.

The 95% interval is the complementary log-log one (as R's ``etm`` with
``ci.fun = "cloglog"``): ``1 - (1 - F) ** exp(+-z * se / ((1 - F) * log(1 - F)))``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from numpy.typing import ArrayLike

from rfa_dash.stats.dist import Z95

Columns = dict[str, np.ndarray]


def cloglog_ci(cif: np.ndarray, se: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Complementary log-log confidence limits; NaN where not estimable (se 0, cif 0 or 1).

    The delta method on log(-log(1 - F)) gives the limits
    ``1 - (1 - F) ** exp(+-z se / ((1 - F) log(1 - F)))``, which stay in (0, 1)
    (R's ``etm`` with ``ci.fun = "cloglog"``).

    Parameters
    ----------
    cif, se : ndarray
        The estimates and their standard errors.
    z : float
        The normal quantile (1.96 for 95%).

    Returns
    -------
    lower, upper : ndarray

    Examples
    --------
    F = 0.4, se = 0.1: a = 1.96 x 0.1 / (0.6 log 0.6) = -0.6395, so the limits are
    1 - 0.6 ** exp(-0.6395) and 1 - 0.6 ** exp(0.6395):

    >>> lo, hi = cloglog_ci(np.array([0.0, 0.4]), np.array([0.0, 0.1]))
    >>> [round(float(x), 4) for x in (lo[1], hi[1])], bool(np.isnan(lo[0]))
    ([0.2362, 0.6203], True)
    """
    cif = np.asarray(cif, dtype=float)
    se = np.asarray(se, dtype=float)
    lower = np.full_like(cif, np.nan)
    upper = np.full_like(cif, np.nan)
    ok = (cif > 0) & (cif < 1) & (se > 0)
    q = 1 - cif[ok]
    a = z * se[ok] / (q * np.log(q))
    one, two = 1 - q ** np.exp(-a), 1 - q ** np.exp(a)
    lower[ok] = np.minimum(one, two)
    upper[ok] = np.maximum(one, two)
    return lower, upper


def cif_columns(months: ArrayLike, status: ArrayLike) -> Columns:
    """Aalen-Johansen cumulative incidence of status 1 with status 2 competing, as columns.

    Parameters
    ----------
    months : array-like of float
        Time from randomization to event or censoring.
    status : array-like of int
        1 event of interest, 2 competing event, 0 censored.

    Returns
    -------
    dict of ndarray
        One entry per distinct time (starting with 0): ``time``, ``cif``, ``se``,
        ``lower``, ``upper``, ``at_risk`` (participants with time >= that time),
        ``events`` and ``competing`` at that time.

    Notes
    -----
    With distinct times t_1 < t_2 < ..., n_j at risk just before t_j, d_1j events of
    interest and d_j events of any kind at t_j, and S the all-cause Kaplan-Meier
    survival, the Aalen-Johansen estimate is

        F(t) = sum_{t_j <= t} S(t_{j-1}) d_1j / n_j.

    Its variance is the delta-method estimate of Marubini and Valsecchi (1995, 10.2),
    as Stata's ``stcompet`` and statsmodels' ``CumIncidenceRight`` compute it:

        Var F(t) = sum_{t_j <= t} { [F(t) - F(t_j)]^2 d_j / (n_j (n_j - d_j))
                   + S(t_{j-1})^2 d_1j (n_j - d_1j) / n_j^3
                   - 2 [F(t) - F(t_j)] S(t_{j-1}) d_1j / n_j^2 }.

    The 95% interval is the complementary log-log one (:func:`cloglog_ci`).

    References
    ----------
    .. [1] Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous
       Markov chains based on censored observations. Scand J Stat 1978;5:141-150.
    .. [2] Marubini E, Valsecchi MG. Analysing Survival Data from Clinical Trials and
       Observational Studies. Chichester: Wiley; 1995.
    .. [3] Kalbfleisch JD, Prentice RL. The Statistical Analysis of Failure Time Data,
       2nd ed. Hoboken: Wiley; 2002 (section 8.2.2, cumulative incidence).

    Examples
    --------
    Five participants; by hand: 1/5 at month 1, then 0.8 x 1/4 at month 2 (one
    SRE and one death among 4), then 0.4 x 1/1 at month 4.

    >>> c = cif_columns([1.0, 2.0, 2.0, 3.0, 4.0], [1, 2, 1, 0, 1])
    >>> c["time"].tolist(), c["cif"].round(12).tolist(), c["at_risk"].tolist()
    ([0.0, 1.0, 2.0, 3.0, 4.0], [0.0, 0.2, 0.4, 0.4, 0.8], [5, 5, 4, 2, 1])
    """
    t = np.asarray(months, dtype=float)
    s = np.asarray(status, dtype=int)
    times, rank = np.unique(t, return_inverse=True)
    m = len(times)
    # n: the risk set just before each time; d: events of each status at it
    n = np.cumsum(np.bincount(rank, minlength=m)[::-1])[::-1]
    events = np.bincount(rank, weights=(s == 1), minlength=m)
    competing = np.bincount(rank, weights=(s == 2), minlength=m)
    cif = np.zeros(m)
    se = np.zeros(m)
    if (s == 1).any():
        # statsmodels' _calc_incidence_right, cause 1: all-cause Kaplan-Meier (logs summed,
        # a step to 0 kept at 0), the incidence, and its delta-method variance. Its formula
        # meets 0 * inf at a time when every participant still at risk has an event (the
        # curve's last step): the interval there is reported as not estimable rather than
        # guessed (NaN).
        every = np.bincount(rank, weights=(s >= 1).astype(np.float64), minlength=m)
        sp = 1 - every / n.astype(np.float64)
        gone = sp < 1e-16
        sp[gone] = 1e-16
        sp = np.exp(np.cumsum(np.log(sp)))
        sp[gone] = 0
        d1 = events.astype(np.float64)
        da = d1 + competing if s.max() > 1 else d1
        sp0 = np.r_[1, sp[:-1]] / n
        cif = np.cumsum(sp0 * d1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ra = da / (n * (n - da))
            v = cif ** 2 * np.cumsum(ra)
            v -= 2 * cif * np.cumsum(cif * ra)
            v += np.cumsum(cif ** 2 * ra)
            ra = (n - d1) * d1 / n
            v += np.cumsum(sp0 ** 2 * ra)
            ra = sp0 * d1 / n
            v -= 2 * cif * np.cumsum(ra)
            v += 2 * np.cumsum(cif * ra)
            se = np.sqrt(v)
    lower, upper = cloglog_ci(cif, se)
    cols = {"time": times, "cif": cif, "se": se, "lower": lower, "upper": upper,
            "at_risk": n.astype(np.int64), "events": events.astype(np.int64),
            "competing": competing.astype(np.int64)}
    if not m or times[0] > 0:   # every curve starts at time 0
        first = {"time": 0.0, "cif": 0.0, "se": 0.0, "lower": np.nan, "upper": np.nan,
                 "at_risk": len(t), "events": 0, "competing": 0}
        cols = {k: np.concatenate([np.asarray([first[k]], dtype=v.dtype), v])
                for k, v in cols.items()}
    return cols


def estimates(curve: Mapping[str, ArrayLike], months: Iterable[float], times: ArrayLike
              ) -> Columns:
    """The curve (:func:`cif_columns`) read at each report month (events at that exact
    time included), as columns month, at_risk, cif, lower, upper.

    ``at_risk`` counts participants whose time is >= the month. Where nobody
    is followed that long (``at_risk`` 0) the estimate is not reported (NaN).

    Examples
    --------
    >>> times = [1.0, 2.0, 2.0, 3.0, 4.0]
    >>> e = estimates(cif_columns(times, [1, 2, 1, 0, 1]), [2, 6], times)
    >>> e["at_risk"].tolist(), e["cif"].round(12).tolist()
    ([4, 0], [0.4, nan])
    """
    month = np.asarray(list(months))
    ctime = np.asarray(curve["time"], dtype=float)
    # the last curve row at or before each month (the curve starts at 0)
    at = np.searchsorted(ctime, month, side="right") - 1
    follow = np.sort(np.asarray(times, dtype=float))
    at_risk = (len(follow) - np.searchsorted(follow, month, side="left")).astype(np.int64)
    none = at_risk == 0
    out: Columns = {"month": month, "at_risk": at_risk}
    for col in ("cif", "lower", "upper"):
        values = np.asarray(curve[col], dtype=float)[at]
        out[col] = np.where(none, np.nan, values)
    return out

"""The Poisson-gamma accrual model of Gajewski, Simon and Carlson (Stat Med 2008;27:2328-40).

The accrual rate per day has the prior Gamma(n P, T P), where n is the
target, T the planned accrual duration in days and P in (0, 1] the prior
certainty; after m randomizations in t days the posterior is
Gamma(n P + m, T P + t). The number randomized in the next s days is then
negative binomial with size n P + m and probability (T P + t) / (T P + t + s),
so the time to the remaining n - m has the scaled beta-prime distribution
(T P + t) * BetaPrime(n - m, n P + m).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rfa_dash.stats.dist import betaprime_ppf, nbinom_ppf, nbinom_sf

if TYPE_CHECKING:   # prob_at_least serves `progression`, which makes no frame
    import pandas as pd


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
        s = betaprime_ppf(q, remaining, shape) * rate
        return as_of + dt.timedelta(days=int(np.ceil(s)))

    return Projection(False, randomized, target, elapsed_days, shape, rate, day(0.5),
                      (day(0.10), day(0.90)), (day(0.025), day(0.975)), certainty,
                      planned_days)


def predictive_fan(p: Projection, as_of: dt.date, horizon_days: int,
                   quantiles: tuple[float, ...] = (0.025, 0.10, 0.5, 0.90, 0.975)
                   ) -> pd.DataFrame:
    """Quantiles of the cumulative number randomized on future days (negative binomial)."""
    import pandas as pd

    days = np.unique(np.linspace(0, horizon_days, 60).astype(int))
    rows = []
    for s in days:
        prob = p.rate / (p.rate + s)
        q = [p.randomized + (nbinom_ppf(x, p.shape, prob) if s else 0) for x in quantiles]
        rows.append([as_of + dt.timedelta(days=int(s)), *np.minimum(q, p.target)])
    return pd.DataFrame(rows, columns=["date", *[f"q{x:g}" for x in quantiles]])


def prob_at_least(shape: float, rate: float, days: float, k: int) -> float:
    """Posterior predictive probability of at least ``k`` more randomizations in ``days``.

    Under the model the count in the next ``days`` is negative binomial with
    size ``shape`` (n P + m) and probability ``rate / (rate + days)`` (rate:
    T P + t, per day), as in :func:`predictive_fan`.

    Examples
    --------
    >>> prob_at_least(10.0, 100.0, 30.0, 0), prob_at_least(10.0, 100.0, 0.0, 1)
    (1.0, 0.0)
    >>> round(prob_at_least(10.0, 100.0, 30.0, 1), 4)   # 1 - (100 / 130) ** 10
    0.9275
    """
    if k <= 0:
        return 1.0
    if days <= 0:
        return 0.0
    return nbinom_sf(k - 1, shape, rate / (rate + days))

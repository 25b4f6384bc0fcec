"""Confidence intervals: exact for a proportion and a Poisson count; a t interval for a
mean on a bounded scale."""

from __future__ import annotations

import math

from rfa_dash.stats.dist import betaincinv, chi2_ppf, t_ppf


def t_interval_on_scale(mean: float, sd: float, n: int, lo: float, hi: float,
                        level: float = 0.95) -> tuple[float, float]:
    """The t interval for a mean, cut at the ends of the scale ``[lo, hi]`` the values
    lie on (NaN for fewer than two values).

    A mean of scores from 0 to 10 cannot be below 0: with few scores near an end the
    plain t interval reaches past it (n = 5 scores 0, 0, 0, 1, 2: -0.51 to 1.71). The
    true mean lies on the scale, so whenever the t interval holds it the cut one does
    too: the coverage is the t interval's, and no limit is an impossible value.

    Examples
    --------
    >>> [round(x, 2) for x in t_interval_on_scale(0.6, 0.8 ** 0.5, 5, 0, 10)]
    [0.0, 1.71]
    """
    if n < 2 or math.isnan(mean) or math.isnan(sd):
        return float("nan"), float("nan")
    half = float(t_ppf(1 - (1 - level) / 2, n - 1)) * sd / math.sqrt(n)
    return float(max(lo, mean - half)), float(min(hi, mean + half))


def exact_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval for k of n (NaN when n is 0): the beta quantiles
    ``Beta(a/2; k, n - k + 1)`` to ``Beta(1 - a/2; k + 1, n - k)``, 0 and 1 at the ends, the
    interval R's ``binom.test`` reports.

    Examples
    --------
    >>> [round(x, 4) for x in exact_ci(3, 10)]
    [0.0667, 0.6525]
    """
    if n == 0:
        return float("nan"), float("nan")
    if not 0 <= k <= n:
        raise ValueError(f"a count of n = {n} is in 0..{n}, not {k}")
    alpha = 1 - level
    lower = betaincinv(k, n - k + 1, alpha / 2) if k > 0 else 0.0
    upper = betaincinv(k + 1, n - k, 1 - alpha / 2) if k < n else 1.0
    return lower, upper


def poisson_exact_ci(k: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for the mean of a Poisson count ``k``.

    ``chi2(a/2; 2k) / 2`` to ``chi2(1 - a/2; 2k + 2) / 2``, the lower limit 0
    for ``k = 0``: the interval R's ``poisson.test`` reports.

    Examples
    --------
    >>> [round(x, 4) for x in poisson_exact_ci(4)]
    [1.0899, 10.2416]
    """
    if k < 0:
        raise ValueError(f"a count is >= 0, not {k}")
    alpha = 1 - level
    lower = chi2_ppf(alpha / 2, 2 * k) / 2 if k > 0 else 0.0
    upper = chi2_ppf(1 - alpha / 2, 2 * k + 2) / 2
    return lower, upper

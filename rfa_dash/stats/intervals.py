"""Exact confidence intervals for a proportion and for a Poisson count."""

from __future__ import annotations

from scipy import stats


def exact_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval for k of n (NaN when n is 0).

    Examples
    --------
    >>> [round(x, 4) for x in exact_ci(3, 10)]
    [0.0667, 0.6525]
    """
    if n == 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


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
    lower = float(stats.chi2.ppf(alpha / 2, 2 * k) / 2) if k > 0 else 0.0
    upper = float(stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2)
    return lower, upper

"""Exact confidence intervals for a proportion and for a Poisson count."""

from __future__ import annotations

from rfa_dash.stats.dist import betaincinv, chi2_ppf


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

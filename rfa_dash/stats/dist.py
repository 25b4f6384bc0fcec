"""The few distribution functions the intervals and the accrual model need, on SciPy's
special functions.

Why ``scipy.special`` and not ``scipy.stats``: importing ``scipy.stats`` takes 0.3 to
0.5 s, several times a reading command's whole floor (Python with DuckDB and pyarrow),
while ``scipy.special`` (BSD-licensed; Cephes and Boost's special functions) costs about
two thirds of a floor. It is imported inside each function, so a command that needs no
quantile never pays for it. Every quantile here rests on the regularized incomplete beta
and gamma functions and their inverses; ``tests/unit/test_dist.py`` checks the
parameterizations against closed forms computed by hand and against ``scipy.stats``.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054   # the standard normal's 0.975 quantile


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b).

    Parameters
    ----------
    a, b : float
        The shapes, both > 0.
    x : float
        Where to evaluate it; below 0 it is 0, above 1 it is 1.

    Examples
    --------
    >>> betainc(1.0, 1.0, 0.25), round(betainc(2.0, 3.0, 0.5), 12)   # 1 - (11/16)
    (0.25, 0.6875)
    """
    if not (a > 0 and b > 0):
        raise ValueError(f"a and b are > 0, not {a}, {b}")
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    from scipy import special

    return float(special.betainc(a, b, x))


def betaincinv(a: float, b: float, p: float) -> float:
    """The x with I_x(a, b) = p (the beta distribution's p quantile).

    Examples
    --------
    >>> betaincinv(1.0, 1.0, 0.3), round(betaincinv(2.0, 3.0, 0.6875), 12)
    (0.3, 0.5)
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a probability is in [0, 1], not {p}")
    if p == 0.0:
        return 0.0
    if p == 1.0:
        return 1.0
    from scipy import special

    return float(special.betaincinv(a, b, p))


def gammainc(a: float, x: float) -> float:
    """The regularized lower incomplete gamma function P(a, x).

    Examples
    --------
    >>> round(gammainc(1.0, 2.0), 12) == round(1 - math.exp(-2.0), 12)
    True
    """
    if a <= 0:
        raise ValueError(f"a is > 0, not {a}")
    if x <= 0.0:
        return 0.0
    from scipy import special

    return float(special.gammainc(a, x))


def gammaincinv(a: float, p: float) -> float:
    """The x with P(a, x) = p (the gamma distribution's p quantile, scale 1).

    Examples
    --------
    >>> round(gammaincinv(1.0, 1 - math.exp(-2.0)), 12)
    2.0
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a probability is in [0, 1], not {p}")
    if p == 0.0:
        return 0.0
    if p == 1.0:
        return math.inf
    from scipy import special

    return float(special.gammaincinv(a, p))


def chi2_ppf(p: float, df: float) -> float:
    """The chi-square distribution's ``p`` quantile with ``df`` degrees of freedom
    (twice the gamma quantile of shape ``df / 2``).

    Examples
    --------
    >>> round(chi2_ppf(0.95, 1), 6)   # 1.959964 squared
    3.841459
    """
    return 2.0 * gammaincinv(df / 2.0, p)


def t_ppf(p: float, df: float) -> float:
    """Student's t distribution's ``p`` quantile with ``df`` degrees of freedom.

    Examples
    --------
    >>> round(t_ppf(0.975, 1), 6), round(t_ppf(0.975, 10), 6)
    (12.706205, 2.228139)
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a probability is in [0, 1], not {p}")
    if p == 0.5:
        return 0.0
    from scipy import special

    return float(special.stdtrit(df, p))


def nbinom_cdf(k: int, n: float, p: float) -> float:
    """P(X <= k) for X the failures before the ``n``-th success, success probability ``p``:
    I_p(n, k + 1), for any real ``n`` > 0 (the gamma-Poisson mixture's count).

    Examples
    --------
    >>> round(nbinom_cdf(0, 10.0, 0.5), 12) == round(0.5 ** 10, 12)
    True
    """
    if k < 0:
        return 0.0
    return betainc(n, k + 1.0, p)


def nbinom_sf(k: int, n: float, p: float) -> float:
    """P(X > k) for :func:`nbinom_cdf`'s X: I_{1-p}(k + 1, n), exact in the upper tail
    (not 1 - cdf)."""
    if k < 0:
        return 1.0
    return betainc(k + 1.0, n, 1.0 - p)


def nbinom_ppf(q: float, n: float, p: float) -> int:
    """The smallest k with P(X <= k) >= ``q`` for :func:`nbinom_cdf`'s X (a bisection on
    the integers: the cdf is a step function).

    Examples
    --------
    >>> nbinom_ppf(0.5, 1.0, 0.5), nbinom_ppf(0.75, 1.0, 0.5)   # geometric: 1/2, 3/4
    (0, 1)
    """
    if q <= 0:
        return 0
    lo, hi = -1, 1                     # cdf(lo) < q <= cdf(hi)
    while nbinom_cdf(hi, n, p) < q:
        lo, hi = hi, 2 * hi + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if nbinom_cdf(mid, n, p) >= q:
            hi = mid
        else:
            lo = mid
    return hi


def betaprime_ppf(q: float, a: float, b: float) -> float:
    """The beta-prime distribution's ``q`` quantile: B / (1 - B) for B ~ Beta(a, b).

    Examples
    --------
    >>> round(betaprime_ppf(0.5, 1.0, 1.0), 12)   # X / (1 - X), X uniform
    1.0
    """
    x = betaincinv(a, b, q)
    if x <= 0.5:
        return x / (1.0 - x)
    y = betaincinv(b, a, 1.0 - q)      # 1 - B ~ Beta(b, a): precise where B is near 1
    return (1.0 - y) / y if y > 0.0 else math.inf

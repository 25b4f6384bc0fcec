"""The few distribution functions the intervals and the accrual model need, in plain Python.

Why not SciPy: importing ``scipy.stats`` takes 0.3 to 0.5 s, twice as long as a reading
command's whole floor (Python with DuckDB and pyarrow), and the commands use four
quantiles of it. Everything here rests on two special functions, the regularized
incomplete beta and gamma functions (continued fractions and series, as in Press et
al., Numerical Recipes, 3rd ed., 6.2 and 6.4), and their inverses by safeguarded
Newton steps. ``tests/unit/test_dist.py`` compares every function with SciPy on a grid
to 1e-12 relative.
"""

from __future__ import annotations

import math
from collections.abc import Callable

Z95 = 1.959963984540054   # the standard normal's 0.975 quantile

_EPS = 1e-16
_TINY = 1e-300
_MAX_ITER = 100_000


def _beta_cf(x: float, a: float, b: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_ITER):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPS:
            return h
    raise ArithmeticError(f"incomplete beta did not converge (x={x}, a={a}, b={b})")


def _log_beta_front(x: float, a: float, b: float) -> float:
    return (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
            + b * math.log1p(-x))


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b).

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
    front = math.exp(_log_beta_front(x, a, b))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_cf(x, a, b) / a
    return 1.0 - front * _beta_cf(1.0 - x, b, a) / b


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
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    return _solve(lambda x: betainc(a, b, x),
                  lambda x: math.exp(log_norm + (a - 1) * math.log(x) + (b - 1) * math.log1p(-x)),
                  p, _beta_start(a, b, p), 1.0, 200)


def _solve(cdf: Callable[[float], float], pdf: Callable[[float], float], p: float, x: float,
           hi: float, steps: int) -> float:
    """The x in [0, ``hi``] with ``cdf(x) = p``: Newton steps from ``x``, kept in the bracket
    the steps find (a bisection instead of a step that leaves it, or a doubling while the
    bracket has no upper end)."""
    lo = 0.0
    for _ in range(steps):
        f = cdf(x) - p
        if f == 0.0:
            return x
        if f < 0:
            lo = x
        else:
            hi = x
        d = pdf(x)
        nxt = x - f / d if d > 0 and math.isfinite(d) else math.nan
        if not lo < nxt < hi:
            nxt = 0.5 * (lo + hi) if math.isfinite(hi) else 2 * max(x, 1.0)
        if abs(nxt - x) <= 1e-15 * max(x, 1e-300) or hi - lo <= 1e-300:
            return nxt
        x = nxt
    return x


def _rough_deviate(p: float) -> float:
    """Numerical Recipes' rough normal deviate, the first guess of both inverses."""
    t = math.sqrt(-2 * math.log(p if p < 0.5 else 1 - p))
    x = (2.30753 + t * 0.27061) / (1 + t * (0.99229 + t * 0.04481)) - t
    return -x if p < 0.5 else x


def _beta_start(a: float, b: float, p: float) -> float:
    """A first guess for :func:`betaincinv` (Numerical Recipes' ``invbetai``)."""
    if a >= 1 and b >= 1:
        x = _rough_deviate(p)
        al = (x * x - 3) / 6
        h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1))
        w = (x * math.sqrt(al + h) / h
             - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (al + 5 / 6 - 2 / (3 * h)))
        guess = a / (a + b * math.exp(2 * w))
    else:
        lna, lnb = math.log(a / (a + b)), math.log(b / (a + b))
        t = math.exp(a * lna) / a
        u = math.exp(b * lnb) / b
        w = t + u
        guess = ((p * w * a) ** (1 / a) if p < t / w
                 else 1 - (b * w * (1 - p)) ** (1 / b))
    return min(max(guess, 1e-300), 1 - 1e-16)


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
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:   # the series
        ap, total, term = a, 1.0 / a, 1.0 / a
        for _ in range(_MAX_ITER):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * _EPS:
                return total * math.exp(log_front)
        raise ArithmeticError(f"incomplete gamma did not converge (a={a}, x={x})")
    b = x + 1.0 - a   # the continued fraction of Q (modified Lentz)
    c, d = 1.0 / _TINY, 1.0 / b
    h = d
    for i in range(1, _MAX_ITER):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = b + an / c
        c = c if abs(c) > _TINY else _TINY
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPS:
            return 1.0 - math.exp(log_front) * h
    raise ArithmeticError(f"incomplete gamma did not converge (a={a}, x={x})")


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
    # a first guess (Numerical Recipes' invgammp), then Newton steps kept in a bracket
    if a > 1:
        x = max(1e-3, a * (1 - 1 / (9 * a) - _rough_deviate(p) / (3 * math.sqrt(a))) ** 3)
    else:
        t = 1 - a * (0.253 + a * 0.12)
        x = (p / t) ** (1 / a) if p < t else 1 - math.log(1 - (p - t) / (1 - t))
    lga = math.lgamma(a)
    return _solve(lambda y: gammainc(a, y),
                  lambda y: math.exp((a - 1) * math.log(y) - y - lga) if y > 0 else 0.0,
                  p, x, math.inf, 300)


def chi2_ppf(p: float, df: float) -> float:
    """The chi-square distribution's ``p`` quantile with ``df`` degrees of freedom.

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
    if p == 0.5:
        return 0.0
    tail = 2 * min(p, 1 - p)          # P(|T| > t) = I_{df / (df + t^2)}(df / 2, 1 / 2)
    x = betaincinv(df / 2.0, 0.5, tail)
    t = math.sqrt(df * (1.0 / x - 1.0)) if x > 0 else math.inf
    return t if p > 0.5 else -t


def nbinom_cdf(k: int, n: float, p: float) -> float:
    """P(X <= k) for X the failures before the ``n``-th success, success probability ``p``.

    Examples
    --------
    >>> round(nbinom_cdf(0, 10.0, 0.5), 12) == round(0.5 ** 10, 12)
    True
    """
    if k < 0:
        return 0.0
    return betainc(n, k + 1.0, p)


def nbinom_sf(k: int, n: float, p: float) -> float:
    """P(X > k) for :func:`nbinom_cdf`'s X (exact in the upper tail, not 1 - cdf)."""
    if k < 0:
        return 1.0
    return betainc(k + 1.0, n, 1.0 - p)


def nbinom_ppf(q: float, n: float, p: float) -> int:
    """The smallest k with P(X <= k) >= ``q`` for :func:`nbinom_cdf`'s X.

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

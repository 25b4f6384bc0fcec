"""A Pocock-type boundary for continuous monitoring of toxicity (Ivanova, Qaqish and
Schell 2005), computed exactly over binomial paths.

After each of the first ``n_max`` participants becomes evaluable, the number of events
among the first k, x(k), is compared with r_c(k), the smallest r with
P(Bin(k, p0) > r) <= c: the rule is crossed at the first k with x(k) > r_c(k). The level
c is the largest of the values P(Bin(k, p0) > r) (k = 1..n_max, r = 0..k) for which a
trial whose true rate is p0 crosses by n_max with probability at most alpha.

The crossing probability of a boundary is exact: the distribution of x(k) among the
paths that have not crossed is carried from k to k + 1 (O(n_max^2) for one boundary),
and, as it never falls when c rises, the level is found by bisection over the sorted
candidate values (O(n_max^2 log n_max) in all, not O(n_max^4)).

References
----------
.. [1] Ivanova A, Qaqish BF, Schell MJ. Continuous toxicity monitoring in phase II
   trials in oncology. Biometrics 2005;61:540-545.
.. [2] Pocock SJ. Group sequential methods in the design and analysis of clinical
   trials. Biometrika 1977;64:191-199.

Examples
--------
The spec's example (p0 = 0.10, n_max = 24, alpha = 0.10): stop at 2 of the first 3, 3 of
8, 4 of 14, 5 of 21, 6 of 24.

>>> b = design(0.10, 24, 0.10)
>>> [(int(b.max_events[k - 1]) + 1, k) for k in (3, 8, 14, 21, 24)]
[(2, 3), (3, 8), (4, 14), (5, 21), (6, 24)]
>>> round(b.crossing_probability, 4) <= 0.10
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def binomial_tails(n_max: int, p: float) -> np.ndarray:
    """``tails[k, r] = P(Bin(k, p) > r)`` for k = 0..n_max, r = 0..n_max (0 for r >= k),
    summed from the upper end of each row so that small tails keep their digits.

    Examples
    --------
    >>> t = binomial_tails(2, 0.5)
    >>> t[2].tolist()          # P(Bin(2, 1/2) > 0, > 1, > 2)
    [0.75, 0.25, 0.0]
    """
    pmf = np.zeros((n_max + 1, n_max + 1))
    pmf[0, 0] = 1.0
    for k in range(1, n_max + 1):
        pmf[k] = pmf[k - 1] * (1 - p)
        pmf[k, 1:] += pmf[k - 1, :-1] * p
    # P(X > r) = sum of pmf[x] for x > r: reverse cumulative sums, shifted by one
    rev = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]
    tails = np.zeros_like(pmf)
    tails[:, :-1] = rev[:, 1:]
    return tails


def boundary(tails: np.ndarray, c: float) -> np.ndarray:
    """r_c(k) for k = 1..n_max: the smallest r with P(Bin(k, p0) > r) <= c (``tails`` from
    :func:`binomial_tails` at p0)."""
    n = tails.shape[0] - 1
    rows = tails[1:, :]
    upper = np.arange(1, n + 1)[:, None] >= np.arange(n + 1)[None, :]   # r <= k
    # the tails fall with r: r_c(k) is how many r (0..k) still have a tail above c
    counts: np.ndarray = np.sum((rows > c) & upper, axis=1).astype(np.int64)
    return counts


def crossing(max_events: np.ndarray, p: float) -> tuple[float, float, np.ndarray]:
    """For a true rate ``p``: the probability of crossing the boundary ``max_events``
    (x(k) > max_events[k - 1]) at some k <= n_max, the expected number of evaluable
    participants when monitoring ends (at the crossing, or n_max), and the probability
    of crossing at each k.

    Examples
    --------
    Cross when the first participant has an event: probability p, and the trial stops
    at 1 with probability p, else runs to 2.

    >>> pc, en, _ = crossing(np.array([0, 2]), 0.25)
    >>> pc, en
    (0.25, 1.75)
    """
    n = len(max_events)
    alive = np.zeros(n + 2)
    alive[0] = 1.0
    at_k = np.zeros(n)
    for k in range(1, n + 1):
        nxt = alive * (1 - p)
        nxt[1:] += alive[:-1] * p
        r = int(max_events[k - 1])
        at_k[k - 1] = float(nxt[r + 1:].sum())
        nxt[r + 1:] = 0.0
        alive = nxt
    total = float(at_k.sum())
    expected = float(np.dot(np.arange(1, n + 1), at_k) + n * (1.0 - total))
    return total, expected, at_k


@dataclass(frozen=True)
class Boundary:
    """A designed rule: its level c, r(k) for k = 1..n_max, and its crossing probability
    at p0 (at most alpha)."""

    level: float
    max_events: np.ndarray
    crossing_probability: float


def design(p0: float, n_max: int, alpha: float) -> Boundary:
    """The boundary at the largest level whose crossing probability at p0 is <= alpha.

    Parameters
    ----------
    p0 : float
        The acceptable event rate.
    n_max : int
        Participants monitored.
    alpha : float
        The largest acceptable chance of crossing when the true rate is p0.
    """
    tails = binomial_tails(n_max, p0)
    k = np.arange(n_max + 1)[:, None]
    r = np.arange(n_max + 1)[None, :]
    cand = np.unique(tails[1:][(r <= k)[1:]])          # every P(Bin(k, p0) > r), r <= k
    lo, hi = 0, len(cand) - 1                           # cand[0] is 0: never crosses
    if crossing(boundary(tails, float(cand[hi])), p0)[0] <= alpha:
        lo = hi
    while hi - lo > 1:                                  # crossing(cand[lo]) <= alpha < ...[hi]
        mid = (lo + hi) // 2
        if crossing(boundary(tails, float(cand[mid])), p0)[0] <= alpha:
            lo = mid
        else:
            hi = mid
    c = float(cand[lo])
    b = boundary(tails, c)
    return Boundary(c, b, crossing(b, p0)[0])


def oc_rates(p0: float, p1: float) -> list[float]:
    """The true rates the operating characteristics are given at: 0.05, 0.10, ..., 0.50
    and p0 and p1, each once, ascending.

    Examples
    --------
    >>> oc_rates(0.1, 0.33)
    [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.33, 0.35, 0.4, 0.45, 0.5]
    """
    grid = {round(0.05 * i, 10) for i in range(1, 11)} | {round(p0, 10), round(p1, 10)}
    return sorted(grid)

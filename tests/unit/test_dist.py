"""rfa_dash.stats.dist (the quantiles the intervals and the accrual model use) against
closed forms computed by hand and against SciPy, an independent implementation (Boost's
special functions), on a grid."""

import itertools
import math

import pytest
from scipy import stats

from rfa_dash.stats import dist
from rfa_dash.stats.intervals import exact_ci, poisson_exact_ci

REL = 1e-12
PS = [1e-8, 0.001, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.999]
SHAPES = [0.3, 0.5, 1, 1.5, 2, 3, 5, 10, 37, 77, 200, 1000]


def close(got, want, rel=REL):
    return got == pytest.approx(want, rel=rel, abs=1e-300)


def test_closed_forms_by_hand():
    # Beta(1, 1) is uniform; Beta(a, 1) has cdf x^a; Beta(1, b) has cdf 1 - (1 - x)^b
    assert close(dist.betaincinv(1, 1, 0.3), 0.3)
    assert close(dist.betaincinv(3, 1, 0.2), 0.2 ** (1 / 3))
    assert close(dist.betainc(1, 4, 0.25), 1 - 0.75 ** 4)
    # chi-square with 2 df is exponential with mean 2: p = 1 - exp(-x / 2)
    assert close(dist.chi2_ppf(0.95, 2), -2 * math.log(0.05))
    # t with 1 df is Cauchy: tan(pi (p - 1/2)); with 2 df: (2p - 1) / sqrt(2 p (1 - p))
    assert close(dist.t_ppf(0.975, 1), math.tan(math.pi * 0.475))
    assert close(dist.t_ppf(0.9, 2), 0.8 / math.sqrt(2 * 0.9 * 0.1))
    assert dist.t_ppf(0.5, 7) == 0.0 and close(dist.t_ppf(0.025, 7), -dist.t_ppf(0.975, 7))
    # the negative binomial with n = 1 is geometric: P(X <= k) = 1 - (1 - p)^(k + 1)
    assert close(dist.nbinom_cdf(3, 1.0, 0.4), 1 - 0.6 ** 4)
    assert close(dist.nbinom_sf(3, 1.0, 0.4), 0.6 ** 4)
    assert dist.nbinom_ppf(1 - 0.6 ** 4, 1.0, 0.4) in (3, 4)     # at the step itself
    assert dist.nbinom_ppf(1 - 0.6 ** 4 + 1e-9, 1.0, 0.4) == 4
    # Clopper-Pearson at the ends: 0 of n has upper 1 - (a/2)^(1/n); n of n lower (a/2)^(1/n)
    assert exact_ci(0, 10) == (0.0, pytest.approx(1 - 0.025 ** 0.1, rel=REL))
    assert exact_ci(10, 10) == (pytest.approx(0.025 ** 0.1, rel=REL), 1.0)
    # Garwood for 0 events: (0, -log(a/2)) exactly
    assert poisson_exact_ci(0) == (0.0, pytest.approx(-math.log(0.025), rel=REL))


@pytest.mark.filterwarnings("ignore:Error in function boost")
@pytest.mark.parametrize("a,b", list(itertools.product(SHAPES, SHAPES)))
def test_beta_matches_scipy(a, b):
    for x in (1e-6, 0.01, 0.2, 0.5, 0.8, 0.99):
        assert dist.betainc(a, b, x) == pytest.approx(stats.beta.cdf(x, a, b), rel=1e-11)
    for p in PS:
        got = dist.betaincinv(a, b, p)
        want = stats.beta.ppf(p, a, b)
        # Boost's own inverse misses by up to 1e-9 for shapes below 1 at small p: where the
        # two differ, the one whose cdf gives p back is right
        if close(got, want, 1e-10):
            assert close(dist.betaprime_ppf(p, a, b), stats.betaprime.ppf(p, a, b), 1e-9)
        else:
            assert abs(stats.beta.cdf(got, a, b) - p) < abs(stats.beta.cdf(want, a, b) - p)


@pytest.mark.parametrize("a", SHAPES)
def test_gamma_chi2_t_match_scipy(a):
    for p in PS:
        assert close(dist.gammaincinv(a, p), stats.gamma.ppf(p, a), 1e-11)
        assert close(dist.chi2_ppf(p, 2 * a), stats.chi2.ppf(p, 2 * a), 1e-11)
        if a >= 1:   # the t quantiles the pain page uses have n - 1 >= 1 degrees of freedom
            assert close(dist.t_ppf(p, a), stats.t.ppf(p, a), 1e-10)


@pytest.mark.parametrize("n", [0.5, 1.0, 10.0, 48.0, 500.0])
@pytest.mark.parametrize("p", [0.01, 0.3, 0.9, 0.999])
def test_negative_binomial_matches_scipy(n, p):
    for k in (0, 1, 5, 30, 300):
        assert close(dist.nbinom_cdf(k, n, p), stats.nbinom.cdf(k, n, p), 1e-11)
        assert close(dist.nbinom_sf(k, n, p), stats.nbinom.sf(k, n, p), 1e-11)
    for q in (0.025, 0.1, 0.5, 0.9, 0.975):
        got, want = dist.nbinom_ppf(q, n, p), stats.nbinom.ppf(q, n, p)
        # equal, or q sits on a step of the cdf to rounding, where either side is right
        assert got == want or abs(stats.nbinom.cdf(min(got, want), n, p) - q) < 1e-12


def test_intervals_match_scipy():
    for n in range(1, 80):
        for k in range(n + 1):
            ci = stats.binomtest(k, n).proportion_ci(method="exact")
            lo, hi = exact_ci(k, n)
            # SciPy finds these limits with a root finder to about 1e-11; its beta
            # quantiles agree with ours to 1e-13
            assert lo == pytest.approx(ci.low, rel=1e-9, abs=1e-300)
            assert hi == pytest.approx(ci.high, rel=1e-9)
            if 0 < k:
                assert close(lo, stats.beta.ppf(0.025, k, n - k + 1))
            if k < n:
                assert close(hi, stats.beta.ppf(0.975, k + 1, n - k))
    for k in range(0, 300, 7):
        lo, hi = poisson_exact_ci(k)
        if k:
            assert close(lo, stats.chi2.ppf(0.025, 2 * k) / 2, 1e-11)
        assert close(hi, stats.chi2.ppf(0.975, 2 * k + 2) / 2, 1e-11)


def test_bad_arguments_say_so():
    with pytest.raises(ValueError, match="probability"):
        dist.betaincinv(1, 1, 1.5)
    with pytest.raises(ValueError, match="0..3"):
        exact_ci(4, 3)

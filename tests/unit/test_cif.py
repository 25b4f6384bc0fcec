"""The Aalen-Johansen estimator written out on NumPy (rfa_dash.stats.cif) gives what
statsmodels' CumIncidenceRight, which it replaces, gives: the incidence, its standard
error (NaN where statsmodels' formula meets 0 x inf) and the times, on random data with
ties, with and without deaths. R's values are checked in tests/reference/."""

import numpy as np
import pytest
from statsmodels.duration.survfunc import CumIncidenceRight

from rfa_dash.stats.cif import cif_columns, estimates


@pytest.mark.parametrize("seed", range(12))
def test_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 120))
    months = np.round(rng.exponential(8, n), int(rng.integers(0, 2)))   # ties when rounded
    causes = 3 if seed % 3 else 2                                       # some without deaths
    status = rng.integers(0, causes, n)
    status[0] = 1
    got = cif_columns(months, status)
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = CumIncidenceRight(months, status)
    first = 1 if months.min() > 0 else 0   # the curve starts at 0
    np.testing.assert_array_equal(got["time"][first:], fit.times)
    np.testing.assert_allclose(got["cif"][first:], fit.cinc[0], rtol=1e-13, atol=0)
    np.testing.assert_allclose(got["se"][first:], fit.cinc_se[0], rtol=1e-12, atol=1e-15,
                               equal_nan=True)
    assert got["at_risk"].tolist() == [int((months >= t).sum()) for t in got["time"]]
    assert got["events"].sum() == (status == 1).sum()
    assert got["competing"].sum() == (status == 2).sum()


def test_no_event_of_interest_is_zero_without_interval():
    got = cif_columns([1.0, 2.0, 2.0], [0, 2, 0])
    assert got["cif"].tolist() == [0.0, 0.0, 0.0] and np.isnan(got["lower"]).all()


def test_nobody_followed_is_one_row_at_zero():
    got = cif_columns([], [])
    assert got["time"].tolist() == [0.0] and got["at_risk"].tolist() == [0]
    e = estimates(got, [1, 3], [])
    assert e["at_risk"].tolist() == [0, 0] and np.isnan(e["cif"]).all()

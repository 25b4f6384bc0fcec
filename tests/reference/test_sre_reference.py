"""SRE cumulative incidence and Gray's test against R (survival, cmprsk, etm).

The reference values and the R script that produced them are in
tests/reference/ (reference.R); the inputs include tied event times, events
tied with censoring and the bundled sample's own SRE outcomes.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rfa_dash.analysis.sre import cumulative_incidence
from rfa_dash.present.outcomes import gray_note
from rfa_dash.stats.cif import cif_columns

REF = Path(__file__).parent
CIF = pd.read_csv(REF / "cif_reference.csv")
GRAY = pd.read_csv(REF / "gray_reference.csv")


def cif_curve(months, status):
    """The estimator's columns as a frame, as these tests read them."""
    return pd.DataFrame(cif_columns(months, status))


def _data(name):
    return pd.read_csv(REF / f"{name}.csv", dtype={"group": str})


CASES = sorted({(d, g) for d, g in zip(CIF.dataset, CIF.group, strict=True)})


@pytest.mark.parametrize("dataset,group", CASES)
def test_cif_matches_r(dataset, group):
    d = _data(dataset)
    d = d[d.group == group]
    curve = cif_curve(d.time, d.status)
    ref = CIF[(CIF.dataset == dataset) & (CIF.group == group)]
    idx = np.searchsorted(curve.time.to_numpy(), ref.time.to_numpy() + 1e-12, side="right") - 1
    got = curve.iloc[idx].reset_index(drop=True)
    r = ref.reset_index(drop=True)
    np.testing.assert_allclose(got.cif, r.est_cmprsk, atol=1e-6, rtol=0)
    np.testing.assert_allclose(got.cif, r.est_survfit, atol=1e-6, rtol=0)
    # statsmodels cannot give the variance at a time when everyone still at risk
    # has an event (its formula meets 0 * inf there); the interval is then left
    # out. Every other variance and interval must match R.
    exhausted = (got.at_risk == got.events + got.competing).to_numpy()
    assert got.se[~exhausted].notna().all()
    assert got.se[exhausted].isna().all()
    np.testing.assert_allclose(got.se[~exhausted] ** 2, r["var"][~exhausted], atol=1e-6, rtol=0)
    defined = r.lower.notna() & (r["var"] > 0) & ~exhausted
    np.testing.assert_allclose(got.lower[defined], r.lower[defined], atol=1e-6, rtol=0)
    np.testing.assert_allclose(got.upper[defined], r.upper[defined], atol=1e-6, rtol=0)


def test_reference_covers_ties():
    d = _data("ties")
    events = d[d.status > 0]
    assert events.duplicated(["group", "time"]).any()             # tied event times
    both = d.groupby(["group", "time"]).status.agg(lambda s: (s > 0).any() and (s == 0).any())
    assert both.any()                                              # events tied with censoring


@pytest.mark.parametrize("dataset", list(GRAY.dataset))
def test_gray_test_matches_cmprsk(dataset):
    d = _data(dataset).rename(columns={"time": "months", "group": "arm"})
    arms = sorted(d.arm.unique())
    res = cumulative_incidence(d, [1, 3], arms, by_arm=True, gray_min_events=1)
    ref = GRAY[GRAY.dataset == dataset].iloc[0]
    assert res.gray["statistic"] == pytest.approx(ref.stat, abs=1e-6)
    assert res.gray["p_value"] == pytest.approx(ref.p, abs=1e-6)
    assert res.gray["df"] == ref.df


def test_gray_test_withheld_below_threshold():
    d = _data("ties").rename(columns={"time": "months", "group": "arm"})
    res = cumulative_incidence(d, [1], ["a", "b"], by_arm=True, gray_min_events=7)
    # group a has 7 events, b has 6
    assert res.gray is None
    note = gray_note(res, {})
    assert "at least 7 SREs" in note and "b: 6" in note


def test_estimates_at_report_months_hand_computed():
    # 4 participants: SRE at 1 and 2 months, death at 2.5, censored at 3
    d = pd.DataFrame({"months": [1.0, 2.0, 2.5, 3.0], "status": [1, 1, 2, 0], "arm": "x"})
    res = cumulative_incidence(d, [1, 2, 3, 4], ["x"], by_arm=True, gray_min_events=99)
    t = res.table.set_index("month")
    # AJ: S(1-)=1, 1/4 at t=1 -> 0.25; S(2-)=3/4, 1/3 at t=2 -> 0.25 + 0.25 = 0.5
    assert t.loc[1, "cif"] == pytest.approx(0.25) and t.loc[1, "at_risk"] == 4
    assert t.loc[2, "cif"] == pytest.approx(0.5) and t.loc[2, "at_risk"] == 3
    assert t.loc[3, "cif"] == pytest.approx(0.5) and t.loc[3, "at_risk"] == 1
    assert np.isnan(t.loc[4, "cif"]) and t.loc[4, "at_risk"] == 0


def test_no_events_gives_zero_without_interval():
    c = cif_curve([1.0, 2.0], [0, 2])
    assert (c.cif == 0).all() and c.lower.isna().all()


def test_sample_reference_is_the_bundled_sample():
    # R's "sample" input must be the bundled sample's own outcomes (regenerate
    # both with tests/reference/sample_outcomes.py after `make sample`)
    from tests.reference.sample_outcomes import sample_outcomes

    got = sample_outcomes().reset_index(drop=True)
    ref = _data("sample")
    assert list(got.group) == list(ref.group) and list(got.status) == list(ref.status)
    np.testing.assert_allclose(got.time, ref.time, atol=1e-9)

"""Enrollment figures: funnel, why patients fail, near misses, accrual model, arm balance.

Expected values are hand-computed or from an independent computation (scipy's
negative binomial for the accrual projection)."""

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from rfa_dash.analysis import accrual as acc
from rfa_dash.analysis import balance
from rfa_dash.analysis import eligibility as el
from rfa_dash.ingest.export import open_export
from rfa_dash.protocol import load_protocol
from rfa_dash.stats import accrual_model, intervals
from tests.helpers import make_export, rand, screen

D = dt.date
AS_OF = D(2026, 1, 1)
ROLES = load_protocol().roles


@pytest.fixture()
def exp(tmp_path):
    rows = [
        screen(screening_id="S1"),                                   # eligible, randomized
        screen(screening_id="S2", age=17, anc="1.0"),                # age + anc
        screen(screening_id="S3", anc="1.4"),                        # near miss (1.4 >= 1.35)
        screen(screening_id="S4", anc="1.2"),                        # anc, not near (1.2 < 1.35)
        screen(screening_id="S5", prior_rt_target="yes"),            # prior_rt
        screen(screening_id="S6", prior_rt_target="yes", anc="1.0"),  # prior_rt + anc
        screen(screening_id="S7", albumin=None),                     # incomplete
        screen(screening_id="S8", consented="no", consent_date=None),  # eligible, declined
        screen(screening_id="S9"),                                   # consented, not randomized
        screen(screening_id="S10", platelets="46", albumin="28"),    # near miss on two labs
    ]
    e = open_export(make_export(tmp_path / "e", screening=rows, randomization=[
        rand(participant_id="001", screening_id="S1")]))
    assert e.n_errors == 0, e.problems.to_string()
    return e


def test_failures_per_criterion(exp):
    f = el.criterion_counts(exp, AS_OF).set_index("criterion")
    assert f.loc["anc", "failed"] == 4 and f.loc["prior_rt", "failed"] == 2
    assert f.loc["age", "failed"] == 1 and f.loc["albumin", "unknown"] == 1
    assert f.loc["albumin", "failed"] == 1 and f.loc["platelets", "failed"] == 1


def test_sequential_exclusion_removes_most_first(exp):
    seq = el.exclusion_steps(exp, AS_OF)
    # ineligible: S2 S3 S4 S5 S6 S10. anc fails 4 (S2 S3 S4 S6) -> removed first, 6 left of 10.
    # then platelets, albumin and prior_rt each remove one: the tie keeps the spec order, so
    # platelets removes S10 (albumin then removes nobody) and prior_rt removes S5
    assert seq[["criterion", "removed", "remaining"]].values.tolist() == [
        ["anc", 4, 6], ["platelets", 1, 5], ["prior_rt", 1, 4]]


def test_consort_counts(exp):
    c = el.consort(exp, AS_OF, ROLES["investigator"])
    assert (c["screened"], c["ineligible"], c["incomplete"], c["eligible"]) == (10, 6, 1, 3)
    assert (c["declined"], c["consented"], c["awaiting"], c["randomized"]) == (1, 2, 1, 1)
    # one randomized: too few for the investigator's counts to move (allocation_block)
    assert c["arms"] == [("rfa_rt", "RFA/BA + RT", 0), ("rt_alone", "RT alone", 0)]
    d = el.consort(exp, AS_OF, ROLES["dsmb"])
    assert d["arms"] == [("rfa_rt", "RFA/BA + RT", 1), ("rt_alone", "RT alone", 0)]
    assert "arms" not in el.consort(exp, AS_OF, ROLES["coordinator"])
    # the flow carries the exclusion steps its reasons come from
    assert c["steps"].equals(el.exclusion_steps(exp, AS_OF))
    assert c["reasons"] == [(r.label, r.removed) for r in c["steps"].itertuples()]


def test_near_misses(exp):
    nm = el.near_misses(exp, AS_OF)
    # same screen date: ordered by screening_id as text
    assert nm[["screening_id", "failed"]].values.tolist() == [
        ["S10", "platelets;albumin"], ["S3", "anc"]]


def test_near_miss_boundaries(tmp_path):
    # 10% of 1.5 -> 1.35 is still near, 1.34 is not; 3 x ULN 40 = 120, +10% -> 132
    e = open_export(make_export(tmp_path / "e", randomization=[], screening=[
        screen(screening_id="A", anc="1.35"), screen(screening_id="B", anc="1.34"),
        screen(screening_id="C", ast="132"), screen(screening_id="D", ast="132.1"),
        screen(screening_id="E", anc="1.4", histology_confirmed="no")]))
    assert el.near_misses(e, AS_OF)["screening_id"].tolist() == ["A", "C"]


def test_incomplete_lists_missing_values(exp):
    inc = el.incomplete(exp, AS_OF)
    assert inc[["screening_id", "unknown", "missing"]].values.tolist() == [
        ["S7", "albumin", "albumin"]]


def test_exact_interval_hand_checked():
    # Clopper-Pearson for 0/10: upper = 1 - 0.025^(1/10) = 0.30850
    lo, hi = intervals.exact_ci(0, 10)
    assert lo == 0 and hi == pytest.approx(1 - 0.025 ** 0.1, abs=1e-9)
    lo, hi = intervals.exact_ci(37, 77)
    assert lo == pytest.approx(stats.beta.ppf(0.025, 37, 41), abs=1e-9)
    assert hi == pytest.approx(stats.beta.ppf(0.975, 38, 40), abs=1e-9)


def test_projection_against_negative_binomial():
    # n = 36, T = 730.5 days, P = 0.5; m = 30 in t = 621 days
    p = accrual_model.project(30, 621, 36, 730.5, 0.5, D(2026, 11, 16))
    assert (p.shape, p.rate) == (48.0, 986.25)
    # independent: P(reach target within s days) = P(NB(48, rate/(rate+s)) >= 6)
    for q, day in ((0.5, p.median), (0.1, p.band80[0]), (0.9, p.band80[1]),
                   (0.025, p.band95[0]), (0.975, p.band95[1])):
        s = (day - D(2026, 11, 16)).days
        reach = stats.nbinom.sf(5, 48, 986.25 / (986.25 + s))
        reach_before = stats.nbinom.sf(5, 48, 986.25 / (986.25 + s - 1))
        assert reach_before < q <= reach + 1e-12, (q, day)


def test_projection_prior_only_matches_planned_pace():
    # no data, certainty 1: prior mean rate 36 per 730.5 days; median time for 36
    # arrivals is close to the planned duration
    p = accrual_model.project(0, 0, 36, 730.5, 1.0, D(2025, 1, 1))
    assert abs((p.median - D(2025, 1, 1)).days - 730.5) < 40
    assert accrual_model.project(36, 500, 36, 730.5, 0.5, D(2026, 1, 1)).reached


def test_predictive_fan_quantiles():
    p = accrual_model.project(30, 621, 36, 730.5, 0.5, D(2026, 11, 16))
    fan = accrual_model.predictive_fan(p, D(2026, 11, 16), 200)
    last = fan.iloc[-1]
    s = (last["date"] - D(2026, 11, 16)).days
    assert last["q0.5"] == min(36, 30 + stats.nbinom.ppf(0.5, 48, 986.25 / (986.25 + s)))
    assert (np.diff(fan["q0.5"]) >= 0).all()


def test_accrual_rates_and_monthly(exp):
    a = acc.accrual(exp, AS_OF)
    # screen failure: 6 ineligible of 9 with a decision; consent: 2 of 3 eligible
    assert a.rates["k"].tolist() == [6, 2] and a.rates["n"].tolist() == [9, 3]
    assert a.monthly["randomized"].sum() == 1
    assert a.monthly["month"].iloc[-1] == D(2026, 1, 1)  # zero months filled up to the cut
    assert len(a.monthly) == 13  # 2025-01 .. 2026-01


def test_allocation_binomial_test(tmp_path):
    screens = [screen(screening_id=f"S{i}") for i in range(6)]
    rands = [rand(participant_id=f"{i:03d}", screening_id=f"S{i}",
                  arm="rfa_rt" if i < 5 else "rt_alone") for i in range(6)]
    e = open_export(make_export(tmp_path / "e", screening=screens, randomization=rands))
    al = balance.allocation(e, AS_OF, ROLES["dsmb"])
    assert al.counts["n"].tolist() == [5, 1]
    assert al.p_value == pytest.approx(stats.binomtest(5, 6, 2 / 3).pvalue)
    last = al.cumulative[al.cumulative.k == 6].set_index("arm")
    assert last.loc["rfa_rt", "cumulative"] == 5 and last.loc["rfa_rt", "expected"] == 4


def test_smd_hand_computed(tmp_path):
    # ages 60, 70 (rfa_rt) vs 50, 60 (rt_alone): means 65 vs 55, SDs 7.071 each -> SMD 1.414
    screens = [screen(screening_id=f"S{i}", age=a, sex=s) for i, (a, s) in
               enumerate([(60, "F"), (70, "M"), (50, "F"), (60, "F")])]
    rands = [rand(participant_id=f"{i:03d}", screening_id=f"S{i}",
                  arm="rfa_rt" if i < 2 else "rt_alone") for i in range(4)]
    e = open_export(make_export(tmp_path / "e", screening=screens, randomization=rands))
    t = balance.baseline_table(e, AS_OF, ROLES["dsmb"]).set_index("Characteristic")
    assert t.loc["Age, years, mean (SD)", "SMD"] == "1.41"
    # sex: p(M) 0.5 vs 0 -> (0.5 - 0) / sqrt((0.25 + 0) / 2) = 1.41
    assert t.loc["Sex, n (%)", "SMD"] == "1.41"
    assert t.loc["    F", "RFA/BA + RT"] == "1 (50%)"


def test_sequential_exclusion_hand_built_matrix():
    import numpy as np

    # three patients: P1 fails age+anc, P2 fails anc, P3 fails albumin; ties keep spec order
    fails = np.zeros((3, 19), dtype=bool)
    fails[0, [0, 5]] = True
    fails[1, 5] = True
    fails[2, 10] = True
    seq = el.sequential_exclusion(fails, 10, load_protocol().criterion_labels)
    assert seq[["criterion", "removed", "remaining"]].values.tolist() == [
        ["anc", 2, 8], ["albumin", 1, 7]]
    assert el.sequential_exclusion(np.zeros((0, 19), dtype=bool), 4, {}).empty


def test_detail_pages(exp):
    first = el.detail(exp, AS_OF, page=1, page_size=4)
    second = el.detail(exp, AS_OF, page=2, page_size=4)
    assert len(first) == 4 and set(first.n_total) == {10}
    assert first.screening_id.tolist() == ["S1", "S10", "S2", "S3"]
    assert second.screening_id.tolist() == ["S4", "S5", "S6", "S7"]
    assert len(el.detail(exp, AS_OF)) == 10


def test_allocation_course_at_month_ends_for_open_roles(tmp_path):
    dates = ["2025-01-05", "2025-01-20", "2025-02-03", "2025-02-10", "2025-02-25"]
    screens = [screen(screening_id=f"S{i}") for i in range(5)]
    rands = [rand(participant_id=f"{i:03d}", screening_id=f"S{i}", randomization_date=d,
                  treatment_date="", arm="rfa_rt" if i % 2 == 0 else "rt_alone")
             for i, d in enumerate(dates)]
    e = open_export(make_export(tmp_path / "e", screening=screens, randomization=rands))
    closed = balance.allocation(e, AS_OF, ROLES["dsmb"])
    assert sorted(set(closed.cumulative.k)) == [1, 2, 3, 4, 5]
    # five randomized, fewer than the investigator's allocation_block (6): no course yet
    assert balance.allocation(e, AS_OF, ROLES["investigator"]).cumulative.empty
    open_ = balance.allocation(e, AS_OF, replace(ROLES["investigator"], allocation_block=2))
    # only the last randomization of January (k=2) and of February (k=5)
    assert sorted(set(open_.cumulative.k)) == [2, 5]
    three = balance.allocation(e, AS_OF, replace(ROLES["investigator"], allocation_block=3))
    assert sorted(set(three.cumulative.k)) == [5]     # January's two are too few alone
    last = open_.cumulative[open_.cumulative.k == 5].set_index("arm")["cumulative"]
    assert (last["rfa_rt"], last["rt_alone"]) == (3, 2)

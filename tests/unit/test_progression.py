"""Pilot progression criteria: hand-computed values on small exports."""

import datetime as dt
import io
import math
import tomllib
from contextlib import redirect_stdout
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rfa_dash.analysis import progression as pg
from rfa_dash.blinding import FULL_ACCESS
from rfa_dash.cli import main
from rfa_dash.ingest.export import SAMPLE_DIR, open_export
from rfa_dash.months import month_ends
from rfa_dash.protocol import (
    DEFAULT_PROTOCOL,
    ProgressionRule,
    ProtocolError,
    load_protocol,
    parse_protocol,
)
from tests.helpers import make_export, rand, screen

D = dt.date
AS_OF = D(2025, 12, 1)
ROLES = load_protocol().roles


def _visit(pid, month, status, date=""):
    return {"participant_id": pid, "visit_month": str(month), "status": status,
            "visit_date": date, "pain_nrs": ""}


@pytest.fixture(scope="module")
def pilot(tmp_path_factory):
    """10 screened on 2025-01-10 (S9, S10 fail ANC, so 8 eligible); S1-S6 consented on
    2025-01-11, S7 consents on 2025-12-15 (after the cut), S8 declined. P1-P5 (S1-S5)
    randomized 2025-01-15, treated 2025-01-20: visit windows close 02-27 (month 1),
    05-04 (3), 08-19 (6); month 12 opens 2025-12-21."""
    screening = [screen(screening_id=f"S{i}") for i in range(1, 7)]
    screening += [screen(screening_id="S7", consent_date="2025-12-15"),
                  screen(screening_id="S8", consented="no", consent_date=""),
                  screen(screening_id="S9", anc="1.0"), screen(screening_id="S10", anc="1.0")]
    received = {1: "true", 2: "true", 3: "false", 4: "", 5: "true"}
    randomization = [rand(participant_id=f"P{i}", screening_id=f"S{i}",
                          received_allocated=received[i]) for i in range(1, 6)]
    visits = [_visit("P1", 1, "completed", "2025-02-20"),
              _visit("P1", 3, "completed", "2025-04-20"),
              _visit("P1", 6, "completed", "2025-07-20"),
              _visit("P2", 1, "completed", "2025-02-21"), _visit("P2", 3, "missed", "2025-05-04"),
              _visit("P3", 1, "completed", "2025-02-25"),
              _visit("P4", 1, "completed", "2025-02-20"),
              _visit("P5", 1, "completed", "2025-02-20"),
              _visit("P5", 3, "completed", "2025-04-22")]
    offstudy = [{"participant_id": "P4", "off_study_date": "2025-03-01", "reason": "withdrawal"},
                {"participant_id": "P5", "off_study_date": "2025-06-01", "reason": "death"},
                {"participant_id": "P3", "off_study_date": "2026-01-05",
                 "reason": "lost_to_follow_up"}]
    exp = open_export(make_export(tmp_path_factory.mktemp("pilot"), screening=screening,
                                  randomization=randomization, visits=visits, offstudy=offstudy))
    assert exp.n_errors == 0, exp.problems.to_string()
    return exp


def _rows(exp, as_of, role=FULL_ACCESS):
    return pg.progression(exp, as_of, role).set_index("criterion")


def test_each_criterion_by_hand(pilot):
    t = _rows(pilot, AS_OF)
    assert list(t.index) == ["recruitment", "consent", "retention", "adherence", "fidelity"]
    # recruitment: 5 randomized; 325 days since the first screening (2025-01-10):
    # expected 36 x (325 / 30.4375) / 24 = 11700 / 730.5 = 16.0164...
    r = t.loc["recruitment"]
    assert r.numerator == 5 and r.denominator == pytest.approx(11700 / 730.5)
    assert r.value == pytest.approx(5 * 730.5 / 11700) and r.status == "red"
    # R: poisson.test(5)$conf.int = 1.623486 11.668332
    assert r.lower == pytest.approx(1.623486 / (11700 / 730.5), rel=1e-6)
    assert r.upper == pytest.approx(11.668332 / (11700 / 730.5), rel=1e-6)
    # consent: S1-S6 of 8 eligible (S7's consent is after the cut): 0.75 >= 0.70
    c = t.loc["consent"]
    assert (c.numerator, c.denominator, c.status) == (6, 8, "green")
    # retention: P4 withdrew; P5's death does not count, P3's loss is after the cut: 4/5 = 0.80,
    # exactly the green threshold
    assert tuple(t.loc["retention", ["numerator", "denominator", "status"]]) == (4, 5, "green")
    # adherence: done P1 x3, P2 m1, P3 m1, P4 m1, P5 m1+m3 = 8; missed P2 m3; overdue P2 m6,
    # P3 m3, P3 m6 (P4 and P5 not expected after leaving): 8 / 12
    a = t.loc["adherence"]
    assert (a.numerator, a.denominator, a.status) == (8, 12, "amber")
    # fidelity: P4 not recorded; 3 of 4 received the allocated treatment: 0.75, exactly amber
    assert tuple(t.loc["fidelity", ["numerator", "denominator", "status"]]) == (3, 4, "amber")


def test_clopper_pearson_against_the_beta_quantiles(pilot):
    t = _rows(pilot, AS_OF)
    for crit in ("consent", "retention", "adherence", "fidelity"):
        k, n = int(t.loc[crit, "numerator"]), int(t.loc[crit, "denominator"])
        lo = stats.beta.ppf(0.025, k, n - k + 1) if k else 0.0
        hi = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
        assert t.loc[crit, "lower"] == pytest.approx(lo, abs=1e-9), crit
        assert t.loc[crit, "upper"] == pytest.approx(hi, abs=1e-9), crit
    # R: binom.test(6, 8)$conf.int = 0.3491442 0.9681460
    assert t.loc["consent", "lower"] == pytest.approx(0.3491442, abs=1e-7)
    assert t.loc["consent", "upper"] == pytest.approx(0.9681460, abs=1e-7)


def test_a_loss_to_follow_up_counts_once_it_is_dated(pilot):
    t = _rows(pilot, D(2026, 2, 1))
    assert tuple(t.loc["retention", ["numerator", "denominator", "status"]]) == (3, 5, "red")


def test_thresholds_compare_exactly():
    rule = ProgressionRule("consent", "Consent", green=Decimal("0.75"), amber=Decimal("0.5"))
    assert pg.classify(Fraction(6), Fraction(8), rule) == "green"       # 0.75 >= 0.75
    assert pg.classify(Fraction(5), Fraction(10), rule) == "amber"      # 0.5 >= 0.5
    assert pg.classify(Fraction(49), Fraction(99), rule) == "red"
    assert pg.classify(Fraction(0), Fraction(0), rule) == "not_yet"
    # 0.1 + 0.2 style float error cannot tip a value at the threshold: 3 of 10 at 0.3
    r = ProgressionRule("x", "x", Decimal("0.3"), Decimal("0.1"))
    assert pg.classify(Fraction(3), Fraction(10), r) == "green"


def test_protocol_thresholds_change_the_status(pilot):
    data = tomllib.loads(DEFAULT_PROTOCOL.read_text(encoding="utf-8"))
    data["progression"]["consent"]["green"] = "0.76"   # 0.75 is now below green
    data["progression"]["retention"]["green"] = "0.8000001"
    p = parse_protocol(data, source="stricter")
    exp = open_export(pilot.folder, p, use_cache=False)
    t = _rows(exp, AS_OF)
    assert t.loc["consent", "status"] == "amber" and t.loc["retention", "status"] == "amber"


def test_denominators_of_zero_are_not_yet(tmp_path):
    exp = open_export(make_export(tmp_path / "e", screening=[screen(anc="1.0")],
                                  randomization=[]))
    t = _rows(exp, AS_OF)
    assert t.loc["consent", "status"] == "not_yet"  # nobody eligible
    for crit in ("retention", "adherence", "fidelity"):
        assert t.loc[crit, "status"] == "not_yet" and math.isnan(t.loc[crit, "value"])
    # on the accrual start itself nothing is expected yet
    assert _rows(exp, D(2025, 1, 10)).loc["recruitment", "status"] == "not_yet"
    assert _rows(exp, D(2024, 1, 1)).loc["recruitment", "denominator"] == 0


def test_a_role_blind_to_outcomes_gets_no_retention(pilot):
    t = pg.progression(pilot, AS_OF, ROLES["coordinator"])
    assert "retention" not in set(t["criterion"]) and len(t) == 4
    assert set(pg.course(pilot, AS_OF, ROLES["coordinator"])["criterion"]) == {
        "recruitment", "consent", "adherence", "fidelity"}
    assert "retention" in set(pg.progression(pilot, AS_OF, ROLES["investigator"])["criterion"])


def test_course_over_time_on_a_known_history(pilot):
    c = pg.course(pilot, AS_OF, FULL_ACCESS)
    dates = sorted(set(c["as_of"]))
    assert dates[0] == D(2025, 1, 31) and dates[-2] == D(2025, 11, 30) and dates[-1] == AS_OF
    assert len(dates) == 12
    at = c.set_index(["as_of", "criterion"])
    # 2025-01-31: 5 randomized of 36 x (21 / 30.4375) / 24 expected
    r = at.loc[(D(2025, 1, 31), "recruitment")]
    assert r.value == pytest.approx(5 / (36 * 21 / 730.5)) and r.status == "green"
    # no visit expected before month 1's window closes (2025-02-27)
    assert at.loc[(D(2025, 1, 31), "adherence"), "status"] == "not_yet"
    # P4 withdrew on 2025-03-01: retention 5/5 at February's end, 4/5 at March's
    assert at.loc[(D(2025, 2, 28), "retention"), "numerator"] == 5
    assert at.loc[(D(2025, 3, 31), "retention"), "numerator"] == 4
    # 2025-02-28: month 1 is done for all five (5 of 5)
    a = at.loc[(D(2025, 2, 28), "adherence")]
    assert (a.numerator, a.denominator, a.status) == (5, 5, "green")
    # the last point is the data cut itself, equal to progression() at it
    now = _rows(pilot, AS_OF)
    assert list(at.loc[AS_OF]["status"]) == list(now["status"])


def test_month_ends():
    assert month_ends(D(2025, 1, 10), D(2025, 3, 31)) == [D(2025, 1, 31), D(2025, 2, 28),
                                                            D(2025, 3, 31)]
    assert month_ends(D(2025, 1, 10), D(2025, 1, 20)) == [D(2025, 1, 20)]


def _nb_sf(k: int, shape: float, rate: float, days: float) -> float:
    """P(X >= k) for the gamma-Poisson mixture, summed term by term from its pmf."""
    p = rate / (rate + days)
    below = sum(math.exp(math.lgamma(shape + x) - math.lgamma(shape) - math.lgamma(x + 1)
                         + shape * math.log(p) + x * math.log(1 - p)) for x in range(k))
    return 1 - below


def test_recruitment_outlook_by_hand(tmp_path):
    # five randomized on 2025-01-15 and none since: at 2025-06-01 (142 days after the first
    # screening) 5 of 36 x 142 / 730.5 = 6.998 expected: amber
    screening = [screen(screening_id=f"S{i}") for i in range(1, 6)]
    randomization = [rand(participant_id=f"P{i}", screening_id=f"S{i}") for i in range(1, 6)]
    exp = open_export(make_export(tmp_path / "o", screening=screening,
                                  randomization=randomization))
    o = pg.recruitment_outlook(exp, D(2025, 6, 1))
    assert o.status == "amber" and o.recent_rate_per_month == 0
    # at the recent rate (none in the last 3 months) it turns red on the first day with
    # 5 / (36 x (142 + d) / 730.5) < 0.5, i.e. 142 + d >= 203: d = 61, 2025-08-01
    assert o.changes == [(D(2025, 8, 1), "red")]
    # end of planned accrual: 2025-01-10 + ceil(730.5) days; green there needs 29
    assert o.end == D(2025, 1, 10) + dt.timedelta(days=731) and o.needed_at_end == 29
    shape, rate, days = 36 * 0.5 + 5, 730.5 * 0.5 + 142, (o.end - D(2025, 6, 1)).days
    assert o.p_green_at_end == pytest.approx(_nb_sf(24, shape, rate, days), rel=1e-9)


def test_outlook_after_planned_accrual_has_no_probability(tmp_path):
    exp = open_export(make_export(tmp_path / "o"))
    o = pg.recruitment_outlook(exp, D(2027, 6, 1))
    assert o.p_green_at_end is None and o.changes == []


def test_protocol_relabels_and_switches_off():
    data = tomllib.loads(DEFAULT_PROTOCOL.read_text(encoding="utf-8"))
    data["progression"]["fidelity"]["enabled"] = False
    data["progression"]["consent"]["label"] = "Consent rate"
    p = parse_protocol(data, source="relabelled")
    assert [r.id for r in p.progression] == ["recruitment", "consent", "retention", "adherence"]
    exp = open_export(SAMPLE_DIR, p, use_cache=False)
    t = pg.progression(exp, exp.default_as_of, FULL_ACCESS)
    assert list(t["criterion"]) == ["recruitment", "consent", "retention", "adherence"]
    assert t.set_index("criterion").at["consent", "label"] == "Consent rate"


@pytest.mark.parametrize("change,match", [
    (lambda d: d["progression"]["consent"].update(amber="0.9"), "amber"),
    (lambda d: d["progression"].update(enrolment={"green": "0.8"}), "enrolment"),
    (lambda d: d["progression"]["consent"].update(green="lots"), "not a number"),
    (lambda d: d["progression"].update(recent_rate_months=0), "recent_rate_months"),
])
def test_protocol_rejects_bad_progression_settings(change, match):
    data = tomllib.loads(DEFAULT_PROTOCOL.read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(ProtocolError, match=match):
        parse_protocol(data)


def test_missing_progression_section_uses_the_spec_defaults():
    data = tomllib.loads(DEFAULT_PROTOCOL.read_text(encoding="utf-8"))
    del data["progression"]
    p = parse_protocol(data)
    assert [(r.id, str(r.green), str(r.amber)) for r in p.progression] == [
        ("recruitment", "0.80", "0.50"), ("consent", "0.70", "0.50"),
        ("retention", "0.80", "0.65"), ("adherence", "0.80", "0.60"),
        ("fidelity", "0.90", "0.75")]


def test_cli_prints_the_spec_columns_for_the_sample():
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["progression", "--format", "csv"]) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == "criterion,numerator,denominator,value,lower,upper,green,amber,status"
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert list(rows) == ["recruitment", "consent", "retention", "adherence", "fidelity"]
    # the sample at its cut: 31 consented of 37 eligible (the funnel), 64 of 74 visits
    assert rows["consent"][1:3] == ["31", "37"] and rows["consent"][-1] == "green"
    assert rows["adherence"][1:3] == ["64", "74"]
    assert np.isclose(float(rows["consent"][3]), 31 / 37)
    assert rows["consent"][6:8] == ["0.7", "0.5"]


@pytest.mark.parametrize("folder", ["pilot", "sample"])
def test_each_point_of_the_course_is_the_figure_at_that_cut(pilot, folder):
    # the course computes every month end in one query; each must equal the criteria
    # computed at that date on its own
    exp = pilot if folder == "pilot" else open_export(SAMPLE_DIR)
    as_of = AS_OF if folder == "pilot" else exp.default_as_of
    c = pg.course(exp, as_of, FULL_ACCESS)
    for day, part in c.groupby("as_of"):
        alone = pg.progression(exp, day, FULL_ACCESS)
        cols = ["criterion", "numerator", "denominator", "value", "status"]
        assert part[cols].reset_index(drop=True).equals(alone[cols].reset_index(drop=True)), day


def test_the_course_past_the_last_change_is_computed_once_and_is_the_same():
    # issue 28: a data cut far ahead took a query per month end; past the last change
    # (the last record, visit window or planned accrual end) every month end is the same
    exp = open_export(SAMPLE_DIR)
    role = load_protocol().roles["dsmb"]
    far = D(2031, 6, 30)
    start = pg.accrual_start(exp, far)
    full = pg._table(exp, month_ends(start, far), role)
    got = pg.course(exp, far, role).drop(columns="label")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), full.reset_index(drop=True))
    # the sample's last 24-month window closes 2029-01-01: the day after, nothing changes
    assert pg._settled(exp, start, far) == D(2029, 1, 2)

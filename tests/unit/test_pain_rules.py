"""Pain response (spec: pain response, Chow et al. 2012), every rule with values computed by
hand, the counts per visit month, and the `pain` command."""

import csv
import datetime as dt
import io
from contextlib import redirect_stdout

import pytest

from rfa_dash.analysis import pain
from rfa_dash.blinding import BlindingError
from rfa_dash.cli import main
from rfa_dash.ingest.export import open_export
from rfa_dash.protocol import load_protocol
from tests.helpers import make_export, rand, screen

AS_OF = dt.date(2026, 1, 15)
ROLES = load_protocol().roles
# randomized 2025-01-15, treated 2025-01-20: the month-1 window closes 2025-02-27


def _one(tmp_path, base_pain, base_omed, visit_pain, visit_omed, as_of=AS_OF, status="completed",
         date="2025-02-20"):
    folder = make_export(
        tmp_path / "e", randomization=[rand(pain_nrs=base_pain, omed_mg=base_omed)],
        visits=[{"participant_id": "001", "visit_month": "1", "status": status,
                 "visit_date": date, "pain_nrs": visit_pain, "omed_mg": visit_omed}])
    exp = open_export(folder)
    a = pain.assessments(exp, as_of, ROLES["dsmb"])
    return a[a["visit_month"] == 1].iloc[0]


@pytest.mark.parametrize("base,base_omed,now,now_omed,expected", [
    # complete: pain 0, OMED not increased (stable or reduced)
    (6, 30, 0, 30, "complete"), (6, 30, 0, 10, "complete"),
    # pain 0 with OMED increased (30 -> 40 is >= 1.25 x 30 = 37.5): not complete; pain fell
    # by 6 but OMED increased: not partial; increased OMED with pain below baseline: none of
    # progression's branches -> indeterminate
    (6, 30, 0, 40, "indeterminate"),
    # partial: pain at least 2 below baseline, OMED not increased
    (6, 30, 4, 30, "partial"), (6, 30, 4, 37, "partial"),     # 37 < 37.5: stable
    # partial: OMED reduced (<= 0.75 x 40 = 30) and pain not above baseline
    (6, 40, 6, 30, "partial"),
    # progression: pain at least 2 above baseline with OMED stable
    (5, 30, 7, 30, "progression"),
    # progression: OMED increased with pain equal to baseline or 1 above
    (5, 30, 5, 37.5, "progression"), (5, 30, 6, 60, "progression"),
    # OMED increased and pain 2 above: increased is not stable -> indeterminate
    (5, 30, 7, 60, "indeterminate"),
    # pain 1 below baseline, OMED stable: indeterminate
    (5, 30, 4, 30, "indeterminate"),
    # baseline OMED 0: any opioid is an increase
    (5, 0, 5, 5, "progression"), (5, 0, 0, 0, "complete"),
])
def test_each_rule(tmp_path, base, base_omed, now, now_omed, expected):
    row = _one(tmp_path, base, base_omed, now, now_omed)
    assert (row["evaluable"], row["assessed"], row["pain_only"]) == (True, True, False)
    assert row["response"] == expected
    assert row["change"] == now - base


def test_increase_needs_both_a_quarter_more_and_more(tmp_path):
    # 1.25 x baseline and above it: from 0.2 mg, 0.25 is 1.25 x and above: increased;
    # exact decimals, no binary rounding at the boundary
    assert _one(tmp_path, 5, 0.2, 5, 0.25)["omed_change"] == "increased"
    assert _one(tmp_path, 5, 0.2, 5, 0.24)["omed_change"] == "stable"
    assert _one(tmp_path, 5, 0.2, 5, 0.15)["omed_change"] == "reduced"


def test_missing_omed_judges_pain_alone(tmp_path):
    row = _one(tmp_path, 6, "", 4, 30)
    assert (row["pain_only"], row["omed_change"], row["response"]) == (True, "stable",
                                                                        "partial")
    row = _one(tmp_path, 5, 30, 7, "")
    assert (row["pain_only"], row["response"]) == (True, "progression")


def test_evaluable_and_assessed(tmp_path):
    # baseline pain below 2: not evaluable
    row = _one(tmp_path, 1, 0, 0, 0)
    assert (row["evaluable"], row["assessed"], row["response"]) == (False, False, None)
    # completed without a pain score: evaluable, not assessed
    row = _one(tmp_path, 6, 30, "", 30)
    assert (row["evaluable"], row["assessed"]) == (True, False)
    # a visit not yet done whose window is still open: not evaluable
    row = _one(tmp_path, 6, 30, "", "", as_of=dt.date(2025, 2, 22), status="missed", date="")
    assert not row["evaluable"]
    # missed, window closed: evaluable, not assessed
    row = _one(tmp_path, 6, 30, "", "", status="missed", date="")
    assert (row["evaluable"], row["assessed"]) == (True, False)


def _export(tmp_path):
    rows, screens, visits = [], [], []
    # 001 partial (6 -> 3), 002 complete (5 -> 0), 003 progression (4 -> 6), 004 missed,
    # 005 not evaluable (baseline 1); all rfa_rt
    for i, (base, now, status) in enumerate([(6, 3, "completed"), (5, 0, "completed"),
                                             (4, 6, "completed"), (6, "", "missed"),
                                             (1, 1, "completed")], start=1):
        pid, sid = f"00{i}", f"S00{i}"
        screens.append(screen(screening_id=sid))
        rows.append(rand(participant_id=pid, screening_id=sid, pain_nrs=base, omed_mg=""))
        visits.append({"participant_id": pid, "visit_month": "1", "status": status,
                       "visit_date": "2025-02-20" if status == "completed" else "",
                       "pain_nrs": now})
    return make_export(tmp_path / "e", screening=screens, randomization=rows, visits=visits)


def test_counts_rate_and_mean_change(tmp_path):
    exp = open_export(_export(tmp_path))
    t = pain.response(exp, AS_OF, ROLES["dsmb"])
    m1 = t[(t["group"] == "rfa_rt") & (t["month"] == 1)].iloc[0]
    assert (m1["evaluable"], m1["assessed"]) == (4, 3)
    assert (m1["complete"], m1["partial"], m1["progression"], m1["indeterminate"]) == (1, 1,
                                                                                        1, 0)
    assert m1["pain_only"] == 3
    assert m1["response"] == pytest.approx(2 / 3)
    # Clopper-Pearson for 2 of 3: (0.094299, 0.991596)
    assert (m1["lower"], m1["upper"]) == pytest.approx((0.0942993, 0.9915962), abs=1e-6)
    assert m1["mean_change"] == pytest.approx((-3 - 5 + 2) / 3)
    other = t[t["group"] == "rt_alone"]
    assert (other["assessed"] == 0).all() and other["response"].isna().all()
    pooled = pain.response(exp, AS_OF, ROLES["investigator"])
    assert set(pooled["group"]) == {"all"} and pooled.iloc[0]["assessed"] == 3


def test_coordinator_gets_nothing(tmp_path):
    exp = open_export(_export(tmp_path))
    for fn in (pain.response, pain.assessments, pain.over_time, pain.courses):
        with pytest.raises(BlindingError):
            fn(exp, AS_OF, ROLES["coordinator"])


def test_pain_command(tmp_path):
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["pain", str(_export(tmp_path)), "--as-of", "2026-01-15",
                     "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["arm", "month", "evaluable", "assessed", "complete", "partial",
                       "progression", "indeterminate", "pain_only", "response", "lower",
                       "upper", "mean_change"]
    assert len(rows) == 1 + 2 * 5
    assert rows[1][:10] == ["rfa_rt", "1", "4", "3", "1", "1", "1", "0", "3",
                            "0.6666666667"]


def test_pain_over_time_by_hand(tmp_path):
    """Three participants on one arm: baseline pain 6, 4, 8 (OMED 30, none, 60); at month
    1, two completed visits with pain 2 and 4 (OMED 20, 60) and one missed. Computed by
    hand: baseline n 3, mean 6, sd 2, 95% t interval 6 -+ 4.303 x 2 / sqrt(3) = 6 -+ 4.969;
    OMED among those with one: n 2, mean 45, median 45. Month 1: n 2, mean 3, sd 1.414,
    interval 3 -+ 12.706 x 1.414 / sqrt(2) = 3 -+ 12.706, cut at the scale's ends: 0 to
    10 (issue 36: a mean pain's interval reached -0.41); change (2 - 6, 4 - 4) mean -2;
    OMED 20 and 60: mean 40, median 40."""
    people = [("001", "S1", 6, 30), ("002", "S2", 4, ""), ("003", "S3", 8, 60)]
    folder = make_export(
        tmp_path / "e",
        screening=[screen(screening_id=s) for _, s, _, _ in people],
        randomization=[rand(participant_id=p, screening_id=s, pain_nrs=b, omed_mg=o)
                       for p, s, b, o in people],
        visits=[{"participant_id": "001", "visit_month": "1", "status": "completed",
                 "visit_date": "2025-02-20", "pain_nrs": 2, "omed_mg": 20},
                {"participant_id": "002", "visit_month": "1", "status": "completed",
                 "visit_date": "2025-02-20", "pain_nrs": 4, "omed_mg": 60},
                {"participant_id": "003", "visit_month": "1", "status": "missed",
                 "visit_date": "", "pain_nrs": "", "omed_mg": ""}])
    t = pain.over_time(open_export(folder), AS_OF, ROLES["dsmb"])
    arm = t[t["group"] == "rfa_rt"].set_index("month")
    base, m1 = arm.loc[0], arm.loc[1]
    assert (base["n"], base["mean_pain"], base["mean_change"]) == (3, 6.0, 0.0)
    assert base["lower"] == pytest.approx(6 - 4.302653 * 2 / 3 ** 0.5, abs=1e-5)
    assert (base["n_omed"], base["mean_omed"], base["median_omed"]) == (2, 45.0, 45.0)
    assert (m1["n"], m1["mean_pain"], m1["mean_change"]) == (2, 3.0, -2.0)
    assert 3 + 12.706205 > 10 and (m1["lower"], m1["upper"]) == (0.0, 10.0)
    assert 6 + 4.302653 * 2 / 3 ** 0.5 > 10 and base["upper"] == 10.0
    assert (m1["n_omed"], m1["mean_omed"], m1["median_omed"]) == (2, 40.0, 40.0)
    assert arm.loc[3, "n"] == 0 and arm.loc[3, "mean_pain"] != arm.loc[3, "mean_pain"]  # NaN
    other = t[t["group"] == "rt_alone"]
    assert (other["n"] == 0).all()

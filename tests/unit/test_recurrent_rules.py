"""Recurrent SREs (spec: Recurrent SREs), every rule with values computed by hand: same day
once, the protocol gap, an SRE on the death date, a day-0 SRE, no follow-up, an SRE after
withdrawal, the rate and its exact interval, the mean cumulative number with tied events,
and the `sre-rate` and `recurrent` commands."""

import csv
import datetime as dt
import io
from contextlib import redirect_stdout

import numpy as np
import pandas as pd
import pytest

from rfa_dash.analysis import recurrent as rc
from rfa_dash.blinding import FULL_ACCESS, BlindingError
from rfa_dash.cli import main
from rfa_dash.ingest.export import open_export
from rfa_dash.protocol import load_protocol
from rfa_dash.stats.mcf import mean_cumulative_columns
from tests.helpers import make_export, rand, screen

D = dt.date
AS_OF = D(2026, 1, 15)
ROLES = load_protocol().roles
# participant 001 randomized 2025-01-15


def mean_cumulative(*args):
    """The estimator's columns as a frame, as these tests read them."""
    return pd.DataFrame(mean_cumulative_columns(*args))


def sre(date, pid="001", kind="pathologic_fracture"):
    return {"participant_id": pid, "event_date": date, "sre_type": kind}


def off(date, reason="death", pid="001"):
    return {"participant_id": pid, "off_study_date": date, "reason": reason}


def visit(month, date, pid="001"):
    return {"participant_id": pid, "visit_month": str(month), "status": "completed",
            "visit_date": date}


def _data(tmp_path, sres=(), offs=(), visits=(), **kw):
    exp = open_export(make_export(tmp_path / "e", sre_events=list(sres), offstudy=list(offs),
                                  visits=list(visits), **kw))
    return rc.recurrent_data(exp, AS_OF)


def test_same_day_records_are_one_sre(tmp_path):
    d = _data(tmp_path, [sre("2025-03-01"), sre("2025-03-01", kind="surgery")])
    assert d.records["counted"].tolist() == [True, False]
    assert d.records["not_counted"].iloc[1] == "same day as a counted SRE"
    assert d.follow_up["events"].iloc[0] == 1


def test_a_record_within_the_gap_is_the_same_sre_and_the_gap_runs_from_the_counted_one(
        tmp_path):
    # 2025-03-01 counts; 03-20 is 19 days after it (< 21): not new; 03-22 is 21 days after
    # the counted one (not after 03-20): new; 04-01 is 10 days after 03-22: not new
    d = _data(tmp_path, [sre("2025-03-01"), sre("2025-03-20"), sre("2025-03-22"),
                         sre("2025-04-01")])
    assert d.records["counted"].tolist() == [True, False, True, False]
    assert d.records["not_counted"].tolist()[1::2] == [
        "within 21 days of the SRE of 2025-03-01", "within 21 days of the SRE of 2025-03-22"]


def test_gap_zero_counts_every_date(tmp_path, monkeypatch):
    exp = open_export(make_export(tmp_path / "e", sre_events=[
        sre("2025-03-01"), sre("2025-03-01"), sre("2025-03-02")]))
    import dataclasses
    exp = dataclasses.replace(exp, protocol=dataclasses.replace(exp.protocol,
                                                                sre_min_gap_days=0))
    assert rc.recurrent_data(exp, AS_OF).records["counted"].tolist() == [True, False, True]


def test_follow_up_ends_at_death_and_an_sre_on_the_death_date_counts(tmp_path):
    d = _data(tmp_path, [sre("2025-06-01")], [off("2025-06-01")],
              [visit(1, "2025-02-20")])
    fu = d.follow_up.iloc[0]
    assert d.records["counted"].tolist() == [True]
    assert (fu["died"], fu["days"], fu["events"]) == (True, 137, 1)   # Jan 15 -> Jun 1


def test_follow_up_without_death_is_the_latest_visit_or_counted_sre(tmp_path):
    d = _data(tmp_path, [sre("2025-09-01")], visits=[visit(1, "2025-02-20"),
                                                    visit(6, "2025-07-20")])
    assert d.follow_up["days"].iloc[0] == 229     # 2025-09-01, after the last visit
    d = _data(tmp_path, [sre("2025-05-01")], visits=[visit(6, "2025-07-20")])
    assert d.follow_up["days"].iloc[0] == 186     # 2025-07-20


def test_a_day_zero_sre_counts_and_no_follow_up_is_time_zero(tmp_path):
    d = _data(tmp_path, [sre("2025-01-15")])
    fu = d.follow_up.iloc[0]
    assert (fu["days"], fu["years"], fu["events"]) == (0, 0.0, 1)
    d = _data(tmp_path)
    assert (d.follow_up["days"].iloc[0], d.follow_up["events"].iloc[0]) == (0, 0)


def test_after_withdrawal_neither_sre_nor_visit_extends_follow_up(tmp_path):
    d = _data(tmp_path, [sre("2025-03-01"), sre("2025-08-01")], [off("2025-06-01",
                                                                     "withdrawal")],
              [visit(1, "2025-02-20"), visit(6, "2025-07-20")])
    assert d.records["counted"].tolist() == [True, False]
    assert d.records["not_counted"].iloc[1] == "after off study"
    assert d.follow_up["days"].iloc[0] == 45      # the SRE of 2025-03-01 (visit 07-20 ignored)


def test_records_after_the_cut_do_not_exist(tmp_path):
    d = _data(tmp_path, [sre("2025-03-01"), sre("2026-02-01")])
    assert len(d.records) == 1


def test_rate_by_hand(tmp_path):
    # two participants: 001 with 3 counted SREs over 365.25 days would be 3/yr; here
    # 001 followed 2025-01-15 -> 2025-07-16 (182 days) with 2 SREs, 002 followed
    # 2025-01-15 -> 2025-04-15 (90 days) with none: 2 / (272 / 365.25) per year
    exp = open_export(make_export(
        tmp_path / "e", screening=[screen(), screen(screening_id="S002")],
        randomization=[rand(), rand(participant_id="002", screening_id="S002",
                                    arm="rt_alone")],
        sre_events=[sre("2025-03-01"), sre("2025-07-16")],
        visits=[visit(1, "2025-04-15", "002")]))
    t = rc.morbidity_rate(exp, AS_OF, ROLES["investigator"]).iloc[0]
    years = 272 / 365.25
    assert (t["group"], t["participants"], t["events"]) == ("all", 2, 2)
    assert t["participant_years"] == pytest.approx(years)
    assert t["rate"] == pytest.approx(2 / years)
    # Garwood interval of 2: chi2(0.025; 4)/2 = 0.24220, chi2(0.975; 6)/2 = 7.22469
    assert t["lower"] == pytest.approx(0.2422093 / years, rel=1e-5)
    assert t["upper"] == pytest.approx(7.2246877 / years, rel=1e-5)
    by_arm = rc.morbidity_rate(exp, AS_OF, ROLES["dsmb"])
    assert by_arm["group"].tolist() == ["rfa_rt", "rt_alone"]
    assert by_arm["events"].tolist() == [2, 0]


def test_coordinator_gets_nothing(tmp_path):
    exp = open_export(make_export(tmp_path / "e"))
    for fn in (rc.morbidity_rate, rc.mean_cumulative_sres, rc.record_listing):
        with pytest.raises(BlindingError):
            fn(exp, AS_OF, ROLES["coordinator"])


def test_tied_events_count_together_and_an_event_at_a_death_uses_survival_before_it():
    # four participants (months): A dies at 2 with an event at 1; B events at 1 and 3,
    # followed to 3 (an event at its censoring); C an event at 2 (A's death time),
    # followed to 4; D followed to 5.
    # mu(1) = 2/4 (both tied events among 4); mu(2) = 1/2 + S(2-) 1/4 = 3/4 (S(2-) = 1);
    # S after 2 = 1 - 1/4; mu(3) = 3/4 + (3/4)(1/3) = 1 (B still at risk at 3).
    r = mean_cumulative([2.0, 3.0, 4.0, 5.0], [True, False, False, False], [0, 1, 1, 2],
                        [1.0, 1.0, 3.0, 2.0], [1.0, 2.0, 3.0, 4.5])
    np.testing.assert_allclose(r["mcf"], [0.5, 0.75, 1.0, 1.0])
    assert r["at_risk"].tolist() == [4, 4, 3, 1]


def _cli(args):
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(args)
    return code, list(csv.reader(io.StringIO(out.getvalue())))


def test_commands_print_the_spec_columns(tmp_path):
    folder = make_export(tmp_path / "e", sre_events=[sre("2025-03-01")],
                         visits=[visit(1, "2025-02-20")])
    code, rows = _cli(["sre-rate", str(folder), "--as-of", "2026-01-15", "--format", "csv"])
    assert code == 0
    assert rows[0] == ["arm", "participants", "events", "participant_years", "rate", "lower",
                       "upper"]
    assert [r[0] for r in rows[1:]] == ["rfa_rt", "rt_alone"]
    assert rows[1][1:3] == ["1", "1"] and rows[2][1:4] == ["0", "0", "0"]
    assert rows[2][4:] == ["", "", ""]          # no follow-up: no rate
    code, rows = _cli(["recurrent", str(folder), "--as-of", "2026-01-15", "--format", "csv"])
    assert code == 0
    assert rows[0] == ["arm", "month", "at_risk", "mcf", "lower", "upper"]
    assert [(r[0], r[1]) for r in rows[1:]] == [(a, m) for a in ("rfa_rt", "rt_alone")
                                                 for m in ("1", "3", "6", "12", "24")]
    # followed 45 days (1.478 months): 1 at risk at month 1, mcf 1 (its SRE at 1.5 months
    # is after month 1: 0); nobody at month 3
    assert rows[1][2:4] == ["1", "0"] and rows[2][2:] == ["0", "", "", ""]


def test_full_access_is_by_arm():
    assert FULL_ACCESS.outcomes_by_arm

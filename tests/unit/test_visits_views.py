"""Adherence, worklist, grid, retention and the .ics file, on small hand-built exports.

Treatment 2025-01-20: month 1 window 2025-02-13..02-27, month 3 04-06..05-04,
month 6 (target 07-20, 30/30) 06-20..08-19, month 12 (2026-01-20) 2025-12-21..2026-02-19.
"""

import datetime as dt

import icalendar
import pandas as pd
import pytest

from rfa_dash.analysis.visits import (
    adherence,
    adherence_by_quarter,
    retention,
    visit_grid,
    worklist,
)
from rfa_dash.frames import n_pages
from rfa_dash.ingest.export import open_export
from rfa_dash.present.visits import adherence_table, worklist_csv, worklist_ics, worklist_sections
from rfa_dash.protocol import load_protocol
from tests.helpers import make_export, rand, screen

D = dt.date
ROLES = load_protocol().roles


def _v(pid, month, status="completed", date=""):
    return {"participant_id": pid, "visit_month": str(month), "status": status,
            "visit_date": date}


@pytest.fixture()
def exp(tmp_path):
    # 001: M1 in window, M3 late, M6 overdue at 2025-09-01
    # 002: M1 missed, M3 early, M6 due at 2025-08-01 (treated 2025-02-03: M6 window 07-04..09-02)
    # 003: off study (withdrawal) 2025-03-01: M1 overdue->missed (window closed 02-27 < 03-01),
    #      M3 not expected
    screens = [screen(screening_id=f"S00{i}") for i in (1, 2, 3)]
    rands = [rand(), rand(participant_id="002", screening_id="S002",
                          treatment_date="2025-02-03"),
             rand(participant_id="003", screening_id="S003")]
    visits = [_v("001", 1, date="2025-02-20"), _v("001", 3, date="2025-05-10"),
              _v("002", 1, "missed"), _v("002", 3, date="2025-04-15")]
    off = [{"participant_id": "003", "off_study_date": "2025-03-01", "reason": "withdrawal"}]
    e = open_export(make_export(tmp_path / "e", screening=screens, randomization=rands,
                                visits=visits, offstudy=off))
    assert e.n_errors == 0, e.problems.to_string()
    return e


def test_adherence_formula(exp):
    a = adherence(exp, D(2025, 9, 1)).set_index("visit_month")
    # month 1: 001 completed, 002 missed, 003 missed (off study after close) -> 1/3
    assert (a.loc[1, "completed"], a.loc[1, "missed"], a.loc[1, "done"], a.loc[1, "expected"]
            ) == (1, 2, 1, 3)
    assert a.loc[1, "adherence"] == pytest.approx(1 / 3)
    # month 3: 001 late, 002 early (window 002: 04-19..05-17? treated 02-03 -> target 05-03,
    # window 04-19..05-17, visit 04-15 early); 003 not expected -> adherence 2/2, in window 0/2
    assert (a.loc[3, "completed_late"], a.loc[3, "completed_early"], a.loc[3, "not_expected"]
            ) == (1, 1, 1)
    assert a.loc[3, "adherence"] == 1.0 and a.loc[3, "in_window_rate"] == 0.0
    # month 6: 001 overdue (closed 08-19), 002 due (closes 09-02) -> 0/1
    assert (a.loc[6, "overdue"], a.loc[6, "due"], a.loc[6, "expected"]) == (1, 1, 1)
    assert a.loc[6, "adherence"] == 0.0
    # month 24: nothing expected yet
    assert a.loc[24, "expected"] == 0 and a.loc[24, "adherence"] != a.loc[24, "adherence"]
    t = adherence_table(adherence(exp, D(2025, 9, 1)))
    assert t.loc[0, "Adherence"] == "33% (1/3)" and t.loc[4, "Adherence"] == "-"


def test_adherence_by_quarter(exp):
    q = adherence_by_quarter(exp, D(2025, 9, 1))
    # Q1 2025: month-1 windows closed 02-27 (001, 003) and 03-10 (002): 1 done of 3
    # Q2 2025: month-3 windows closed 05-04 (001 late) and 05-17 (002 early): 2 of 2
    # Q3 2025: 001 month 6 closed 08-19, overdue: 0 of 1
    assert [(str(r.quarter.date()), r.done, r.expected) for r in q.itertuples()] == [
        ("2025-01-01", 1, 3), ("2025-04-01", 2, 2), ("2025-07-01", 0, 1)]


def test_worklist_order_and_columns(exp):
    w = worklist(exp, D(2025, 9, 1))
    assert "arm" not in w.columns
    rows = [(r.action, r.participant_id, r.visit_month) for r in w.itertuples()]
    assert rows == [("overdue", "001", 6), ("due", "002", 6)]
    assert w.iloc[0].days_overdue == 13 and w.iloc[1].days_until_close == 1
    w2 = worklist(exp, D(2025, 12, 1))
    # month 12 windows open 2025-12-21 (001) and 2026-01-03 (002): only 001 within 30 days
    up = w2[w2.action == "upcoming"]
    assert up[["participant_id", "days_until_open"]].values.tolist() == [["001", 20]]


def test_worklist_sections_say_when_there_is_no_visit_yet(exp):
    # 2025-02-14: 001's month-1 visit (2025-02-20) has not happened yet; its window is
    # open, as is 003's (off study only from 2025-03-01)
    parts = worklist_sections(worklist(exp, D(2025, 2, 14)))
    due = parts["due"]
    assert due[["Participant", "Visit month", "Last visit"]].values.tolist() == [
        ["001", 1, "none yet"], ["003", 1, "none yet"]]
    later = worklist_sections(worklist(exp, D(2025, 9, 1)))
    assert later["overdue"]["Last visit"].tolist() == ["2025-05-10"]


def test_worklist_csv_has_iso_dates_and_no_arm(exp):
    text = worklist_csv(worklist(exp, D(2025, 9, 1))).decode()
    assert text.splitlines()[1].startswith("1,overdue,001,6,2025-07-20,2025-06-20,2025-08-19,13")
    assert "rfa_rt" not in text and "arm" not in text.splitlines()[0]


def test_ics_parses_with_a_real_calendar_library(exp):
    w = worklist(exp, D(2025, 12, 1))
    cal = icalendar.Calendar.from_ical(worklist_ics(w, D(2025, 12, 1), "NCT07090122"))
    events = [(str(e["SUMMARY"]), e["DTSTART"].dt) for e in cal.walk("VEVENT")]
    assert ("NCT07090122: participant 001 month 12 window opens", D(2025, 12, 21)) in events
    assert ("NCT07090122: participant 001 month 12 window closes", D(2026, 2, 19)) in events
    assert len({str(e["UID"]) for e in cal.walk("VEVENT")}) == len(events)
    # overdue visits have no future event
    w9 = worklist(exp, D(2025, 9, 1))
    cal9 = icalendar.Calendar.from_ical(worklist_ics(w9, D(2025, 9, 1), "NCT07090122"))
    assert [(str(e["SUMMARY"]), e["DTSTART"].dt) for e in cal9.walk("VEVENT")] == [
        ("NCT07090122: participant 002 month 6 window closes", D(2025, 9, 2))]


def test_grid_paging(tmp_path):
    n = 7
    screens = [screen(screening_id=f"S{i:03d}") for i in range(n)]
    rands = [rand(participant_id=f"{i:03d}", screening_id=f"S{i:03d}") for i in range(n)]
    exp = open_export(make_export(tmp_path / "e", screening=screens, randomization=rands))
    g = visit_grid(exp, D(2025, 3, 1), page=2, page_size=3)
    assert sorted(set(g.participant_id)) == ["003", "004", "005"]
    assert len(g) == 3 * 5 and set(g.n_participants) == {7}
    assert n_pages(7, 3) == 3 and n_pages(0, 3) == 1 and n_pages(6, 3) == 2


def test_retention_is_pooled_and_hides_deaths_from_coordinators(tmp_path):
    screens = [screen(screening_id=f"S00{i}") for i in (1, 2)]
    rands = [rand(), rand(participant_id="002", screening_id="S002")]
    off = [{"participant_id": "001", "off_study_date": "2025-03-10", "reason": "death"},
           {"participant_id": "002", "off_study_date": "2025-04-02", "reason": "withdrawal"}]
    exp = open_export(make_export(tmp_path / "e", screening=screens, randomization=rands,
                                  offstudy=off))
    r = retention(exp, D(2025, 4, 15), ROLES["investigator"])
    death = r[r.reason == "death"].set_index("month_end")["cumulative_off_study"]
    assert death.tolist() == [0, 0, 1, 1]  # Jan, Feb, Mar, Apr (to the cut)
    assert str(death.index[-1].date()) == "2025-04-15"
    c = retention(exp, D(2025, 4, 15), ROLES["coordinator"])
    assert set(c.reason) == {"off study (any reason)"}
    assert c["cumulative_off_study"].tolist() == [0, 0, 1, 2]
    assert c["on_study"].tolist() == [2, 2, 1, 0]


def test_an_overdue_visit_of_someone_seen_since_is_to_record_as_missed(tmp_path):
    """Issue 36: a month-1 visit "326 days overdue" for a participant seen at month 3 was a
    countdown nobody would act on. Randomized 2025-01-15: month 1's window closed
    2025-02-27 (see the fixture above); month 3 was done on 2025-04-20. At 2025-05-01
    month 1 is to record as missed, ranked after everything else, and counted apart."""
    e = open_export(make_export(
        tmp_path / "e", screening=[screen(screening_id="S0")],
        randomization=[rand(participant_id="001", screening_id="S0",
                            randomization_date="2025-01-15")],
        visits=[{"participant_id": "001", "visit_month": "3", "status": "completed",
                 "visit_date": "2025-04-20", "pain_nrs": "3"}]))
    w = worklist(e, D(2025, 5, 1))
    rows = [(r.action, r.visit_month) for r in w.itertuples()]
    assert rows[-1] == ("record_missed", 1) and ("overdue", 1) not in rows
    parts = worklist_sections(w)
    assert parts["overdue"].empty
    assert parts["record_missed"][["Visit month", "Seen since"]].values.tolist() == [
        [1, "2025-04-20"]]
    before = worklist(e, D(2025, 3, 10))          # not seen since yet: overdue as before
    assert [(r.action, r.visit_month) for r in before.itertuples()][0] == ("overdue", 1)


def test_a_participants_course_ends_at_death_shows_pain_and_death_apart(tmp_path):
    """Issue 36: the course ran past death and the data cut (windows in 2027-28 for someone
    who died), showed no pain, and a death looked like any AE."""
    from rfa_dash.analysis.profile import profile

    e = open_export(make_export(
        tmp_path / "e", screening=[screen(screening_id="S0")],
        randomization=[rand(participant_id="001", screening_id="S0",
                            randomization_date="2025-01-15")],
        visits=[{"participant_id": "001", "visit_month": "1", "status": "completed",
                 "visit_date": "2025-02-14", "pain_nrs": "4"}],
        adverse_events=[{"participant_id": "001", "onset_date": "2025-03-30",
                         "term": "Cardiac arrest", "grade": "5", "serious": "yes",
                         "related": "no"}],
        offstudy=[{"participant_id": "001", "off_study_date": "2025-04-01",
                   "reason": "death"}]))
    dsmb = profile(e, D(2026, 6, 1), ROLES["dsmb"], "001").timeline
    assert (dsmb["date"].max() <= pd.Timestamp("2025-04-01"))
    windows = dsmb[dsmb["kind"] == "window"]
    assert len(windows) and (windows["window_open"] <= pd.Timestamp("2025-04-01")).all()
    assert (windows["window_close"] <= pd.Timestamp("2025-04-01")).all()
    assert dsmb.loc[dsmb["kind"] == "visit", "pain"].tolist() == [4]
    assert dsmb.loc[dsmb["kind"] == "death", "label"].tolist() == ["died (off study)"]
    assert "Cardiac arrest, grade 5 (fatal), serious" in dsmb["label"].tolist()
    # the coordinator reads no outcome: an off-study date, no death, no pain
    coord = profile(e, D(2026, 6, 1), ROLES["coordinator"], "001").timeline
    assert "death" not in set(coord["kind"]) and coord["pain"].isna().all()
    from rfa_dash.charts import fig_profile

    fig = fig_profile(dsmb, cut="cut", title="t")
    (visit,) = [t for t in fig.data if t.name == "visit"]
    assert list(visit.texttemplate) == ["pain 4"]

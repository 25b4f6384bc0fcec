"""Visit schedule rules at their boundary dates (spec: visit schedule).

Treatment 2025-01-20: month 1 targets 2025-02-20 with window 02-13..02-27 (7/7),
month 3 targets 2025-04-20 with window 04-06..05-04 (14/14)."""

import datetime as dt

import pandas as pd
import pytest

from rfa_dash.ingest.export import open_export
from tests.helpers import make_export, rand

D = dt.date


def schedule(tmp_path, as_of, visits=(), offstudy=(), **rand_kw):
    exp = open_export(make_export(tmp_path / "e", randomization=[rand(**rand_kw)],
                                  visits=list(visits), offstudy=list(offstudy)))
    assert exp.n_errors == 0, exp.problems.to_string()
    return exp.query("visit_schedule", as_of=as_of).set_index("visit_month")


def visit(month, status="completed", date=""):
    return {"participant_id": "001", "visit_month": str(month), "status": status,
            "visit_date": date}


@pytest.mark.parametrize("treatment,month,target", [
    ("2025-01-31", 1, D(2025, 2, 28)),
    ("2024-01-31", 1, D(2024, 2, 29)),     # leap year
    ("2023-11-30", 3, D(2024, 2, 29)),
    ("2024-02-29", 12, D(2025, 2, 28)),
    ("2025-03-31", 6, D(2025, 9, 30)),
    ("2025-01-20", 24, D(2027, 1, 20)),
])
def test_target_dates_use_calendar_months_with_clamping(tmp_path, treatment, month, target):
    s = schedule(tmp_path, D(2025, 1, 1), randomization_date="2023-11-01",
                 treatment_date=treatment)
    assert s.loc[month, "target_date"].date() == target


@pytest.mark.parametrize("visit_date,status", [
    ("2025-02-12", "completed_early"), ("2025-02-13", "completed"),
    ("2025-02-27", "completed"), ("2025-02-28", "completed_late"),
])
def test_completed_window_ends_are_inclusive(tmp_path, visit_date, status):
    s = schedule(tmp_path, D(2025, 6, 1), visits=[visit(1, date=visit_date)])
    assert s.loc[1, "status"] == status


@pytest.mark.parametrize("as_of,status", [
    (D(2025, 2, 12), "upcoming"), (D(2025, 2, 13), "due"), (D(2025, 2, 27), "due"),
    (D(2025, 2, 28), "overdue"),
])
def test_open_visit_status_by_as_of(tmp_path, as_of, status):
    s = schedule(tmp_path, as_of)
    assert s.loc[1, "status"] == status


def test_days_overdue(tmp_path):
    exp = open_export(make_export(tmp_path / "e"))
    od = exp.query("overdue_visits", as_of=D(2025, 5, 14))
    # month 1 closed 02-27 (76 days), month 3 closed 05-04 (10 days)
    assert od[["visit_month", "days_overdue"]].values.tolist() == [[1, 76], [3, 10]]


def test_missed_record_wins(tmp_path):
    s = schedule(tmp_path, D(2025, 2, 14), visits=[visit(1, "missed")])
    assert s.loc[1, "status"] == "missed"


def test_off_study_on_window_close_is_not_expected(tmp_path):
    off = [{"participant_id": "001", "off_study_date": "2025-02-27", "reason": "withdrawal"}]
    s = schedule(tmp_path, D(2025, 6, 1), offstudy=off)
    assert s.loc[1, "status"] == "not_expected" and s.loc[3, "status"] == "not_expected"


def test_off_study_after_window_close_is_missed(tmp_path):
    off = [{"participant_id": "001", "off_study_date": "2025-02-28", "reason": "death"}]
    s = schedule(tmp_path, D(2025, 6, 1), offstudy=off)
    assert s.loc[1, "status"] == "missed" and s.loc[3, "status"] == "not_expected"


def test_off_study_after_as_of_is_not_yet_known(tmp_path):
    off = [{"participant_id": "001", "off_study_date": "2025-04-10", "reason": "withdrawal"}]
    s = schedule(tmp_path, D(2025, 3, 1), offstudy=off)
    assert s.loc[1, "status"] == "overdue"


def test_records_after_as_of_are_ignored(tmp_path):
    s = schedule(tmp_path, D(2025, 2, 20), visits=[visit(1, date="2025-02-21")])
    assert s.loc[1, "status"] == "due"
    assert pd.isna(s.loc[1, "visit_date"])


def test_no_treatment_date_is_unscheduled(tmp_path):
    s = schedule(tmp_path, D(2025, 6, 1), treatment_date="")
    assert set(s.status) == {"unscheduled"} and s.target_date.isna().all()


def test_participants_randomized_after_as_of_do_not_exist(tmp_path):
    s = schedule(tmp_path, D(2025, 1, 14))
    assert s.empty


def test_windows_come_from_the_protocol(tmp_path):
    import dataclasses

    from rfa_dash.protocol import load_protocol

    p = load_protocol()
    p2 = dataclasses.replace(p, windows={**p.windows, 1: (1, 2)})
    exp = open_export(make_export(tmp_path / "e"), protocol=p2)
    s = exp.query("visit_schedule", as_of=D(2025, 2, 22)).set_index("visit_month")
    assert (s.loc[1, "window_open"].date(), s.loc[1, "window_close"].date()) == (
        D(2025, 2, 19), D(2025, 2, 22))
    assert s.loc[1, "status"] == "due"

"""SRE time-to-event derivation (spec: SRE time-to-event) and the `sre` command."""

import csv
import datetime as dt
import io

import pytest

from rfa_dash.analysis.sre import outcomes
from rfa_dash.cli import main
from rfa_dash.ingest.export import open_export
from tests.helpers import make_export, rand

D = dt.date
# randomized 2025-01-15, treated 2025-01-20


def _out(tmp_path, as_of, sre=(), off=(), visits=()):
    exp = open_export(make_export(tmp_path / "e", sre_events=list(sre), offstudy=list(off),
                                  visits=list(visits)))
    return exp, outcomes(exp, as_of).iloc[0]


def sre(date, kind="pathologic_fracture"):
    return {"participant_id": "001", "event_date": date, "sre_type": kind}


def death(date, reason="death"):
    return {"participant_id": "001", "off_study_date": date, "reason": reason}


def visit(month, date):
    return {"participant_id": "001", "visit_month": str(month), "status": "completed",
            "visit_date": date}


def test_first_sre_is_the_event(tmp_path):
    _, o = _out(tmp_path, D(2026, 1, 1), sre=[sre("2025-06-01", "repeat_rt"),
                                              sre("2025-04-15")])
    assert (o.status, o.days, o.sre_type) == (1, 90, "pathologic_fracture")
    assert o.months == pytest.approx(90 / 30.4375)


def test_death_after_sre_keeps_the_sre(tmp_path):
    _, o = _out(tmp_path, D(2026, 1, 1), sre=[sre("2025-04-15")], off=[death("2025-05-01")])
    assert (o.status, o.days) == (1, 90)


def test_death_before_any_sre_is_competing(tmp_path):
    _, o = _out(tmp_path, D(2026, 1, 1), off=[death("2025-03-16")])
    assert (o.status, o.days) == (2, 60)


def test_sre_dated_after_death_does_not_count(tmp_path):
    exp, o = _out(tmp_path, D(2026, 1, 1), sre=[sre("2025-04-15")], off=[death("2025-03-16")])
    assert (o.status, o.days) == (2, 60)
    assert "after the participant's death" in exp.problems.message.iloc[0]


def test_sre_on_the_day_of_death_counts(tmp_path):
    _, o = _out(tmp_path, D(2026, 1, 1), sre=[sre("2025-03-16")], off=[death("2025-03-16")])
    assert (o.status, o.days) == (1, 60)


def test_censored_at_last_completed_visit(tmp_path):
    _, o = _out(tmp_path, D(2026, 1, 1), visits=[visit(1, "2025-02-20"), visit(3, "2025-04-20")],
                off=[death("2025-09-01", "withdrawal")])
    assert (o.status, o.end_date.date(), o.days) == (0, D(2025, 4, 20), 95)


def test_no_visits_censored_at_time_zero(tmp_path):
    _, o = _out(tmp_path, D(2026, 1, 1))
    assert (o.status, o.days, o.months) == (0, 0, 0.0)


def test_records_after_as_of_are_ignored(tmp_path):
    _, o = _out(tmp_path, D(2025, 4, 1), sre=[sre("2025-04-15")], off=[death("2025-05-01")],
                visits=[visit(1, "2025-02-20"), visit(3, "2025-04-20")])
    assert (o.status, o.end_date.date()) == (0, D(2025, 2, 20))


def test_participant_randomized_after_as_of_is_absent(tmp_path):
    exp = open_export(make_export(tmp_path / "e"))
    assert outcomes(exp, D(2025, 1, 14)).empty


def test_sre_cli_columns_and_rows(tmp_path, capsys):
    screens = None
    folder = make_export(tmp_path / "e", screening=screens, randomization=[rand()],
                         sre_events=[sre("2025-04-15")])
    assert main(["sre", str(folder), "--as-of", "2025-06-01", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["arm", "month", "at_risk", "cif", "lower", "upper"]
    assert [r[:2] for r in rows[1:]] == [[a, str(m)] for a in ("rfa_rt", "rt_alone")
                                         for m in (1, 3, 6, 12, 24)]
    # one participant, SRE at 90 days = 2.96 months: month 1 at risk 1, cif 0;
    # month 3: time 2.96 < 3 so nobody at risk -> not reported
    assert rows[1] == ["rfa_rt", "1", "1", "0", "", ""]
    assert rows[2] == ["rfa_rt", "3", "0", "", "", ""]
    assert rows[6] == ["rt_alone", "1", "0", "", "", ""]


def test_sre_cli_on_sample(capsys):
    assert main(["sre", "--format", "json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert len(data) == 10 and set(data[0]) == {"arm", "month", "at_risk", "cif", "lower",
                                                 "upper"}

"""Every contract problem class is reported with table, line, column, value and expectation,
and a row-level problem leaves the rest of the export usable."""

import datetime as dt

from rfa_dash.ingest.export import open_export
from tests.helpers import make_export, rand, screen

AS_OF = dt.date(2026, 1, 1)


def _problems(exp, table):
    return exp.problems[exp.problems.table == table].reset_index(drop=True)


def test_wrong_type_in_optional_column_is_treated_as_missing(tmp_path):
    exp = open_export(make_export(tmp_path / "e", screening=[screen(age="sixty")]))
    p = _problems(exp, "screening")
    assert len(p) == 1
    r = p.iloc[0]
    assert (r.line, r.column, r.severity, r.value) == (2, "age", "error", "sixty")
    assert r.message == 'age "sixty" is not a whole number from 0 to 130; treated as missing'
    assert exp.con.execute("SELECT age FROM stg_screening").fetchall() == [(None,)]


def test_wrong_date_in_required_column_leaves_row_out(tmp_path):
    exp = open_export(make_export(tmp_path / "e", screening=[
        screen(), screen(screening_id="S002", screen_date="10/01/2025")],
        randomization=[rand()]))
    p = _problems(exp, "screening")
    r = p.iloc[0]
    assert (r.line, r.column, r.value) == (3, "screen_date", "10/01/2025")
    assert "is not a date YYYY-MM-DD from 1900 to 2199; row left out" in r.message
    assert exp.con.execute("SELECT screening_id FROM stg_screening").fetchall() == [("S001",)]


def test_unknown_code(tmp_path):
    exp = open_export(make_export(tmp_path / "e", randomization=[rand(arm="placebo")]))
    r = _problems(exp, "randomization").iloc[0]
    assert (r.line, r.column, r.value) == (2, "arm", "placebo")
    assert r.message == 'arm "placebo" is not one of rfa_rt, rt_alone; row left out'


def test_out_of_range_integer(tmp_path):
    exp = open_export(make_export(tmp_path / "e", randomization=[rand(sins="19")]))
    r = _problems(exp, "randomization").iloc[0]
    assert r.message == 'sins "19" is not a whole number from 0 to 18; treated as missing'


def test_visit_month_not_in_protocol(tmp_path):
    exp = open_export(make_export(tmp_path / "e", visits=[
        {"participant_id": "001", "visit_month": "2", "status": "completed",
         "visit_date": "2025-03-20"}]))
    r = _problems(exp, "visits").iloc[0]
    assert (r.line, r.column, r.value) == (2, "visit_month", "2")
    assert "is not one of 1, 3, 6, 12, 24" in r.message


def test_duplicate_id_keeps_first(tmp_path):
    exp = open_export(make_export(tmp_path / "e", screening=[
        screen(), screen(age=70), screen(screening_id="S002")]))
    r = _problems(exp, "screening").iloc[0]
    assert (r.line, r.column, r.value, r.severity) == (3, "screening_id", "S001", "error")
    assert r.message == "duplicate screening_id S001 (first at line 2); row left out"
    assert exp.con.execute("SELECT screening_id, age FROM stg_screening ORDER BY 1"
                           ).fetchall() == [("S001", 60), ("S002", 60)]


def test_orphan_ids(tmp_path):
    exp = open_export(make_export(
        tmp_path / "e", randomization=[rand(), rand(participant_id="002", screening_id="S999")],
        sre_events=[{"participant_id": "003", "event_date": "2025-03-01",
                     "sre_type": "repeat_rt"}]))
    r = _problems(exp, "randomization").iloc[0]
    assert (r.line, r.column, r.value) == (3, "screening_id", "S999")
    assert "is not in screening" in r.message
    s = _problems(exp, "sre_events").iloc[0]
    assert (s.line, s.column, s.value) == (2, "participant_id", "003")
    assert exp.con.execute("SELECT count(*) FROM stg_randomization").fetchall() == [(1,)]


def test_screening_randomized_twice(tmp_path):
    exp = open_export(make_export(tmp_path / "e", randomization=[
        rand(), rand(participant_id="002")]))
    r = _problems(exp, "randomization").iloc[0]
    assert r.line == 3 and "randomized twice" in r.message


def test_dates_before_randomization(tmp_path):
    exp = open_export(make_export(
        tmp_path / "e",
        visits=[{"participant_id": "001", "visit_month": "1", "status": "completed",
                 "visit_date": "2025-01-14"}],
        sre_events=[{"participant_id": "001", "event_date": "2025-01-01",
                     "sre_type": "surgery"}],
        offstudy=[{"participant_id": "001", "off_study_date": "2024-12-31", "reason": "death"}],
        adverse_events=[{"participant_id": "001", "onset_date": "2025-01-02", "term": "Pain",
                         "grade": "1"}]))
    for table, column, value in [("visits", "visit_date", "2025-01-14"),
                                 ("sre_events", "event_date", "2025-01-01"),
                                 ("offstudy", "off_study_date", "2024-12-31")]:
        r = _problems(exp, table).iloc[0]
        assert (r.line, r.column, r.value, r.severity) == (2, column, value, "error")
        assert "is before randomization_date 2025-01-15; row left out" in r.message
        assert exp.con.execute(f"SELECT count(*) FROM stg_{table}").fetchall() == [(0,)]
    # an adverse event before randomization (collected from consent on) is valid: kept,
    # and not treatment-emergent (spec)
    assert _problems(exp, "adverse_events").empty
    assert exp.con.execute("SELECT onset_date, treatment_emergent FROM ae_onset").fetchall() \
        == [(dt.date(2025, 1, 2), False)]


def test_treatment_before_randomization_is_treated_as_missing(tmp_path):
    exp = open_export(make_export(tmp_path / "e", randomization=[
        rand(treatment_date="2025-01-10")]))
    r = _problems(exp, "randomization").iloc[0]
    assert r.column == "treatment_date" and "treated as missing" in r.message
    v = exp.query("visit_schedule", as_of=AS_OF)
    assert set(v.status) == {"unscheduled"}


def test_completed_visit_without_date(tmp_path):
    exp = open_export(make_export(tmp_path / "e", visits=[
        {"participant_id": "001", "visit_month": "1", "status": "completed", "visit_date": ""},
        {"participant_id": "001", "visit_month": "3", "status": "missed", "visit_date": ""}]))
    p = _problems(exp, "visits")
    assert len(p) == 1
    r = p.iloc[0]
    assert (r.line, r.column) == (2, "visit_date")
    assert r.message == "visit_date is required when status is completed; row left out"
    v = exp.query("visit_schedule", as_of=AS_OF).set_index("visit_month")
    assert v.loc[1, "status"] == "overdue" and v.loc[3, "status"] == "missed"


def test_duplicate_visit_record(tmp_path):
    row = {"participant_id": "001", "visit_month": "1", "status": "missed"}
    exp = open_export(make_export(tmp_path / "e", visits=[row, dict(row)]))
    r = _problems(exp, "visits").iloc[0]
    assert r.line == 3 and "second record for participant 001 month 1" in r.message


def test_required_value_missing(tmp_path):
    exp = open_export(make_export(tmp_path / "e", offstudy=[
        {"participant_id": "001", "off_study_date": "2025-05-01", "reason": ""}]))
    r = _problems(exp, "offstudy").iloc[0]
    assert (r.line, r.column) == (2, "reason")
    assert r.message == "required value missing in reason; row left out"


def test_cascade_rows_of_a_left_out_participant_are_orphans(tmp_path):
    exp = open_export(make_export(tmp_path / "e", randomization=[rand(arm="")], visits=[
        {"participant_id": "001", "visit_month": "1", "status": "missed"}]))
    assert _problems(exp, "visits").message.iloc[0].startswith(
        "participant_id 001 is not in randomization (or its row was left out)")


def test_warnings_do_not_count_as_errors(tmp_path):
    exp = open_export(make_export(tmp_path / "e", screening=[
        screen(consent_date=None, spine_levels="T7-T9")]))
    assert exp.n_errors == 0
    assert sorted(exp.problems.column) == ["consent_date", "spine_levels"]
    assert set(exp.problems.severity) == {"warning"}


def test_number_parsing_is_the_contract_pattern():
    """rfa_num / rfa_int (cast plus a character test) equal the full patterns, on random text."""
    import random

    from rfa_dash import db

    con = db.hardened_connection(None)
    con.execute(db.sql_text("staging/parsers"))
    rng = random.Random(7)
    alphabet = "0123456789" * 3 + " .+-eE_\t\nx,"
    texts = ["", " ", ".", "+", "-", "1e3", "1_000", "\t1", "1\n", "3.", "3.00", "3.5", " -2 ",
             ".5", "-.5", "+.5", "1.2.3", "- 1", "1 2", "007", "99999999999999999999",
             "1.0000001", "0.0000004", "\u0661", "\uff11"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 7)))
              for _ in range(20000)]
    con.execute("CREATE TABLE t (x VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [(x,) for x in texts])
    num = r"' *[+-]?(\d+\.?\d*|\.\d+) *'"
    whole = r"' *[+-]?\d+(\.0*)? *'"
    differ = con.execute(f"""
        SELECT x FROM t WHERE
          rfa_num(x, -1000, 1000) IS DISTINCT FROM
            CASE WHEN regexp_full_match(x, {num})
                  AND TRY_CAST(x AS DECIMAL(18, 6)) BETWEEN -1000 AND 1000
                 THEN TRY_CAST(x AS DECIMAL(18, 6)) END
          OR rfa_int(x, -1000, 1000) IS DISTINCT FROM
            CASE WHEN regexp_full_match(x, {whole})
                  AND TRY_CAST(x AS DECIMAL(18, 6)) BETWEEN -1000 AND 1000
                 THEN CAST(TRY_CAST(x AS DECIMAL(18, 6)) AS INTEGER) END
        """).fetchall()
    assert differ == []
    accepted = con.execute("SELECT count(*) FROM t WHERE rfa_num(x, -1000, 1000) IS NOT NULL"
                           ).fetchone()[0]
    assert accepted > 1000  # the random text does exercise valid numbers too

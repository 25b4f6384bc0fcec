"""Adverse events: partial onset dates imputed and flagged, events before treatment kept and
not treatment-emergent, the optional MedDRA SOC (spec, adverse_events)."""

import datetime as dt

from rfa_dash.analysis import safety
from rfa_dash.ingest.export import open_export
from rfa_dash.protocol import load_protocol
from tests.helpers import make_export, rand, screen

D = dt.date
DSMB = load_protocol().roles["dsmb"]


def _ae(onset, term="Pain", grade="1", **kw):
    return {"participant_id": "001", "onset_date": onset, "term": term, "grade": grade, **kw}


def test_partial_dates_are_imputed_to_the_earliest_date_not_before_treatment(tmp_path):
    # randomized 2025-01-15, treated 2025-01-20
    folder = make_export(tmp_path / "e", randomization=[rand(treatment_date="2025-01-20")],
                         adverse_events=[_ae(x) for x in (
                             "2025-01", "2024-12", "2025", "2026", "2025-01-05", "2025-01-20",
                             "2025-02")])
    exp = open_export(folder)
    assert exp.problems.empty, exp.problems
    got = exp.con.execute("SELECT onset_text, onset_date, onset_imputed, treatment_emergent "
                          "FROM ae_onset ORDER BY _line").fetchall()
    assert got == [
        ("2025-01", D(2025, 1, 20), True, True),      # the month holds the treatment date
        ("2024-12", D(2024, 12, 1), True, False),     # wholly before treatment
        ("2025", D(2025, 1, 20), True, True),
        ("2026", D(2026, 1, 1), True, True),
        ("2025-01-05", D(2025, 1, 5), False, False),  # before randomization, still valid
        ("2025-01-20", D(2025, 1, 20), False, True),  # on the day of treatment
        ("2025-02", D(2025, 2, 1), True, True),
    ]


def test_without_a_treatment_date_randomization_is_the_start(tmp_path):
    folder = make_export(tmp_path / "e", randomization=[rand(treatment_date="")],
                         adverse_events=[_ae("2025-01"), _ae("2025-01-14")])
    got = open_export(folder).con.execute(
        "SELECT onset_date, treatment_emergent FROM ae_onset ORDER BY _line").fetchall()
    assert got == [(D(2025, 1, 15), True), (D(2025, 1, 14), False)]


def test_bad_partial_dates_are_errors(tmp_path):
    folder = make_export(tmp_path / "e", adverse_events=[_ae(x) for x in (
        "2025-13", "25-01", "2025-1", "0000", "2025-02-30")])
    p = open_export(folder).problems
    assert p["line"].tolist() == [2, 3, 4, 5, 6] and set(p["column"]) == {"onset_date"}
    assert all("or YYYY-MM or YYYY when only partly known" in m for m in p["message"])


def test_safety_counts_only_treatment_emergent_events_and_lists_the_others(tmp_path):
    folder = make_export(
        tmp_path / "e", randomization=[rand(treatment_date="2025-01-20")],
        adverse_events=[_ae("2025-01-10", "Back pain", "3", serious="yes"),
                        _ae("2025-03", "Nausea", "2", soc="Gastrointestinal disorders"),
                        _ae("2025-02-01", "Fatigue", "3")])
    exp = open_export(folder)
    s = safety.safety(exp, D(2025, 12, 31), DSMB)
    assert int(s.by_grade["events"].sum()) == 2           # Nausea and Fatigue
    assert s.grade3["term"].tolist() == ["Fatigue"]
    assert s.pretreatment["term"].tolist() == ["Back pain"]
    assert safety.serious_events(exp, D(2025, 12, 31), DSMB).empty
    listing = exp.query("adverse_event_listing", as_of=D(2025, 12, 31))
    assert listing[["term", "soc", "onset_imputed"]].values.tolist() == [
        ["Fatigue", None, False], ["Nausea", "Gastrointestinal disorders", True]]
    # the data cut reads the imputed date: 2025-03 is 2025-03-01, not there on 2025-02-28
    early = exp.query("adverse_event_listing", as_of=D(2025, 2, 28))
    assert early["term"].tolist() == ["Fatigue"]


def test_an_export_without_the_soc_column_gets_a_warning(tmp_path):
    folder = make_export(tmp_path / "e")
    (folder / "adverse_events.csv").write_text(
        "participant_id,onset_date,term,grade,serious,related\n001,2025-02,Pain,1,no,no\n")
    [p] = open_export(folder).problems.itertuples()
    assert p.severity == "warning" and p.column == "soc"


def test_events_by_system_organ_class_and_term(tmp_path):
    from rfa_dash.present.outcomes import soc_table

    folder = make_export(
        tmp_path / "e", screening=[screen(), screen(screening_id="S002")],
        randomization=[rand(), rand(participant_id="002", screening_id="S002")],
        adverse_events=[
            _ae("2025-02-01", "Nausea", soc="Gastrointestinal disorders"),
            _ae("2025-03-01", "Nausea", soc="Gastrointestinal disorders"),
            _ae("2025-03-02", "Vomiting", soc="Gastrointestinal disorders"),
            {**_ae("2025-02-03", "Nausea", soc="Gastrointestinal disorders"),
             "participant_id": "002"},
            _ae("2025-02-05", "Fatigue"),                        # no SOC coded
            _ae("2025-01-16", "Back pain", soc="Musculoskeletal and connective tissue "
                "disorders")])                                   # before treatment: not here
    s = safety.safety(open_export(folder), D(2025, 12, 31), DSMB)
    table = soc_table(s, {})
    assert table.iloc[:, 0].tolist() == ["Gastrointestinal disorders", "    Nausea",
                                         "    Vomiting", "Not coded", "    Fatigue"]
    arm = table.columns[1]   # both participants are in rfa_rt
    assert arm == "rfa_rt (n=2)"
    assert table[arm].tolist() == ["2 (100%) / 4 events", "2 (100%) / 3 events",
                                   "1 (50%) / 1 events", "1 (50%) / 1 events",
                                   "1 (50%) / 1 events"]

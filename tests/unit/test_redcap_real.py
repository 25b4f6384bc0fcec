"""The importer on genuine REDCap exports (REDCapR's test projects, tests/data/redcap/).

Each test copies one project, adds a mapping (the demo project's is the one
in the docs) and checks that it is recognized, that what the mapping asks for
arrives with the values REDCap wrote, and that everything else is reported:
nothing is dropped without a problem saying so.
"""

import csv
import shutil
from pathlib import Path

import pytest

from rfa_dash.cli import main
from rfa_dash.ingest.export import open_export
from rfa_dash.ingest.redcap.importer import RedcapError, import_folder
from rfa_dash.ingest.redcap.project import is_redcap_folder, read_dictionary
from rfa_dash.ingest.redcap.values import to_date

DATA = Path(__file__).parents[1] / "data" / "redcap"
DOCS = Path(__file__).parents[2] / "docs" / "examples"


def project(tmp_path, name, mapping=None, drop=()):
    folder = tmp_path / name
    shutil.copytree(DATA / name, folder)
    for f in drop:
        (folder / f).unlink()
    if mapping is not None:
        (folder / "mapping.toml").write_text(mapping, encoding="utf-8")
    return folder


def values(imported, table, column):
    return imported.tables[table][column].to_pylist()


def by_severity(problems, severity):
    return [p for p in problems if p.severity == severity]


def test_two_arm_demo_imports_with_the_documented_mapping(tmp_path):
    folder = project(tmp_path, "longitudinal")
    shutil.copy(DOCS / "redcap-demo-2-arms.toml", folder / "mapping.toml")
    assert is_redcap_folder(folder)
    imp = import_folder(folder)
    # study_id is the record ID (the dictionary's first field); the arm is the event's arm
    assert values(imp, "randomization", "participant_id") == ["100", "220", "304"]
    assert values(imp, "randomization", "arm") == ["rfa_rt", "rfa_rt", "rt_alone"]
    assert values(imp, "screening", "sex") == ["M", "F", "F"]
    assert values(imp, "screening", "screen_date") == ["2015-04-02", "2015-04-02", "2015-04-02"]
    # visit_1 and visit_2 of arm 1, first_visit of arm 2
    assert values(imp, "visits", "participant_id") == ["100", "100", "220", "220", "304"]
    assert values(imp, "visits", "visit_month") == ["1", "3", "1", "3", "1"]
    assert imp.lines["visits"] == [4, 6, 10, 12, 17]
    # what the mapping leaves out is said once per kind; no event is left unexplained
    infos = [p.message for p in by_severity(imp.problems, "info")]
    assert len(infos) == 3
    assert infos[0].startswith("88 REDCap field(s) not used by the mapping")
    assert infos[1].startswith("6 instrument(s) not used by the mapping")
    # rows out = rows in, counted from the CSV itself: its rows of the events the mapping
    # ignores (doses, deadlines) are not read; the rest placed or empty of what it reads
    with (folder / "data.csv").open(encoding="utf-8") as f:
        events = [r["redcap_event_name"] for r in csv.DictReader(f)]
    read = {"enrollment_arm_1", "enrollment_arm_2", "first_visit_arm_2", "visit_1_arm_1",
            "visit_2_arm_1", "final_visit_arm_1", "final_visit_arm_2"}
    assert imp.account["read"] == len(events)
    assert imp.account["ignored"] == sum(e not in read for e in events)
    assert imp.account["lost"] == 0 and imp.account["left_out"] == 0
    assert infos[2].startswith(f"rows out = rows in: {len(events)} row(s)")
    [err] = by_severity(imp.problems, "error")
    assert "gives no sre_events table" in err.message
    assert by_severity(imp.problems, "warning") == []


def test_two_arm_demo_opens_and_reports_contract_problems_on_records_lines(tmp_path):
    folder = project(tmp_path, "longitudinal")
    shutil.copy(DOCS / "redcap-demo-2-arms.toml", folder / "mapping.toml")
    exp = open_export(folder)
    assert exp.source == "redcap"
    assert int(exp.query("enrollment_funnel", as_of=exp.default_as_of)["n"].iloc[-1]) == 3
    visits = exp.problems[exp.problems["table"] == "visits"].sort_values("line")
    # the demo has no visit dates: each completed visit says so, on its records line;
    # arm 2's first visit has no lab form, so no status either (named by its REDCap field)
    assert list(zip(visits["line"], visits["column"], strict=True)) == [
        (4, "visit_date"), (6, "visit_date"), (10, "visit_date"), (12, "visit_date"),
        (17, "visit_lab_data_complete")]


def test_events_csv_checks_the_mapping_event_names(tmp_path):
    mapping = (DOCS / "redcap-demo-2-arms.toml").read_text().replace(
        '"visit_2" = 3', '"visit_two" = 3')
    # issue 26: an event the project does not have is an error naming the closest ones
    # (it was a warning, and the visits of that event were silently left out)
    with pytest.raises(RedcapError, match="event visit_two of \\[tables.visits\\] is not an "
                                          "event of the project's events CSV; the closest: "
                                          "visit_2"):
        import_folder(project(tmp_path, "longitudinal", mapping))


CLASSIC_REPEATING = """
[tables.screening]
repeat_instrument = ""
[tables.screening.fields]
screening_id = "record_id"
screen_date = "date_enrolled"
age = "age"
sex = { field = "sex", values = { "0" = "F", "1" = "M" } }

[tables.adverse_events]
repeat_instrument = "bp"
[tables.adverse_events.fields]
participant_id = "record_id"
onset_date = "date_bp"
term = "bp_systolic"
"""


def test_classic_project_with_a_repeating_instrument(tmp_path):
    imp = import_folder(project(tmp_path, "repeating-instruments", CLASSIC_REPEATING))
    assert values(imp, "screening", "screening_id") == ["1", "2"]
    assert values(imp, "screening", "sex") == ["F", "M"]
    assert values(imp, "adverse_events", "term") == ["110", "111", "112", "114"]
    assert imp.lines["adverse_events"] == [3, 4, 5, 7]
    [info] = by_severity(imp.problems, "info")
    assert "5 REDCap field(s) not used" in info.message and "bp_diastolic" in info.message
    assert {p.table for p in by_severity(imp.problems, "error")} == {
        "randomization", "visits", "sre_events", "offstudy"}


def test_repeating_instruments_no_table_uses_are_listed(tmp_path):
    mapping = """
[tables.screening]
repeat_instrument = ""
[tables.screening.fields]
screening_id = "record_id"
weight_kg = "weight"
"""
    imp = import_folder(project(tmp_path, "vignette-repeating", mapping))
    assert values(imp, "screening", "weight_kg") == ["11.0", "22.0"]
    infos = [p.message for p in by_severity(imp.problems, "info")]
    assert any("3 instrument(s) not used" in m and "blood_pressure, laboratory, image" in m
               for m in infos)


def test_survey_timestamps_are_dates_and_not_completed_is_missing(tmp_path):
    mapping = """
[tables.screening]
[tables.screening.fields]
screening_id = "participant_id"
screen_date = "prescreening_survey_timestamp"
consent_date = "participant_morale_questionnaire_timestamp"
consented = "consent___1"
"""
    imp = import_folder(project(tmp_path, "survey", mapping))
    assert values(imp, "screening", "screening_id") == ["1", "2"]
    assert values(imp, "screening", "screen_date") == ["2018-03-06", "2018-03-06"]
    assert values(imp, "screening", "consent_date") == ["", ""]   # "[not completed]" and empty
    assert values(imp, "screening", "consented") == ["1", "0"]
    assert by_severity(imp.problems, "warning") == []
    info = " ".join(p.message for p in by_severity(imp.problems, "info"))
    assert "redcap_survey_identifier" not in info     # a REDCap column, not a field


def test_data_access_group_column_is_recognized(tmp_path):
    mapping = """
[tables.screening]
[tables.screening.fields]
screening_id = "record_id"
"""
    imp = import_folder(project(tmp_path, "dag", mapping))
    assert values(imp, "screening", "screening_id") == ["331-1", "331-2", "332-3"]
    info = " ".join(p.message for p in imp.problems)
    assert "redcap_data_access_group" not in info


@pytest.mark.parametrize("name,height,weight", [
    ("decimal-comma", "height", "weight"),
    ("decimal-comma-and-dot", "height_comma", "weight_comma"),
])
def test_decimal_comma_fields_read_as_numbers(tmp_path, name, height, weight):
    mapping = f"""
[tables.screening]
[tables.screening.fields]
screening_id = "record_id"
weight_kg = "{weight}"
age = "{height}"
"""
    drop = ["metadata.csv"] if name == "decimal-comma-and-dot" else []
    imp = import_folder(project(tmp_path, name, mapping, drop))
    assert values(imp, "screening", "weight_kg")[:3] == ["52.3", "92.3", "123.4"]
    assert values(imp, "screening", "age")[:3] == ["1.54", "1.84", "1.95"]


def test_api_dictionary_reads_as_the_web_one(tmp_path):
    for name in ("simple", "decimal-comma-and-dot"):
        web = read_dictionary(DATA / name / "dictionary.csv")
        api = read_dictionary(DATA / name / "metadata.csv")
        assert list(web) == list(api), name
        for f in web:
            if (name, f) == ("simple", "age"):
                continue   # upstream's two files differ here: text in one, calc in the other
            assert (web[f].form, web[f].ftype, web[f].choices, web[f].validation) == \
                (api[f].form, api[f].ftype, api[f].choices, api[f].validation), (name, f)
    folder = project(tmp_path, "simple", drop=["dictionary.csv"])
    (folder / "mapping.toml").write_text("[tables.screening]\n[tables.screening.fields]\n"
                                         'screening_id = "record_id"\n')
    assert values(import_folder(folder), "screening", "screening_id") == ["1", "2", "3", "4",
                                                                           "5"]


def test_field_types_of_the_validation_project(tmp_path):
    d = read_dictionary(DATA / "validation-types-1" / "dictionary.csv")
    assert d["f_calculated"].ftype == "calc" and d["f_calculated"].choices == {}   # "3+4"
    assert d["f_slider"].choices == {} and d["f_sql"].choices == {}
    assert d["f_yes_no"].choices == {"1": "Yes", "0": "No"}
    assert d["f_true_false"].choices == {"1": "True", "0": "False"}
    assert d["f_checkbox"].choices == {"0": "Zero", "1": "One", "2": "Two"}
    cases = {"v_date_dmy": "31-12-2025", "v_date_mdy": "12-31-2025", "v_date_ymd": "2025-12-31",
             "v_datetime_dmy": "31-12-2025 17:45", "v_datetime_mdy": "12-31-2025 17:45",
             "v_datetime_ymd": "2025-12-31 17:45",
             "v_datetime_seconds_dmy": "31-12-2025 17:45:09",
             "v_datetime_seconds_mdy": "12-31-2025 17:45:09",
             "v_datetime_seconds_ymd": "2025-12-31 17:45:09"}
    for name, text in cases.items():
        assert to_date(text, d[name].validation) == ("2025-12-31", None), name
    # raw exports write every date as Y-M-D whatever the field's order
    assert to_date("2025-12-31", d["v_date_dmy"].validation) == ("2025-12-31", None)
    _, problem = to_date("31-12-2025", d["v_date_ymd"].validation)
    assert "not a date in the field's format (date_ymd)" in problem
    imp = import_folder(project(tmp_path, "validation-types-1", """
[tables.screening]
[tables.screening.fields]
screening_id = "record_id"
weight_kg = "f_calculated"
screen_date = "v_date_dmy"
"""))
    assert values(imp, "screening", "screening_id") == ["1"]


def test_line_breaks_inside_values_do_not_shift_line_numbers(tmp_path, capsys):
    # addresses and comments hold line breaks; sex holds R's TRUE/FALSE, not REDCap codes
    mapping = """
[tables.screening]
[tables.screening.fields]
screening_id = "record_id"
sex = { field = "sex", values = { "0" = "F", "1" = "M" } }
"""
    imp = import_folder(project(tmp_path, "simple", mapping, drop=["metadata.csv"]))
    bad = sorted((p for p in imp.problems if p.column == "sex"), key=lambda p: p.line)
    # records start on lines 2, 4, 6, 8 and 13 of data.csv
    assert [(p.line, p.value) for p in bad] == [(2, "FALSE"), (4, "TRUE"), (6, "TRUE"),
                                                (8, "FALSE"), (13, "TRUE")]
    assert bad[4].message.startswith("record 5, field sex: \"TRUE\" is not one of its codes")
    assert imp.lines["screening"] == [2, 4, 6, 8, 13]
    assert main(["check", str(tmp_path / "simple")]) == 1
    out = capsys.readouterr().out
    assert "13" in out and "TRUE" in out


def test_event_arm_numbers_hidden_from_roles_that_may_not_read_a_participants_arm(
        tmp_path):
    from rfa_dash.analysis import quality
    from rfa_dash.protocol import load_protocol

    roles = load_protocol().roles
    folder = project(tmp_path, "longitudinal")
    mapping = (DOCS / "redcap-demo-2-arms.toml").read_text().replace(
        'ignore_events = ["dose_1", "dose_2", "first_dose", "deadline_to_opt_ou", '
        '"deadline_to_return"]', "")
    (folder / "mapping.toml").write_text(mapping)
    exp = open_export(folder)
    assert exp.arm_events      # the arm is the event's arm
    full = " ".join(exp.problems["message"])
    assert "dose_1_arm_1 (2 rows)" in full and "first_dose_arm_2 (1 rows)" in full
    assert "event visit_1_arm_1" in full
    for name, role in roles.items():
        shown, _ = quality.role_problems(exp, role)
        text = " ".join(shown["message"]) + " ".join(str(v) for v in shown["value"])
        if quality.shows_participant_arm(role):   # the DSMB: outcomes by arm
            assert "_arm_2" in text, name
        else:
            assert "_arm_1" not in text and "_arm_2" not in text, name
            assert "rows hidden" in text and "event visit_1_arm_\u2022" in text, name

"""Loading exports: file formats, encodings, header matching, values as the contract says."""

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from rfa_dash.ingest.export import ExportError, open_export
from tests.helpers import make_export, rand, screen, tree_digest, write_csv


def test_bom_and_mixed_case_headers_with_spaces(tmp_path):
    folder = make_export(tmp_path / "e")
    text = (folder / "screening.csv").read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    header = ",".join(f"  {h.upper()} " if i % 2 else h.title() for i, h in
                      enumerate(header.split(",")))
    (folder / "screening.csv").write_bytes(b"\xef\xbb\xbf" + (header + "\n" + rest).encode())
    exp = open_export(folder)
    assert exp.n_errors == 0, exp.problems.to_string()
    row = exp.con.execute("SELECT screening_id, age, screen_date FROM stg_screening").fetchone()
    assert row == ("S001", 60, dt.date(2025, 1, 10))


def test_inner_spaces_in_headers_match_underscores(tmp_path):
    folder = make_export(tmp_path / "e")
    text = (folder / "randomization.csv").read_text()
    (folder / "randomization.csv").write_text(text.replace("participant_id", "Participant ID", 1))
    exp = open_export(folder)
    assert exp.n_errors == 0
    assert exp.con.execute("SELECT participant_id FROM stg_randomization").fetchone() == ("001",)


def test_leading_zero_ids_stay_text(tmp_path):
    folder = make_export(tmp_path / "e", screening=[screen(screening_id="007")],
                         randomization=[rand(participant_id="0042", screening_id="007")])
    exp = open_export(folder)
    assert exp.con.execute("SELECT participant_id, screening_id FROM stg_randomization"
                           ).fetchone() == ("0042", "007")


@pytest.mark.parametrize("yes,no", [("true", "false"), ("YES", "No"), ("y", "N"), ("1", "0"),
                                    ("True", "FALSE")])
def test_boolean_spellings(tmp_path, yes, no):
    folder = make_export(tmp_path / "e", screening=[screen(bone_pain=yes, liver_mets=no)])
    exp = open_export(folder)
    assert exp.n_errors == 0
    assert exp.con.execute("SELECT bone_pain, liver_mets FROM stg_screening").fetchone() == (
        True, False)


def test_empty_boolean_is_missing(tmp_path):
    exp = open_export(make_export(tmp_path / "e", screening=[screen(liver_mets=None)]))
    assert exp.n_errors == 0
    assert exp.con.execute("SELECT liver_mets FROM stg_screening").fetchone() == (None,)


def _xlsx(path, columns, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(columns)
    for r in rows:
        ws.append(r)
    wb.save(path)


def test_excel_native_dates_numbers_and_serials(tmp_path):
    folder = make_export(tmp_path / "e", skip=("randomization",))
    cols = ["Participant_ID", "screening_id", "randomization_date", "arm", "treatment_date",
            "ecog", "received_allocated"]
    # 45677 is Excel's serial number of 2025-01-20
    _xlsx(folder / "randomization.xlsx", cols,
          [["001", "S001", dt.datetime(2025, 1, 15), "RFA_RT", 45677, 1.0, True]])
    exp = open_export(folder)
    assert exp.n_errors == 0, exp.problems.to_string()
    assert exp.files["randomization"] == "randomization.xlsx"
    row = exp.con.execute("SELECT participant_id, randomization_date, arm, treatment_date, ecog,"
                          " received_allocated FROM stg_randomization").fetchone()
    assert row == ("001", dt.date(2025, 1, 15), "rfa_rt", dt.date(2025, 1, 20), 1, True)


def test_parquet_native_types(tmp_path):
    folder = make_export(tmp_path / "e", skip=("randomization",))
    pd.DataFrame({
        "participant_id": ["001"], "screening_id": ["S001"],
        "randomization_date": [dt.date(2025, 1, 15)], "arm": ["rt_alone"],
        "treatment_date": [pd.Timestamp("2025-01-21")], "received_allocated": [True],
        "ecog": [2], "sins": [7.0],
    }).to_parquet(folder / "randomization.parquet")
    exp = open_export(folder)
    assert exp.n_errors == 0, exp.problems.to_string()
    row = exp.con.execute("SELECT randomization_date, treatment_date, ecog, sins, "
                          "received_allocated FROM stg_randomization").fetchone()
    assert row == (dt.date(2025, 1, 15), dt.date(2025, 1, 21), 2, 7, True)


def test_missing_required_file_is_a_problem_not_a_crash(tmp_path):
    exp = open_export(make_export(tmp_path / "e", skip=("visits",)))
    p = exp.problems
    row = p[(p.table == "visits")].iloc[0]
    assert row.severity == "error" and "required file missing" in row.message
    assert pd.isna(row.line)
    # the rest stays usable
    assert exp.query("enrollment_funnel", as_of=dt.date(2025, 6, 1))["n"].tolist() == [1, 1, 1, 1]


def test_missing_optional_adverse_events_is_fine(tmp_path):
    exp = open_export(make_export(tmp_path / "e", skip=("adverse_events",)))
    assert exp.problems.empty


def test_unreadable_file_is_reported(tmp_path):
    folder = make_export(tmp_path / "e", skip=("randomization",))
    (folder / "randomization.parquet").write_bytes(b"this is not parquet")
    exp = open_export(folder)
    msgs = exp.problems[exp.problems.table == "randomization"].message.tolist()
    assert any(m.startswith("cannot read randomization.parquet") for m in msgs)


def test_non_utf8_csv_is_reported(tmp_path):
    folder = make_export(tmp_path / "e")
    (folder / "offstudy.csv").write_bytes(b"participant_id,off_study_date,reason\n"
                                          b"\xff\xfe001,2025-02-01,death\n")
    exp = open_export(folder)
    p = exp.problems[exp.problems.table == "offstudy"]
    assert p.message.tolist() == [
        "cannot read offstudy.csv: line 2 is not UTF-8 text (byte 0xff at character 1); save "
        "the file as UTF-8; the table is treated as empty"]


def test_required_column_missing(tmp_path):
    folder = make_export(tmp_path / "e")
    write_csv(folder / "offstudy.csv", ["participant_id", "reason"],
              [{"participant_id": "001", "reason": "death"}])
    exp = open_export(folder)
    p = exp.problems[exp.problems.table == "offstudy"]
    assert p.line.tolist() == [1] and p.column.tolist() == ["off_study_date"]
    assert "every row of the table was left out" in p.message.iloc[0]
    assert exp.con.execute("SELECT count(*) FROM stg_offstudy").fetchone() == (0,)


def test_two_files_for_one_table(tmp_path):
    folder = make_export(tmp_path / "e")
    pd.DataFrame({"participant_id": []}).to_parquet(folder / "offstudy.parquet")
    exp = open_export(folder)
    assert "only offstudy.csv was read" in exp.problems.message.iloc[0]


def test_export_is_never_modified(tmp_path):
    folder = make_export(tmp_path / "e", screening=[screen(age="abc")], manifest="{bad json")
    before = tree_digest(folder)
    exp = open_export(folder)
    exp.query("visit_schedule", as_of=dt.date(2026, 1, 1))
    exp.close()
    assert tree_digest(folder) == before


def test_missing_folder_raises_export_error(tmp_path):
    with pytest.raises(ExportError, match="not found"):
        open_export(tmp_path / "nope")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(ExportError, match="not a folder"):
        open_export(tmp_path / "f.txt")


def test_manifest_sets_default_as_of(tmp_path):
    exp = open_export(make_export(tmp_path / "e", manifest='{"exported_at": "2025-03-01"}'))
    assert exp.default_as_of == dt.date(2025, 3, 1)
    exp2 = open_export(make_export(tmp_path / "f"))
    assert exp2.default_as_of == dt.date.today()


def test_a_row_of_the_wrong_width_names_its_line(tmp_path):
    folder = make_export(tmp_path / "e")
    (folder / "offstudy.csv").write_text("participant_id,off_study_date,reason\n"
                                         "001,2025-02-01,death\n"
                                         "002,2025-02-03,death,extra\n")
    exp = open_export(folder)
    p = exp.problems[exp.problems.table == "offstudy"]
    assert len(p) == 1
    assert p.message.iloc[0].startswith(
        "cannot read offstudy.csv: line 3 has 4 values where the header has 3")
    # the row is not quoted: its values (here a death) are not for every role
    assert "death" not in p.message.iloc[0] and "002" not in p.message.iloc[0]
    # the rest of the export stays usable
    assert exp.con.execute("SELECT count(*) FROM stg_randomization").fetchone() == (1,)


def test_an_empty_file_is_reported(tmp_path):
    folder = make_export(tmp_path / "e")
    (folder / "offstudy.csv").write_bytes(b"")
    exp = open_export(folder)
    p = exp.problems[exp.problems.table == "offstudy"]
    assert p.message.tolist() == ["cannot read offstudy.csv: the file is empty; expected a "
                                  "header row; the table is treated as empty"]


def test_cells_are_text_as_written(tmp_path):
    # quoted commas, doubled quotes and line breaks inside quotes; an empty cell
    # (quoted or not) is missing, while "NA" and "null" are text like any other
    folder = make_export(tmp_path / "e")
    (folder / "adverse_events.csv").write_text(
        "participant_id,onset_date,term,grade,serious,related\n"
        '001,2025-02-01,"Pain, back ""lumbar""\nsevere",2,no,""\n'
        "001,2025-02-02,NA,1,no,null\n", encoding="utf-8")
    exp = open_export(folder)
    rows = exp.con.execute("SELECT _line, term, grade, related FROM stg_adverse_events "
                           "ORDER BY _line").fetchall()
    assert rows[0] == (2, 'Pain, back "lumbar"\nsevere', 2, None)
    assert rows[1] == (3, "NA", 1, None)
    bad = exp.problems[(exp.problems.table == "adverse_events")
                       & (exp.problems.column == "related")]
    assert bad.value.tolist() == ["null"] and bad.line.tolist() == [3]


def test_a_header_written_twice_is_reported(tmp_path):
    folder = make_export(tmp_path / "e")
    (folder / "offstudy.csv").write_text("participant_id,off_study_date,reason,reason\n"
                                         "001,2025-02-01,death,withdrawal\n")
    exp = open_export(folder)
    p = exp.problems[exp.problems.table == "offstudy"]
    assert p.column.tolist() == ["reason"] and "only the first was read" in p.message.iloc[0]
    assert exp.con.execute("SELECT reason FROM stg_offstudy").fetchone() == ("death",)

"""The command-line interface: columns, formats and exit codes exactly as the spec says."""

import csv
import io
import json
import subprocess
import sys

from rfa_dash.cli import main
from rfa_dash.ingest.export import SAMPLE_DIR
from tests.helpers import make_export, rand, screen


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_clean_export_exits_0(tmp_path, capsys):
    code, out, err = run(["check", str(make_export(tmp_path / "e")), "--format", "csv"], capsys)
    assert code == 0 and out == "table,line,column,severity,message\n" and err == ""


def test_check_with_errors_exits_1_and_lists_them(tmp_path, capsys):
    folder = make_export(tmp_path / "e", screening=[screen(age="x")], skip=("offstudy",))
    code, out, _ = run(["check", str(folder), "--format", "csv"], capsys)
    assert code == 1
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["table", "line", "column", "severity", "message"]
    assert rows[1] == ["screening", "2", "age", "error",
                       'age "x" is not a whole number from 0 to 130; treated as missing']
    assert rows[2][:4] == ["offstudy", "", "", "error"]


def test_check_json_and_table(tmp_path, capsys):
    folder = make_export(tmp_path / "e", screening=[screen(age="x")])
    code, out, _ = run(["check", str(folder), "--format", "json"], capsys)
    data = json.loads(out)
    assert code == 1 and data[0]["line"] == 2 and data[0]["severity"] == "error"
    assert list(data[0]) == ["table", "line", "column", "severity", "message"]
    code, out, _ = run(["check", str(folder)], capsys)
    assert out.splitlines()[0].split() == ["table", "line", "column", "severity", "message"]


def test_warnings_only_exit_0(tmp_path, capsys):
    folder = make_export(tmp_path / "e", screening=[screen(consent_date=None)])
    code, out, _ = run(["check", str(folder), "--format", "csv"], capsys)
    assert code == 0 and ",warning," in out


def test_unreadable_export_exits_2_one_line(tmp_path, capsys):
    code, out, err = run(["check", str(tmp_path / "missing")], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and "not found" in err


def test_bad_usage_exits_2(capsys):
    for args in (["nonsense"], ["check", "--format", "xml"], ["visits", "--as-of", "2025-13-01"],
                 []):
        code, out, err = run(args, capsys)
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, args


def test_eligibility_columns(tmp_path, capsys):
    folder = make_export(tmp_path / "e", screening=[
        screen(), screen(screening_id="S002", age=17, albumin=None)], randomization=[rand()])
    code, out, _ = run(["eligibility", str(folder), "--as-of", "2025-06-01", "--format", "csv"],
                       capsys)
    assert code == 0
    assert out.splitlines() == ["screening_id,status,failed,unknown",
                                "S001,eligible,,", "S002,ineligible,age,albumin"]


def test_visits_and_overdue_csv(tmp_path, capsys):
    folder = make_export(tmp_path / "e", visits=[
        {"participant_id": "001", "visit_month": "1", "status": "completed",
         "visit_date": "2025-02-20"}])
    code, out, _ = run(["visits", str(folder), "--as-of", "2025-05-01", "--format", "csv"],
                       capsys)
    lines = out.splitlines()
    assert lines[0] == ("participant_id,visit_month,target_date,window_open,window_close,"
                        "visit_date,status")
    assert lines[1] == "001,1,2025-02-20,2025-02-13,2025-02-27,2025-02-20,completed"
    assert lines[2] == "001,3,2025-04-20,2025-04-06,2025-05-04,,due"
    assert lines[3] == "001,6,2025-07-20,2025-06-20,2025-08-19,,upcoming"
    code, out, _ = run(["overdue", str(folder), "--as-of", "2025-05-10", "--format", "csv"],
                       capsys)
    assert out.splitlines() == ["participant_id,visit_month,window_close,days_overdue",
                                "001,3,2025-05-04,6"]


def test_default_export_is_the_sample(capsys):
    code, out, _ = run(["eligibility", "--format", "csv"], capsys)
    assert code == 0 and len(out.splitlines()) == 1 + 80
    assert str(SAMPLE_DIR).endswith("sample_data")


def test_module_entry_point_no_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "rfa_dash", "check", str(tmp_path / "nope")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert r.stderr.startswith("rfa_dash: export folder not found")

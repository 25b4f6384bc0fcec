"""Issue 26: `import-redcap` reports what `check` reports on the same folder, with the same
exit status (it used to list the conversion's problems only and exit 0)."""

import csv
import io
import shutil
from contextlib import redirect_stderr, redirect_stdout

from rfa_dash.cli.main import main
from rfa_dash.ingest.export import SAMPLE_DIR


def _duplicate_participant(tmp_path):
    folder = tmp_path / "rc"
    shutil.copytree(SAMPLE_DIR / "redcap", folder)
    path = folder / "redcap_records.csv"
    rows = list(csv.DictReader(path.open(newline="", encoding="utf-8")))
    given = [r for r in rows if r["rand_pid"]]
    given[1]["rand_pid"] = given[0]["rand_pid"]     # a contract error only the checks find
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return folder, given[0]["rand_pid"]


def _run(args):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def test_import_reports_the_contract_errors_check_finds(tmp_path):
    folder, pid = _duplicate_participant(tmp_path)
    check_code, check_out, _ = _run(["check", str(folder)])
    import_code, _, import_err = _run(["import-redcap", str(folder), "--out",
                                       str(tmp_path / "out")])
    assert check_code == import_code == 1
    assert f"duplicate participant_id {pid}" in check_out
    assert check_out.strip() == import_err.strip()

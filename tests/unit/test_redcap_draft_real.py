"""Issue 34: ``redcap-mapping`` on the genuine projects the tests keep (REDCap CSV exports,
REDCap's project XML, OpenClinica's ODM): it comes back, the draft always loads, and what
it placed is shown (a table whose required columns were not all found is written
commented out, with what was found); on a dictionary with a 210,000-character rich-text
label it does not take minutes (a look-ahead pattern was quadratic in the label)."""

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rfa_dash.ingest.redcap.draft import draft
from rfa_dash.ingest.redcap.mapping import load_mapping

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = DATA.parents[1]
FOLDERS = sorted(p for base in ("redcap", "odm") for p in (DATA / base).iterdir()
                 if p.is_dir())


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_draft_of_every_genuine_project_loads(folder, tmp_path):
    text = draft(folder)
    out = tmp_path / "draft.toml"
    out.write_text(text, encoding="utf-8")
    load_mapping(out)                      # the draft's own loader accepts it
    assert "values = {  }" not in text


def test_odm_files_are_drafted_and_placed_columns_are_shown():
    text = draft(DATA / "odm" / "openclinica-juno")
    # OpenClinica's items are placed by their labels, a visit's date and status from the
    # events; a table not complete is shown commented out with what was found
    assert 'screen_date = "I_INCLU_IN_DT_IC"' in text
    assert 'visit_date = "oc_event_start_date"' in text and "oc_event_status" in text
    assert "# [tables.randomization] is incomplete" in text


def test_a_long_rich_text_label_does_not_stall_the_draft(tmp_path):
    folder = tmp_path / "rc"
    shutil.copytree(DATA / "redcap" / "simple", folder)
    path = folder / "dictionary.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    label = "<table><tr><td>" + "Consent text about the visit date. " * 6_000 + "</td></tr>"
    row = [""] * len(rows[0])
    row[0], row[1], row[3], row[4] = "consent_text", rows[1][1], "descriptive", label
    rows.insert(2, row)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    assert len(label) > 180_000
    # in a process of its own with a bound: a stall is a failure, not a hung suite
    r = subprocess.run([sys.executable, "-m", "rfa_dash", "redcap-mapping", str(folder)],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "[redcap]" in r.stdout

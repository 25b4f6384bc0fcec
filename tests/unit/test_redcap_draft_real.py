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


def test_the_repeating_instrument_comes_from_the_projects_own_settings():
    """OpenClinica's adverse-event log is a repeating item group: the draft reads it as the
    repeating instrument, from the metadata (not guessed)."""
    text = draft(DATA / "odm" / "openclinica-juno")
    block = text[text.index("[tables.adverse_events]"):]
    assert block.splitlines()[2].startswith('repeat_instrument = "F_ADVERSEEVENT_V10"')
    assert "the project repeats instrument F_ADVERSEEVENT_V10 in event SE_LOGS" in block


def test_a_repeating_event_is_proposed_as_the_events_own_rows(tmp_path):
    """A CSV project whose adverse events are a repeating *event* (its rows carry an
    instance and no instrument): the draft takes the event's own rows, as the records
    show. Made from the genuine REDCap-ETL project's XML: its visit event repeats; its
    cardiovascular form is renamed an adverse-event form."""
    from rfa_dash.ingest.redcap import odm

    conv = odm.convert(DATA / "odm" / "redcap-repeating-events" / "RepeatingEvents.REDCap.xml")
    folder = tmp_path / "csv"
    shutil.copytree(conv.folder, folder)
    for name in ("dictionary.csv", "form_events.csv"):
        p = folder / name
        p.write_text(p.read_text(encoding="utf-8").replace("cardiovascular,", "adverse_event,")
                     .replace("cardiovascular\n", "adverse_event\n")
                     .replace("Cardiovascular date", "Onset date of adverse event"),
                     encoding="utf-8")
    rec = folder / "records.csv"
    rec.write_text(rec.read_text(encoding="utf-8").replace(",cardiovascular,",
                                                           ",adverse_event,"),
                   encoding="utf-8")
    # the AE rows of the visit event only: the home visits' instrument rows taken out
    lines = rec.read_text(encoding="utf-8").splitlines()
    rec.write_text("\n".join(x for x in lines if ",home_visit_arm_" not in x) + "\n",
                   encoding="utf-8")
    text = draft(folder)
    block = text[text.index("[tables.adverse_events]"):]
    assert 'event = "visit"' in block
    assert 'repeat_instrument = ""   # event visit repeats' in block

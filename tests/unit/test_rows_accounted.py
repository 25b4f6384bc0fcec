"""Issue 34, at the importer: rows out = rows in, and a value the mapping reads that no
table takes is an error, never a quiet loss.

The genuine REDCap-ETL project (tests/data/odm/README.md) has a repeating *event* (visit)
and instruments repeating inside the home visits. A mapping that reads the visits as a
repeating instrument (or the home visits' repeating weight as the event's own rows)
would give a table without those rows; the import says so, naming the row, its line and
why the table passed it by. Counts are checked against the XML with a plain parser.
"""

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from rfa_dash.ingest.redcap.importer import import_folder

DATA = Path(__file__).resolve().parents[1] / "data" / "odm"
ETL = DATA / "redcap-repeating-events"
JUNO = DATA / "openclinica-juno"
NS = "{http://www.cdisc.org/ns/odm/v1.3}"
CLASSES = ("placed", "left_out", "ignored", "not_read", "lost", "nothing")

MAPPING = """
[redcap]
empty_tables = ["screening", "randomization", "sre_events", "offstudy"]

[tables.visits]
event = "{event}"
repeat_instrument = "{instrument}"
[tables.visits.fields]
participant_id = "record_id"
visit_month = {{ from_event = {{ "{event}" = 1 }} }}
visit_date = "{date}"
"""


def _project(tmp_path: Path, event: str, instrument: str, date: str) -> Path:
    folder = tmp_path / "etl"
    shutil.copytree(ETL, folder)
    (folder / "mapping.toml").write_text(
        MAPPING.format(event=event, instrument=instrument, date=date), encoding="utf-8")
    return folder


def _visits_in_xml(event_prefix: str, form_oid: str) -> int:
    """StudyEventData (or repeating FormData) of the event holding the form, counted."""
    root = ET.parse(next(ETL.glob("*.xml"))).getroot()
    return sum(1 for ev in root.iter(f"{NS}StudyEventData")
               if ev.get("StudyEventOID", "").startswith(f"Event.{event_prefix}_arm_")
               for fd in ev.findall(f"{NS}FormData") if fd.get("FormOID") == form_oid)


def _adds_up(imp) -> None:
    assert sum(imp.account[c] for c in CLASSES) == imp.account["read"]


def test_a_repeating_event_read_as_its_own_rows_arrives_whole(tmp_path):
    imp = import_folder(_project(tmp_path, "visit", "", "cardiovascular_date"))
    assert [p for p in imp.problems if p.severity == "error"] == []
    assert imp.account["lost"] == 0
    assert len(imp.tables["visits"]["visit_date"]) == _visits_in_xml(
        "visit", "Form.cardiovascular")
    _adds_up(imp)


def test_a_repeating_event_read_as_a_repeating_instrument_is_an_error_naming_the_row(tmp_path):
    """The docs' earlier advice gone wrong: the visits are the event's repeats, not an
    instrument's; the table would be empty and every visit date lost."""
    imp = import_folder(_project(tmp_path, "visit", "cardiovascular", "cardiovascular_date"))
    [err] = [p for p in imp.problems if p.severity == "error"]
    n = _visits_in_xml("visit", "Form.cardiovascular")
    assert f"{n} row(s) there with a value of it are taken by no table" in err.message
    assert "a repeating event's visit #" in err.message
    assert "repeat_instrument = 'cardiovascular'" in err.message
    assert err.line and err.column == "cardiovascular_date"
    assert imp.account["lost"] == n
    _adds_up(imp)


def test_an_instrument_repeating_in_one_event_read_as_the_events_rows_is_an_error(tmp_path):
    imp = import_folder(_project(tmp_path, "home_visit", "", "weight_time"))
    [err] = [p for p in imp.problems if p.severity == "error"]
    assert "the row is repeating instrument 'weight'" in err.message
    assert imp.account["lost"] == _visits_in_xml("home_visit", "Form.weight")
    _adds_up(imp)


@pytest.mark.parametrize("rows", [0, 1])
def test_a_required_field_that_passes_a_filled_row_by_is_an_error(tmp_path, rows):
    """A table that takes rows by a required field: a row with the table's other values
    but not that one (an adverse event with a grade but no term) is not quietly dropped."""
    folder = _project(tmp_path, "visit", "", "cardiovascular_date")
    m = folder / "mapping.toml"
    m.write_text(m.read_text().replace('repeat_instrument = ""',
                                       'repeat_instrument = ""\nrequired_field = "hdl_mg_dl"'))
    if rows:   # one visit's HDL blanked: its date is then passed by
        xml = next(folder.glob("*.xml"))
        text = xml.read_text(encoding="utf-8")
        start = text.index('StudyEventOID="Event.visit_arm_1"')
        at = text.index('ItemOID="hdl_mg_dl" Value="', start) + len('ItemOID="hdl_mg_dl" Value="')
        end = text.index('"', at)
        xml.write_text(text[:at] + text[end:], encoding="utf-8")
    imp = import_folder(folder)
    errors = [p for p in imp.problems if p.severity == "error"]
    root = ET.parse(next(folder.glob("*.xml"))).getroot()
    no_hdl = sum(1 for ev in root.iter(f"{NS}StudyEventData")
                 if ev.get("StudyEventOID", "").startswith("Event.visit_arm_")
                 and any(i.get("ItemOID") == "cardiovascular_date" and i.get("Value")
                         for i in ev.iter(f"{NS}ItemData"))
                 and not any(i.get("ItemOID") == "hdl_mg_dl" and i.get("Value")
                             for i in ev.iter(f"{NS}ItemData")))
    assert imp.account["lost"] == no_hdl
    if no_hdl:
        assert "its required_field hdl_mg_dl is empty" in errors[0].message
    else:
        assert errors == []
    _adds_up(imp)


def test_the_openclinica_study_with_its_worked_mapping_places_or_accounts_for_every_row():
    """JUNO with docs/examples/openclinica-juno.toml: every converted row is placed, in an
    event the mapping ignores or does not read, or empty of what it reads; none lost."""
    mapping = Path(__file__).resolve().parents[2] / "docs" / "examples" / "openclinica-juno.toml"
    imp = import_folder(JUNO, mapping)
    root = ET.parse(next(JUNO.glob("*.xml"))).getroot()
    events = sum(1 for _ in root.iter(f"{NS}StudyEventData"))
    assert imp.account["read"] >= events   # an event's own row each, and group repeats
    assert imp.account["lost"] == 0 and imp.account["left_out"] == 0
    _adds_up(imp)
    # OpenClinica's items are not called REDCap fields
    assert any("ODM field(s) not used by the mapping" in p.message for p in imp.problems)
    assert not any("REDCap field" in p.message for p in imp.problems)


def test_the_data_quality_caption_says_lines_are_the_xmls():
    """Problems of an ODM folder name lines of its XML file, and the page says so (not
    "lines of the REDCap records export", which the site never had)."""
    from rfa_dash.analysis.quality import lines_note
    from rfa_dash.ingest.export import open_export

    exp = open_export(JUNO)
    note = lines_note(exp)
    assert note.startswith("Lines are lines of the XML file JUNO_DEMO_odm1.3_fullExtract")
    assert "records export" not in note

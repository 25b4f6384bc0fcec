"""Issue 34: REDCap's clinical data as ODM without metadata, read with the project's own
data dictionary CSV, arrive as the project's CSV export does.

Genuine files only: REDCapR's longitudinal 2-arm demo and its classic project with a
repeating instrument each come as a REDCap CSV export (records, dictionary, events,
arms; tests/data/redcap/) and as REDCap's ODM XML (tests/data/odm/). The XML's
``<ClinicalData>``, cut out whole into a file of its own (as a data-only ODM export is
written), put beside the CSV export's dictionary, events and arms instead of its records,
must give the same rows and values as the CSV records, and the same tables.
"""

import csv
import re
import shutil
from pathlib import Path

import pytest

from rfa_dash.ingest.redcap.importer import RedcapError, import_folder
from rfa_dash.ingest.redcap.project import open_project
from tests.helpers import odm_halves

DATA = Path(__file__).resolve().parents[1] / "data"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "examples"
PROJECTS = {"longitudinal": "redcap-longitudinal", "repeating-instruments":
            "redcap-repeating-instruments"}
BP_MAPPING = """
[redcap]
empty_tables = ["screening", "randomization", "sre_events", "offstudy"]
[tables.visits]
repeat_instrument = "bp"
[tables.visits.fields]
participant_id = "record_id"
visit_date = "date_bp"
"""
META = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance")


def _data_only(tmp_path: Path, name: str) -> Path:
    """The CSV export's folder with its records replaced by the XML's clinical data."""
    folder = tmp_path / name
    shutil.copytree(DATA / "redcap" / name, folder)
    (folder / "data.csv").unlink()
    _, data = odm_halves((DATA / "odm" / PROJECTS[name] / "project.xml").read_text(
        encoding="utf-8"))
    (folder / "clinical.xml").write_text(data, encoding="utf-8")
    return folder


def _rows(path: Path, rid: str) -> dict[tuple[str, ...], dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        # a line break written as is inside an XML attribute reads as a space (XML's own
        # rule), so free text is compared with its white space collapsed
        return {(r[rid], *(r.get(m, "") for m in META)): {k: " ".join(v.split())
                                                         for k, v in r.items() if v}
                for r in csv.DictReader(f)}


@pytest.mark.parametrize("name", PROJECTS)
def test_clinical_data_without_metadata_give_the_csv_exports_rows_and_values(tmp_path, name):
    folder = _data_only(tmp_path, name)
    p = open_project(folder)
    assert p is not None and p.source == folder / "clinical.xml"
    rid = next(iter(p.dictionary))
    got = _rows(p.records, rid)
    want = _rows(DATA / "redcap" / name / "data.csv", rid)
    assert got.keys() == want.keys()
    for key, values in want.items():
        # REDCap's CSV leaves a form's status empty where the XML writes none; the rest equal
        assert {k: v for k, v in got[key].items() if k in values} == values, key
    # every field the dictionary defines is a column, filled or not
    with p.records.open(encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert {d.name for d in p.dictionary.values() if d.ftype not in ("checkbox",
                                                                     "descriptive")} <= set(header)


def test_the_two_arm_demo_from_its_clinical_data_and_dictionary_imports_as_from_csv(tmp_path):
    folder = _data_only(tmp_path, "longitudinal")
    shutil.copy(DOCS / "redcap-demo-2-arms.toml", folder / "mapping.toml")
    csv_folder = tmp_path / "csv"
    shutil.copytree(DATA / "redcap" / "longitudinal", csv_folder)
    shutil.copy(DOCS / "redcap-demo-2-arms.toml", csv_folder / "mapping.toml")
    xml, plain = import_folder(folder), import_folder(csv_folder)
    assert {t: {c: a.to_pylist() for c, a in cols.items()} for t, cols in xml.tables.items()} \
        == {t: {c: a.to_pylist() for c, a in cols.items()} for t, cols in plain.tables.items()}
    assert xml.account == plain.account
    errors = [(p.table, p.column) for p in xml.problems if p.severity == "error"]
    assert errors == [(p.table, p.column) for p in plain.problems if p.severity == "error"]
    # the lines named are the XML's
    assert max(xml.lines["visits"]) > max(plain.lines["visits"])


def test_repeats_are_told_from_the_projects_repeating_csv_when_it_is_there(tmp_path):
    """REDCap's "repeating instruments and events" export (API content=repeatingFormsEvents,
    columns form_name, custom_form_label for a classic project): written here in that
    form, since no genuine one is public. Without it the repeats are inferred and an info
    line says so; with it, nothing is inferred."""
    folder = _data_only(tmp_path, "repeating-instruments")
    (folder / "mapping.toml").write_text(BP_MAPPING.replace('repeat_instrument = "bp"\n', ""),
                                         encoding="utf-8")
    inferred = import_folder(folder)
    notes = [p.message for p in inferred.problems if p.severity == "info"]
    assert any("repeats were told from the data and the mapping: instruments bp repeat" in n
               for n in notes)
    (folder / "repeating.csv").write_text("form_name,custom_form_label\nbp,[date_bp]\n",
                                          encoding="utf-8")
    told = import_folder(folder)
    assert not any("told from the data" in p.message for p in told.problems)
    assert _rows(open_project(folder).records, "record_id") == _rows(
        DATA / "redcap" / "repeating-instruments" / "data.csv", "record_id") | {
        k: v for k, v in _rows(open_project(folder).records, "record_id").items()
        if k not in _rows(DATA / "redcap" / "repeating-instruments" / "data.csv", "record_id")}


def test_a_repeating_instrument_seen_once_and_named_by_the_mapping_repeats(tmp_path):
    """Before any second blood pressure: every bp form has instance 1, and only the
    mapping's repeat_instrument says bp repeats; its rows are the instrument's, not the
    event's (else the accounting would report them lost)."""
    folder = _data_only(tmp_path, "repeating-instruments")
    xml = folder / "clinical.xml"
    text = xml.read_text(encoding="utf-8")
    # keep each record's first bp only

    def first_only(m: re.Match[str]) -> str:
        return m.group(0) if m.group(1) == "1" else ""
    text = re.sub(r'<FormData FormOID="Form.bp" FormRepeatKey="(\d+)">.*?</FormData>',
                  first_only, text, flags=re.S)
    xml.write_text(text, encoding="utf-8")
    (folder / "mapping.toml").write_text(BP_MAPPING, encoding="utf-8")
    imp = import_folder(folder)
    assert imp.account["lost"] == 0
    assert len(imp.tables["visits"]["visit_date"]) == text.count('FormOID="Form.bp"')


def test_clinical_data_alone_say_what_to_put_beside_them(tmp_path):
    folder = _data_only(tmp_path, "longitudinal")
    for p in folder.glob("*.csv"):
        p.unlink()
    with pytest.raises(RedcapError, match="data dictionary CSV"):
        import_folder(folder)
